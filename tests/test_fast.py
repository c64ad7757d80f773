"""The fast pipeline: cache keys, GPU augmentation, out-of-memory retry, accuracy, a tiny benchmark."""

import os
import time

import numpy as np
import pytest
import torch
from PIL import Image

from dlcourse import data, fast
from dlcourse.mode import detect_mode


def write_images(folder, n=6, size=(50, 40)):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(
            folder / f"b_{i}.jpg"
        )
    return sorted(folder.glob("*.jpg"))


def test_presize_cache_is_reused_and_never_stale(tmp_path):
    files = write_images(tmp_path / "img")
    first = fast.presize(files, r"^(.+)_\d+\.jpg$", 16, tmp_path / "cache")
    assert first.images.shape == (6, 3, 16, 16) and first.images.dtype == torch.uint8
    cached = list((tmp_path / "cache").glob("*.npy"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    again = fast.presize(files, r"^(.+)_\d+\.jpg$", 16, tmp_path / "cache")
    assert torch.equal(again.images, first.images) and cached[0].stat().st_mtime_ns == stamp

    key = fast.cache_key(files, 16)
    assert fast.cache_key(files, 24) != key
    Image.new("RGB", (50, 40), "white").save(files[0])  # replaced content
    os.utime(files[0], ns=(time.time_ns(), time.time_ns() + 10**9))
    assert fast.cache_key(files, 16) != key
    changed = fast.presize(files, r"^(.+)_\d+\.jpg$", 16, tmp_path / "cache")
    assert (changed.images[0] == 255).all(), "the replaced image, not the stale cached one"


def test_gpu_augment_shapes_identity_and_flip():
    batch = torch.randint(0, 256, (4, 3, 20, 20), dtype=torch.uint8)
    out = fast.gpu_augment(batch, 12)
    assert out.shape == (4, 3, 12, 12) and 0 <= out.min() and out.max() <= 1
    torch.manual_seed(0)
    same = fast.gpu_augment(batch, 20, min_scale=1.0, flip=False)
    torch.testing.assert_close(same, batch.float() / 255, atol=1e-5, rtol=0)
    valid = fast.gpu_augment(batch, 20, train=False)
    torch.testing.assert_close(valid, batch.float() / 255, atol=1e-5, rtol=0)


def test_out_of_memory_retries_at_half_the_batch_size():
    tried, messages = [], []

    class Trainer:
        def __init__(self, bs):
            self.bs = bs

        def fine_tune(self, epochs):
            tried.append(self.bs)
            if self.bs > 16:
                raise torch.OutOfMemoryError("CUDA out of memory")
            return fast.FitResult(1.0, 10, 0.1, self.bs)

    result = fast.fine_tune_with_oom_retry(Trainer, 1, 64, log=messages.append)
    assert tried == [64, 32, 16] and result.batch_size == 16
    assert messages[0] == "GPU out of memory at batch size 64; retrying at batch size 32"
    with pytest.raises(RuntimeError, match="even at batch size 8"):
        fast.fine_tune_with_oom_retry(lambda bs: Trainer(bs * 100), 1, 8, log=messages.append)


def test_fast_pipeline_learns_the_offline_task(tmp_path):
    """Same model, recipe and data as the lessons' fine_tune: the fast path must learn as well."""
    from fastai.vision.learner import _xresnet_split, create_vision_model

    from dlcourse.offline_model import offline_resnet, pretraining_record

    torch.manual_seed(0)
    files = sorted(data.offline_pets().glob("*.png"))
    presized = fast.presize(files, data.BREED_PATTERN, 32, tmp_path)
    model = create_vision_model(offline_resnet, len(presized.vocab), pretrained=True)
    stats = pretraining_record()["stats"]
    trainer = fast.FastTrainer(
        model,
        _xresnet_split,
        presized,
        32,
        batch_size=32,
        flip=False,
        stats=(stats["mean"], stats["std"]),
        seed=0,
    )
    result = trainer.fine_tune(1)
    assert result.error_rate < 0.15, result
    assert detect_mode("offline").offline


def test_tiny_benchmark_runs(tmp_path):
    from dlcourse.benchmarks import pipeline

    cfg = pipeline.Config(
        images=64, classes=4, width=64, height=48, size=32, cache_size=36, epochs=1, batch_size=16
    )
    result = pipeline.run(cfg, tmp_path)
    for name in ("plain", "fast"):
        assert result[name]["seconds"] > 0 and result[name]["images"] > 0
    assert result["ceiling"] > 0
