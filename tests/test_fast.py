"""The fast data path: the cached items are fastai's own, batches equal fastai's, the cache is never stale."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from fastai.vision.augment import Resize, aug_transforms
from fastai.vision.data import ImageDataLoaders
from PIL import Image

from dlcourse import data, fast, pets
from dlcourse.rehearsal import write_pets_like

from support import FAULTS, damage


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """JPEGs named like Pets, 5 per breed."""
    return write_pets_like(tmp_path_factory.mktemp("pets"), per_breed=5, width=120, height=90)


def plain_and_cached(path, cache_dir, item_size=40, size=32, bs=8):
    files = sorted(path.glob("*.jpg"))
    kwargs = dict(
        valid_pct=0.2,
        seed=42,
        item_tfms=Resize(item_size),
        batch_tfms=aug_transforms(size=size, min_scale=0.75),
        bs=bs,
        num_workers=0,
    )
    plain = ImageDataLoaders.from_name_re(path, files, pets.BREED_PATTERN, **kwargs)
    cached = fast.cached_dataloaders(
        ImageDataLoaders.from_name_re(path, files, pets.BREED_PATTERN, **kwargs), cache_dir
    )
    return plain, cached


def test_validation_batches_equal_fastai_exactly(photos, tmp_path):
    plain, cached = plain_and_cached(photos, tmp_path)
    assert type(cached.valid) is fast.CachedDL and cached.vocab == plain.vocab
    batches = list(zip(plain.valid, cached.valid, strict=True))
    assert len(batches) == len(plain.valid) > 1
    for (x1, y1), (x2, y2) in batches:
        assert type(x2) is type(x1) and x2.shape == x1.shape
        torch.testing.assert_close(x2, x1, rtol=0, atol=0)
        assert torch.equal(y1, y2)


def test_training_batches_are_augmented_shuffled_and_complete(photos, tmp_path):
    plain, cached = plain_and_cached(photos, tmp_path)
    assert len(cached.train) == len(plain.train)
    seen = []
    for x, y in cached.train:
        assert x.shape == (8, 3, 32, 32) and x.dtype == torch.float32
        seen += y.tolist()
    assert len(seen) == len(cached.train) * 8  # drop_last, as fastai's training loader
    first, second = [torch.cat([y for _, y in cached.train]) for _ in range(2)]
    assert not torch.equal(first, second), "a new order every epoch"
    # the cached items are exactly the item transforms' centre crops of the files
    items = cached.train.cache
    i = 3
    img, label = cached.train_ds[i]
    expected = np.asarray(Resize(40)(img, split_idx=1)).transpose(2, 0, 1)
    assert np.array_equal(items.images[i].cpu().numpy(), expected)
    assert int(items.labels[i]) == int(label)


def test_parallel_workers_give_the_same_items(photos, tmp_path, monkeypatch):
    plain, _ = plain_and_cached(photos, tmp_path / "a")
    from fasttransform import Pipeline

    pipeline = Pipeline(list(plain.valid.after_item.fs), split_idx=1)
    inputs = plain.train_ds.tls[0]
    serial = fast.run_item_pipeline(inputs, pipeline, workers=1)
    monkeypatch.setattr(fast, "SERIAL_BELOW", 1)
    parallel = fast.run_item_pipeline(inputs, pipeline, workers=2)
    assert torch.equal(serial, parallel)


def test_the_same_files_with_other_labels_get_their_own_labels(photos, tmp_path):
    """The images are cached by file; labels always come from the current labelling function."""
    files = sorted(photos.glob("*.jpg"))
    kwargs = dict(valid_pct=0.2, seed=42, item_tfms=Resize(40), bs=8, num_workers=0)
    breeds = fast.cached_dataloaders(
        ImageDataLoaders.from_name_re(photos, files, pets.BREED_PATTERN, **kwargs), tmp_path
    )
    cats = fast.cached_dataloaders(
        ImageDataLoaders.from_name_func(photos, files, pets.is_cat, **kwargs), tmp_path
    )
    for dls in (breeds, cats):
        for dl in dls.loaders:
            truth = torch.tensor([int(dl.dataset[i][1]) for i in range(len(dl.dataset))])
            assert torch.equal(dl.cache.labels.cpu(), truth)
    assert cats.train.cache.labels.max() == 1 and breeds.train.cache.labels.max() > 1


def test_cache_is_reused_rebuilt_when_files_change_and_repaired_when_corrupt(photos, tmp_path):
    plain_and_cached(photos, tmp_path)
    cached_files = sorted(tmp_path.glob("images-*.npy"))
    assert len(cached_files) == 2  # train and valid
    stamps = [f.stat().st_mtime_ns for f in cached_files]
    plain_and_cached(photos, tmp_path)
    assert [f.stat().st_mtime_ns for f in cached_files] == stamps, "reused, not rewritten"

    cached_files[0].write_bytes(cached_files[0].read_bytes()[:1000])  # truncated, as by a killed process
    plain, cached = plain_and_cached(photos, tmp_path)
    for (x1, _), (x2, _) in zip(plain.valid, cached.valid, strict=True):
        torch.testing.assert_close(x2, x1, rtol=0, atol=0)

    target = next(iter(sorted(photos.glob("*.jpg"))))
    Image.new("RGB", (120, 90), "white").save(target)
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 10**9))
    try:
        _, changed = plain_and_cached(photos, tmp_path)
        assert len(list(tmp_path.glob("images-*.npy"))) > 2, "a new key for the changed file"
        white = [
            dl.cache.images[k]
            for dl in changed.loaders
            for k, f in enumerate(dl.dataset.items)
            if f.name == target.name
        ]
        assert len(white) == 1 and (white[0] == 255).all(), "the replaced image, not the stale one"
    finally:
        target.unlink()  # the module's photos are shared: leave no white image behind
        write_pets_like(photos, per_breed=5, width=120, height=90)


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "misnamed"])  # a bad name fails in fastai first
def test_images_damaged_after_loading_get_the_same_errors(photos, tmp_path, fault):
    folder = tmp_path / "photos"
    folder.mkdir()
    for f in sorted(photos.glob("*.jpg")):
        (folder / f.name).write_bytes(f.read_bytes())
    files = sorted(folder.glob("*.jpg"))
    dls = ImageDataLoaders.from_name_re(
        folder, files, pets.BREED_PATTERN, item_tfms=Resize(40), num_workers=0
    )
    name = damage(folder, fault)
    with pytest.raises(data.DataError, match=FAULTS[fault].format(name)):
        fast.cached_dataloaders(dls, tmp_path / "cache")


def test_predict_and_export_take_fastais_path(photos, tmp_path):
    from fastai.learner import load_learner
    from fastai.vision.learner import vision_learner
    from torchvision.models import resnet18

    _, cached = plain_and_cached(photos, tmp_path)
    learn = vision_learner(cached, resnet18, pretrained=False, path=tmp_path)
    test = cached.test_dl([sorted(photos.glob("*.jpg"))[0]])
    assert type(test) is fast.CachedDL and test.cache is None
    label, _, probs = learn.predict(sorted(photos.glob("*.jpg"))[0])
    assert label in cached.vocab and probs.shape == (len(cached.vocab),)
    learn.export("export.pkl")
    assert (tmp_path / "export.pkl").stat().st_size < 2 * 50e6, "no cached images in the export"
    again = load_learner(tmp_path / "export.pkl")
    assert again.predict(sorted(photos.glob("*.jpg"))[0])[0] == label


# Two processes write and read the same cache file at once, again and again.
CACHE_AT_ONCE = """
import sys
from pathlib import Path
import torch
from dlcourse import fast

cache, me, other = map(Path, sys.argv[1:4])
images = torch.full((64, 3, 256, 256), 7, dtype=torch.uint8)  # 12 MB
me.touch()
while not other.exists():  # start together
    pass
for _ in range(30):
    fast._save(cache / "images-same.npy", images)
    assert torch.equal(fast._load(cache / "images-same.npy"), images)
"""


def test_two_processes_writing_the_same_cache_at_once(tmp_path):
    flags = tmp_path / "a.ready", tmp_path / "b.ready"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CACHE_AT_ONCE, str(tmp_path / "cache"), str(me), str(other)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in (flags, flags[::-1])
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert [f.name for f in (tmp_path / "cache").iterdir()] == ["images-same.npy"], "no temporary files left"
