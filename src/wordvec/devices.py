"""Where to train: 'auto', 'cpu', 'cuda' or 'cuda:N', answered without importing torch when no GPU can exist.

torch takes about a second to import; a CPU skip-gram run or a vector query should not pay it. A CUDA device
needs the NVIDIA (or ROCm) kernel driver, whose device files are visible without torch, so 'auto' imports torch
only on machines where a GPU is possible.
"""

from __future__ import annotations

import logging
import os
import re

from .errors import WordvecError, require

_DRIVER_FILES = ("/dev/nvidiactl", "/proc/driver/nvidia/version", "/dev/kfd")
_DEVICE = re.compile(r"^(cpu|cuda)(:\d+)?$")


def cpu_cores() -> int:
    """The CPU cores this process may run on (its affinity, not the machine's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def cap_to_cores(flag: str, n: int) -> int:
    """`n` processes or threads (0: one per core), at most one per CPU core, with a warning: more only compete for
    the cores (and each holds its own buffers)."""
    cores = cpu_cores()
    if n > cores:
        logging.getLogger("wordvec").warning("%s %d is more than the %d CPU cores; using %d", flag, n, cores, cores)
    return min(n, cores) if n > 0 else cores


def gpu_possible() -> bool:
    """False when no GPU driver is loaded (so torch.cuda could not find one); True means 'ask torch'."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return any(os.path.exists(p) for p in _DRIVER_FILES)


def cuda_available() -> bool:
    if not gpu_possible():
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def resolve_device(name: str = "auto") -> str:
    """'auto' -> 'cuda' when a GPU is usable, else 'cpu'. An explicit 'cuda' without one is an error, not a
    silent CPU run; anything but cpu/cuda[:N] is refused (other torch devices are not supported)."""
    name = str(name).strip().lower()
    if name == "auto":
        return "cuda" if cuda_available() else "cpu"
    if not _DEVICE.match(name):
        raise WordvecError(f"--device {name!r} is not supported; use auto, cpu, cuda or cuda:N")
    if name == "cpu":
        return name
    require("torch", f"--device {name}")
    if not cuda_available():
        raise WordvecError(f"--device {name} asked for a GPU, but none is usable here; use --device cpu")
    import torch

    index = int(name.split(":")[1]) if ":" in name else 0
    if index >= torch.cuda.device_count():
        raise WordvecError(f"--device {name}: only {torch.cuda.device_count()} GPU(s) visible "
                           f"(cuda:0..cuda:{torch.cuda.device_count() - 1}); pick one of those")
    return name


__all__ = ["resolve_device", "cuda_available", "gpu_possible"]
