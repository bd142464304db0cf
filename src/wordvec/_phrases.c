/* wordvec._phrases: the one step of Phrases counting that numpy cannot do, words -> ids.
 *
 * number(sentences, index, words) walks a list of sentences (lists of str), looks every token up in `index`
 * (str -> id) and gives a new word the next id (appended to `words`, set in `index`): ids in first-seen order, as
 * the pure-Python fallback in phrases.py numbers them. It returns (ids, lengths) as bytes of native int64: the
 * token ids, and each sentence's length. One dict lookup per token in C instead of several Python passes.
 *
 * A sentence that is not a list, or a token that is not exactly a str, raises TypeError naming the position
 * (sentence, token); phrases.py then numbers the chunk in Python, which reports or accepts it. What was numbered before the error stays numbered (as the
 * fallback's ids of earlier chunks do).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static PyObject *number(PyObject *self, PyObject *args) {
    PyObject *sentences, *index, *words;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyList_Type, &sentences, &PyDict_Type, &index, &PyList_Type, &words))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(sentences), total = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyList_GET_ITEM(sentences, i);
        if (!PyList_Check(s))
            return PyErr_Format(PyExc_TypeError, "sentence %zd is not a list", i);
        total += PyList_GET_SIZE(s);
    }
    PyObject *ids_obj = PyBytes_FromStringAndSize(NULL, total * (Py_ssize_t)sizeof(int64_t));
    PyObject *len_obj = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (!ids_obj || !len_obj) {
        Py_XDECREF(ids_obj);
        Py_XDECREF(len_obj);
        return NULL;
    }
    int64_t *ids = (int64_t *)PyBytes_AS_STRING(ids_obj), *lengths = (int64_t *)PyBytes_AS_STRING(len_obj);
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyList_GET_ITEM(sentences, i);
        Py_ssize_t m = PyList_GET_SIZE(s);
        if (k + m > total) { /* a sentence grew since it was measured (another thread): refuse, not overrun */
            PyErr_SetString(PyExc_RuntimeError, "a sentence changed while it was counted");
            goto fail;
        }
        lengths[i] = m;
        for (Py_ssize_t j = 0; j < m; j++) {
            PyObject *w = PyList_GET_ITEM(s, j);
            if (!PyUnicode_CheckExact(w)) { /* a str subclass may run code on lookup: the Python path takes it */
                PyErr_Format(PyExc_TypeError, "token %zd of sentence %zd is not a str", j, i);
                goto fail;
            }
            PyObject *v = PyDict_GetItemWithError(index, w);
            if (v) {
                ids[k++] = PyLong_AsLongLong(v);
                continue;
            }
            if (PyErr_Occurred())
                goto fail;
            Py_ssize_t id = PyList_GET_SIZE(words);
            PyObject *id_obj = PyLong_FromSsize_t(id);
            if (!id_obj)
                goto fail;
            int bad = PyDict_SetItem(index, w, id_obj) < 0 || PyList_Append(words, w) < 0;
            Py_DECREF(id_obj);
            if (bad)
                goto fail;
            ids[k++] = id;
        }
    }
    if (k != total) {
        PyErr_SetString(PyExc_RuntimeError, "a sentence changed while it was counted");
        goto fail;
    }
    return Py_BuildValue("(NN)", ids_obj, len_obj);
fail:
    Py_DECREF(ids_obj);
    Py_DECREF(len_obj);
    return NULL;
}

static PyMethodDef METHODS[] = {
    {"number", number, METH_VARARGS, "number(sentences, index, words) -> (ids, lengths): int64 bytes"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_phrases", "Phrases counting: words -> ids.", -1,
                                    METHODS};

PyMODINIT_FUNC PyInit__phrases(void) { return PyModule_Create(&MODULE); }
