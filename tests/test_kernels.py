"""The hand-written convolutions equal torch's conv2d and scipy's correlate2d."""

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse import kernels as K

IMPLEMENTATIONS = [K.conv2d_loop, K.conv2d_im2col]


@st.composite
def conv_cases(draw):
    """A random image (C, H, W), bank (K, C, kh, kw), stride and padding that fit together."""
    channels, n_kernels = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    padding, stride = draw(st.integers(0, 2)), draw(st.integers(1, 3))
    h = draw(st.integers(max(1, kh - 2 * padding), 12))
    w = draw(st.integers(max(1, kw - 2 * padding), 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    image = rng.standard_normal((channels, h, w))
    bank = rng.standard_normal((n_kernels, channels, kh, kw))
    return image, bank, stride, padding


def torch_conv(image, bank, stride, padding):
    out = F.conv2d(torch.from_numpy(image)[None], torch.from_numpy(bank), stride=stride, padding=padding)
    return out[0].numpy()


def scipy_conv(image, bank, stride, padding):
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    maps = []
    for kern in bank:
        full = sum(
            scipy.signal.correlate2d(ch, kc, mode="valid") for ch, kc in zip(padded, kern, strict=True)
        )
        maps.append(full[::stride, ::stride])
    return np.stack(maps)


@pytest.mark.parametrize("conv", IMPLEMENTATIONS)
@settings(max_examples=150, deadline=None)
@given(case=conv_cases())
def test_equals_torch_and_scipy(conv, case):
    image, bank, stride, padding = case
    ours = conv(image, bank, stride=stride, padding=padding)
    np.testing.assert_allclose(ours, torch_conv(image, bank, stride, padding), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(ours, scipy_conv(image, bank, stride, padding), atol=1e-5, rtol=1e-5)
    assert ours.shape[1:] == (
        K.output_size(image.shape[1], bank.shape[2], padding, stride),
        K.output_size(image.shape[2], bank.shape[3], padding, stride),
    )


@pytest.mark.parametrize("conv", IMPLEMENTATIONS)
def test_single_kernel_shapes_give_a_single_map(conv):
    rng = np.random.default_rng(1)
    gray, rgb = rng.random((9, 7)), rng.random((3, 9, 7))
    out_2d = conv(gray, K.kernel("sobel x"), padding=1)
    out_3d = conv(rgb, np.stack([K.kernel("sharpen")] * 3))
    assert out_2d.shape == (9, 7) and out_3d.shape == (7, 5)
    np.testing.assert_allclose(out_2d, scipy.signal.correlate2d(gray, K.kernel("sobel x"), mode="same"))


def test_named_kernels_do_what_their_names_say():
    rng = np.random.default_rng(2)
    img = rng.random((10, 10))
    assert set(K.KERNEL_NAMES) == {
        "identity",
        "box blur",
        "gaussian blur",
        "sharpen",
        "outline",
        "sobel x",
        "sobel y",
        "emboss",
    }
    np.testing.assert_allclose(K.conv2d_im2col(img, K.kernel("identity"), padding=1), img)
    flat = np.ones((6, 6))
    for name in ("box blur", "gaussian blur", "sharpen"):  # weights sum to one: flat stays flat
        np.testing.assert_allclose(K.conv2d_im2col(flat, K.kernel(name)), 1.0)
    for name in ("outline", "sobel x", "sobel y"):  # no response where nothing changes
        np.testing.assert_allclose(K.conv2d_im2col(flat, K.kernel(name)), 0.0, atol=1e-12)
    ramp = np.tile(np.arange(6.0), (6, 1))  # brighter to the right
    assert (K.conv2d_im2col(ramp, K.kernel("sobel x")) > 0).all()
    np.testing.assert_allclose(K.conv2d_im2col(ramp, K.kernel("sobel y")), 0.0, atol=1e-12)
    k = K.kernel("sharpen")
    k[1, 1] = 100
    assert K.kernel("sharpen")[1, 1] == 5, "kernel() must hand out copies"
    with pytest.raises(KeyError, match="choose one of"):
        K.kernel("blurry")


def test_output_size_formula():
    assert K.output_size(7, 3) == 5
    assert K.output_size(7, 3, padding=1) == 7
    assert K.output_size(8, 3, padding=1, stride=2) == 4
    assert K.output_size(224, 7, padding=3, stride=2) == 112
    with pytest.raises(K.ConvShapeError, match="larger than the padded input"):
        K.output_size(2, 5, padding=1)
    for n, k, name in ((5, 0, "kernel size"), (0, 1, "input size"), (5, 2.5, "kernel size")):
        with pytest.raises(K.ConvShapeError, match=f"{name} must be a whole number >= 1"):
            K.output_size(n, k)
    with pytest.raises(RuntimeError):  # torch refuses a kernel of size 0 too
        torch.nn.functional.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 0, 1))


def test_worked_sum_shows_every_term_and_the_total():
    text = K.worked_sum(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1, 0], [0, -1]]))
    assert text == "(1×1.00) + (0×2.00) + (0×3.00) + (-1×4.00) = -3.00"


def test_relu_removes_negatives_only():
    x = np.array([-2.0, -0.0, 0.5, 3.0])
    np.testing.assert_array_equal(K.relu(x), [0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(K.relu(x), torch.relu(torch.from_numpy(x)).numpy())


@pytest.mark.parametrize("conv", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    ("image", "kernels", "kwargs", "message"),
    [
        (np.zeros((4, 4)), np.zeros((5, 5)), {}, r"kernel 5x5 is larger than the padded image 4x4"),
        (np.zeros((2, 2)), np.zeros((5, 5)), {"padding": 1}, r"padded image 4x4 .*more padding"),
        (np.zeros((3, 8, 8)), np.zeros((2, 3, 3)), {}, r"kernels have 2 channel\(s\) but the image has 3"),
        (np.zeros(8), np.zeros((3, 3)), {}, r"image must be \(H, W\) or \(C, H, W\)"),
        (np.zeros((8, 8)), np.zeros((1, 1, 1, 3, 3)), {}, r"kernels must be \(kh, kw\)"),
        (np.zeros((8, 8)), np.zeros((3, 3)), {"stride": 0}, r"stride must be a whole number >= 1"),
        (np.zeros((8, 8)), np.zeros((3, 3)), {"padding": -1}, r"padding must be a whole number >= 0"),
        (np.zeros((8, 8)), np.zeros((3, 3)), {"stride": 1.5}, r"stride must be a whole number"),
        (np.array([["a"]]), np.zeros((1, 1)), {}, r"image must hold real numbers"),
        (np.zeros((0, 4)), np.zeros((1, 1)), {}, r"image of shape \(1, 0, 4\) has an axis of size 0"),
        (np.zeros((4, 4)), np.zeros((3, 0)), {}, r"kernels of shape \(1, 1, 3, 0\) has an axis of size 0"),
        (np.zeros((4, 4)), [[1, 2], [3]], {}, r"kernels has rows of different lengths"),
        ([[1, 2, 3], [4]], np.ones((1, 1)), {}, r"image has rows of different lengths"),
    ],
)
def test_bad_input_gets_a_clear_error(conv, image, kernels, kwargs, message):
    with pytest.raises(K.ConvShapeError, match=message):
        conv(image, kernels, **kwargs)
