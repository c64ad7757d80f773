"""Lesson 11's pieces: the Fashion-MNIST folders, simple_cnn's shapes, batch norm by hand against PyTorch, and
a short training from scratch that learns."""

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from dlcourse import fashion_mnist, scratch
from dlcourse.batchnorm import batchnorm_forward
from dlcourse.receptive_field import measured_receptive_field, receptive_fields, windows


@pytest.fixture(scope="module")
def folder(root):
    return scratch.fashion_path()


def test_the_folders_hold_every_shipped_item_once_in_mnists_layout(folder):
    images, labels, test_index = fashion_mnist.lesson_images()
    by_index = dict(zip(test_index.tolist(), range(len(labels)), strict=True))
    seen = set()
    for split, per_class in (("training", 800), ("testing", 200)):
        for label, name in scratch.FOLDER_NAMES.items():
            files = sorted((folder / split / name).glob("*.png"))
            assert len(files) == per_class, (split, name)
            for file in files[:25]:
                i = by_index[int(file.stem)]
                assert labels[i] == label
                assert np.array_equal(np.asarray(Image.open(file)), images[i])
            seen.update(int(f.stem) for f in files)
    assert seen == set(test_index.tolist())


def test_the_lessons_datablock_splits_by_folder_and_labels_by_parent(folder):
    dls = scratch.fashion_dataloaders(bs=64)
    assert (len(dls.train_ds), len(dls.valid_ds)) == (4000, 1000)
    assert list(dls.vocab) == sorted(scratch.FOLDER_NAMES.values())
    assert all(path.parent.parent.name == "testing" for path in dls.valid_ds.items)
    x, y = dls.one_batch()
    assert x.shape == (64, 1, 28, 28)
    assert abs(float(x.mean())) < 0.2 and abs(float(x.std()) - 1) < 0.2  # Normalize's statistics


@pytest.mark.parametrize("bn", [False, True])
def test_simple_cnn_halves_the_map_at_each_layer_to_one_score_per_class(bn):
    model = scratch.simple_cnn(5, bn=bn)
    shapes = scratch.layer_shapes(model, (1, 28, 28))
    maps = ["8 × 14 × 14", "16 × 7 × 7", "32 × 4 × 4", "64 × 2 × 2", "5 × 1 × 1"]
    assert shapes.output.tolist() == [*maps, "5"]
    assert shapes.parameters.sum() == sum(p.numel() for p in model.parameters())
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all((c.bias is None) == bn for c in convs)
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 5)


def test_the_receptive_field_rule_matches_autograd_on_simple_cnn():
    model = scratch.simple_cnn(5)
    fields = receptive_fields(windows(model))
    # the fourth layer's output at the centre of a large input depends on a window as wide as the rule says
    fourth = model[:4]
    assert measured_receptive_field(fourth, 96, channels=1) == fields.receptive_field[3]


def test_batchnorm_by_hand_equals_pytorch_in_training_and_evaluation():
    torch.manual_seed(0)
    module = nn.BatchNorm2d(6, momentum=0.2)
    with torch.no_grad():
        module.weight.uniform_(0.5, 2)
        module.bias.normal_()
    running_mean, running_var = module.running_mean.clone(), module.running_var.clone()
    for step in range(4):
        x = torch.randn(5, 6, 7, 3) * (step + 1) + step
        ours = batchnorm_forward(x, module.weight, module.bias, running_mean, running_var, True, momentum=0.2)
        torch.testing.assert_close(ours, module.train()(x))
        torch.testing.assert_close(running_mean, module.running_mean)
        torch.testing.assert_close(running_var, module.running_var)
    x = torch.randn(2, 6, 4, 4)
    torch.testing.assert_close(
        batchnorm_forward(x, module.weight, module.bias, running_mean, running_var, False), module.eval()(x)
    )


def test_a_short_training_from_scratch_learns_and_batch_norm_keeps_fewer_activations_at_zero(root):
    from dlcourse.experiments import quiet, scratch_learner

    shares = {}
    for bn in (False, True):
        with quiet(scratch_learner(seed=0, bn=bn, near_zero=True)) as learn:
            learn.fit_one_cycle(1, 0.06)
            shares[bn] = scratch.near_zero_share(learn)  # before validate(), which starts the stats afresh
            error = float(learn.recorder.values[-1][-1])
        assert error < 0.3, (bn, error)  # guessing among five classes: 80 %
    # one share per training batch: 4,000 images in batches of 64, the last incomplete one dropped
    assert len(shares[True]) == len(shares[False]) == 62
    assert np.mean(shares[True][-10:]) < np.mean(shares[False][-10:])
