/* wordvec._kernels: the CPU hot loop of skip-gram and CBOW as a small C extension, the twin of the numba kernels.
 *
 * src/wordvec/kernels.py documents the algorithm and the arguments; kernels_numba.py is the other implementation.
 * This file is the same algorithm cut into the same helpers (subsample, window_span, ns_update, hs_update,
 * ns_shared, cbow_combine, cbow_scatter; input_gather, input_scatter for the subword input), consuming the same
 * xorshift64* stream in the same order, in float32 arithmetic with the loss summed in double. The dot products sum in the order numba's LLVM compiles for an AVX2
 * CPU, so there the two implementations train the same vectors to the last bit; elsewhere, to float rounding.
 *
 * Arrays arrive through the buffer protocol, so the build needs no numpy headers. Every argument is checked while
 * the GIL is held (a bad one raises TypeError or ValueError); indices read from the Huffman and alias tables are
 * checked as they are used: a bad one skips its update and raises ValueError when the chunk is done. The loop
 * itself runs with the GIL released: the engine trains several chunks at once on shared matrices (Hogwild).
 *
 * The arguments are one table (KERNEL_ARGS, mirrored by wordvec.kernel_args.ARGS); the loop a call runs is picked
 * from a table by architecture and objective (LOOPS), each loop with its objective inlined.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define EXP_TABLE_SIZE 1000
#define MAX_EXP 6.0
#define SCALE (EXP_TABLE_SIZE / MAX_EXP / 2.0)

static float SIG[EXP_TABLE_SIZE];    /* sigmoid(x) on [-MAX_EXP, MAX_EXP), word2vec.c's EXP_TABLE */
static float LOGSIG[EXP_TABLE_SIZE]; /* log sigmoid(x) on the same points */
static float LOG_TINY;               /* log sigmoid(-MAX_EXP): the loss floor outside the table */

/* Two x86-64 builds of the training loops, AVX2 + FMA and the baseline, one picked when the module loads: a wheel
 * runs on any x86-64 CPU, and uses the vector width numba compiles for where the CPU has it. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && __GNUC__ >= 12
#define CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CLONES
#endif
/* The helpers are inlined into every clone (gcc inlines a plain `inline` function only into a caller of its own
 * -march). */
#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

/* --- what one call trains ------------------------------------------------------------------------------------- */

typedef struct {
    const int32_t *ids;           /* tokens ids[start:stop], documents cut by offsets */
    const int64_t *offsets;
    Py_ssize_t n_offsets, start, stop;
    float *syn0, *syn1, *syn1neg; /* (n_in, dim), (n_inner, dim), (n_words, dim) */
    Py_ssize_t n_words, dim, n_inner, n_in; /* n_in: syn0's rows (n_words, or more with subwords) */
    const uint8_t *codes;         /* (n_words, max_code) Huffman codes and inner-node points */
    const int32_t *points, *lengths;
    Py_ssize_t max_code;
    const float *prob;            /* the noise alias table over the n_words output rows */
    const int32_t *alias;
    const float *keep;            /* per-word subsampling keep-probability */
    const float *lockf;           /* per-row factor on input-row updates (gensim's vectors_lockf); NULL: all 1 */
    const int64_t *sub_offsets;   /* subwords: word w's input rows are sub_rows[sub_offsets[w]:sub_offsets[w+1]] */
    const int32_t *sub_rows;      /* NULL: word w's input is row w (word2vec) */
    int hs, reduced_window, shared_negatives, cbow_mean;
    Py_ssize_t negative, window;
    double alpha0, alpha1;
    uint64_t seed;
} Chunk;

/* The factor on input row w's update: 1 without a lockf array (the branch is the same every time). */
#define LOCKF(c, w) ((c)->lockf ? (c)->lockf[w] : 1.0f)

typedef struct {                  /* working memory, allocated while the GIL is held */
    void *block;                  /* all of it, in one allocation */
    int32_t *buf;                 /* the kept words of one document */
    Py_ssize_t m;                 /* how many */
    float *work, *neu1;           /* the input gradient; CBOW's combined context */
    float *out_grad, *grads;      /* shared negatives: the output rows' summed updates, one example's gradients */
    int64_t *targets;             /* the centre word and its noise words */
    float **outs;                 /* their output rows */
} Scratch;

typedef struct {
    double loss;
    long long examples, kept, pairs;
    int bad_index;                /* a Huffman or alias table held an index outside its matrix */
} Totals;

/* --- random numbers: xorshift64*, seeded per chunk ------------------------------------------------------------ */

INLINE uint64_t seed_state(uint64_t seed)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E109ULL;
    return state ? state : 1; /* xorshift stays at 0 */
}

INLINE uint64_t next_random(uint64_t *state)
{
    uint64_t s = *state;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    *state = s;
    return s * 2685821657736338717ULL;
}

INLINE float uniform(uint64_t r) /* [0, 1) from the top 24 bits */
{
    return (float)(r >> 40) * (1.0f / 16777216.0f);
}

/* One noise word by the alias method: bucket i uniform in [0, n), kept if u < prob[i], else alias[i]. */
INLINE int64_t noise_word(uint64_t *state, const float *prob, const int32_t *alias, Py_ssize_t n)
{
    uint64_t r = next_random(state);
    int64_t i = (uint32_t)(r >> 32) % (uint32_t)n; /* n < 2**31: ids are int32 */
    return uniform(r << 32) < prob[i] ? i : (int64_t)alias[i];
}

/* --- per-token helpers ---------------------------------------------------------------------------------------- */

/* Copy the tokens ids[a:b] that survive subsampling to buf; returns how many. */
INLINE Py_ssize_t subsample(const Chunk *c, Py_ssize_t a, Py_ssize_t b, int32_t *buf, uint64_t *state)
{
    Py_ssize_t m = 0;
    for (Py_ssize_t t = a; t < b; t++) {
        int32_t w = c->ids[t];
        float kp = c->keep[w];
        if (kp < 1.0f && uniform(next_random(state)) >= kp)
            continue;
        buf[m++] = w;
    }
    return m;
}

/* The context span [lo, hi) of position i among m kept words: `window` each side, or drawn in 1..window. */
INLINE void window_span(const Chunk *c, uint64_t *state, Py_ssize_t i, Py_ssize_t m, Py_ssize_t *lo,
                        Py_ssize_t *hi)
{
    Py_ssize_t win = c->window;
    if (c->reduced_window)
        win = 1 + (uint32_t)(next_random(state) >> 33) % (uint32_t)c->window;
    *lo = i > win ? i - win : 0;
    *hi = i + win + 1 < m ? i + win + 1 : m;
}

/* label - sigmoid(f), adding the example's loss; a saturated sigmoid gives 0 (no update; the loss still counts).
 * A NaN score (diverged weights) makes no update and a NaN loss, which ends the run with the divergence line: it
 * must never reach the table index (casting NaN to int is undefined, and in practice far outside the table). */
INLINE float sig_grad(float f, float label, double *loss)
{
    if (!(f > -MAX_EXP && f < MAX_EXP)) {
        if (f >= MAX_EXP) {
            if (!(label > 0.5f))
                *loss += (double)(f - LOG_TINY) - MAX_EXP;
        } else if (f <= -MAX_EXP) {
            if (label > 0.5f)
                *loss += (double)(-f - LOG_TINY) - MAX_EXP;
        } else {
            *loss += (double)f;
        }
        return 0.0f;
    }
    int i = (int)((double)f * SCALE + MAX_EXP * SCALE); /* (f + MAX_EXP) * SCALE, as numba's LLVM computes it */
    *loss -= label > 0.5f ? LOGSIG[i] : LOGSIG[EXP_TABLE_SIZE - 1 - i];
    return label - SIG[i];
}

