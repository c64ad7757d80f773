"""Lesson 12's ResNets by hand against fastai's: the same layers, shapes and parameter counts as XResNet, the
residual block equal to fastai's ResBlock given the same weights, and the deep and shallow networks."""

import pytest
import torch
from fastai.layers import ResBlock as FastaiResBlock
from fastai.vision.models.xresnet import XResNet
from torch import nn

from dlcourse import resnet


def parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    "layers, widths, expansion, stem",
    [
        ([2, 2, 2, 2], (64, 128, 256, 512), 1, (32, 32, 64)),  # xresnet18
        ([3, 4, 6, 3], (64, 128, 256, 512), 4, (32, 32, 64)),  # xresnet50: bottleneck blocks
        ([1, 1, 1, 1], (16, 32, 64, 128), 1, (8, 16, 64)),  # a narrow one: XResNet's widen=0.25
    ],
)
def test_resnet_has_xresnets_shapes_and_parameters_layer_by_layer(layers, widths, expansion, stem):
    ours = resnet.resnet(layers, widths, n_out=7, c_in=1, stem=stem, expansion=expansion)
    theirs = XResNet(FastaiResBlock, expansion, layers, c_in=1, n_out=7, stem_szs=stem, widen=widths[0] / 64)
    table = resnet.shapes_side_by_side(ours, theirs, (1, 64, 64))
    assert (table["our output"] == table["fastai's output"]).all(), table
    assert (table["our parameters"] == table["fastai's parameters"]).all(), table
    assert parameters(ours) == parameters(theirs)


@pytest.mark.parametrize(
    "ni, nf, stride, expansion", [(16, 16, 1, 1), (16, 32, 2, 1), (64, 32, 2, 4), (8, 8, 1, 4)]
)
def test_resblock_computes_what_fastais_computes_with_the_same_weights(ni, nf, stride, expansion):
    torch.manual_seed(0)
    ours = resnet.ResBlock(ni, nf, stride, expansion)
    theirs = FastaiResBlock(expansion, ni, nf, stride=stride)
    assert parameters(ours) == parameters(theirs)
    with torch.no_grad():  # both start the last scale at 0, which would hide the convolutions' part
        for bn in (m for m in ours.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.weight.uniform_(0.5, 1.5)
    # fastai's ConvLayer is Conv2d, BatchNorm2d (and ReLU): the parameters and buffers line up in order
    for mine, fastais in ((ours.convs, theirs.convpath), (ours.idpath, theirs.idpath)):
        mine_state, fastai_state = mine.state_dict(), fastais.state_dict()
        assert [v.shape for v in mine_state.values()] == [v.shape for v in fastai_state.values()]
        fastais.load_state_dict(dict(zip(fastai_state, mine_state.values(), strict=True)))
    x = torch.randn(3, ni * expansion, 9, 9)
    for mode in ("train", "eval"):
        getattr(ours, mode)()
        getattr(theirs, mode)()
        torch.testing.assert_close(ours(x), theirs(x))


def test_a_residual_block_starts_as_the_identity_and_a_plain_block_does_not():
    torch.manual_seed(0)
    x = torch.relu(torch.randn(4, 16, 7, 7))
    residual = resnet.ResBlock(16, 16).eval()
    torch.testing.assert_close(residual(x), x)
    assert not torch.allclose(resnet.ResBlock(16, 16, residual=False).eval()(x), x)


@pytest.mark.parametrize("blocks, layers", [(1, 8), (6, 38)])
def test_deep_and_shallow_networks_have_the_layers_the_lesson_names(blocks, layers):
    for residual in (False, True):
        model = resnet.deep_and_shallow(blocks, residual)
        assert resnet.weight_layers(model) == layers
        assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 5)
    plain = resnet.deep_and_shallow(blocks, residual=False)
    assert not any("idpath" in name and list(m.children()) for name, m in plain.named_modules())


def test_a_bottleneck_block_has_the_parameters_the_lesson_counts():
    basic = resnet.block_parameters(256, 256, expansion=1)
    bottleneck = resnet.block_parameters(64, 64, expansion=4)
    assert basic == 2 * 256 * 256 * 9 + 2 * 2 * 256  # two convolutions, two batch norms (scale and shift)
    assert bottleneck == 256 * 64 + 64 * 64 * 9 + 64 * 256 + 2 * (64 + 64 + 256)
    assert basic == parameters(FastaiResBlock(1, 256, 256))
    assert bottleneck == parameters(FastaiResBlock(4, 64, 64))
