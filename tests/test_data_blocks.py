"""Lesson 6's pieces: its DataBlock (the same as pets_dataloaders), augmentation arms, memory counts,
precision."""

import itertools

import pytest
import torch
from fastai.data.block import CategoryBlock, DataBlock
from fastai.data.transforms import RandomSplitter, RegexLabeller, get_image_files
from fastai.metrics import error_rate
from fastai.torch_core import using_attr
from fastai.vision.augment import Resize, aug_transforms
from fastai.vision.data import ImageBlock
from fastai.vision.learner import vision_learner
from torch import nn

from dlcourse import experiments, memory, pets
from dlcourse.fast import cached
from dlcourse.mode import detect_mode
from dlcourse.settings import TABLE
from dlcourse.train import pick_arch, precision

OFFLINE = detect_mode("offline")


@pytest.fixture(scope="module")
def path():
    return pets.pets_path(OFFLINE)


def lesson_block(pattern=pets.BREED_PATTERN, batch_tfms=None):
    """Lesson 6's DataBlock for the Pets breeds, spelled out as the notebook writes it."""
    cfg = pets.pets_config(OFFLINE)
    return DataBlock(
        blocks=(ImageBlock, CategoryBlock),
        get_items=get_image_files,
        get_y=using_attr(RegexLabeller(pattern), "name"),
        splitter=RandomSplitter(valid_pct=cfg.valid_pct, seed=42),
        item_tfms=Resize(cfg.item_size),
        batch_tfms=batch_tfms,
    )


def test_the_lessons_block_gives_the_split_and_labels_of_pets_dataloaders(path):
    cfg = pets.pets_config(OFFLINE)
    block = lesson_block(batch_tfms=aug_transforms(size=cfg.size, min_scale=cfg.min_scale)).dataloaders(
        path, bs=16
    )
    made = pets.pets_dataloaders(path, OFFLINE)
    assert list(block.vocab) == list(made.vocab)
    sizes = (len(made.train_ds), len(made.valid_ds))
    assert (len(block.train_ds), len(block.valid_ds)) == sizes == (500, 2000)
    for mine, theirs in [(block.train_ds, made.train_ds), (block.valid_ds, made.valid_ds)]:
        assert sorted(map(str, mine.items)) == sorted(map(str, theirs.items)), "the same split"
        labels = {str(f): mine.vocab[int(y)] for f, (_, y) in zip(mine.items, mine, strict=True)}
        pairs = zip(theirs.items, theirs, strict=True)
        assert all(labels[str(f)] == theirs.vocab[int(y)] for f, (_, y) in pairs)
    other = lesson_block()
    other.splitter = RandomSplitter(valid_pct=pets.pets_config(OFFLINE).valid_pct, seed=1)
    assert set(map(str, other.datasets(path).valid.items)) != set(map(str, made.valid_ds.items))


def test_a_wrong_label_pattern_fails_in_summary_at_the_labeller(path, capsys):
    broken = lesson_block(pattern=r"^(.+)-\d+\.(?:jpg|png)$")  # a hyphen where the names have "_"
    with pytest.raises(AssertionError, match="Failed to find"):
        broken.summary(path)
    assert "Found 2500 items" in capsys.readouterr().out
    lesson_block().summary(path)  # the right pattern: the same summary runs to the end
    assert "Final sample:" in capsys.readouterr().out


def test_a_smaller_size_presizes_in_proportion():
    cfg = pets.pets_config(detect_mode("full"), size=128)
    assert (cfg.size, cfg.item_size) == (128, round(128 * 256 / 224))
    assert pets.pets_config(OFFLINE) is TABLE["pets", "offline"]


def test_augmentation_arms_change_the_images_as_named(path):
    arms = experiments.augmentation_arms(OFFLINE)
    assert arms["no augmentation"] is None
    image = pets.pets_dataloaders(path, OFFLINE, batch_tfms=None).train.one_batch()[0][:1]
    seen = {name: set() for name in arms if arms[name]}
    for name in seen:
        tfms = arms[name]
        torch.manual_seed(0)
        for _ in range(200):
            out = image
            for tfm in tfms:
                out = tfm(out, split_idx=0)
            seen[name].add(tuple(out.flatten().round(decimals=3).tolist()))
    assert len(seen["left-right flips"]) == 2, "the photo or its mirror image"
    assert len(seen["aug_transforms"]) == 200, "turns, zooms, warps and lighting: a new image every time"
    crops = experiments.CROPPED
    assert set(arms) == {"no augmentation", "left-right flips", "aug_transforms", crops}


