"""Lesson 10's exercises: the centre square a page cuts from a photo, and the pixels the ONNX file takes.
References: fastai's `Resize` (as on a validation image), `ToTensor` and `IntToFloatTensor`."""

from __future__ import annotations

import numpy as np
from PIL import Image

from dlcourse.exercises.core import Case, Exercise, Mistake, as_array, compare_values, is_numeric


def _photo(height: int, width: int, seed: int) -> Image.Image:
    """A colour photo of smooth gradients and some noise, so that every way of resampling it shows."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    base = np.stack(
        [rows * 255 / max(height - 1, 1), cols * 255 / max(width - 1, 1), (rows + cols) % 32 * 8], -1
    )
    pixels = np.clip(base + rng.normal(0, 20, size=base.shape), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB")


# --- the centre square -------------------------------------------------------------------------------------


def _fastai_centre_square(photo: Image.Image, size: int) -> np.ndarray:
    from fastai.vision.augment import Resize
    from fastai.vision.core import PILImage

    return np.asarray(Resize(size)(PILImage.create(photo), split_idx=1))  # split_idx=1: a validation image


def _compare_images(expected, received, rtol: float, atol: float) -> str:
    """As `compare_values`, reading a PIL image as its array of pixels."""
    if isinstance(received, Image.Image):
        received = np.asarray(received)
    return compare_values(expected, received, rtol, atol)


def _square_cases() -> list[Case]:
    return [
        Case("a landscape 9×6 photo (width × height) to 4×4", (_photo(6, 9, 1), 4)),
        Case("a portrait 5×8 photo to 5×5: the square is 5×5, nothing to scale", (_photo(8, 5, 2), 5)),
        Case("a landscape 13×10 photo: 3 columns to drop, 1 on the left", (_photo(10, 13, 3), 6)),
        Case("a square 12×12 photo to 40×40, the classify page's size: scaled up", (_photo(12, 12, 4), 40)),
        Case("a 64×48 photo to 40×40", (_photo(48, 64, 5), 40)),
        Case("a portrait 30×57 photo to 16×16", (_photo(57, 30, 6), 16)),
    ]


CENTRE_SQUARE = Exercise(
    id="10.centre_square",
    title="The centre square of a photo",
    function="centre_square",
    prompt=(
        "Before a photo reaches the model, the classify page cuts out its centre square and scales it to "
        "the model's size; fastai's `Resize(size)` does the same to every validation image. Write "
        "`centre_square(photo, size)`: `photo` is a PIL image in RGB of any width w and height h "
        "(`photo.size` is `(w, h)`), `size` an int. Cut out the largest square in the middle: its side "
        "is the shorter of w and h (fastai works it out in floating point, which for a few sizes makes "
        "it one pixel shorter; the photos here avoid those), its left edge at `(w - side) // 2` and its "
        "top edge at "
        "`(h - side) // 2` (rounded down when the leftover is odd). Then scale that square to `size` × "
        "`size` pixels with Pillow's bilinear resampling, as fastai does. Return the result as a NumPy "
        "array of shape (`size`, `size`, 3) of `uint8` (a PIL image is accepted too). The check compares "
        "it, pixel for pixel, with `Resize(size)` applied to the photo as a validation image "
        "(`split_idx=1`)."
    ),
    starter='''def centre_square(photo, size):
    """photo: a PIL image (w, h). Its centre square, scaled to (size, size) with bilinear resampling."""
    raise NotImplementedError
''',
    solution='''import numpy as np
from PIL import Image


def centre_square(photo, size):
    """photo: a PIL image (w, h). Its centre square, scaled to (size, size) with bilinear resampling."""
    w, h = photo.size  # PIL gives (width, height), NumPy's shape is (height, width, 3)
    side = min(w, h)  # the largest square that fits
    left, top = (w - side) // 2, (h - side) // 2  # centred; an odd leftover rounds down
    square = photo.crop((left, top, left + side, top + side))  # a box is (left, top, right, bottom)
    scaled = square.resize((size, size), Image.BILINEAR)  # name the resampling: the default is bicubic
    return np.asarray(scaled)
''',
    hints=(
        "`w, h = photo.size`, and the square's side is `min(w, h)`. Only one of the two leftovers, "
        "`w - side` or `h - side`, is more than 0: split it in two, rounding down on the left or top.",
        "`photo.crop(box)` takes `box = (left, top, right, bottom)`, where right = left + side and bottom "
        "= top + side. A box that reaches outside the photo does not fail: it fills the outside with "
        "black, so check which of w and h is which.",
        "`photo.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR)`, then "
        "`np.asarray` of it. Without `Image.BILINEAR`, `resize` uses bicubic resampling and the pixels "
        "differ slightly.",
    ),
    reference=_fastai_centre_square,
    cases=_square_cases,
    mistakes=(
        Mistake(
            "You scaled the whole photo to a square, which squashes it. fastai's `Resize` (and the page) "
            "first cuts out the centre square, so the shapes keep their proportions; the edges of the "
            "longer side are lost.",
            """import numpy as np
