"""Benchmark: plain fastai lesson code vs dlcourse's fast pipeline, the same fine_tune on the same images.

`dlcourse bench pipeline` writes a Pets-sized set of JPEGs (7,390 images around 500x375, 37 classes,
Pets' naming layout; random pixels, since throughput does not depend on content), then in one process:
(a) `ImageDataLoaders.from_name_re` + `Resize(224)` + `vision_learner(resnet34)` + `fine_tune(4)`,
(b) `dlcourse.fast` presizing + GPU augmentation + mixed precision, same model and recipe,
and the ceiling: training steps on synthetic tensors already on the device. Weights are random:
throughput does not depend on them. `--tiny` runs a small CPU configuration (used by the tests).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import dlcourse.fastai_setup  # noqa: F401
from dlcourse.data import BREED_PATTERN


@dataclass(frozen=True)
class Config:
    images: int = 7390
    classes: int = 37
    width: int = 500
    height: int = 375
    size: int = 224
    cache_size: int = 256
    epochs: int = 4
    batch_size: int = 64


FULL = Config()
TINY = Config(images=160, classes=8, width=96, height=72, size=32, cache_size=40, epochs=1, batch_size=16)


def make_pets_like(dest: Path, cfg: Config, seed: int = 0) -> Path:
    """JPEGs named like Pets: `breed_name_12.jpg`, the first 12 breeds capitalised (the cats)."""
    rng = np.random.default_rng(seed)
    dest.mkdir(parents=True, exist_ok=True)
    breeds = [f"breed_{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(cfg.classes)]
    breeds = [b.capitalize() if i < 12 else b for i, b in enumerate(breeds)]
    for i in range(cfg.images):
        w = int(cfg.width * rng.uniform(0.8, 1.2))
        h = int(cfg.height * rng.uniform(0.8, 1.2))
        pixels = rng.integers(0, 256, size=(h // 8, w // 8, 3), dtype=np.uint8)
        img = Image.fromarray(pixels).resize((w, h), Image.Resampling.BILINEAR)
        img.save(dest / f"{breeds[i % cfg.classes]}_{i}.jpg", quality=90)
    return dest


def plain_fastai(path: Path, cfg: Config) -> dict:
    """The lesson code a learner would copy: from_name_re, Resize, vision_learner(resnet34), fine_tune."""
    from fastai.data.transforms import get_image_files
    from fastai.metrics import error_rate
    from fastai.vision.augment import Resize
    from fastai.vision.data import ImageDataLoaders
    from fastai.vision.learner import vision_learner
    from torchvision.models import resnet34

    from dlcourse.fast import workers_for_machine

    start = time.perf_counter()
    dls = ImageDataLoaders.from_name_re(
        path,
        get_image_files(path),
        BREED_PATTERN,
        valid_pct=0.2,
        seed=42,
        item_tfms=Resize(cfg.size),
        bs=cfg.batch_size,
        num_workers=workers_for_machine(),
    )
    learn = vision_learner(dls, resnet34, pretrained=False, metrics=error_rate)
    with learn.no_bar(), learn.no_logging():
        learn.fine_tune(cfg.epochs)
        seconds = time.perf_counter() - start
        error = float(learn.validate()[1])
    images = (cfg.epochs + 1) * len(dls.train) * cfg.batch_size
    return {"seconds": seconds, "images": images, "error_rate": error}


def _resnet34_model(n_out: int):
    from fastai.vision.learner import _resnet_split, create_vision_model
    from torchvision.models import resnet34

    return create_vision_model(resnet34, n_out, pretrained=False), _resnet_split


def fast_pipeline(path: Path, cfg: Config, cache_dir: Path) -> dict:
    from dlcourse.fast import FastTrainer, fine_tune_with_oom_retry, presize

    start = time.perf_counter()
    data = presize(sorted(path.glob("*.jpg")), BREED_PATTERN, cfg.cache_size, cache_dir)
    presize_seconds = time.perf_counter() - start

    def trainer(batch_size: int) -> FastTrainer:
        model, splitter = _resnet34_model(len(data.vocab))
        return FastTrainer(model, splitter, data, cfg.size, batch_size=batch_size)

    result = fine_tune_with_oom_retry(trainer, cfg.epochs, cfg.batch_size)
    return {
        "seconds": time.perf_counter() - start,
        "images": result.images,
        "error_rate": result.error_rate,
        "presize_seconds": presize_seconds,
    }


def synthetic_ceiling(cfg: Config, steps: int = 30) -> float:
    """Images per second of training steps on random tensors already on the device (same model and AMP)."""
    from dlcourse.fast import autocast_dtype

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model, _ = _resnet34_model(cfg.classes)
    model = model.to(device).to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(cfg.batch_size, 3, cfg.size, cfg.size, device=device).contiguous(
        memory_format=torch.channels_last
    )
    y = torch.randint(0, cfg.classes, (cfg.batch_size,), device=device)
    dtype = autocast_dtype(device)

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
    path = make_pets_like(workdir / "images", cfg)
    plain = plain_fastai(path, cfg)
    fast = fast_pipeline(path, cfg, workdir / "cache")
    ceiling = synthetic_ceiling(cfg)
    return {"plain": plain, "fast": fast, "ceiling": ceiling}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a small configuration that runs on a CPU")
    args = parser.parse_args(argv)
    cfg = TINY if args.tiny else FULL
    device = (
        torch.cuda.get_device_name(0)
        if torch.cuda.is_available()
        else f"CPU ({platform.processor() or 'x86'})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        result = run(cfg, Path(tmp))
    print(
        f"device: {device}; torch {torch.__version__}; {cfg.images} images ~{cfg.width}x{cfg.height}, "
        f"{cfg.classes} classes, size {cfg.size}, fine_tune({cfg.epochs}), batch size {cfg.batch_size}"
    )
    for name in ("plain", "fast"):
        r, letter = result[name], "a" if name == "plain" else "b"
        rate = r["images"] / r["seconds"]
        line = f"  ({letter}) {name:6} {r['seconds']:8.1f} s  {rate:8.1f} img/s"
        print(f"{line}  error_rate {r['error_rate']:.3f}")
    fast_rate = result["fast"]["images"] / result["fast"]["seconds"]
    print(
        f"  speed-up (a)/(b): {result['plain']['seconds'] / result['fast']['seconds']:.2f}x; "
        f"presizing took {result['fast']['presize_seconds']:.1f} s of (b)"
    )
    share = fast_rate / result["ceiling"]
    print(f"  synthetic ceiling: {result['ceiling']:.1f} img/s; (b) reaches {share:.0%} of it")


if __name__ == "__main__":
    main()