def test_random_crops_enlarge_the_item_and_only_the_cropped_arm_has_them(path):
    """`min_scale=0.75` crops 75 to 100 % of the area and resizes it back; `min_scale=1` keeps it all."""
    from fastai.vision.augment import RandomResizedCropGPU

    arms = experiments.augmentation_arms(OFFLINE)
    crop = {
        name: [t for t in tfms if isinstance(t, RandomResizedCropGPU)] for name, tfms in arms.items() if tfms
    }
    assert crop[experiments.CROPPED][0].min_scale == experiments.CROP_SCALE == 0.75
    assert all(t.min_scale == 1.0 for t in crop["aug_transforms"])
    image = pets.pets_dataloaders(path, OFFLINE, batch_tfms=None).train.one_batch()[0][:1].float()
    torch.manual_seed(0)
    whole = [
        RandomResizedCropGPU(pets.pets_config(OFFLINE).size, min_scale=1.0)(image, split_idx=0)
        for _ in range(20)
    ]
    assert all(torch.allclose(w, image, atol=1e-3) for w in whole), "min_scale=1 keeps the photo as it is"
    cropped = [crop[experiments.CROPPED][0](image, split_idx=0) for _ in range(20)]
    assert sum(not torch.allclose(c, image, atol=1e-3) for c in cropped) >= 15


def test_unique_show_batch_reads_one_item_from_the_cache(path):
    dls = pets.pets_dataloaders(path, OFFLINE, batch_tfms=None)  # no augmentation: copies stay equal
    dl = dls.train.new(shuffle=False)
    dl.get_idxs = lambda: itertools.repeat(3)  # what show_batch(unique=True) does: one index forever
    images, _ = next(iter(dl))
    assert images.shape[0] == dl.bs and bool((images == images[:1]).all())


def test_activation_bytes_count_every_layer_output():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 5 * 5, 4))
    batch = torch.zeros(2, 3, 5, 5)
    conv, relu, flat, linear = 2 * 8 * 25, 2 * 8 * 25, 2 * 200, 2 * 4
    assert memory.activation_bytes(model, batch) == 4 * (conv + relu + flat + linear)
    mixed = memory.activation_bytes(model, batch, torch.bfloat16)
    assert mixed == 2 * (conv + relu + flat + linear), "bfloat16 autocast: 2 bytes a number"


def test_training_memory_table():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    row = memory.training_memory({"tiny": model}, size=8, gpu_gb=1.0).iloc[0]
    params = 3 * 4 * 9 + 4 + 4 * 2 + 2
    assert row.parameters == params
    assert row["weights + Adam (MB)"] == pytest.approx(16 * params / 1e6)
    per_image = memory.activation_bytes(model, torch.zeros(1, 3, 8, 8))
    assert row["largest batch, float32"] == (1e9 - 16 * params) // per_image
    assert memory.largest_batch(10, 3, 1e-9) == 0


def test_precision_is_named_as_it_trains(path):
    cfg = pets.pets_config(OFFLINE)
    dls = cached(lesson_block().dataloaders(path, bs=cfg.batch_size, val_bs=cfg.valid_batch_size))
    learn = vision_learner(dls, pick_arch(OFFLINE), metrics=error_rate)  # as lesson 6 builds it
    assert precision(learn) == "float32 throughout"
    mixed = precision(learn.to_fp16())
    if torch.cuda.is_available():
        assert mixed == "float16 mixed precision (float32 weights, float16 arithmetic where it is safe)"
    else:
        assert mixed == "float32: float16 mixed precision was asked for, but it runs on a GPU only"
    assert precision(vision_learner(dls, pick_arch(OFFLINE)).to_bf16()).startswith(
        "bfloat16 mixed precision" if torch.cuda.is_available() else "float32: bfloat16 mixed precision"
    )
