"""Facts the lessons and the glossary state about fastai and torchvision, checked against the libraries."""

import pytest
import torch
from fastai.learner import Learner
from fastai.optimizer import Adam, Optimizer
from fastai.vision.learner import vision_learner

from dlcourse.schedules import group_lrs


def test_resnets_pool_with_stride_2_in_the_stem_so_224_pixels_become_56():
    from fastai.vision.models.xresnet import xresnet34
    from torchvision.models import resnet34

    for model, stem_end in ((resnet34(), 4), (xresnet34(), 4)):
        stem = torch.nn.Sequential(*list(model.children())[:stem_end])
        pools = [m for m in stem.modules() if isinstance(m, torch.nn.MaxPool2d)]
        assert [(p.kernel_size, p.stride) for p in pools] == [(3, 2)]
        assert stem(torch.zeros(1, 3, 224, 224)).shape[-2:] == (56, 56)


def test_learners_train_with_adam_unless_told_otherwise():
    import inspect

    assert inspect.signature(Learner).parameters["opt_func"].default is Adam
    assert inspect.signature(vision_learner).parameters["opt_func"].default is Adam


def test_a_slice_without_start_gives_earlier_groups_a_tenth_and_with_start_spreads_geometrically():
    groups = [[torch.nn.Parameter(torch.zeros(1))] for _ in range(3)]
    opt = Optimizer(groups, [lambda p, lr, **kwargs: p], lr=0.0)
    opt.set_hyper("lr", slice(1e-2))
    assert [h["lr"] for h in opt.hypers] == [1e-3, 1e-3, 1e-2]
    opt.set_hyper("lr", slice(1e-4, 1e-2))
    assert [h["lr"] for h in opt.hypers] == pytest.approx(group_lrs(slice(1e-4, 1e-2), 3), rel=1e-12)
    assert [h["lr"] for h in opt.hypers] == pytest.approx([1e-4, 1e-3, 1e-2], rel=1e-12)
