"""Atomic file writes (every output goes to a temporary sibling and is renamed into place only when complete) and
the bounded, schema-checked JSON reader every wordvec file goes through."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

from .errors import WordvecError

#: Largest JSON document wordvec reads (manifest, metrics.json, headers): far above any it writes.
MAX_JSON_BYTES = 100_000_000
#: Deepest nesting of arrays / objects wordvec reads; its own files nest a few levels.
MAX_JSON_DEPTH = 64
INT64_MAX = 2**63 - 1


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", **kwargs) -> Iterator[IO]:
    """Open a temporary sibling of `path`; rename it to `path` only if the block finishes without an error.

    A failure inside the block removes the temporary file, so `path` is either the old file or the whole new one.
    OSErrors become a WordvecError that names the path.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        f = open(tmp, mode, **kwargs)
    except OSError as e:
        raise WordvecError(f"cannot write {path}: {e.strerror or e}; choose a writable path") from None
    try:
        with f:
            yield f
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError):
            raise WordvecError(f"cannot write {path}: {e.strerror or e}; choose a writable path") from None
        raise


def temp_dir(near: Path, suffix: str = ".tmp") -> Path:
    """A new hidden directory beside `near` (to be renamed to it), with the permissions the umask gives a new
    directory (mkdtemp alone makes it private)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{near.name}.", suffix=suffix, dir=near.parent))
    os.chmod(tmp, 0o777 & ~umask())
    return tmp


#: The most characters wordvec appends to an output's name: `.NAME.checkpoint.tmpPID` (the checkpoint's atomic
#: write); `.NAME.XXXXXXXX.tmp`, `.NAME.old-PID`, `.NAME.lock` and `NAME.checkpoint` are shorter.
NAME_ROOM = 24


def check_name_room(path: Path, flag: str = "--out") -> None:
    """Refuse, before any work, a name that is valid but too long once wordvec's suffixes are added to it."""
    path = Path(path)
    ancestor = path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    try:
        name_max = os.pathconf(ancestor, "PC_NAME_MAX")
        path_max = os.pathconf(ancestor, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    name = len(os.fsencode(path.name))
    if name + NAME_ROOM > name_max:
        raise WordvecError(f"{flag} name {path.name[:40]}... is {name} bytes long; wordvec adds up to {NAME_ROOM} to "
                           f"it for temporary files and the checkpoint, and this file system allows {name_max}: "
                           f"choose a name of at most {name_max - NAME_ROOM} bytes")
    full = len(os.fsencode(str(path.absolute())))
    if full + NAME_ROOM + 64 > path_max:  # and room for the files inside (`.model.safetensors.tmpPID`)
        raise WordvecError(f"{flag} path is {full} bytes long; with wordvec's suffixes it would pass this system's "
                           f"limit of {path_max}: choose a shorter path")


def _temp_names(name: str) -> re.Pattern:
    """The temporary siblings of an output called `name`: `temp_dir`'s `.NAME.XXXXXXXX.tmp` / `.old` and a run's
    `.NAME.old-PID` (exactly these: `.a.b.XXXXXXXX.tmp`, which belongs to `a.b`, is not one of `a`'s)."""
    return re.compile(rf"\.{re.escape(name)}\.(?:[a-z0-9_]+\.(?:tmp|old)|old-\d+)")


def stale_temp_dirs(out: Path) -> list[Path]:
    """Temporary folders beside `out` left by killed writers of `out`; only the holder of `lock_beside(out)` may
    remove them (the lock proves that no living process is writing them)."""
    out = Path(out)
    pattern = _temp_names(out.name)
    try:
        return sorted(p for p in out.absolute().parent.iterdir()
                      if pattern.fullmatch(p.name) and p.is_dir() and not p.is_symlink())
    except OSError:
        return []


def lock_beside(out: Path) -> tuple[int, Path]:
    """Take the exclusive lock `.NAME.lock` beside `out` (shared by `train` and `prepare`): a second writer of the
    same `out` fails at once, and a killed writer's lock is released by the kernel. Returns (fd, lock path)."""
    import fcntl

    out = Path(out)
    lock = out.absolute().parent / f".{out.name}.lock"
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as e:
            raise WordvecError(f"cannot create {lock} ({e.strerror}); choose a writable --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise WordvecError(f"cannot lock {lock} ({e.strerror}); choose another --out") from None
            raise WordvecError(f"another wordvec run is writing {out} right now; wait for it to finish or "
                               f"choose another --out") from None
        with contextlib.suppress(OSError):
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:  # not a lock file another process just unlinked
                return fd, lock
        os.close(fd)
    raise WordvecError(f"could not lock {out}; try again")


def unlock(fd: int, lock: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(lock)
    os.close(fd)


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class JsonFileError(WordvecError):
    """A JSON document wordvec reads is too large, too deep, not JSON, or not of the expected shape."""


def read_json(source: str | bytes | os.PathLike, what: str | None = None, fix: str = "",
              max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse strict JSON from a path, bytes or str, bounded: at most `max_bytes` and `max_depth` levels of nesting
    (the C parser stops itself at Python's recursion limit; the rest is measured without recursion), no NaN / Infinity, no duplicate keys, integers within
    int64. Any failure is one JsonFileError naming `what` (default: the path) and, when given, the `fix`."""
    tail = f"; {fix}" if fix else ""
    if isinstance(source, (str, bytes)) and what is not None:
        data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    else:
        path = Path(source)
        what = what or str(path)
        try:
            with open(path, "rb") as f:
                data = f.read(max_bytes + 1)
        except FileNotFoundError:
            raise JsonFileError(f"{what} does not exist{tail}") from None
        except IsADirectoryError:
            raise JsonFileError(f"{what} is a folder, not a JSON file{tail}") from None
        except OSError as e:
            raise JsonFileError(f"cannot read {what}: {e.strerror or e}{tail}") from None
    if len(data) > max_bytes:
        raise JsonFileError(f"{what} is larger than {max_bytes:,} bytes, far more than wordvec writes; the file is "
                            f"damaged or not wordvec's{tail}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise JsonFileError(f"{what} is not UTF-8 ({e.reason} at byte {e.start}); the file is damaged{tail}") \
            from None
    try:
        value = json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys, parse_int=_int64,
                           parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise JsonFileError(f"{what}: line {e.lineno}: not valid JSON ({e.msg}); the file is damaged{tail}") \
            from None
    except RecursionError:
        value, depth = None, f"more than {sys.getrecursionlimit():,}"
    except ValueError as e:
        raise JsonFileError(f"{what}: {e}; the file is damaged{tail}") from None
    else:
        depth = json_depth(value)
    if not isinstance(depth, int) or depth > max_depth:
        raise JsonFileError(f"{what} nests {depth} levels deep (at most {max_depth}); the file is damaged or not "
                            f"wordvec's{tail}")
    return value


def json_depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:30]} is too large for a float")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number in strict JSON")


def _unique_keys(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"the key {dup!r} appears twice in one object")
    return out


def _int64(digits: str) -> int:
    if len(digits) > 20 or not -INT64_MAX - 1 <= (n := int(digits)) <= INT64_MAX:
        raise ValueError(f"the integer {digits[:30]}{'...' if len(digits) > 30 else ''} does not fit in 64 bits")
    return n


#: Field kinds for `check_fields`: what a JSON value must be. "int" excludes booleans; "number" is int or float.
_KINDS: dict[str, tuple] = {"int": (int,), "number": (int, float), "str": (str,), "bool": (bool,), "list": (list,),
                            "dict": (dict,), "null": (type(None),)}
_NAMES = {"int": "an integer", "number": "a number", "str": "a string", "bool": "true or false", "list": "a list",
          "dict": "an object", "null": "null"}


def is_kind(value, kind: str) -> bool:
    """`value` is a JSON value of `kind` ("int", "number", "str", "bool", "list", "dict", "null"; "int|null"...)."""
    for k in kind.split("|"):
        if isinstance(value, _KINDS[k]) and (k == "bool" or not isinstance(value, bool)):
            return True
    return False


def check_fields(obj, schema: dict[str, str], what: str, fix: str = "", required=None, exact: bool = False) -> dict:
    """`obj` must be a JSON object whose keys in `schema` have the kind given there (see `is_kind`); `required`
    (default: all of `schema`) must be present, and with `exact` no other key may be. One JsonFileError names the
    first field that is wrong."""
    tail = f"; {fix}" if fix else ""
    if not isinstance(obj, dict):
        raise JsonFileError(f"{what} holds {_json_type(obj)}, not an object{tail}")
    for key in schema if required is None else required:
        if key not in obj:
            raise JsonFileError(f"{what} lacks the field {key!r}{tail}")
    if exact and (extra := sorted(set(obj) - set(schema))):
        raise JsonFileError(f"{what} has unexpected field(s) {', '.join(map(repr, extra[:5]))}{tail}")
    for key, kind in schema.items():
        if key in obj and not is_kind(obj[key], kind):
            want = " or ".join(_NAMES[k] for k in kind.split("|"))
            raise JsonFileError(f"{what}: {key!r} should be {want}, got {_json_type(obj[key])} "
                                f"{_short(obj[key])}{tail}")
    return obj


def _json_type(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object",
            type(None): "null"}.get(type(value), type(value).__name__)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


__all__ = ["atomic_open", "temp_dir", "umask", "check_name_room", "stale_temp_dirs", "lock_beside", "unlock",
           "NAME_ROOM", "read_json", "json_depth", "check_fields", "is_kind", "JsonFileError",
           "MAX_JSON_BYTES", "MAX_JSON_DEPTH", "INT64_MAX"]
