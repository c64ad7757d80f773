"""Pooling, receptive field, softmax, learned kernels and Grad-CAM, each checked against torch or fastai."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastai.metrics import accuracy, error_rate
from fastai.torch_core import set_seed
from fastai.vision.learner import vision_learner
from torch import nn
from torchvision.models import resnet18, vgg11

from dlcourse import cam, learned, pets, pooling, receptive_field, softmax
from dlcourse import kernels as K
from dlcourse.images import photo
from dlcourse.mode import detect_mode
from dlcourse.train import pick_arch

OFFLINE = detect_mode("offline")


@pytest.fixture(scope="module")
def learn():
    set_seed(0, reproducible=True)
    dls = pets.pets_dataloaders(pets.offline_pets(), OFFLINE, seed=0)
    return vision_learner(dls, pick_arch(OFFLINE), metrics=[error_rate, accuracy])


# --- pooling -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "stride"), [(2, None), (3, None), (3, 2), (2, 1)])
def test_pooling_equals_torch(size, stride):
    x = np.random.default_rng(size).normal(size=(2, 3, 11, 9))
    t = torch.from_numpy(x)
    np.testing.assert_allclose(pooling.max_pool(x, size, stride), F.max_pool2d(t, size, stride).numpy())
    np.testing.assert_allclose(pooling.avg_pool(x, size, stride), F.avg_pool2d(t, size, stride).numpy())


def test_pooling_bad_windows_get_clear_errors():
    with pytest.raises(K.ConvShapeError, match="does not fit"):
        pooling.max_pool(np.zeros((2, 2)), 3)
    with pytest.raises(K.ConvShapeError, match="whole numbers >= 1"):
        pooling.avg_pool(np.zeros((4, 4)), 0)


def test_max_pooling_changes_less_than_the_map_when_the_input_moves():
    edges = K.relu(K.conv2d_im2col(photo("chelsea", gray=True), K.kernel("sobel x"), padding=1))
    table = pooling.shifted_input(edges, shifts=(1, 2))
    assert (table["change after max pooling"] < table["change of the map"]).all()


# --- receptive field ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("layers", [1, 3, 6, 11, 16])
def test_receptive_field_formula_equals_autograd_on_vgg(layers):
    stack = vgg11().features[:layers]
    table = receptive_field.receptive_fields(receptive_field.windows(stack))
    assert table.receptive_field.iloc[-1] == receptive_field.measured_receptive_field(stack, 128)


def test_receptive_field_of_the_resnet_stem():
    r = resnet18()
    stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
    table = receptive_field.receptive_fields(receptive_field.windows(stem))
    assert table.receptive_field.tolist() == [7, 11] and table.jump.tolist() == [2, 4]
    assert receptive_field.measured_receptive_field(stem, 64) == 11


# --- softmax and cross-entropy -----------------------------------------------------------------------------


def test_softmax_and_cross_entropy_equal_torch_and_fastai_on_a_real_batch(learn):
    xb, yb = learn.dls.valid.one_batch()
    with torch.no_grad():
        logits = learn.model.eval()(xb).as_subclass(torch.Tensor)
    yb = yb.as_subclass(torch.Tensor)
    ours = softmax.cross_entropy(logits.numpy(), yb.numpy())
    assert ours == pytest.approx(F.cross_entropy(logits, yb).item(), rel=1e-5)
    assert ours == pytest.approx(learn.loss_func(logits, yb).item(), rel=1e-5)
    np.testing.assert_allclose(softmax.softmax(logits.numpy()), F.softmax(logits, 1).numpy(), rtol=1e-5)

    table = softmax.worked_softmax(logits[0].numpy(), int(yb[0]), list(learn.dls.vocab))
    assert table.probability.sum() == pytest.approx(1)
    assert table["-log(probability)"].notna().sum() == 1
    assert table["-log(probability)"].max() == pytest.approx(
        F.cross_entropy(logits[:1], yb[:1]).item(), rel=1e-5
    )


# --- learned kernels ---------------------------------------------------------------------------------------


def test_sgd_recovers_a_known_kernel_from_examples():
    noise = np.random.default_rng(0).normal(size=(8, 16, 16))
    kernel, log = learned.learn_kernel(K.kernel("sobel x"), noise)
    np.testing.assert_allclose(kernel, K.kernel("sobel x"), atol=1e-3)
    assert log.loss.iloc[-1] < 1e-4 * log.loss.iloc[0]


def test_first_layer_kernels_and_activation_maps(learn):
    kernels = learned.first_layer_kernels(learn.model)
    weight = next(m for m in learn.model.modules() if isinstance(m, nn.Conv2d)).weight
    np.testing.assert_array_equal(kernels, weight.detach().numpy())
    assert kernels.shape == (16, 3, 3, 3)
    with torch.no_grad():
        weight.add_(1.0)
    assert not np.allclose(learned.first_layer_kernels(learn.model), kernels), "a snapshot, not a view"
    with torch.no_grad():
        weight.sub_(1.0)
    xb, _ = learn.dls.valid.one_batch()
    maps = learned.activation_maps(learn.model, xb, layers=2)
    first = next(iter(maps.values()))
    expected = F.conv2d(xb[:1], weight, stride=2, padding=1)[
        0
    ]  # the stem's first convolution, before its norm
    half = xb.shape[-1] // 2  # the stem's first convolution has stride 2
    assert list(maps) == [f"conv 1 (16 maps, {half}x{half})", f"conv 2 (16 maps, {half}x{half})"]
    np.testing.assert_allclose(first, expected.detach().numpy(), rtol=1e-4, atol=1e-5)


# --- Grad-CAM ----------------------------------------------------------------------------------------------


def reference_grad_cam(model, x, target, layer):
    """Grad-CAM with plain torch hooks, written independently of `dlcourse.cam`."""
    store = {}
    handle = layer.register_forward_hook(lambda m, i, o: store.update(maps=o) or o.retain_grad())
    model.eval()
    model.zero_grad()
    model(x[:1].clone().requires_grad_(True))[0, target].backward()
    handle.remove()
    maps = store["maps"]
    weights = maps.grad[0].mean((1, 2))
    heat = torch.clamp((weights[:, None, None] * maps[0]).sum(0), min=0)
    return F.interpolate(heat[None, None], size=x.shape[-2:], mode="bilinear")[0, 0].detach().numpy()


def test_grad_cam_has_the_image_shape_changes_with_the_class_and_equals_a_reference(learn):
    xb, _ = learn.dls.valid.one_batch()
    layer = cam.cam_layer(learn.model, xb)
    maps = [cam.grad_cam(learn.model, xb, target) for target in range(len(learn.dls.vocab))]
    assert all(m.shape == tuple(xb.shape[-2:]) and (m >= 0).all() for m in maps)
    assert not np.allclose(maps[0], maps[1]), "another class, another map"
    np.testing.assert_allclose(maps[2], reference_grad_cam(learn.model, xb, 2, layer), rtol=1e-4, atol=1e-6)


def test_explain_takes_more_images_than_a_batch_holds(learn):
    items = list(learn.dls.valid_ds.items[:6])
    bs = learn.dls.valid.bs
    learn.dls.valid.bs = 4  # as with small batches on a small GPU: the images must not be cut to one batch
    try:
        explained = cam.explain(learn, items)
    finally:
        learn.dls.valid.bs = bs
    assert [e["item"] for e in explained] == items
    assert all(e["cam"].shape == e["image"].shape[:2] for e in explained)
    assert {e["label"] for e in explained} <= set(learn.dls.vocab)
