"""The CPU is the only device: ``tg.device("cpu")`` and ``tg.cuda.is_available()`` exist so that
PyTorch scripts run unchanged; asking for anything else is a clear error."""

from __future__ import annotations

import types


class device:  # noqa: N801 - torch's name
    """``tg.device("cpu")``; any other device raises."""

    def __init__(self, name: str = "cpu") -> None:
        if str(name).split(":")[0] != "cpu":
            raise RuntimeError(f"device: tinygrad_mlp runs on the CPU only, {name!r} is not available")
        self.type = "cpu"

    def __str__(self) -> str:
        return "cpu"

    __repr__ = __str__


cuda = types.SimpleNamespace(is_available=lambda: False, device_count=lambda: 0)
backends = types.SimpleNamespace(mps=types.SimpleNamespace(is_available=lambda: False))