from PIL import Image
def centre_square(photo, size):
    return np.asarray(photo.resize((size, size), Image.BILINEAR))
""",
        ),
        Mistake(
            "Your square is not in the middle: part of it is black, or it starts at the wrong side. "
            "`photo.size` is `(width, height)`, not `(height, width)`; the left edge comes from the width "
            "and the top edge from the height.",
            """import numpy as np
from PIL import Image
def centre_square(photo, size):
    h, w = photo.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return np.asarray(photo.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR))
""",
        ),
        Mistake(
            "Your square is one pixel off when the leftover is odd. fastai rounds the offset down: "
            "`(w - side) // 2`. Python's `round` rounds halves to the even number, so sometimes up.",
            """import numpy as np
from PIL import Image
def centre_square(photo, size):
    w, h = photo.size
    side = min(w, h)
    left, top = round((w - side) / 2), round((h - side) / 2)
    return np.asarray(photo.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR))
""",
        ),
        Mistake(
            "The square is right but its pixels differ a little: `resize` without a resampling filter "
            "uses bicubic. fastai's `Resize` uses bilinear: `resize((size, size), Image.BILINEAR)`.",
            """import numpy as np
def centre_square(photo, size):
    w, h = photo.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    return np.asarray(photo.crop((left, top, left + side, top + side)).resize((size, size)))
""",
        ),
    ),
    atol=0,
    rtol=0,
    compare=_compare_images,
)


# --- the pixels for the ONNX file --------------------------------------------------------------------------


def _fastai_page_pixels(image: np.ndarray) -> np.ndarray:
    """What fastai's pipeline makes of an image before `Normalize`: `ToTensor` (channels first), a batch of
    one, and `IntToFloatTensor` (divide by 255). The exported ONNX file does the rest."""
    import torch
    from fastai.data.transforms import IntToFloatTensor, ToTensor
    from fastai.vision.core import PILImage

    batch = ToTensor()(PILImage.create(image))[None]
    return IntToFloatTensor()(batch).as_subclass(torch.Tensor).numpy()


def _compare_pixels(expected, received, rtol: float, atol: float) -> str:
    """As `compare_values`, and the number type must be the same: ONNX Runtime takes float32 only."""
    problem = compare_values(expected, received, rtol, atol)
    if problem or not (is_numeric(expected) and is_numeric(received)):
        return problem
    want, got = as_array(expected).dtype, as_array(received).dtype
    if want != got:
        return f"  expected numbers of type {want}\n  received numbers of type {got} (the values agree)\n"
    return ""


def _pixel_cases() -> list[Case]:
    rng = np.random.default_rng(10)
    tiny = np.arange(18, dtype=np.uint8).reshape(2, 3, 3) * 15
    return [
        Case("a 2×3 image whose pixels are all different", (tiny,)),
        Case(
            "a 1×2 image: one black and one white pixel",
            (np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8),),
        ),
        Case("a pure red 4×4 image", (np.tile(np.array([255, 0, 0], np.uint8), (4, 4, 1)),)),
        Case(
            "a random 40×40 photo, the classify page's size", (rng.integers(0, 256, (40, 40, 3), np.uint8),)
        ),
        Case("a random 5×7 photo: not square", (rng.integers(0, 256, (5, 7, 3), np.uint8),)),
    ]


PAGE_PIXELS = Exercise(
    id="10.page_pixels",
    title="The pixels the ONNX file takes",
    function="page_pixels",
    prompt=(
        "The exported ONNX file holds fastai's `Normalize`, the network and softmax, so a page only has "
        "to hand it the photo's pixels in the right form. Write `page_pixels(image)`: `image` is a NumPy "
        "array of shape (H, W, 3) and type `uint8`, the red, green and blue values (0 to 255) of a photo "
        "already cut and scaled to the model's size. Return what the file's input `pixels` takes: a "
        "NumPy array of shape (1, 3, H, W) (a batch of one image, the colour channels first) of type "
        "`float32`, each value divided by 255 so that it lies between 0 and 1. Do not normalise: the file "
        "does that itself. The check compares your array, values and type, with what fastai makes of the "
        "image before `Normalize`: `ToTensor` (channels first), a batch of one, and `IntToFloatTensor` "
        "(divide by 255)."
    ),
    starter='''def page_pixels(image):
    """image: (H, W, 3) uint8. The ONNX file's input: (1, 3, H, W) float32 values between 0 and 1."""
    raise NotImplementedError