/* a . b in 32 interleaved partial sums (four 8-float vectors) summed pairwise, then 4 at a time, then one at a
 * time: short dependency chains in vector registers of any width, and the order of the sums that numba's LLVM
 * compiles for an AVX2 CPU (so, there, the same vectors to the last bit). */
#if defined(__GNUC__)
typedef float vec8 __attribute__((vector_size(32), aligned(4), may_alias));
typedef float vec4 __attribute__((vector_size(16), aligned(4), may_alias));
#define V8(p) (*(const vec8 *)(p))
#define V4(p) (*(const vec4 *)(p))
INLINE float dot(const float *restrict a, const float *restrict b, Py_ssize_t n)
{
    vec8 s0 = {0.0f}, s1 = {0.0f}, s2 = {0.0f}, s3 = {0.0f};
    Py_ssize_t k = 0;
    for (; k + 32 <= n; k += 32) {
        s0 += V8(a + k) * V8(b + k);
        s1 += V8(a + k + 8) * V8(b + k + 8);
        s2 += V8(a + k + 16) * V8(b + k + 16);
        s3 += V8(a + k + 24) * V8(b + k + 24);
    }
    vec8 s = (s0 + s1) + (s2 + s3);
    vec4 h = V4((const float *)&s) + V4((const float *)&s + 4);
    vec4 t = {(h[0] + h[2]) + (h[1] + h[3]), 0.0f, 0.0f, 0.0f};
    for (; k + 4 <= n; k += 4)
        t += V4(a + k) * V4(b + k);
    float f = (t[0] + t[2]) + (t[1] + t[3]);
    for (; k < n; k++)
        f += a[k] * b[k];
    return f;
}
#else
INLINE float dot(const float *restrict a, const float *restrict b, Py_ssize_t n)
{
    float f = 0.0f;
    for (Py_ssize_t k = 0; k < n; k++)
        f += a[k] * b[k];
    return f;
}
#endif

/* One SGD step of an (input, output row) example with gradient g: work += g * out, then out += g * in. */
INLINE void sgd_step(float g, const float *restrict in, float *restrict out, float *restrict work, Py_ssize_t n)
{
    for (Py_ssize_t k = 0; k < n; k++) {
        work[k] += g * out[k];
        out[k] += g * in[k];
    }
}

INLINE void add_scaled(float *restrict y, float a, const float *restrict x, Py_ssize_t n) /* y += a x */
{
    for (Py_ssize_t k = 0; k < n; k++)
        y[k] += a * x[k];
}

/* --- the subword input (fastText): a word's input vector is the mean of its rows, the gradient goes to each ----- */

/* out = the sum of the input rows of words[lo:hi] but position `skip`, in their order, 32 columns at a time held
 * in registers (each column sums the rows in the same order as adding row after row to out, so to the last bit
 * the same sums, without storing and reloading out after each of the ~100 rows of a CBOW window). SUM_ROWS runs
 * `body` on each row from column k (the c, dim and k of sum_rows). */
#define SUM_ROWS(words, lo, hi, skip, body)                                                                      \
    for (Py_ssize_t j_ = (lo); j_ < (hi); j_++)                                                                 \
        if (j_ != (skip))                                                                                        \
            for (int64_t r_ = c->sub_offsets[(words)[j_]]; r_ < c->sub_offsets[(words)[j_] + 1]; r_++) {       \
                const float *row = c->syn0 + (Py_ssize_t)c->sub_rows[r_] * dim + k;                              \
                body;                                                                                            \
            }
INLINE void sum_rows(const Chunk *c, const int32_t *words, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t skip,
                     float *restrict out)
{
    const Py_ssize_t dim = c->dim;
    Py_ssize_t k = 0;
#if defined(__GNUC__)
    for (; k + 32 <= dim; k += 32) {
        vec8 s0 = {0.0f}, s1 = {0.0f}, s2 = {0.0f}, s3 = {0.0f};
        SUM_ROWS(words, lo, hi, skip, (s0 += V8(row), s1 += V8(row + 8), s2 += V8(row + 16), s3 += V8(row + 24)))
        *(vec8 *)(out + k) = s0;
        *(vec8 *)(out + k + 8) = s1;
        *(vec8 *)(out + k + 16) = s2;
        *(vec8 *)(out + k + 24) = s3;
    }
    for (; k + 8 <= dim; k += 8) {
        vec8 s0 = {0.0f};
        SUM_ROWS(words, lo, hi, skip, s0 += V8(row))
        *(vec8 *)(out + k) = s0;
    }
    for (; k + 4 <= dim; k += 4) {
        vec4 s0 = {0.0f};
        SUM_ROWS(words, lo, hi, skip, s0 += V4(row))
        *(vec4 *)(out + k) = s0;
    }
#endif
    for (; k < dim; k++) {
        float s0 = 0.0f;
        SUM_ROWS(words, lo, hi, skip, s0 += *row)
        out[k] = s0;
    }
}

/* Word w's input vector: its row of syn0, or with subwords the mean of its rows gathered into `buf`. */
INLINE const float *input_gather(const Chunk *c, int32_t w, float *buf)
{
    if (!c->sub_rows)
        return c->syn0 + (Py_ssize_t)w * c->dim;
    const int64_t a = c->sub_offsets[w], b = c->sub_offsets[w + 1];
    sum_rows(c, &w, 0, 1, -1, buf);
    const float inv = (float)(1.0 / (double)(b - a));
    for (Py_ssize_t k = 0; k < c->dim; k++)
        buf[k] *= inv;
    return buf;
}

/* Add `work` to word w's input row, or with subwords to each of its rows, unscaled (fastText's Model::update),
 * each times its lockf factor. */
INLINE void input_scatter(const Chunk *c, int32_t w, const float *work)
{
    if (!c->sub_rows) {
        add_scaled(c->syn0 + (Py_ssize_t)w * c->dim, LOCKF(c, w), work, c->dim);
        return;
    }
    for (int64_t r = c->sub_offsets[w]; r < c->sub_offsets[w + 1]; r++)
        add_scaled(c->syn0 + (Py_ssize_t)c->sub_rows[r] * c->dim, LOCKF(c, c->sub_rows[r]), work, c->dim);
}

/* --- one objective for one input vector: the input gradient goes to work, the output rows move at once ------- */

/* Ask for a row's cache lines ahead of its use: the rows of a large vocabulary are mostly not in cache. */
INLINE void prefetch_row(const float *row, Py_ssize_t dim)
{
#if defined(__GNUC__)
    for (Py_ssize_t k = 0; k < dim; k += 16)
        __builtin_prefetch(row + k);
    __builtin_prefetch(row + dim - 1); /* a row not aligned to a line ends on one more */
#endif
}

/* Ask for word w's input rows (with subwords: its own and its n-gram buckets, scattered over a large matrix) ahead
 * of the centre step that gathers them. */
INLINE void prefetch_rows(const Chunk *c, int32_t w)
{
    for (int64_t r = c->sub_offsets[w]; r < c->sub_offsets[w + 1]; r++)
        prefetch_row(c->syn0 + (Py_ssize_t)c->sub_rows[r] * c->dim, c->dim);
}

/* With subwords, ask for the CSR entries of the words at positions p + 1 and p + 2 of the document, which give
 * the addresses of the rows to ask for in the next two steps. */
INLINE void prefetch_csr(const Chunk *c, const Scratch *s, Py_ssize_t p)
{
#if defined(__GNUC__)
    if (p + 2 < s->m)
        __builtin_prefetch(c->sub_offsets + s->buf[p + 2]);
    if (p + 1 < s->m)
        __builtin_prefetch(c->sub_rows + c->sub_offsets[s->buf[p + 1]]);
#endif
}

