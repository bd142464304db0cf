"""Atomic file writes: every output goes to a temporary sibling and is renamed into place only when complete."""

from __future__ import annotations

import contextlib
import os
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


__all__ = ["atomic_open"]
