"""Atomic file writes: every output goes to a temporary sibling and is renamed into place only when complete."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import WordvecError


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


__all__ = ["atomic_open", "temp_dir", "umask", "check_name_room", "stale_temp_dirs", "lock_beside", "unlock", "NAME_ROOM"]
