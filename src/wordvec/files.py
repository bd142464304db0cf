"""Atomic file writes: every output goes to a temporary sibling and is renamed into place only when complete."""

from __future__ import annotations

import contextlib
import os
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


def umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


__all__ = ["atomic_open", "temp_dir", "umask"]
