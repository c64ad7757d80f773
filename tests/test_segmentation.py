"""Segmentation: CamVid's layout offline, masks checked against the codes, void-excluded accuracy equal
to fastai's, and the U-Net's skip connections where fastai puts them."""

import os
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastai.callback.hook import model_sizes
from fastai.metrics import foreground_acc
from fastai.torch_core import TensorMask, set_seed
from fastai.vision.augment import Resize, aug_transforms
from fastai.vision.data import SegmentationDataLoaders
from fastai.vision.learner import unet_learner
from fastai.vision.models.unet import _get_sz_change_idxs
from PIL import Image
from sklearn.metrics import recall_score

from dlcourse import data, rehearsal
from dlcourse import segmentation as seg
from dlcourse.mode import Mode, detect_mode
from dlcourse.settings import environment
from dlcourse.train import pick_arch

OFFLINE = detect_mode("offline")
FULL = Mode("full", gpu=False, internet=False, reason="a test")
VOID = seg.CODES.index(seg.VOID)


def camvid_dataloaders(path, mode, batch_size=None):
    """Lesson 8's DataLoaders, as the notebook builds them: the codes read, every mask checked against them
    (`check_masks`), masks opened as masks, a random validation set, the mode's sizes and augmentation."""
    cfg = seg.config(mode)
    codes = seg.read_codes(path)
    fnames = seg.check_masks(path, codes)
    return SegmentationDataLoaders.from_label_func(
        path,
        fnames=fnames,
        label_func=lambda o: path / "labels" / f"{o.stem}_P{o.suffix}",
        codes=codes,
        valid_pct=cfg.valid_pct,
        seed=42,
        bs=batch_size or cfg.batch_size,
        val_bs=cfg.valid_batch_size,
        item_tfms=Resize(cfg.item_size),
        batch_tfms=aug_transforms(max_zoom=cfg.max_zoom, max_warp=cfg.max_warp),
        num_workers=cfg.num_workers,
    )


def lesson_unet(dls, mode):
    """Lesson 8's U-Net: fastai's `unet_learner` on the mode's encoder, accuracy leaving Void out; offline
    without the decoder's last block at full resolution (`last_cross`)."""
    void = seg.mask_codes(dls).index(seg.VOID)
    return unet_learner(
        dls, pick_arch(mode), metrics=partial(foreground_acc, bkg_idx=void), last_cross=not mode.offline
    )


@pytest.fixture(scope="module")
def camvid(root):
    return seg.offline_camvid()


@pytest.fixture(scope="module")
def dls(camvid):
    return camvid_dataloaders(camvid, OFFLINE)


def copy_of(camvid, dest, n=6):
    """The first `n` scenes of the offline set, with codes.txt, in a folder of their own."""
    for sub in ("images", "labels"):
        (dest / sub).mkdir(parents=True)
    for image in sorted((camvid / "images").iterdir())[:n]:
        (dest / "images" / image.name).write_bytes(image.read_bytes())
        mask = seg.mask_file(image, camvid / "labels")
        (dest / "labels" / mask.name).write_bytes(mask.read_bytes())
    (dest / "codes.txt").write_text((camvid / "codes.txt").read_text())
    return dest


# --- the offline scenes ------------------------------------------------------------------------------------


