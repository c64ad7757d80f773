"""How the offline world's photos are drawn from Fashion-MNIST items.

Pets photos vary: the animal sits anywhere, at any size, turned a little, facing either way, in front of
a sofa or a lawn, in good light or bad. A plain 28×28 Fashion-MNIST item does none of that, so each
offline photo places one item in a scene by a fixed recipe (`render`). Its random choices come from
`numpy.random.default_rng([recipe.seed, item_index])`: the same photo on every machine and every run.

For a canvas of C pixels:

1. background: a random square crop (side C to 4C source pixels) of one of scikit-image's sample photos,
   resized to C×C, mirrored half the time, made grey, then given a random level and contrast;
2. the item: its silhouette (pixels above 10, holes filled) is padded by 4 px, turned by up to
   ±`rotate` degrees, mirrored with probability `flip`, resized to a box of `scale` × C pixels and put
   anywhere wholly inside the canvas; its greys get a random contrast and offset;
3. the item is blended onto the background through its soft silhouette;
4. lighting: the whole photo times a random brightness, plus a random shift and a little noise.

The lesson photos (`LESSON`) and the offline ImageNet the bundled model was pretrained on (`PRETRAINING`)
are drawn by this same recipe, from different items (test split vs training split).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image
from scipy import ndimage

BACKGROUNDS = ("camera", "brick", "grass", "gravel", "coins", "moon", "page", "text", "cell", "clock")


@dataclass(frozen=True)
class PhotoRecipe:
    """The ranges `render` draws from (each pair is a uniform range)."""

    canvas: int = 40  # pixels per side
    scale: tuple[float, float] = (0.6, 1.0)  # the item's box, as a share of the canvas side
    flip: float = 0.5  # probability that the item is mirrored left to right
    rotate: float = 15.0  # degrees either way
    backgrounds: tuple[str, ...] = BACKGROUNDS  # scikit-image sample photos; () for black
    background_level: tuple[float, float] = (0.05, 0.45)
    background_contrast: tuple[float, float] = (0.1, 0.4)
    item_contrast: tuple[float, float] = (0.5, 1.0)
    light: float = 0.15  # brightness times 1 ± light, shifted by up to ± light / 2
    noise: float = 0.02  # standard deviation of the added Gaussian noise
    seed: int = 0

    @property
    def tag(self) -> str:
        """A short name that changes with any setting (the folder of a recipe's photos)."""
        return f"{self.canvas}px-" + hashlib.sha256(repr(self).encode()).hexdigest()[:8]


LESSON = PhotoRecipe()
PRETRAINING = PhotoRecipe(seed=1)


@cache
def _sample_photo(name: str) -> np.ndarray:
    """A scikit-image sample photo in grey, floats in [0, 1]."""
    from skimage import data

    photo = np.asarray(getattr(data, name)(), dtype=np.float32) / 255.0
    return photo[..., :3].mean(axis=2) if photo.ndim == 3 else photo


def _resize(grey: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(grey.astype(np.float32), mode="F").resize((size, size), Image.BILINEAR))


def _rotate(grey: np.ndarray, degrees: float) -> np.ndarray:
    return np.asarray(Image.fromarray(grey.astype(np.float32), mode="F").rotate(degrees, Image.BILINEAR))


def background(recipe: PhotoRecipe, rng: np.random.Generator) -> np.ndarray:
    """A C×C grey crop of a sample photo at a random level and contrast (black when no backgrounds)."""
    size = recipe.canvas
    if not recipe.backgrounds:
        return np.zeros((size, size), np.float32)
    photo = _sample_photo(recipe.backgrounds[rng.integers(len(recipe.backgrounds))])
    height, width = photo.shape
    side = int(min(rng.uniform(size, 4 * size), height, width))
    top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
    crop = _resize(photo[top : top + side, left : left + side], size)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    scaled = (crop - crop.min()) / max(float(crop.max() - crop.min()), 1e-3)
    level, contrast = rng.uniform(*recipe.background_level), rng.uniform(*recipe.background_contrast)
    return np.clip(level + contrast * (scaled - scaled.mean()), 0, 1).astype(np.float32)


def render(item: np.ndarray, index: int, recipe: PhotoRecipe = LESSON) -> np.ndarray:
    """One RGB photo (C, C, 3) uint8 from a 28×28 uint8 item; `index` (the item's index in its split)
    picks the random choices."""
    rng = np.random.default_rng([recipe.seed, int(index)])
    size = recipe.canvas
    image = background(recipe, rng)
    grey = np.pad(item.astype(np.float32) / 255.0, 4)
    mask = np.pad(ndimage.binary_fill_holes(item > 10).astype(np.float32), 4)
    degrees = rng.uniform(-recipe.rotate, recipe.rotate)
    grey, mask = _rotate(grey, degrees), _rotate(mask, degrees)
    if rng.random() < recipe.flip:
        grey, mask = grey[:, ::-1], mask[:, ::-1]
    box = int(round(rng.uniform(*recipe.scale) * size))
    grey, mask = np.clip(_resize(grey, box), 0, 1), np.clip(_resize(mask, box), 0, 1)
    top, left = rng.integers(0, size - box + 1), rng.integers(0, size - box + 1)
    contrast = rng.uniform(*recipe.item_contrast)
    grey = rng.uniform(0, 1 - contrast) + contrast * grey
    patch = image[top : top + box, left : left + box]
    image[top : top + box, left : left + box] = mask * grey + (1 - mask) * patch
    image = image * rng.uniform(1 - recipe.light, 1 + recipe.light) + rng.uniform(
        -recipe.light / 2, recipe.light / 2
    )
    image = image + rng.normal(0, recipe.noise, image.shape)
    grey8 = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    return np.repeat(grey8[..., None], 3, axis=2)


def render_all(items: np.ndarray, indices: np.ndarray, recipe: PhotoRecipe = LESSON) -> np.ndarray:
    """`render` for each item: (N, C, C, 3) uint8."""
    return np.stack([render(item, int(i), recipe) for item, i in zip(items, indices, strict=True)])


def sheet(per_class: int = 10, scale: int = 3) -> Image.Image:
    """Lesson photos, one row per class (in class order): the first `per_class` shipped items of each,
    enlarged `scale` times (the picture on the Offline-mode page)."""
    from dlcourse import fashion_mnist

    items, labels, indices = fashion_mnist.lesson_images()
    rows = []
    for label in sorted(set(labels.tolist())):
        picked = np.flatnonzero(labels == label)[:per_class]
        rows.append(np.concatenate(list(render_all(items[picked], indices[picked])), axis=1))
    grid = Image.fromarray(np.concatenate(rows, axis=0))
    return grid.resize((grid.width * scale, grid.height * scale), Image.NEAREST)