/* With subwords, ask for the input rows of the word at position p of the document (the next window's rows are
 * this one's but for a word or two) and for the CSR entries of the two words after it. */
INLINE void prefetch_ahead(const Chunk *c, const Scratch *s, Py_ssize_t p)
{
    prefetch_csr(c, s, p);
    if (p < s->m)
        prefetch_rows(c, s->buf[p]);
}

/* Ask for part `part` of `n_parts` of the input rows of the word at position p (a skip-gram window asks for the
 * next centre's rows a few per pair: asked for at once, they would wait for one another's memory requests). */
INLINE void prefetch_part(const Chunk *c, const Scratch *s, Py_ssize_t p, int64_t part, int64_t n_parts)
{
    if (p >= s->m)
        return;
    const int64_t a = c->sub_offsets[s->buf[p]], n = c->sub_offsets[s->buf[p] + 1] - a;
    for (int64_t r = a + part * n / n_parts; r < a + (part + 1) * n / n_parts; r++)
        prefetch_row(c->syn0 + (Py_ssize_t)c->sub_rows[r] * c->dim, c->dim);
}

/* Negative sampling: `word` is the positive target, then `negative` noise words (one equal to `word` is skipped).
 * The noise words are drawn first (the same draws in the same order: nothing between them takes a random number)
 * so that their rows load while the first ones train. */
INLINE void ns_update(const Chunk *c, int64_t *targets, const float *in, int32_t word, float alpha, float *work,
                      uint64_t *state, Totals *t)
{
    targets[0] = word;
    for (Py_ssize_t q = 1; q <= c->negative; q++) {
        targets[q] = noise_word(state, c->prob, c->alias, c->n_words);
        if ((uint64_t)targets[q] >= (uint64_t)c->n_words) {
            t->bad_index = 1;
            targets[q] = word; /* skipped below */
        }
        prefetch_row(c->syn1neg + targets[q] * c->dim, c->dim);
    }
    for (Py_ssize_t q = 0; q <= c->negative; q++) {
        if (q > 0 && targets[q] == word)
            continue;
        float *out = c->syn1neg + targets[q] * c->dim;
        float g = sig_grad(dot(in, out, c->dim), q == 0 ? 1.0f : 0.0f, &t->loss) * alpha;
        if (g != 0.0f)
            sgd_step(g, in, out, work, c->dim);
    }
}

/* Hierarchical softmax: one binary decision (label 1 - code) per inner node on the Huffman path of `word`. */
INLINE void hs_update(const Chunk *c, const float *in, int32_t word, float alpha, float *work, Totals *t)
{
    int32_t length = c->lengths[word];
    if (length < 0 || length > c->max_code) {
        t->bad_index = 1;
        return;
    }
    const int32_t *points = c->points + (Py_ssize_t)word * c->max_code;
    const uint8_t *codes = c->codes + (Py_ssize_t)word * c->max_code;
    for (int32_t p = 0; p < length; p++) {
        if ((uint32_t)points[p] >= (uint64_t)c->n_inner) {
            t->bad_index = 1;
            continue;
        }
        float *out = c->syn1 + (Py_ssize_t)points[p] * c->dim;
        float g = sig_grad(dot(in, out, c->dim), 1.0f - (float)codes[p], &t->loss) * alpha;
        if (g != 0.0f)
            sgd_step(g, in, out, work, c->dim);
    }
}

/* Ask for the inner-node rows on the Huffman path of `word` (once per centre word: all its examples walk it), but
 * for the HOT_LEVELS nearest the root: every path starts there, so those rows are in cache already, and asking
 * for them early only pulls back lines that the other threads are writing. */
#define HOT_LEVELS 4
INLINE void prefetch_path(const Chunk *c, int32_t word)
{
    int32_t length = c->lengths[word];
    const int32_t *points = c->points + (Py_ssize_t)word * c->max_code;
    for (int32_t p = HOT_LEVELS; p < length && p < c->max_code; p++)
        if ((uint32_t)points[p] < (uint64_t)c->n_inner)
            prefetch_row(c->syn1 + (Py_ssize_t)points[p] * c->dim, c->dim);
}

/* One context row's step in a shared-negatives window, in one pass over the row: out_grad[q] += g[q] row (the old
 * row) and row += g[q] outs[q], for q in order (two 8-float blocks at a time: two independent chains of sums). */
INLINE void shared_step(float *restrict row, float *const *outs, const float *restrict g, float *restrict out_grad,
                        Py_ssize_t n_out, Py_ssize_t dim)
{
    Py_ssize_t k = 0;
#if defined(__GNUC__)
    for (; k + 16 <= dim; k += 16) {
        vec8 r0 = V8(row + k), r = r0, u0 = V8(row + k + 8), u = u0;
        for (Py_ssize_t q = 0; q < n_out; q++) {
            *(vec8 *)(out_grad + q * dim + k) += g[q] * r0;
            *(vec8 *)(out_grad + q * dim + k + 8) += g[q] * u0;
            r += g[q] * V8(outs[q] + k);
            u += g[q] * V8(outs[q] + k + 8);
        }
        *(vec8 *)(row + k) = r;
        *(vec8 *)(row + k + 8) = u;
    }
    for (; k + 4 <= dim; k += 4) {
        vec4 r0 = V4(row + k), r = r0;
        for (Py_ssize_t q = 0; q < n_out; q++) {
            *(vec4 *)(out_grad + q * dim + k) += g[q] * r0;
            r += g[q] * V4(outs[q] + k);
        }
        *(vec4 *)(row + k) = r;
    }
#endif
    for (; k < dim; k++) {
        float r0 = row[k], r = r0;
        for (Py_ssize_t q = 0; q < n_out; q++) {
            out_grad[q * dim + k] += g[q] * r0;
            r += g[q] * outs[q][k];
        }
        row[k] = r;
    }
}

/* Skip-gram NS for the window buf[lo:hi] of centre buf[i] with one noise draw shared by all its context words
 * (Ji et al. 2016): every context row is scored against the k+1 output rows at their old values (the numba kernel
 * copies them; here nothing writes them before the end of the window) and moves right after its own k+1
 * gradients; the output rows get their summed update at the end. */
INLINE void ns_shared(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi, float alpha,
                      uint64_t *state, Totals *t)
{
    const Py_ssize_t dim = c->dim, n_out = c->negative + 1;
    const int32_t centre = s->buf[i];
    s->targets[0] = centre;
    for (Py_ssize_t q = 1; q < n_out; q++) {
        s->targets[q] = noise_word(state, c->prob, c->alias, c->n_words);
        if ((uint64_t)s->targets[q] >= (uint64_t)c->n_words) {
            t->bad_index = 1;
            return;
        }
    }
    memset(s->out_grad, 0, (size_t)(n_out * dim) * sizeof(float));
    for (Py_ssize_t q = 0; q < n_out; q++) {
        s->outs[q] = c->syn1neg + s->targets[q] * dim;
        prefetch_row(s->outs[q], dim);
    }
    double loss = 0.0;
    for (Py_ssize_t j = lo; j < hi; j++) {
        if (j == i)
            continue;
        float *row = c->syn0 + (Py_ssize_t)s->buf[j] * dim;
        const float lf = LOCKF(c, s->buf[j]);
        if (lf != 1.0f)
            memcpy(s->neu1, row, (size_t)dim * sizeof(float));
        for (Py_ssize_t q = 0; q < n_out; q++) {
            s->grads[q] = 0.0f;
            if (q > 0 && s->targets[q] == centre)
                continue;
            s->grads[q] = sig_grad(dot(row, s->outs[q], dim), q == 0 ? 1.0f : 0.0f, &loss) * alpha;
        }
        shared_step(row, s->outs, s->grads, s->out_grad, n_out, dim);
        if (lf != 1.0f)  /* row = saved + lf * (row - saved): a locked row (lf 0) keeps its exact value */
            for (Py_ssize_t k = 0; k < dim; k++)
                row[k] = s->neu1[k] + lf * (row[k] - s->neu1[k]);
    }
    for (Py_ssize_t q = 0; q < n_out; q++)
        if (q == 0 || s->targets[q] != centre)
            add_scaled(s->outs[q], 1.0f, s->out_grad + q * dim, dim);
    t->loss += loss;
}

