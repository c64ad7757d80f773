"""The fast data path, through fastai: decode and resize each image once, then read batches from memory.

fastai's lesson code opens, decodes and resizes every image on the CPU in every epoch; on a Colab machine
with 2 CPU cores that, not the GPU, sets the pace. `cached_dataloaders` takes ordinary fastai
`DataLoaders` and runs each image through its item transforms once (the centre crop, as for
validation), keeps the results as one uint8 tensor (on the GPU when there is room) and a file keyed by
the images' paths, sizes and modification times, so a stale cache is never used. Batches are then
slices of that tensor; everything after that is fastai's own: the batch transforms (augmentation on
the GPU), the `Learner`, `fine_tune`, `lr_find`. Items the cache does not hold (`test_dl`, `predict`)
take fastai's ordinary path through the same item transforms.
"""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from fastai.data.core import DataLoaders, TfmdDL
from fastai.torch_core import TensorCategory, TensorImage
from fasttransform import Pipeline

from dlcourse.data import unreadable_images

CACHE_VERSION = "images-v3"
SERIAL_BELOW = 2000  # fewer items than this are decoded in this process: starting workers costs more


@dataclass
class CachedItems:
    images: torch.Tensor  # (N, C, H, W) uint8: each item's input after the item transforms
    labels: torch.Tensor  # (N,) int64: each item's label, as the dataset's label pipeline gives it


def cache_key(files: list[Path], pipeline: Pipeline) -> str:
    """Changes when a file is added, removed, replaced or touched, or the item transforms change."""
    digest = hashlib.sha256(f"{CACHE_VERSION}|{pipeline!r}".encode())
    for f in files:
        st = Path(f).stat()
        digest.update(f"{Path(f).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:24]


_JOB: tuple = ()  # (inputs, pipeline, output) for the forked workers, which inherit it


def _fill(indices: range) -> None:
    """Workers write images straight into the shared output tensor."""
    inputs, pipeline, images = _JOB
    for i in indices:
        images[i] = torch.as_tensor(np.asarray(pipeline(inputs[i])))


def run_item_pipeline(inputs, pipeline: Pipeline, workers: int | None = None) -> torch.Tensor:
    """Every item of `inputs` (fastai's `TfmdLists` of decoded images) through `pipeline`, stacked;
    in parallel processes for large datasets."""
    global _JOB
    n = len(inputs)
    if n == 0:
        return torch.empty(0, dtype=torch.uint8)
    first = torch.as_tensor(np.asarray(pipeline(inputs[0])))
    images = torch.empty((n, *first.shape), dtype=first.dtype)
    workers = workers or min(16, os.cpu_count() or 1)
    parallel = n >= SERIAL_BELOW and workers > 1
    _JOB = (inputs, pipeline, images.share_memory_() if parallel else images)
    try:
        if parallel:
            step = -(-n // (workers * 4))
            chunks = [range(i, min(i + step, n)) for i in range(0, n, step)]
            context = multiprocessing.get_context("fork")
            # one thread per worker, as in torch's DataLoader workers (threads and fork do not mix)
            with ProcessPoolExecutor(workers, context, torch.set_num_threads, (1,)) as pool:
                list(pool.map(_fill, chunks))
        else:
            _fill(range(n))
    finally:
        _JOB = ()
    return images


def _save(path: Path, images: torch.Tensor) -> None:
    """Write to a temporary file of our own, then rename: readers never see a half-written cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.save(out, images.numpy())
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _load(path: Path) -> torch.Tensor | None:
    """The cached images, or None when the file is missing or unreadable (it is then rebuilt)."""
    try:
        return torch.from_numpy(np.load(path, allow_pickle=False))
    except (OSError, ValueError, EOFError):
        return None


def cached_items(dl: TfmdDL, cache_dir: Path) -> CachedItems:
    """`dl`'s items after its item transforms (validation behaviour: centre crops), the images computed
    once and kept on disk; the labels come from the dataset's label pipeline every time (they are cheap,
    and the same files can carry other labels)."""
    inputs, targets = dl.dataset.tls  # fastai's Datasets: the images' and the labels' pipelines
    pipeline = Pipeline(list(dl.after_item.fs), split_idx=1)
    path = Path(cache_dir) / f"images-{cache_key(list(dl.dataset.items), pipeline)}.npy"
    images = _load(path)
    if images is None or len(images) != len(inputs):
        try:
            images = run_item_pipeline(inputs, pipeline)
        except Exception as err:  # PIL and fastai raise many kinds; name the files as `image_files` does
            if error := unreadable_images(list(dl.dataset.items)):
                raise error from err
            raise
        _save(path, images)
    labels = torch.tensor([int(targets[i]) for i in range(len(targets))], dtype=torch.int64)
    return CachedItems(images, labels)


def _room_on(device: torch.device, nbytes: int) -> bool:
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return nbytes < free // 4  # leave most of the memory to the model


class CachedDL(TfmdDL):
    """A fastai `TfmdDL` whose batches are slices of precomputed items; the batch transforms still run."""

    def __init__(self, dataset=None, cache: CachedItems | None = None, **kwargs):
        super().__init__(dataset, **kwargs)
        self.cache = cache

    def create_batches(self, samps):
        if self.cache is None:  # items the cache does not hold: fastai's own path
            yield from super().create_batches(samps)
            return
        order = iter(samps)  # lazily: `show_batch(unique=True)` samples one index forever
        while chunk := list(itertools.islice(order, self.bs)):
            if self.drop_last and len(chunk) < self.bs:
                break
            index = torch.tensor(chunk, device=self.cache.images.device)
            yield TensorImage(self.cache.images[index]), TensorCategory(self.cache.labels[index])

    def new(self, dataset=None, cls=None, **kwargs):
        res = super().new(dataset, cls, **kwargs)
        if isinstance(res, CachedDL):  # the cache belongs to this dataset only
            res.cache = self.cache if res.dataset is self.dataset else None
        return res


def cached_dataloaders(dls: DataLoaders, cache_dir: Path) -> DataLoaders:
    """The same `DataLoaders`, reading each split's items from a cache made once, in memory on the device."""
    loaders = []
    for dl in dls.loaders:
        items = cached_items(dl, cache_dir)
        device = torch.device(dls.device or "cpu")
        if _room_on(device, items.images.numel()):
            items = CachedItems(items.images.to(device), items.labels.to(device))
        loaders.append(dl.new(cls=CachedDL, cache=items, num_workers=0, pin_memory=False))
    return DataLoaders(*loaders, path=dls.path, device=dls.device)


def cached(dls: DataLoaders) -> DataLoaders:
    """`dls` reading its items from the course's cache (in `$DLCOURSE_DATA/cache`, see `data_root`): each
    image decoded and resized once, with the validation set's centre crop, then kept in memory."""
    from dlcourse.data import data_root

    return cached_dataloaders(dls, data_root() / "cache")


def set_frozen(model: torch.nn.Module, groups: list, frozen: bool) -> None:
    """fastai's freeze rule: all parameter groups but the last (the head) stop training, except batch norm."""
    norm = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)
    norm_params = {id(p) for m in model.modules() if isinstance(m, norm) for p in m.parameters()}
    for group in groups[:-1]:
        for p in group:
            p.requires_grad_(not frozen or id(p) in norm_params)
