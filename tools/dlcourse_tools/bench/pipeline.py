"""Benchmark: the lesson code a learner would copy from fastai vs the course's full-mode path, same images.

`python -m dlcourse_tools bench pipeline` writes a Pets-sized set of JPEGs (7,390 images around 500x375,
Pets' 37 breeds and file names; blotchy random pixels, since throughput does not depend on content), then in
one process runs `fine_tune(4)` of a ResNet-34 (random weights: throughput does not depend on them):
(a) fastai's lesson code: `from_name_re`, `Resize(460)`, `aug_transforms(size=224, min_scale=0.75)`,
    `vision_learner(resnet34)` in single precision,
(b) the course's full mode: the lesson's DataLoaders through `dlcourse.fast.cached` (each image decoded once,
    fastai's augmentation on the GPU) and `vision_learner` with `to_fp16` (as the lessons ask on a GPU),
    the first time (the cache is built inside the timing) and again (the cache is read from disk),
and the ceiling: the same training steps on synthetic tensors already on the device.
`--tiny` runs a small configuration on a CPU (the tests use it).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

import dlcourse.fastai_setup  # noqa: F401
from dlcourse.mode import Mode
from dlcourse.pets import BREED_PATTERN
from dlcourse.rehearsal import BREEDS, write_pets_like


@dataclass(frozen=True)
class Config:
    per_breed: int = 200  # 7,400 images (Pets has 7,390)
    width: int = 500
    height: int = 375
    item_size: int = 460  # (a) the lesson code's Resize
    size: int = 224
    epochs: int = 4
    batch_size: int = 64


FULL = Config()
TINY = Config(per_breed=4, width=96, height=72, item_size=48, size=32, epochs=1, batch_size=16)


def _fine_tune(learn, epochs: int, start: float) -> dict:
    with learn.no_bar(), learn.no_logging():
        learn.fine_tune(epochs)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        error = float(learn.validate()[1])
    images = (epochs + 1) * len(learn.dls.train) * learn.dls.train.bs
    return {"seconds": seconds, "images": images, "error_rate": error}


def plain_fastai(path: Path, cfg: Config) -> dict:
    """The lesson code a learner would copy: from_name_re, Resize, aug_transforms, vision_learner."""
    from fastai.data.transforms import get_image_files
    from fastai.metrics import error_rate
    from fastai.vision.augment import Resize, aug_transforms
    from fastai.vision.data import ImageDataLoaders
    from fastai.vision.learner import vision_learner
    from torchvision.models import resnet34

    start = time.perf_counter()
    dls = ImageDataLoaders.from_name_re(
        path,
        get_image_files(path),
        BREED_PATTERN,
        valid_pct=0.2,
        seed=42,
        item_tfms=Resize(cfg.item_size),
        batch_tfms=aug_transforms(size=cfg.size, min_scale=0.75),
        bs=cfg.batch_size,
    )
    learn = vision_learner(dls, resnet34, pretrained=False, metrics=error_rate)
    return _fine_tune(learn, cfg.epochs, start)


def course_path(path: Path, cfg: Config, data_dir: Path) -> dict:
    """What a lesson runs in full mode: the cached `pets_dataloaders` and `vision_learner` in mixed
    precision, then fastai's fine_tune."""
    from dlcourse import pets
    from dlcourse.experiments import vision
    from dlcourse.settings import environment

    mode = Mode("full", torch.cuda.is_available(), False, "benchmark")
    with environment({"DLCOURSE_DATA": str(data_dir)}):  # where `cached` keeps the decoded photos
        start = time.perf_counter()
        dls = pets.pets_dataloaders(path, mode, batch_size=cfg.batch_size, size=cfg.size)
        prepared = time.perf_counter() - start
        learn = vision(dls, mode, pretrained=False, path=data_dir)
        return {**_fine_tune(learn, cfg.epochs, start), "data_seconds": prepared}


def synthetic_ceiling(cfg: Config, steps: int = 30) -> float:
    """Images per second of training steps on random tensors already on the device (same model and AMP)."""
    from fastai.vision.learner import create_vision_model
    from torchvision.models import resnet34

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = create_vision_model(resnet34, len(BREEDS), pretrained=False)
    model = model.to(device).to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(cfg.batch_size, 3, cfg.size, cfg.size, device=device).contiguous(
        memory_format=torch.channels_last
    )
    y = torch.randint(0, len(BREEDS), (cfg.batch_size,), device=device)
    bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
    dtype = (torch.bfloat16 if bf16 else torch.float16) if device.type == "cuda" else None

    def step():
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * cfg.batch_size / (time.perf_counter() - start)


def run(cfg: Config, workdir: Path) -> dict:
    path = write_pets_like(workdir / "images", cfg.per_breed, cfg.width, cfg.height)
    return {
        "plain": plain_fastai(path, cfg),
        "course": course_path(path, cfg, workdir / "data"),
        "course, cache on disk": course_path(path, cfg, workdir / "data"),
        "ceiling": synthetic_ceiling(cfg),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a small configuration that runs on a CPU")
    args = parser.parse_args(argv)
    cfg = TINY if args.tiny else FULL
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU ({platform.processor()})"
    with tempfile.TemporaryDirectory() as tmp:
        result = run(cfg, Path(tmp))
    import fastai

    print(
        f"device: {device}; torch {torch.__version__}; fastai {fastai.__version__}; "
        f"{cfg.per_breed * len(BREEDS)} images ~{cfg.width}x{cfg.height}, {len(BREEDS)} classes, "
        f"size {cfg.size}, fine_tune({cfg.epochs}), batch size {cfg.batch_size}"
    )
    print(f"  {'path':24} {'wall s':>8} {'img/s':>8} {'error':>6}  {'vs (a)':>6}  {'vs ceiling':>10}")
    plain_s = result["plain"]["seconds"]
    for name in ("plain", "course", "course, cache on disk"):
        r = result[name]
        rate = r["images"] / r["seconds"]
        print(
            f"  {name:24} {r['seconds']:8.1f} {rate:8.1f} {r['error_rate']:6.3f}  "
            f"{plain_s / r['seconds']:5.2f}x  {rate / result['ceiling']:10.0%}"
        )
    print(f"  {'synthetic ceiling':24} {'':8} {result['ceiling']:8.1f}")
    print(
        f"  data preparation inside (b): first {result['course']['data_seconds']:.1f} s, "
        f"from the disk cache {result['course, cache on disk']['data_seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
