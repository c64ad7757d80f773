"""The offline photos: drawn the same way everywhere, varied as the docs say, and the bundled model's
record names the recipe its pretraining photos were drawn by."""

import dataclasses
import json

import numpy as np
from PIL import Image
from scipy import ndimage

from dlcourse import fashion_mnist, offline_model, photos

from support import ROOT


def lesson_items(n: int = 200):
    items, labels, indices = fashion_mnist.lesson_images()
    return items[:n], labels[:n], indices[:n]


def test_a_photo_depends_only_on_its_item_and_index():
    items, _, indices = lesson_items(3)
    first = photos.render(items[0], int(indices[0]))
    assert first.shape == (photos.LESSON.canvas, photos.LESSON.canvas, 3) and first.dtype == np.uint8
    assert np.array_equal(first, photos.render(items[0], int(indices[0])))
    assert not np.array_equal(first, photos.render(items[0], int(indices[1]))), "another index, another photo"
    assert not np.array_equal(first, photos.render(items[0], int(indices[0]), photos.PRETRAINING))
    assert np.array_equal(first[..., 0], first[..., 2]), "grey: the three channels are equal"


def test_photos_vary_in_place_size_and_background():
    items, _, indices = lesson_items()
    drawn = photos.render_all(items, indices)[..., 0].astype(float)
    # where each item sits: the brightest blob's centre of mass, over the frame
    centres = np.array([ndimage.center_of_mass(img > np.percentile(img, 80)) for img in drawn])
    assert centres.std(axis=0).min() > 2, "items are placed at many positions"
    corners = drawn[:, :4, :4].mean(axis=(1, 2))
    assert corners.std() > 15, "backgrounds differ in level"


def test_the_offline_page_shows_the_photos_the_lessons_draw():
    shown = np.asarray(Image.open(ROOT / "docs" / "assets" / "offline-photos.png").convert("RGB"))
    assert np.array_equal(shown, np.asarray(photos.sheet())), (
        "docs/assets/offline-photos.png is out of date: "
        "python -c \"from dlcourse import photos; photos.sheet().save('docs/assets/offline-photos.png')\""
    )


def test_the_bundled_model_was_pretrained_on_photos_drawn_by_the_recipe():
    record = offline_model.pretraining_record()
    recipe = json.loads(json.dumps(dataclasses.asdict(photos.PRETRAINING)))  # tuples as JSON lists
    assert record["photos"] == {"drawn_by": "dlcourse.photos.render", **recipe}
    assert record["data"]["split"] == "train"
    assert photos.PRETRAINING.seed != photos.LESSON.seed
    assert dataclasses.replace(photos.PRETRAINING, seed=photos.LESSON.seed) == photos.LESSON, (
        "the pretraining photos are drawn the same way as the lesson photos"
    )