def test_the_offline_set_is_in_camvids_layout(camvid):
    assert sorted(os.listdir(camvid)) == ["codes.txt", "images", "labels"]
    images = sorted(os.listdir(camvid / "images"))
    assert len(images) == seg.OFFLINE_SCENES
    assert sorted(os.listdir(camvid / "labels")) == sorted(f"{name[:-4]}_P.png" for name in images)
    assert seg.read_codes(camvid) == list(seg.CODES)
    assert seg.CODES == ("Background", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot", "Void")
    with (
        Image.open(camvid / "images" / images[0]) as image,
        Image.open(camvid / "labels" / f"{images[0][:-4]}_P.png") as mask,
    ):
        assert (image.mode, image.size) == ("RGB", (seg.SCENE, seg.SCENE))
        assert (mask.mode, mask.size) == ("L", (seg.SCENE, seg.SCENE))


def test_the_mask_rule_on_two_overlapping_photos():
    photos = np.zeros((2, 28, 28), dtype=np.uint8)
    photos[0, 4:20, 4:20] = 200  # strong ink
    photos[0, 3, 4:20] = 50  # a faint edge
    photos[1, :, :] = 150
    labels = np.array([5, 9])  # a sandal, an ankle boot
    scene = seg.Scene("s", items=(0, 1), corners=((0, 0), (0, 14)), floor_seed=1)
    image, mask = seg.render(scene, photos, labels)
    sandal, boot = seg.CODES.index("Sandal"), seg.CODES.index("Ankle_boot")
    assert mask[10, 8] == sandal and image[10, 8] == 200  # only the sandal has ink here
    assert mask[3, 8] == VOID  # the sandal's faint edge
    assert mask[10, 16] == VOID and image[10, 16] == 200  # both photos have ink: the brighter shows
    assert mask[10, 40] == boot and mask[2, 20] == boot  # only the boot
    assert mask[40, 40] == seg.CODES.index("Background") and image[40, 40] < seg.FLOOR
    assert image.dtype == mask.dtype == np.uint8


def test_masks_follow_the_rule_on_the_lessons_scenes(camvid):
    from dlcourse import fashion_mnist

    photos, labels, _ = fashion_mnist.lesson_images()
    scenes = seg.plan_scenes(seg.OFFLINE_SCENES, len(labels))
    assert {len(s.items) for s in scenes} == {2, 3, 4}
    for s in scenes[:50]:
        image, mask = seg.render(s, photos, labels)
        np.testing.assert_array_equal(seg.open_mask(camvid / "labels" / f"{s.name}_P.png"), mask)
        saved = np.asarray(Image.open(camvid / "images" / f"{s.name}.png"))
        np.testing.assert_array_equal(saved[..., 0], image)  # PNG: lossless, grey in all three channels
        present = {seg.CLASS_CODES[int(labels[i])] for i in s.items}
        assert {seg.CODES[c] for c in np.unique(mask)} - {"Background", "Void"} <= present
        assert ((image >= seg.INK) | (mask == 0) | (mask == VOID)).all()  # a class only on strong ink


def test_the_same_seed_writes_the_same_files(tmp_path):
    a, b = seg.write_scenes(tmp_path / "a", n=5), seg.write_scenes(tmp_path / "b", n=5)
    for sub in ("images", "labels"):
        for name in os.listdir(a / sub):
            assert (a / sub / name).read_bytes() == (b / sub / name).read_bytes()


def test_the_commonest_class_is_what_a_lazy_model_would_score(camvid):
    shares = seg.pixel_shares(camvid)
    masks = np.stack([seg.open_mask(f) for f in (camvid / "labels").iterdir()])
    assert shares.pixels.sum() == masks.size
    assert shares.set_index("class").pixels.to_dict() == {
        c: int((masks == i).sum()) for i, c in enumerate(seg.CODES)
    }
    assert shares["share without Void"].sum() == pytest.approx(1)
    always_background = np.zeros((masks.shape[0], len(seg.CODES), *masks.shape[1:]))
    always_background[:, 0] = 1
    assert seg.void_excluded_accuracy(always_background, masks, VOID) == pytest.approx(
        shares["share without Void"].iloc[0]
    )


# --- reading the layout, and the errors it names -----------------------------------------------------------


def test_a_batch_holds_images_and_masks_of_class_indices(dls):
    x, y = dls.one_batch()
    assert x.shape == (8, 3, seg.SCENE, seg.SCENE) and y.shape == (8, seg.SCENE, seg.SCENE)
    assert isinstance(y, TensorMask) and y.dtype == torch.int64
    assert int(y.max()) < len(seg.CODES), "augmenting a mask keeps its values (nearest, not a blend)"
    assert seg.mask_codes(dls) == list(seg.CODES)
    assert (len(dls.train_ds), len(dls.valid_ds)) == (480, 120)
    image = dls.valid_ds.items[0]
    mask = seg.open_mask(seg.mask_file(image, image.parents[1] / "labels"))
    np.testing.assert_array_equal(dls.valid_ds[0][1], mask)  # each image with its own mask


def test_a_mask_value_outside_the_codes_is_named_before_training(camvid, tmp_path):
    folder = copy_of(camvid, tmp_path / "camvid")
    bad = sorted((folder / "labels").iterdir())[2]
    mask = seg.open_mask(bad).copy()
    mask[5, 5] = 9
    Image.fromarray(mask).save(bad)
    with pytest.raises(
        data.DataError, match=rf"{bad.name} has pixel value\(s\) 9, but codes.txt lists 7 classes \(0 to 6\)"
    ):
        seg.check_masks(folder, seg.read_codes(folder))
    # without the check, the loss is where it fails: on a CPU this error, on a GPU a device-side assert
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(torch.zeros(1, 7, 2, 2), torch.tensor([[[0, 9], [0, 0]]]))


def test_missing_masks_colour_masks_and_no_codes_are_named(camvid, tmp_path):
    folder = copy_of(camvid, tmp_path / "camvid")
    first = sorted((folder / "labels").iterdir())[0]
    Image.open(first).convert("RGB").save(first)
    with pytest.raises(data.DataError, match=f"{first.name} is a RGB image: a mask holds one class index"):
        seg.check_masks(folder)
    indices = seg.open_mask(sorted((camvid / "labels").iterdir())[0])
    palette = Image.fromarray(indices, mode="L").convert("P")
    palette.putpalette([v for i in range(256) for v in ((i * 40) % 256, (i * 90) % 256, 255 - i)])
    palette.save(first)
    from fastai.vision.core import PILMask

    assert not np.array_equal(np.asarray(PILMask.create(first)), np.asarray(Image.open(first)))  # why
    with pytest.raises(data.DataError, match=f"{first.name} is a palette image .*reads masks as greyscale"):
        seg.check_masks(folder)
    first.unlink()
    with pytest.raises(data.DataError, match=rf"1 image\(s\) have no mask .* needs {first.name}"):
        seg.check_masks(folder)
    (folder / "codes.txt").unlink()
    with pytest.raises(data.DataError, match="no codes.txt in"):
        seg.read_codes(folder)


def test_full_mode_reads_camvids_sample_where_fastai_extracts_it(tmp_path, monkeypatch):
    env = {"FASTAI_HOME": str(tmp_path / "fastai")}
    monkeypatch.setattr(data, "has_internet", lambda timeout_s=3.0: pytest.fail("tried the network"))
    with environment(env):
        folder = rehearsal.install_camvid(n=4, width=96, height=72)
        assert seg.camvid_path(FULL) == folder == tmp_path / "fastai" / "data" / "camvid_tiny"
        assert seg.read_codes(folder) == rehearsal.CAMVID_CODES and len(rehearsal.CAMVID_CODES) == 32
        dls = camvid_dataloaders(folder, FULL, batch_size=2)
        x, y = dls.one_batch()
        assert x.shape == (2, 3, 360, 480) and y.shape == (2, 360, 480)  # fastai's CamVid lesson: half size


# --- accuracy without Void ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_void_excluded_accuracy_equals_fastais_foreground_acc(seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(4, 7, 9, 11, generator=g)
    targets = torch.randint(0, 7, (4, 9, 11), generator=g)
    expected = foreground_acc(logits, TensorMask(targets), bkg_idx=VOID).item()
    assert seg.void_excluded_accuracy(logits, targets, VOID) == pytest.approx(expected, abs=1e-7)
    lessons_metric = partial(foreground_acc, bkg_idx=list(seg.CODES).index("Void"))  # as lesson 8 builds it
    by_hand = seg.void_excluded_accuracy(logits, targets, VOID)
    assert lessons_metric(logits, TensorMask(targets)).item() == pytest.approx(by_hand, abs=1e-7)
    keep = targets != VOID
    assert by_hand == pytest.approx(float((logits.argmax(1)[keep] == targets[keep]).float().mean()), abs=1e-7)
    other = logits.clone()
    void = (targets == VOID).unsqueeze(1).expand_as(other)
    other[void] = torch.randn(int(void.sum()), generator=g) * 10  # any answer at the Void pixels
    assert seg.void_excluded_accuracy(other, targets, VOID) == seg.void_excluded_accuracy(
        logits, targets, VOID
    )


def test_per_class_accuracy_is_sklearns_recall(dls):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 7, 8, 8, generator=g)
    targets = torch.randint(0, 7, (3, 8, 8), generator=g)
    table = seg.per_class_accuracy(logits, targets, list(seg.CODES))
    expected = recall_score(targets.ravel(), logits.argmax(1).ravel(), average=None, labels=range(7))
    np.testing.assert_allclose(table["predicted right"], expected)
    assert table.pixels.tolist() == [int((targets == i).sum()) for i in range(7)]