/* --- CBOW: the context in, the error out ---------------------------------------------------------------------- */

/* neu1 = mean (cbow_mean) or sum of the context vectors of position i; zeroes work. With subwords, the mean or sum
 * of all the input rows of all the context words (fastText's CBOW: one bag of rows); returns how many. */
INLINE Py_ssize_t cbow_combine(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi)
{
    const Py_ssize_t dim = c->dim;
    Py_ssize_t count = hi - lo - 1;
    memset(s->work, 0, (size_t)dim * sizeof(float));
    if (c->sub_rows) {
        count = 0;
        for (Py_ssize_t j = lo; j < hi; j++)
            if (j != i)
                count += c->sub_offsets[s->buf[j] + 1] - c->sub_offsets[s->buf[j]];
        sum_rows(c, s->buf, lo, hi, i, s->neu1);
    } else {
        memset(s->neu1, 0, (size_t)dim * sizeof(float));
        for (Py_ssize_t j = lo; j < hi; j++)
            if (j != i)
                add_scaled(s->neu1, 1.0f, c->syn0 + (Py_ssize_t)s->buf[j] * dim, dim);
    }
    if (c->cbow_mean) {
        float inv = (float)(1.0 / (double)count);
        for (Py_ssize_t k = 0; k < dim; k++)
            s->neu1[k] *= inv;
    }
    return count;
}

/* Add the error to every context vector (every input row of every context word with subwords); for the sum
 * (cbow_mean=0) divided by the number of vectors summed first, as gensim. */
INLINE void cbow_scatter(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t count)
{
    const Py_ssize_t dim = c->dim;
    if (!c->cbow_mean) {
        float inv = (float)(1.0 / (double)count);
        for (Py_ssize_t k = 0; k < dim; k++)
            s->work[k] *= inv;
    }
    for (Py_ssize_t j = lo; j < hi; j++)
        if (j != i)
            input_scatter(c, s->buf[j], s->work);
}

/* --- the loops: one per architecture, over the documents of the chunk and their kept words ------------------- */

