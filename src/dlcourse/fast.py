"""A fast training path for full mode: presize once, augment on the GPU, train in mixed precision.

fastai's lesson code decodes and resizes every JPEG on the CPU in every epoch; on a Colab machine with
2 CPU cores that, not the GPU, sets the pace. Here each image is decoded and resized once into a
cache (a uint8 array keyed by the files' paths, sizes and modification times, so a stale cache is never
used); batches are then cropped, flipped and normalised on the device, and the model runs in bf16 (or
fp16 on GPUs without bf16, such as the T4) with channels_last memory layout. The schedule is
`dlcourse.schedules.one_cycle` and the recipe is fastai's `fine_tune`, so the two paths do the same work.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from dlcourse.schedules import one_cycle


@dataclass
class Presized:
    images: torch.Tensor  # (N, 3, S, S) uint8
    labels: torch.Tensor  # (N,) int64
    vocab: list[str]


def cache_key(files: list[Path], size: int) -> str:
    """Changes whenever a file is added, removed, replaced or touched, or the size changes."""
    digest = hashlib.sha256(f"presize-v1|{size}".encode())
    for f in files:
        st = Path(f).stat()
        digest.update(f"{Path(f).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


def _load_square(path: Path, size: int) -> np.ndarray:
    """Decode, resize the shorter side to `size`, centre-crop to a square: (3, size, size) uint8."""
    with Image.open(path) as img:
        img = img.convert("RGB")
        w, h = img.size
        scale = size / min(w, h)
        img = img.resize(
            (max(size, round(w * scale)), max(size, round(h * scale))), Image.Resampling.BILINEAR
        )
        w, h = img.size
        left, top = (w - size) // 2, (h - size) // 2
        return np.asarray(img.crop((left, top, left + size, top + size))).transpose(2, 0, 1).copy()


def presize(files: list[Path], pattern: str, size: int, cache_dir: Path) -> Presized:
    """All images decoded once at `size` (cached on disk), with labels from file names by `pattern`."""
    files = sorted(Path(f) for f in files)
    labels_text = [re.match(pattern, f.name).group(1) for f in files]
    vocab = sorted(set(labels_text))
    labels = torch.tensor([vocab.index(t) for t in labels_text])
    cache = Path(cache_dir) / f"presized-{cache_key(files, size)}.npy"
    if cache.exists():
        array = np.load(cache, mmap_mode="r")
    else:
        cache.parent.mkdir(parents=True, exist_ok=True)
        array = np.stack([_load_square(f, size) for f in files])
        tmp = cache.with_suffix(".tmp.npy")
        np.save(tmp, array)
        tmp.replace(cache)
    return Presized(torch.from_numpy(np.ascontiguousarray(array)), labels, vocab)


def split(n: int, valid_pct: float = 0.2, seed: int = 42) -> tuple[torch.Tensor, torch.Tensor]:
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    cut = int(valid_pct * n)
    return perm[cut:], perm[:cut]


def gpu_augment(
    batch: torch.Tensor, size: int, min_scale: float = 0.75, flip: bool = True, train: bool = True
) -> torch.Tensor:
    """uint8 (B, 3, S, S) on the device -> float (B, 3, size, size): random crop/zoom and flip in one warp."""
    x = batch.float().div_(255)
    if not train:
        return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    b = x.shape[0]
    scale = torch.empty(b, device=x.device).uniform_(min_scale, 1.0).sqrt()  # side fraction of the crop
    shift = (1 - scale)[:, None] * torch.empty(b, 2, device=x.device).uniform_(-1, 1)
    sign = (
        torch.where(torch.rand(b, device=x.device) < 0.5, -1.0, 1.0)
        if flip
        else torch.ones(b, device=x.device)
    )
    theta = torch.zeros(b, 2, 3, device=x.device)
    theta[:, 0, 0], theta[:, 1, 1] = scale * sign, scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, (b, 3, size, size), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def set_frozen(model: torch.nn.Module, groups: list, frozen: bool) -> None:
    """fastai's freeze rule: all parameter groups but the last (the head) stop training, except batch norm."""
    norm = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)
    norm_params = {id(p) for m in model.modules() if isinstance(m, norm) for p in m.parameters()}
    for group in groups[:-1]:
        for p in group:
            p.requires_grad_(not frozen or id(p) in norm_params)


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """bf16 where the GPU supports it, fp16 on older GPUs (e.g. Colab's T4), none on the CPU."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


@dataclass
class FitResult:
    seconds: float
    images: int
    error_rate: float
    batch_size: int


class FastTrainer:
    """fine_tune with presized data on the device, GPU augmentation, mixed precision, channels_last."""

    def __init__(
        self,
        model: torch.nn.Module,
        splitter,
        data: Presized,
        size: int,
        batch_size: int = 64,
        stats=((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        flip: bool = True,
        seed: int = 42,
        device: torch.device | None = None,
        compile: bool = False,
    ):
        self.device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).to(memory_format=torch.channels_last)
        if compile:
            self.model = torch.compile(self.model)
        self.groups = [list(g) for g in splitter(model)]
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device)
        self.train_idx, self.valid_idx = split(len(data.labels), seed=seed)
        self.size, self.batch_size, self.flip = size, batch_size, flip
        self.mean = torch.tensor(stats[0], device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(stats[1], device=self.device).view(1, 3, 1, 1)
        self.dtype = autocast_dtype(self.device)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.dtype == torch.float16)
        self.generator = torch.Generator().manual_seed(seed)

    def _batches(self, idx: torch.Tensor, train: bool):
        order = idx[torch.randperm(len(idx), generator=self.generator)] if train else idx
        stop = len(order) - len(order) % self.batch_size if train else len(order)  # drop_last like fastai
        for start in range(0, stop, self.batch_size):
            sel = order[start : start + self.batch_size].to(self.device)
            x = gpu_augment(self.images[sel], self.size, flip=self.flip, train=train)
            yield ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last), self.labels[sel]

    def fit_one_cycle(self, epochs: int, lr_max, pct_start: float = 0.25, div: float = 25.0) -> int:
        steps_per_epoch = len(self.train_idx) // self.batch_size
        lrs, moms = one_cycle(
            epochs * steps_per_epoch, lr_max, len(self.groups), div=div, pct_start=pct_start
        )
        params = [{"params": [p for p in g if p.requires_grad]} for g in self.groups]
        opt = torch.optim.AdamW(
            [g for g in params if g["params"]], lr=1e-3, betas=(0.9, 0.99), eps=1e-5, weight_decay=0.01
        )
        live = [i for i, g in enumerate(params) if g["params"]]
        step, seen = 0, 0
        self.model.train()
        for _ in range(epochs):
            for x, y in self._batches(self.train_idx, train=True):
                for group, i in zip(opt.param_groups, live, strict=True):
                    group["lr"], group["betas"] = float(lrs[step, i]), (float(moms[step]), 0.99)
                with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
                    loss = F.cross_entropy(self.model(x), y)
                opt.zero_grad(set_to_none=True)
                self.scaler.scale(loss).backward()
                self.scaler.step(opt)
                self.scaler.update()
                step, seen = step + 1, seen + len(y)
        return seen

    @torch.no_grad()
    def error_rate(self) -> float:
        self.model.eval()
        wrong = 0
        for x, y in self._batches(self.valid_idx, train=False):
            with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
                wrong += (self.model(x).argmax(1) != y).sum().item()
        return wrong / len(self.valid_idx)

    def fine_tune(self, epochs: int, base_lr: float = 2e-3, freeze_epochs: int = 1) -> FitResult:
        """fastai's recipe: head only (pct_start 0.99), then everything at slice(base_lr/200, base_lr/2)."""
        start = time.perf_counter()
        set_frozen(self.model, self.groups, frozen=True)
        seen = self.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
        set_frozen(self.model, self.groups, frozen=False)
        seen += self.fit_one_cycle(epochs, slice(base_lr / 200, base_lr / 2), pct_start=0.3, div=5.0)
        err = self.error_rate()
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return FitResult(time.perf_counter() - start, seen, err, self.batch_size)


def fine_tune_with_oom_retry(
    make_trainer, epochs: int, batch_size: int, min_batch_size: int = 8, log=print
) -> FitResult:
    """Train; on "CUDA out of memory", say so and retry at half the batch size (down to `min_batch_size`)."""
    while True:
        try:
            return make_trainer(batch_size).fine_tune(epochs)
        except torch.OutOfMemoryError:
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if batch_size // 2 < min_batch_size:
                raise RuntimeError(
                    f"out of GPU memory even at batch size {batch_size}: use smaller images "
                    "or a smaller model"
                ) from None
            log(f"GPU out of memory at batch size {batch_size}; retrying at batch size {batch_size // 2}")
            batch_size //= 2


def workers_for_machine() -> int:
    """DataLoader workers for the plain fastai path: one per CPU core, at most 8."""
    return max(1, min(8, os.cpu_count() or 1))