# --- the U-Net ---------------------------------------------------------------------------------------------


def test_the_unet_skips_where_fastai_does_and_gives_a_class_score_per_pixel(dls):
    torch.manual_seed(0)
    learn = lesson_unet(dls, OFFLINE)
    table = seg.unet_shapes(learn)
    encoder = learn.model[0]
    expected = _get_sz_change_idxs(model_sizes(encoder, size=(seg.SCENE, seg.SCENE)))
    skips = table[table["skip to the decoder"]].index.tolist()
    assert skips == sorted(int(i) for i in expected)
    assert table["output shape"].iloc[-1] == (len(seg.CODES), seg.SCENE, seg.SCENE)
    assert (table.part == "encoder").sum() == len(encoder)
    assert type(learn.loss_func).__name__ == "CrossEntropyLossFlat"
    assert learn.loss_func.axis == 1, "cross-entropy over the class axis at every pixel"
    xb, yb = dls.valid.one_batch()
    with torch.no_grad():
        logits = learn.model.eval()(xb)
    (metric,) = learn.metrics
    assert metric.name == "foreground_acc"
    by_hand = seg.void_excluded_accuracy(logits, yb, VOID)
    assert metric.func(logits, yb).item() == pytest.approx(by_hand, abs=1e-6)


@pytest.mark.slow
def test_a_short_training_beats_the_commonest_class(dls, camvid):
    set_seed(0)
    learn = lesson_unet(dls, OFFLINE)
    learn.fine_tune(2, 1e-2)
    logits, targets = learn.get_preds()
    accuracy = seg.void_excluded_accuracy(logits, targets, VOID)
    baseline = seg.pixel_shares(camvid)["share without Void"].max()
    print(f"void-excluded accuracy {accuracy:.4f}, always background {baseline:.4f}")
    assert accuracy > baseline + 0.03
    table = seg.per_class_accuracy(logits, targets, list(seg.CODES))
    assert (table["predicted right"].iloc[1:-1] > 0).all(), "every clothing class is found somewhere"


def test_masks_draw_one_colour_per_class_even_for_camvids_32():
    from dlcourse.plots import show_masks

    codes = rehearsal.CAMVID_CODES
    mask = np.arange(len(codes), dtype=np.int64).reshape(4, 8)
    fig = show_masks([{"mask": mask}], codes)
    colours = fig.axes[0].images[0].cmap.colors
    assert len({tuple(c) for c in colours}) == len(codes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == codes
