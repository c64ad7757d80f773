"""Full mode (GPU + internet, as on Colab) or offline mode (CPU, no internet, bundled data and model).

Lessons call `detect_mode()`; the environment variable DLCOURSE_MODE=full|offline, or an explicit
argument, overrides the automatic choice.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

PETS_HOST = ("s3.amazonaws.com", 443)  # where fastai's URLs.PETS lives
REQUESTED_OFFLINE = (
    "requested (DLCOURSE_MODE=offline or --offline)"  # the reason; the internet is not checked
)


class ModeError(ValueError):
    """A mode asked for that does not exist."""


@dataclass(frozen=True)
class Mode:
    name: str  # "full" or "offline"
    gpu: bool
    internet: bool
    reason: str

    @property
    def offline(self) -> bool:
        return self.name == "offline"

    def describe(self) -> str:
        device = gpu_name() if self.gpu else "no GPU"
        net = "internet" if self.internet else "no internet"
        return f"{self.name} mode ({device}, {net}): {self.reason}"


def has_internet(host: tuple[str, int] = PETS_HOST, timeout_s: float = 3.0) -> bool:
    """Whether the dataset host answers within `timeout_s` seconds."""
    try:
        with socket.create_connection(host, timeout=timeout_s):
            return True
    except OSError:
        return False


def gpu_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"


def describe_device() -> str:
    """The device lessons run on here, in words."""
    name = gpu_name()
    return f"CPU ({os.cpu_count()} cores)" if name == "CPU" else name


def cpu_model() -> str:
    """The processor's name: training from random weights is reproducible to the image on one kind of
    CPU, not across kinds (their arithmetic kernels round differently, and training amplifies it)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        import platform

        return platform.processor() or "unknown"


def detect_mode(override: str | None = None) -> Mode:
    """Full mode needs both a GPU and internet; anything else runs offline, saying why."""
    import torch

    gpu = torch.cuda.is_available()
    requested = (override or os.environ.get("DLCOURSE_MODE", "")).strip().lower()
    if requested not in ("", "full", "offline"):
        raise ModeError(
            f"DLCOURSE_MODE must be 'full' or 'offline', got {requested!r}: set one of them, or unset it "
            "to choose automatically"
        )
    if requested == "offline":
        return Mode("offline", gpu, False, REQUESTED_OFFLINE)
    internet = has_internet()
    if requested == "full":
        return Mode("full", gpu, internet, "requested")
    if gpu and internet:
        return Mode("full", gpu, internet, "a GPU and the internet are available")
    missing = " and ".join(x for x, ok in (("no GPU", gpu), ("no internet", internet)) if not ok)
    return Mode("offline", gpu, internet, f"{missing}; using the bundled data and model")