''',
    solution='''import numpy as np


def page_pixels(image):
    """image: (H, W, 3) uint8. The ONNX file's input: (1, 3, H, W) float32 values between 0 and 1."""
    channels_first = image.transpose(2, 0, 1)  # (H, W, 3) -> (3, H, W): move the axes, keep each pixel whole
    scaled = channels_first.astype(np.float32) / 255  # 0-255 -> 0-1, in the float32 ONNX Runtime expects
    return scaled[None]  # a batch of one image: (1, 3, H, W)
''',
    hints=(
        "Three things change: the axes (channels first), the numbers (0 to 1 instead of 0 to 255, as "
        "`float32`) and a new first axis for the batch. Nothing else: the model file normalises.",
        "Move the channel axis with `transpose`, which keeps every pixel's three values together. "
        "`reshape` to (3, H, W) gives the right shape with the numbers in the wrong places.",
        "`image.transpose(2, 0, 1).astype(np.float32)[None] / 255` (dividing a `float32` array by 255 "
        "keeps it `float32`; dividing the `uint8` array first would give `float64`).",
    ),
    reference=_fastai_page_pixels,
    cases=_pixel_cases,
    mistakes=(
        Mistake(
            "Your values go up to 255. The file expects each value divided by 255, between 0 and 1, as "
            "fastai's `IntToFloatTensor` does before `Normalize`.",
            """import numpy as np
def page_pixels(image):
    return image.transpose(2, 0, 1)[None].astype(np.float32)
""",
        ),
        Mistake(
            "The shape is right but the numbers are in the wrong places: `reshape` reads the values in "
            "memory order, where each pixel's red, green and blue follow each other. Move the channel axis "
            "with `image.transpose(2, 0, 1)` instead.",
            """import numpy as np
def page_pixels(image):
    h, w, _ = image.shape
    return (image.reshape(1, 3, h, w) / 255).astype(np.float32)
""",
        ),
        Mistake(
            "You normalised the pixels with ImageNet's mean and standard deviation. The ONNX file starts "
            "with fastai's `Normalize` step itself, so this normalises twice: give it the values divided "
            "by 255 and nothing more.",
            """import numpy as np
def page_pixels(image):
    mean = np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
    return ((image.transpose(2, 0, 1)[None] / 255 - mean) / std).astype(np.float32)
""",
        ),
        Mistake(
            "The values are right but they are `float64`: dividing a `uint8` array by 255 gives 64-bit "
            "numbers, and ONNX Runtime refuses them for a `float32` input. Convert with "
            "`.astype(np.float32)`.",
            """def page_pixels(image):
    return image.transpose(2, 0, 1)[None] / 255
""",
        ),
        Mistake(
            "Your array has the colour channels last, (1, H, W, 3), as images are stored. The file takes "
            "them first, (1, 3, H, W), as PyTorch's layers do: `image.transpose(2, 0, 1)`.",
            """import numpy as np
def page_pixels(image):
    return (image[None] / 255).astype(np.float32)
""",
        ),
    ),
    rtol=0,
    atol=1e-7,
    compare=_compare_pixels,
)

EXERCISES = [CENTRE_SQUARE, PAGE_PIXELS]