/* The first document touching [start, stop): the last offset <= start (numpy's searchsorted side="right", - 1). */
static Py_ssize_t first_document(const Chunk *c)
{
    Py_ssize_t lo = 0, hi = c->n_offsets;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (c->offsets[mid] <= c->start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 ? lo - 1 : 0;
}

/* The next document's kept words in s->buf (returns how many, -1 past the chunk) and its learning rate. */
INLINE Py_ssize_t next_document(const Chunk *c, Scratch *s, Py_ssize_t *d, uint64_t *state, float *alpha,
                                Totals *t)
{
    while (*d < c->n_offsets - 1 && c->offsets[*d] < c->stop) {
        Py_ssize_t a = c->offsets[*d] > c->start ? (Py_ssize_t)c->offsets[*d] : c->start;
        Py_ssize_t b = c->offsets[*d + 1] < c->stop ? (Py_ssize_t)c->offsets[*d + 1] : c->stop;
        (*d)++;
        if (b <= a)
            continue;
        Py_ssize_t m = subsample(c, a, b, s->buf, state);
        t->kept += m;
        double total = c->stop - c->start > 1 ? (double)(c->stop - c->start) : 1.0;
        *alpha = (float)(c->alpha0 + (c->alpha1 - c->alpha0) * ((double)(a - c->start) / total));
        return m;
    }
    return -1;
}

/* --- the objectives: one step of the output layer for one input vector, picked once per call -------------------
 *
 * As fastText's createLoss picks a loss, `train` picks the objective from a table (hs, ns, both, none; skip-gram
 * with NS alone and shared negatives has a step of its own) and runs the loop built for it: each loop is the same
 * code with its objective inlined, so the centre step holds no `if (hs) ... if (negative)`. */

typedef struct {
    void (*prepare)(const Chunk *, int32_t);  /* before the examples of a centre word (prefetch its path) */
    void (*update)(const Chunk *, Scratch *, const float *, int32_t, float, uint64_t *, Totals *);
} Objective;

INLINE void no_prepare(const Chunk *c, int32_t word)
{
    (void)c;
    (void)word;
}

INLINE void no_update(const Chunk *c, Scratch *s, const float *in, int32_t word, float alpha, uint64_t *state,
                      Totals *t)
{
    (void)c, (void)s, (void)in, (void)word, (void)alpha, (void)state, (void)t;
}

INLINE void hs_objective(const Chunk *c, Scratch *s, const float *in, int32_t word, float alpha, uint64_t *state,
                         Totals *t)
{
    (void)state;
    hs_update(c, in, word, alpha, s->work, t);
}

INLINE void ns_objective(const Chunk *c, Scratch *s, const float *in, int32_t word, float alpha, uint64_t *state,
                         Totals *t)
{
    ns_update(c, s->targets, in, word, alpha, s->work, state, t);
}

INLINE void both_objective(const Chunk *c, Scratch *s, const float *in, int32_t word, float alpha,
                           uint64_t *state, Totals *t) /* both heads score the same input; work sums both */
{
    hs_update(c, in, word, alpha, s->work, t);
    ns_update(c, s->targets, in, word, alpha, s->work, state, t);
}

enum { OBJ_NONE, OBJ_HS, OBJ_NS, OBJ_BOTH, OBJ_NS_SHARED, N_OBJECTIVES };

/* --- the centre steps: one per architecture, for any objective ------------------------------------------------ */

/* Skip-gram, one centre word: each word of its window predicts it (word2vec.c's order). */
INLINE void skipgram_centre(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi, float alpha,
                            uint64_t *state, Totals *t, Objective obj)
{
    t->pairs += hi - lo - 1;
    t->examples += hi - lo - 1;
    const int32_t centre = s->buf[i];
    obj.prepare(c, centre);
    for (Py_ssize_t j = lo; j < hi; j++) {
        if (j == i)
            continue;
        float *row = c->syn0 + (Py_ssize_t)s->buf[j] * c->dim;
        memset(s->work, 0, (size_t)c->dim * sizeof(float));
        obj.update(c, s, row, centre, alpha, state, t);
        add_scaled(row, LOCKF(c, s->buf[j]), s->work, c->dim);
    }
}

/* Skip-gram with the subword input (fastText's order): the centre word's rows, gathered once, predict each word
 * of its window; their gradients are summed and added to the centre's rows once, after the window (the input is
 * the same for the whole window, so it is read and written once instead of once per pair). Negatives are drawn
 * per pair. The next centre's rows (~20 rows scattered over the matrix: the step would wait for each) are asked
 * for while this window trains, a few per pair, and the CSR entries giving their addresses one and two steps
 * before that. */
INLINE void skipgram_subword_centre(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi,
                                    float alpha, uint64_t *state, Totals *t, Objective obj)
{
    t->pairs += hi - lo - 1;
    t->examples += hi - lo - 1;
    const float *in = input_gather(c, s->buf[i], s->neu1);
    const int64_t n_pairs = hi - lo - 1;
    int64_t part = 0;
    prefetch_csr(c, s, i + 1);
    memset(s->work, 0, (size_t)c->dim * sizeof(float));
    for (Py_ssize_t j = lo; j < hi; j++) {
        if (j == i)
            continue;
        prefetch_part(c, s, i + 1, part++, n_pairs);
        obj.prepare(c, s->buf[j]);
        obj.update(c, s, in, s->buf[j], alpha, state, t);
    }
    input_scatter(c, s->buf[i], s->work);
}

/* Skip-gram with the subword input, NS alone and shared negatives: the noise words are drawn once per centre word
 * and shared by its window's pairs (as skipgram_shared_centre; a draw outside syn1neg skips the window). The input
 * is the same for every pair of the window, so each noise row is scored once, at its value when the window
 * starts, and counts once per pair whose target it is not (its gradient and loss times that count: the pairs'
 * k draws and dot products become k for the window). The context words, the positive targets, train one after the
 * other as in subword_ns; then the noise rows add their share to the input gradient (at their values after the
 * positives) and move, each by its summed gradient. */
INLINE void subword_shared_centre(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi,
                                  float alpha, uint64_t *state, Totals *t, Objective obj)
{
    (void)obj;
    const Py_ssize_t dim = c->dim, n_out = c->negative + 1;
    const int64_t n_pairs = hi - lo - 1;
    t->pairs += n_pairs;
    t->examples += n_pairs;
    for (Py_ssize_t q = 1; q < n_out; q++) {
        s->targets[q] = noise_word(state, c->prob, c->alias, c->n_words);
        if ((uint64_t)s->targets[q] >= (uint64_t)c->n_words) {
            t->bad_index = 1;
            return;
        }
        s->outs[q] = c->syn1neg + s->targets[q] * dim;
        prefetch_row(s->outs[q], dim);
    }
    const float *in = input_gather(c, s->buf[i], s->neu1);
    int64_t part = 0;
    prefetch_csr(c, s, i + 1);
    memset(s->work, 0, (size_t)dim * sizeof(float));
    double loss = 0.0;
    for (Py_ssize_t q = 1; q < n_out; q++) {
        int64_t count = n_pairs;
        for (Py_ssize_t j = lo; j < hi; j++)
            count -= j != i && s->buf[j] == s->targets[q];
        double one = 0.0;
        s->grads[q] = count ? (float)count * (sig_grad(dot(in, s->outs[q], dim), 0.0f, &one) * alpha) : 0.0f;
        loss += (double)count * one;
    }
    for (Py_ssize_t j = lo; j < hi; j++) {
        if (j == i)
            continue;
        prefetch_part(c, s, i + 1, part++, n_pairs);
        float *out = c->syn1neg + (Py_ssize_t)s->buf[j] * dim;
        float g = sig_grad(dot(in, out, dim), 1.0f, &loss) * alpha;
        if (g != 0.0f)
            sgd_step(g, in, out, s->work, dim);
    }
    for (Py_ssize_t q = 1; q < n_out; q++)
        if (s->grads[q] != 0.0f)
            add_scaled(s->work, s->grads[q], s->outs[q], dim);
    for (Py_ssize_t q = 1; q < n_out; q++)
        if (s->grads[q] != 0.0f)
            add_scaled(s->outs[q], s->grads[q], in, dim);
    t->loss += loss;
    input_scatter(c, s->buf[i], s->work);
}

/* Skip-gram with NS alone and one noise draw per centre word, shared by its context words. */
INLINE void skipgram_shared_centre(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi,
                                   float alpha, uint64_t *state, Totals *t, Objective obj)
{
    (void)obj;
    t->pairs += hi - lo - 1;
    t->examples += hi - lo - 1;
    ns_shared(c, s, i, lo, hi, alpha, state, t);
}

/* CBOW, one centre word: the combined context (mean or sum) predicts it. */
INLINE void cbow_centre(const Chunk *c, Scratch *s, Py_ssize_t i, Py_ssize_t lo, Py_ssize_t hi, float alpha,
                        uint64_t *state, Totals *t, Objective obj)
{
    t->pairs += hi - lo - 1;
    t->examples++;
    obj.prepare(c, s->buf[i]);
    if (c->sub_rows)
        prefetch_ahead(c, s, i + c->window + 1);
    Py_ssize_t count = cbow_combine(c, s, i, lo, hi);
    obj.update(c, s, s->neu1, s->buf[i], alpha, state, t);
    cbow_scatter(c, s, i, lo, hi, count);
}

typedef void (*CentreStep)(const Chunk *, Scratch *, Py_ssize_t, Py_ssize_t, Py_ssize_t, float, uint64_t *,
                           Totals *, Objective);

/* Every kept word of the chunk with a non-empty window, in order, through `step` with `obj` (both constants in
 * each loop below, so both are inlined). */
INLINE void each_centre(const Chunk *c, Scratch *s, Totals *t, CentreStep step, Objective obj)
{
    uint64_t state = seed_state(c->seed);
    Py_ssize_t d = first_document(c), m, lo, hi;
    float alpha;
    while ((m = s->m = next_document(c, s, &d, &state, &alpha, t)) >= 0) {
        /* with subwords, the first window + 2 tokens of the next document, whose rows the first steps there
         * read (nothing before them would ask for them), are asked for over this document's steps */
        Py_ssize_t a = 0, n = 0;
        if (c->sub_rows && d < c->n_offsets - 1 && c->offsets[d] < c->stop) {
            a = c->offsets[d] > c->start ? (Py_ssize_t)c->offsets[d] : c->start;
            n = (c->offsets[d + 1] < c->stop ? (Py_ssize_t)c->offsets[d + 1] : c->stop) - a;
            n = n < c->window + 2 ? n : c->window + 2;
        }
        for (Py_ssize_t i = 0; i < m; i++) {
            for (Py_ssize_t r = a + i * n / m; r < a + (i + 1) * n / m; r++)
                prefetch_rows(c, c->ids[r]);
            window_span(c, &state, i, m, &lo, &hi);
            if (hi - lo - 1 > 0)
                step(c, s, i, lo, hi, alpha, &state, t, obj);
        }
    }
}

typedef void (*Loop)(const Chunk *, Scratch *, Totals *);

#define LOOP(name, step, prepare, update)                                                                         \
    CLONES static void name(const Chunk *c, Scratch *s, Totals *t)                                                \
    {                                                                                                             \
        each_centre(c, s, t, step, (Objective){prepare, update});                                                 \
    }
LOOP(skipgram_none, skipgram_centre, no_prepare, no_update)
LOOP(skipgram_hs, skipgram_centre, prefetch_path, hs_objective)
LOOP(skipgram_ns, skipgram_centre, no_prepare, ns_objective)
LOOP(skipgram_both, skipgram_centre, prefetch_path, both_objective)
LOOP(skipgram_shared, skipgram_shared_centre, no_prepare, no_update)
LOOP(subword_none, skipgram_subword_centre, no_prepare, no_update)
LOOP(subword_hs, skipgram_subword_centre, prefetch_path, hs_objective)
LOOP(subword_ns, skipgram_subword_centre, no_prepare, ns_objective)
LOOP(subword_both, skipgram_subword_centre, prefetch_path, both_objective)
LOOP(subword_shared, subword_shared_centre, no_prepare, no_update)
LOOP(cbow_none, cbow_centre, no_prepare, no_update)
LOOP(cbow_hs, cbow_centre, prefetch_path, hs_objective)
LOOP(cbow_ns, cbow_centre, no_prepare, ns_objective)
LOOP(cbow_both, cbow_centre, prefetch_path, both_objective)

/* The loop for each architecture (0: skip-gram, 1: CBOW, 2: skip-gram with the subword input) and objective;
 * CBOW has no shared-negatives step (it draws per example). */
static const Loop LOOPS[3][N_OBJECTIVES] = {
    {skipgram_none, skipgram_hs, skipgram_ns, skipgram_both, skipgram_shared},
    {cbow_none, cbow_hs, cbow_ns, cbow_both, cbow_ns},
    {subword_none, subword_hs, subword_ns, subword_both, subword_shared},
};

static int objective_of(const Chunk *c)
{
    if (c->hs)
        return c->negative > 0 ? OBJ_BOTH : OBJ_HS;
    if (c->negative > 0)
        return c->shared_negatives ? OBJ_NS_SHARED : OBJ_NS;
    return OBJ_NONE;
}

/* --- arguments: numpy arrays through the buffer protocol ------------------------------------------------------ */

typedef struct {
    const char *name;
    char kind;  /* 'i' signed integer, 'u' unsigned integer, 'f' floating point */
    int size;   /* bytes per item */
    int ndim;
    int writable;
    const char *dtype; /* for messages */
} ArraySpec;

/* The item kind of a buffer format ('i', 'u', 'f'), 0 for anything else or a byte order other than the native. */
static char format_kind(const char *format)
{
    const union { uint16_t u; uint8_t b[2]; } probe = {1};
    const char foreign = probe.b[0] ? '>' : '<';
    if (format == NULL)
        return 'u'; /* plain bytes */
    if (*format == '@' || *format == '=' || *format == (probe.b[0] ? '<' : '>'))
        format++;
    if (*format == foreign || *format == '!' || format[0] == '\0' || format[1] != '\0')
        return 0;
    if (strchr("bhilqn", *format))
        return 'i';
    if (strchr("BHILQN", *format))
        return 'u';
    if (strchr("efd", *format))
        return 'f';
    return 0;
}

static int get_array(const char *func, PyObject *obj, const ArraySpec *spec, Py_buffer *view)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (spec->writable ? PyBUF_WRITABLE : 0);
    if (!PyObject_CheckBuffer(obj)) {
        PyErr_Format(PyExc_TypeError, "%s: %s must be a numpy array of %s, not %.100s", func, spec->name,
                     spec->dtype, Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (PyObject_GetBuffer(obj, view, flags) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s: %s must be a C-contiguous%s array of %s (np.ascontiguousarray%s)",
                     func, spec->name, spec->writable ? ", writable" : "", spec->dtype,
                     spec->writable ? " or .copy()" : "");
        return -1;
    }
    if (format_kind(view->format) != spec->kind || view->itemsize != spec->size || view->ndim != spec->ndim) {
        PyErr_Format(PyExc_TypeError, "%s: %s must be a %d-D array of %s, got %d-D of format '%s' (%zd bytes)",
                     func, spec->name, spec->ndim, spec->dtype, view->ndim, view->format ? view->format : "B",
                     view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static int overlap(const Py_buffer *a, const Py_buffer *b)
{
    const char *pa = a->buf, *pb = b->buf;
    return a->len > 0 && b->len > 0 && pa < pb + b->len && pb < pa + a->len;
}

enum { IDS, OFFSETS, SYN0, SYN1, CODES, POINTS, LENGTHS, SYN1NEG, PROB, ALIAS, KEEP, N_ARRAYS };

static const ArraySpec SPECS[N_ARRAYS] = {
    [IDS] = {"ids", 'i', 4, 1, 0, "int32"},
    [OFFSETS] = {"offsets", 'i', 8, 1, 0, "int64"},
    [SYN0] = {"syn0", 'f', 4, 2, 1, "float32"},
    [SYN1] = {"syn1", 'f', 4, 2, 1, "float32"},
    [CODES] = {"codes", 'u', 1, 2, 0, "uint8"},
    [POINTS] = {"points", 'i', 4, 2, 0, "int32"},
    [LENGTHS] = {"lengths", 'i', 4, 1, 0, "int32"},
    [SYN1NEG] = {"syn1neg", 'f', 4, 2, 1, "float32"},
    [PROB] = {"prob", 'f', 4, 1, 0, "float32"},
    [ALIAS] = {"alias", 'i', 4, 1, 0, "int32"},
    [KEEP] = {"keep", 'f', 4, 1, 0, "float32"},
};

#define FAIL(exc, ...) (PyErr_Format(exc, __VA_ARGS__), -1)

/* Shapes, ranges and overlaps of the arrays the heads that train will read and write. */
static int check_chunk(const char *func, const Chunk *c, const Py_buffer *v)
{
    const Py_ssize_t *ids = v[IDS].shape;
    if (c->start < 0 || c->start > c->stop || c->stop > ids[0])
        return FAIL(PyExc_ValueError, "%s: need 0 <= start <= stop <= len(ids) = %zd, got start %zd, stop %zd",
                    func, ids[0], c->start, c->stop);
    if (c->window < 1 || c->window > INT32_MAX)
        return FAIL(PyExc_ValueError, "%s: window must be in 1..2**31-1, got %zd", func, c->window);
    if (c->n_in > INT32_MAX)
        return FAIL(PyExc_ValueError, "%s: syn0 has %zd rows; word ids are int32", func, c->n_in);
    if (c->negative < 0 || c->negative > (1 << 20))
        return FAIL(PyExc_ValueError, "%s: negative must be in 0..%d, got %zd", func, 1 << 20, c->negative);
    if (v[KEEP].shape[0] != c->n_words)
        return FAIL(PyExc_ValueError, "%s: keep has %zd entries, %s %zd", func, v[KEEP].shape[0],
                    c->sub_rows ? "sub_offsets words" : "syn0 rows", c->n_words);
    if (c->negative > 0) {
        if (v[SYN1NEG].shape[0] != c->n_words || v[SYN1NEG].shape[1] != c->dim)
            return FAIL(PyExc_ValueError, "%s: syn1neg must have the shape of syn0 (%zd, %zd), got (%zd, %zd)%s",
                        func, c->n_words, c->dim, v[SYN1NEG].shape[0], v[SYN1NEG].shape[1],
                        c->sub_rows ? " (one row per word of sub_offsets)" : "");
        if (v[PROB].shape[0] != c->n_words || v[ALIAS].shape[0] != c->n_words)
            return FAIL(PyExc_ValueError, "%s: prob and alias must have one entry per word (%zd), got %zd and %zd",
                        func, c->n_words, v[PROB].shape[0], v[ALIAS].shape[0]);
        if (overlap(&v[SYN0], &v[SYN1NEG]))
            return FAIL(PyExc_ValueError, "%s: syn0 and syn1neg must not share memory", func);
    }
    if (c->hs) {
        if (v[SYN1].shape[1] != c->dim || v[SYN1].shape[0] < 1)
            return FAIL(PyExc_ValueError, "%s: syn1 must have shape (inner nodes, %zd), got (%zd, %zd)", func,
                        c->dim, v[SYN1].shape[0], v[SYN1].shape[1]);
        if (v[CODES].shape[0] != c->n_words || v[POINTS].shape[0] != c->n_words ||
            v[CODES].shape[1] != v[POINTS].shape[1] || v[LENGTHS].shape[0] != c->n_words)
            return FAIL(PyExc_ValueError, "%s: codes and points must have the same shape (%zd, max code length) "
                        "and lengths %zd entries", func, c->n_words, c->n_words);
        if (overlap(&v[SYN0], &v[SYN1]) || (c->negative > 0 && overlap(&v[SYN1], &v[SYN1NEG])))
            return FAIL(PyExc_ValueError, "%s: syn0, syn1 and syn1neg must not share memory", func);
    }
    if (!(fabs(c->alpha0) <= FLT_MAX && fabs(c->alpha1) <= FLT_MAX))
        return FAIL(PyExc_ValueError, "%s: alpha0 and alpha1 must be finite as float32, got %g and %g", func,
                    c->alpha0, c->alpha1);
    /* the ids are checked once, here: a matrix the loop writes must not be able to change them */
    if (overlap(&v[IDS], &v[SYN0]) || (c->hs && overlap(&v[IDS], &v[SYN1])) ||
        (c->negative > 0 && overlap(&v[IDS], &v[SYN1NEG])))
        return FAIL(PyExc_ValueError, "%s: ids must not share memory with a matrix it trains", func);
    for (Py_ssize_t t = c->start; t < c->stop; t++)
        if ((uint32_t)c->ids[t] >= (uint64_t)c->n_words)
            return FAIL(PyExc_ValueError, "%s: ids[%zd] = %d is outside the vocabulary of %zd words", func, t,
                        (int)c->ids[t], c->n_words);
    return 0;
}

/* The subword CSR, all of it, before the loop trusts it: offsets from 0 to len(sub_rows), each word with at least
 * one row, every row inside syn0, and nothing the loop writes sharing its memory. Sets n_words and the pointers. */
static int check_subwords(const char *func, Chunk *c, const Py_buffer *sub, const Py_buffer *v)
{
    const int64_t *off = sub[0].buf;
    const int32_t *rows = sub[1].buf;
    const Py_ssize_t n_off = sub[0].shape[0], nnz = sub[1].shape[0];
    if (n_off < 1 || off[0] != 0 || off[n_off - 1] != nnz)
        return FAIL(PyExc_ValueError, "%s: sub_offsets must start at 0 and end at len(sub_rows) = %zd", func, nnz);
    for (Py_ssize_t w = 0; w + 1 < n_off; w++)
        if (off[w + 1] <= off[w])
            return FAIL(PyExc_ValueError, "%s: sub_offsets must increase (every word has at least one input row); "
                        "sub_offsets[%zd] = %lld, sub_offsets[%zd] = %lld", func, w, (long long)off[w], w + 1,
                        (long long)off[w + 1]);
    for (Py_ssize_t r = 0; r < nnz; r++)
        if ((uint32_t)rows[r] >= (uint64_t)c->n_in)
            return FAIL(PyExc_ValueError, "%s: sub_rows[%zd] = %d is outside syn0's %zd rows", func, r, (int)rows[r],
                        c->n_in);
    for (int i = 0; i < 2; i++)
        if (overlap(&sub[i], &v[SYN0]) || overlap(&sub[i], &v[SYN1]) || overlap(&sub[i], &v[SYN1NEG]))
            return FAIL(PyExc_ValueError, "%s: sub_offsets and sub_rows must not share memory with a matrix it "
                        "trains", func);
    c->n_words = n_off - 1;
    c->sub_offsets = off;
    c->sub_rows = rows;
    return 0;
}

/* One block, each array on cache lines of its own: the engine's threads must not write to the same line (pymalloc
 * would put their small arrays side by side). */
#define LINE 64

static size_t whole_lines(size_t bytes)
{
    return (bytes + LINE - 1) / LINE * LINE;
}

static int alloc_scratch(const Chunk *c, Scratch *s)
{
    const size_t dim = (size_t)c->dim, n_out = (size_t)c->negative + 1, n_buf = (size_t)(c->stop - c->start);
    const size_t size[] = {whole_lines(n_buf * sizeof(int32_t)), whole_lines(dim * sizeof(float)),
                           whole_lines(dim * sizeof(float)), whole_lines(n_out * dim * sizeof(float)),
                           whole_lines(n_out * sizeof(float)), whole_lines(n_out * sizeof(int64_t)),
                           whole_lines(n_out * sizeof(float *))};
    size_t total = LINE;
    for (size_t i = 0; i < sizeof size / sizeof size[0]; i++)
        total += size[i];
    s->block = PyMem_RawMalloc(total);
    if (s->block == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    char *p = (char *)(((uintptr_t)s->block + LINE - 1) & ~(uintptr_t)(LINE - 1));
    s->buf = (int32_t *)p;
    s->work = (float *)(p += size[0]);
    s->neu1 = (float *)(p += size[1]);
    s->out_grad = (float *)(p += size[2]);
    s->grads = (float *)(p += size[3]);
    s->targets = (int64_t *)(p += size[4]);
    s->outs = (float **)(p += size[5]);
    return 0;
}

/* The arguments of train_skipgram and train_cbow, in order: name, PyArg format unit, where it is stored, default
 * (as the signature shows it). The one table wordvec.kernel_args.ARGS mirrors (a test holds them equal, through the
 * module's ARGS tuple): the keyword list, the format string, the parse call and the docstrings' signature are all
 * made from it. An optional argument's unit starts with '|' and comes after every required one. */
#define KERNEL_ARGS(X)                                                                                            \
    X(ids, "O", &obj[IDS], "") X(offsets, "O", &obj[OFFSETS], "") X(start, "n", &c.start, "")                    \
    X(stop, "n", &c.stop, "") X(syn0, "O", &obj[SYN0], "") X(syn1, "O", &obj[SYN1], "")                          \
    X(codes, "O", &obj[CODES], "") X(points, "O", &obj[POINTS], "") X(lengths, "O", &obj[LENGTHS], "")          \
    X(syn1neg, "O", &obj[SYN1NEG], "") X(prob, "O", &obj[PROB], "") X(alias, "O", &obj[ALIAS], "")             \
    X(keep, "O", &obj[KEEP], "") X(hs, "p", &c.hs, "") X(negative, "n", &c.negative, "")                        \
    X(window, "n", &c.window, "") X(reduced_window, "p", &c.reduced_window, "") X(alpha0, "d", &c.alpha0, "")   \
    X(alpha1, "d", &c.alpha1, "") X(seed, "K", &seed, "") X(shared_negatives, "p", &c.shared_negatives, "")     \
    X(cbow_mean, "p", &c.cbow_mean, "") X(lockf, "|O", &lockf_obj, "=None")                      \
    X(sub_offsets, "O", &sub_obj[0], "=None") X(sub_rows, "O", &sub_obj[1], "=None")
#define ARG_NAME(name, unit, where, dflt) #name,
#define ARG_UNIT(name, unit, where, dflt) unit
#define ARG_WHERE(name, unit, where, dflt) , where
#define ARG_SIGNATURE(name, unit, where, dflt) ", " #name dflt

static char *KWLIST[] = {KERNEL_ARGS(ARG_NAME) NULL};

static PyObject *train(PyObject *args, PyObject *kwargs, const char *func, const char *format, int sg)
{
    PyObject *obj[N_ARRAYS], *lockf_obj = Py_None, *sub_obj[2] = {Py_None, Py_None};
    Py_buffer view[N_ARRAYS], lockf_view = {0}, sub_view[2] = {{0}};
    int has_lockf = 0, n_sub = 0;
    Chunk c = {0};
    Scratch s = {0};
    Totals t = {0};
    unsigned long long seed;
    PyObject *result = NULL;
    int n_views = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, format, KWLIST KERNEL_ARGS(ARG_WHERE)))
        return NULL;
    for (; n_views < N_ARRAYS; n_views++)
        if (get_array(func, obj[n_views], &SPECS[n_views], &view[n_views]) < 0)
            goto done;
    c.ids = view[IDS].buf;
    c.offsets = view[OFFSETS].buf;
    c.n_offsets = view[OFFSETS].shape[0];
    c.syn0 = view[SYN0].buf;
    c.n_words = c.n_in = view[SYN0].shape[0];
    c.dim = view[SYN0].shape[1];
    c.syn1 = view[SYN1].buf;
    c.n_inner = view[SYN1].shape[0];
    c.codes = view[CODES].buf;
    c.points = view[POINTS].buf;
    c.max_code = view[POINTS].shape[1];
    c.lengths = view[LENGTHS].buf;
    c.syn1neg = view[SYN1NEG].buf;
    c.prob = view[PROB].buf;
    c.alias = view[ALIAS].buf;
    c.keep = view[KEEP].buf;
    c.seed = seed;
    if (lockf_obj != Py_None) {  /* None: every factor is 1 (the fast path) */
        static const ArraySpec LOCKF_SPEC = {"lockf", 'f', 4, 1, 0, "float32"};
        if (get_array(func, lockf_obj, &LOCKF_SPEC, &lockf_view) < 0)
            goto done;
        has_lockf = 1;
        if (lockf_view.shape[0] != c.n_in) {
            PyErr_Format(PyExc_ValueError, "%s: lockf has %zd entries, syn0 %zd rows", func, lockf_view.shape[0],
                         c.n_in);
            goto done;
        }
        c.lockf = lockf_view.buf;
    }
    if ((sub_obj[0] == Py_None) != (sub_obj[1] == Py_None)) {
        PyErr_Format(PyExc_TypeError, "%s: give sub_offsets and sub_rows together (or neither)", func);
        goto done;
    }
    if (sub_obj[0] != Py_None) {  /* subwords: word w's input rows are sub_rows[sub_offsets[w]:sub_offsets[w+1]] */
        static const ArraySpec SUB_SPECS[2] = {{"sub_offsets", 'i', 8, 1, 0, "int64"},
                                               {"sub_rows", 'i', 4, 1, 0, "int32"}};
        for (; n_sub < 2; n_sub++)
            if (get_array(func, sub_obj[n_sub], &SUB_SPECS[n_sub], &sub_view[n_sub]) < 0)
                goto done;
        if (check_subwords(func, &c, sub_view, view) < 0)
            goto done;
    }
    if (check_chunk(func, &c, view) < 0 || alloc_scratch(&c, &s) < 0)
        goto done;
    Loop loop = LOOPS[sg ? (c.sub_rows ? 2 : 0) : 1][objective_of(&c)];
    Py_BEGIN_ALLOW_THREADS
    loop(&c, &s, &t);
    Py_END_ALLOW_THREADS
    if (t.bad_index)
        PyErr_Format(PyExc_ValueError, "%s: the Huffman tree (points, lengths) or the alias table holds an index "
                     "outside its matrix; build them from this vocabulary", func);
    else
        result = Py_BuildValue("(dLLL)", t.loss, t.examples, t.kept, t.pairs);
done:
    PyMem_RawFree(s.block);
    if (has_lockf)
        PyBuffer_Release(&lockf_view);
    while (n_sub > 0)
        PyBuffer_Release(&sub_view[--n_sub]);
    while (n_views > 0)
        PyBuffer_Release(&view[--n_views]);
    return result;
}

static PyObject *train_skipgram(PyObject *self, PyObject *args, PyObject *kwargs)
{
    return train(args, kwargs, "train_skipgram", KERNEL_ARGS(ARG_UNIT) ":train_skipgram", 1);
}

static PyObject *train_cbow(PyObject *self, PyObject *args, PyObject *kwargs)
{
    return train(args, kwargs, "train_cbow", KERNEL_ARGS(ARG_UNIT) ":train_cbow", 0);
}

/* `n_draws` negatives drawn exactly as the training loops draw them (for tests of the noise distribution). */
static PyObject *sample_noise(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"prob", "alias", "n_draws", "seed", NULL};
    PyObject *prob_obj, *alias_obj, *out = NULL;
    Py_ssize_t n_draws;
    unsigned long long seed;
    Py_buffer prob, alias, view;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOnK:sample_noise", kwlist, &prob_obj, &alias_obj, &n_draws,
                                     &seed))
        return NULL;
    if (get_array("sample_noise", prob_obj, &SPECS[PROB], &prob) < 0)
        return NULL;
    if (get_array("sample_noise", alias_obj, &SPECS[ALIAS], &alias) < 0)
        goto release_prob;
    Py_ssize_t n = prob.shape[0];
    if (n < 1 || alias.shape[0] != n || n_draws < 0) {
        PyErr_Format(PyExc_ValueError, "sample_noise: prob and alias must have the same length >= 1 (got %zd and "
                     "%zd) and n_draws >= 0", n, alias.shape[0]);
        goto release_alias;
    }
    PyObject *numpy = PyImport_ImportModule("numpy");
    out = numpy ? PyObject_CallMethod(numpy, "empty", "ns", n_draws, "int64") : NULL;
    Py_XDECREF(numpy);
    if (out == NULL || PyObject_GetBuffer(out, &view, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        Py_CLEAR(out);
        goto release_alias;
    }
    uint64_t state = seed_state(seed);
    int64_t *draws = view.buf;
    for (Py_ssize_t k = 0; k < n_draws; k++) {
        draws[k] = noise_word(&state, prob.buf, alias.buf, n);
        if ((uint64_t)draws[k] >= (uint64_t)n) {
            PyErr_SetString(PyExc_ValueError, "sample_noise: alias holds an index outside the table");
            Py_CLEAR(out);
            break;
        }
    }
    PyBuffer_Release(&view);
release_alias:
    PyBuffer_Release(&alias);
release_prob:
    PyBuffer_Release(&prob);
    return out;
}

#define TRAIN_DOC(name, what)                                                                                     \
    name "($module" KERNEL_ARGS(ARG_SIGNATURE) ")\n--\n\n" what                                                 \
         " on one chunk, updating the matrices in place; returns (loss sum, examples, kept words, pairs). "        \
         "wordvec.kernels documents the arguments."

static PyMethodDef METHODS[] = {
    {"train_skipgram", (PyCFunction)(void (*)(void))train_skipgram, METH_VARARGS | METH_KEYWORDS,
     TRAIN_DOC("train_skipgram", "Skip-gram: each context word of a centre word predicts the centre word,")},
    {"train_cbow", (PyCFunction)(void (*)(void))train_cbow, METH_VARARGS | METH_KEYWORDS,
     TRAIN_DOC("train_cbow", "CBOW: the combined context (mean or sum) predicts the centre word,")},
    {"sample_noise", (PyCFunction)(void (*)(void))sample_noise, METH_VARARGS | METH_KEYWORDS,
     "sample_noise(prob, alias, n_draws, seed)\n--\n\n`n_draws` negatives (int64) drawn exactly as the training "
     "loops draw them."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "wordvec._kernels",
    "skip-gram and CBOW's hot loop in C, the twin of wordvec.kernels_numba (see wordvec.kernels).", -1, METHODS,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__kernels(void)
{
    for (int i = 0; i < EXP_TABLE_SIZE; i++) {
        double x = ((double)i / EXP_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP;
        double sig = 1.0 / (1.0 + exp(-x));
        SIG[i] = (float)sig;
        LOGSIG[i] = (float)log(sig);
    }
    LOG_TINY = (float)log(1.0 / (1.0 + exp(MAX_EXP)));
    PyObject *m = PyModule_Create(&MODULE), *max_exp = PyFloat_FromDouble(MAX_EXP);
    PyObject *names = PyTuple_New(sizeof KWLIST / sizeof KWLIST[0] - 1);
    for (Py_ssize_t i = 0; names && KWLIST[i]; i++) {
        PyObject *name = PyUnicode_FromString(KWLIST[i]);
        if (!name) {
            Py_CLEAR(names);
            break;
        }
        PyTuple_SET_ITEM(names, i, name);
    }
    if (!m || !max_exp || !names || PyModule_AddIntConstant(m, "EXP_TABLE_SIZE", EXP_TABLE_SIZE) < 0 ||
        PyModule_AddObjectRef(m, "MAX_EXP", max_exp) < 0 || PyModule_AddObjectRef(m, "ARGS", names) < 0)
        Py_CLEAR(m);
    Py_XDECREF(max_exp);
    Py_XDECREF(names);
    return m;
}
