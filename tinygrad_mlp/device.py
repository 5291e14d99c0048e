"""The CPU is the only device. ``tg.device``, ``tg.cuda``, ``tg.backends`` and ``tg.accelerator`` answer
as torch does on a machine without a GPU, so the usual idioms fall back to the CPU unchanged:

>>> import tinygrad_mlp as tg
>>> tg.device("cuda" if tg.cuda.is_available() else "cpu")
device(type='cpu')
>>> tg.accelerator.current_accelerator() is None, tg.backends.mps.is_available()
(True, False)

``tg.device("cuda")`` can be made (as in torch); putting data on it is what fails.
"""

from __future__ import annotations

import types
from typing import Any

DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


class device:  # noqa: N801 - torch's name
    """``tg.device("cpu")``, ``tg.device("cuda:1")``, ``tg.device("cuda", 1)``: a type and an optional index,
    parsed and checked as torch's. Only the CPU holds tensors here."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any = "cpu", index: int | None = None) -> None:  # noqa: A002 - torch's name
        if isinstance(type, device):
            type, index = type.type, type.index  # noqa: A001
        elif isinstance(type, int):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        name = str(type)
        kind, sep, number = name.partition(":")
        if kind not in DEVICE_TYPES:
            raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: "
                               f"{name}")
        if sep:
            if not number.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: {name!r}")
            index = int(number)
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = kind, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type={self.type!r})" if self.index is None else \
            f"device(type={self.type!r}, index={self.index})"

    def __eq__(self, other: object) -> bool:
        # (as torch: a device never equals a string; compare with tg.device("cpu") or .type == "cpu")
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple:
        return (device, (self.type, self.index))


def _no_cuda(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("Torch not compiled with CUDA enabled")


def _no_accelerator(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("Cannot access accelerator device when none is available.")


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


cuda = types.SimpleNamespace(
    is_available=lambda: False, device_count=lambda: 0, is_initialized=lambda: False,
    manual_seed=_nothing, manual_seed_all=_nothing, seed=_nothing, seed_all=_nothing, empty_cache=_nothing,
    memory_allocated=lambda device=None: 0, max_memory_allocated=lambda device=None: 0,
    memory_reserved=lambda device=None: 0, synchronize=_no_cuda, current_device=_no_cuda, set_device=_no_cuda,
    get_device_name=_no_cuda, get_device_properties=_no_cuda, is_bf16_supported=lambda including_emulation=True: False,
)
backends = types.SimpleNamespace(
    mps=types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False),
    cuda=types.SimpleNamespace(is_built=lambda: False),
    cudnn=types.SimpleNamespace(is_available=lambda: False, enabled=True, benchmark=False, deterministic=False),
    mkldnn=types.SimpleNamespace(is_available=lambda: False),
)
mps = types.SimpleNamespace(is_available=lambda: False, device_count=lambda: 0, manual_seed=_nothing,
                            empty_cache=_nothing, synchronize=_no_accelerator)
accelerator = types.SimpleNamespace(
    is_available=lambda: False, device_count=lambda: 0,
    current_accelerator=lambda check_available=False: None,
    current_device_index=_no_accelerator, current_device_idx=_no_accelerator, set_device_index=_no_accelerator,
    set_device_idx=_no_accelerator, synchronize=_no_accelerator, current_stream=_no_accelerator,
    empty_cache=_no_accelerator, memory_allocated=_no_accelerator, max_memory_allocated=_no_accelerator,
    get_memory_info=_no_accelerator,
)


def get_default_device() -> device:
    return device("cpu")


def set_default_device(dev: Any) -> None:
    """Only the CPU (or None) can be the default device."""
    if dev is not None and device(dev).type != "cpu":
        raise RuntimeError(f"set_default_device: tinygrad_mlp runs on the CPU only, {str(dev)!r} is not available")
