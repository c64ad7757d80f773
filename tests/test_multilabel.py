"""Multi-label groundwork: Planet's layout offline, fastai reading it, and the loss and metrics by hand,
each checked against torch, fastai and sklearn."""

import os
import subprocess
import sys
import warnings
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from fastai.data.block import DataBlock, MultiCategoryBlock
from fastai.data.transforms import ColReader, RandomSplitter
from fastai.metrics import FBetaMulti
from fastai.metrics import accuracy_multi as fastai_accuracy_multi
from fastai.vision.augment import Resize, aug_transforms
from fastai.vision.data import ImageBlock
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import fbeta_score

from dlcourse import data, fashion_mnist
from dlcourse import multilabel as ml
from dlcourse.mode import Mode, detect_mode
from dlcourse.settings import TABLE, environment

OFFLINE = detect_mode("offline")
FULL = Mode("full", gpu=False, internet=False, reason="a test")
TAGS = {*ml.TAG_NAMES.values(), ml.EMPTY_TAG}
CASES = settings(max_examples=60, deadline=None)


def planet_dataloaders(path, mode, seed=42, batch_size=None):
    """Lesson 7's DataLoaders, as the notebook builds them: labels.csv read and checked, one-hot targets over
    the tags' vocabulary (sorted), a random validation set (`seed`), the mode's sizes and augmentation."""
    cfg = ml.config(mode)
    df = ml.read_labels(path)
    bs = batch_size or cfg.batch_size
    block = DataBlock(
        blocks=(ImageBlock, MultiCategoryBlock),
        get_x=ColReader("image_name", pref=f"{path}/train/", suff=".jpg"),
        get_y=ColReader("tags", label_delim=" "),
        splitter=RandomSplitter(valid_pct=cfg.valid_pct, seed=seed),
        item_tfms=Resize(cfg.item_size),
        batch_tfms=aug_transforms(
            size=cfg.size, min_scale=cfg.min_scale, flip_vert=cfg.flip_vert, max_warp=cfg.max_warp
        ),
    )
    return block.dataloaders(
        df, path=path, bs=bs, val_bs=cfg.valid_batch_size or bs, num_workers=cfg.num_workers
    )


@pytest.fixture(scope="module")
def planet(root):
    return ml.offline_planet()


@pytest.fixture(scope="module")
def dls(planet):
    return planet_dataloaders(planet, OFFLINE)


@pytest.fixture(scope="module")
def lesson():
    photos, labels, _ = fashion_mnist.lesson_images()
    return photos, labels, ml.plan_mosaics(ml.OFFLINE_MOSAICS, len(labels))


# --- the offline data set ----------------------------------------------------------------------------------


def test_the_offline_set_is_in_planets_layout(planet):
    df = pd.read_csv(planet / "labels.csv")  # as the lesson reads Planet's
    assert list(df.columns) == ["image_name", "tags"] and len(df) == ml.OFFLINE_MOSAICS
    assert df.tags.notna().all(), "every image has a tag: pandas reads an empty one as NaN"
    assert sorted(os.listdir(planet)) == ["labels.csv", "train"]
    assert set(os.listdir(planet / "train")) == {f"{name}.jpg" for name in df.image_name}
    tags = df.tags.str.split(" ")
    assert set(tags.explode()) == TAGS == {"ankle-boot", "bag", "sandal", "shirt", "sneaker", "empty"}
    assert all(t == sorted(set(t)) for t in tags), "each image's tags, once each, sorted"
    assert all(t == ["empty"] for t in tags if "empty" in t), "empty stands alone"
    with Image.open(planet / "train" / "train_0.jpg") as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (56, 56))


def test_each_mosaic_shows_the_photos_its_tags_name(planet, lesson):
    photos, labels, plans = lesson
    df = pd.read_csv(planet / "labels.csv")
    assert df.tags.tolist() == [m.tags(labels) for m in plans]
    assert {len(m.cells) for m in plans} == {0, 1, 2, 3, 4}
    for m in plans[:100]:
        classes = {ml.TAG_NAMES[int(labels[i])] for i in m.items}
        assert m.tags(labels).split(" ") == sorted(classes or {"empty"})
        canvas = ml.render(m, photos)
        with Image.open(planet / "train" / f"{m.name}.jpg") as image:
            decoded = np.asarray(image).astype(int)
        assert np.abs(decoded - canvas[..., None]).mean() < 2, "JPEG costs a few grey levels at most"
        for cell in range(4):
            row, col = divmod(cell, 2)
            window = (slice(row * 28, row * 28 + 28), slice(col * 28, col * 28 + 28))
            if cell in m.cells:
                np.testing.assert_array_equal(canvas[window], photos[m.items[m.cells.index(cell)]])
            else:
                assert not canvas[window].any() and decoded[window].mean() < 1, "an empty cell is black"


def test_the_same_seed_writes_the_same_files(tmp_path):
    a, b = ml.write_mosaics(tmp_path / "a", n=30), ml.write_mosaics(tmp_path / "b", n=30)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 31
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    other = ml.write_mosaics(tmp_path / "c", n=30, seed=1)
    assert (other / "labels.csv").read_text() != (a / "labels.csv").read_text()
    assert ml.plan_mosaics(30, 5000) == ml.plan_mosaics(30, 5000) != ml.plan_mosaics(30, 5000, seed=1)


def test_an_empty_tags_cell_would_break_fastais_reader(tmp_path):
    from fastai.data.transforms import ColReader

    (tmp_path / "labels.csv").write_text("image_name,tags\ntrain_0,\ntrain_1,bag\n")
    row = pd.read_csv(tmp_path / "labels.csv").iloc[0]
    assert pd.isna(row.tags)
    with pytest.raises(TypeError):
        ColReader("tags", label_delim=" ")(row)


RACE = """
import sys
from pathlib import Path
from PIL import Image
from dlcourse import multilabel

me, other = Path(sys.argv[1]), Path(sys.argv[2])

def read_all(folder):
    files = sorted((folder / "train").glob("*.jpg"))
    assert len(files) == multilabel.OFFLINE_MOSAICS, len(files)
    for f in files[::10]:
        Image.open(f).load()
    assert (folder / "labels.csv").read_text().count("\\n") == len(files) + 1

try:
    folder = multilabel.offline_planet()
    read_all(folder)
finally:
    me.touch()
while not other.exists():
    read_all(folder)
read_all(folder)
"""


def race(root) -> list[str]:
    env = {**os.environ, "DLCOURSE_DATA": str(root)}
    a, b = root / "a.done", root / "b.done"
    procs = [
        subprocess.Popen([sys.executable, "-c", RACE, str(me), str(other)], env=env, stderr=subprocess.PIPE)
        for me, other in ((a, b), (b, a))
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    return [err.strip().splitlines()[-1] for p, err in zip(procs, errors, strict=True) if p.returncode]


def test_two_processes_preparing_at_once_keep_a_complete_copy_and_replace_a_damaged_one(tmp_path):
    assert race(tmp_path) == []
    folder = tmp_path / "fashion-mosaics"
    assert not list(tmp_path.glob(".fashion-mosaics.tmp-*")), "no temporary folder left behind"
    inode = folder.stat().st_ino
    (tmp_path / "a.done").unlink()
    (tmp_path / "b.done").unlink()
    assert race(tmp_path) == [] and folder.stat().st_ino == inode, "the complete copy was used"

    victim = folder / "train" / "train_7.jpg"
    victim.unlink()
    leftover = tmp_path / ".fashion-mosaics.tmp-killed"
    leftover.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DLCOURSE_DATA", str(tmp_path))
        assert ml.offline_planet() == folder and victim.exists() and not leftover.exists()
        (folder / "labels.csv").write_text((folder / "labels.csv").read_text().replace("bag", "shirt"))
        ml.offline_planet()
    assert "bag" in (folder / "labels.csv").read_text(), "altered labels are rewritten"


# --- where the data comes from -----------------------------------------------------------------------------


def test_offline_mode_uses_the_mosaics(planet):
    assert ml.planet_path(OFFLINE) == planet


def test_full_mode_finds_planet_where_fastai_extracts_it_without_the_network(tmp_path, monkeypatch):
    from fastai.data.external import URLs, untar_data

    def no_network(*args, **kwargs):
        raise AssertionError("full mode tried the network although the data is in place")

    monkeypatch.setattr(data, "has_internet", no_network)
    with environment({"FASTAI_HOME": str(tmp_path)}):
        ml.write_mosaics(data.untar_data_path(URLs.PLANET_SAMPLE), n=40)  # a stand-in, as a rehearsal would
        path = ml.planet_path(FULL)
        assert path == untar_data(URLs.PLANET_SAMPLE) == tmp_path / "data" / "planet_sample"
        dls = planet_dataloaders(path, FULL, batch_size=4)
    x, y = dls.train.one_batch()
    assert x.shape == (4, 3, 224, 224) and y.shape == (4, len(dls.vocab))


def test_a_folder_without_labels_or_images_is_named(tmp_path):
    with pytest.raises(data.DataError, match="no labels.csv in"):
        ml.read_labels(tmp_path)
    folder = ml.write_mosaics(tmp_path / "planet", n=12)
    pd.testing.assert_frame_equal(ml.read_labels(folder), pd.read_csv(folder / "labels.csv"))
    for i in range(7):
        (folder / "train" / f"train_{i}.jpg").unlink()
    with pytest.raises(data.DataError, match=r"7 image\(s\) named in .*labels.csv are not in .*train: "):
        ml.read_labels(folder)
    with pytest.raises(data.DataError, match=r"7 image\(s\) named"):
        planet_dataloaders(folder, OFFLINE)  # the lesson's loaders read labels.csv through the check


def test_only_full_mode_crops_and_flips_vertically(dls, planet):
    from fastai.vision.augment import Dihedral, Flip, RandomResizedCropGPU

    full = planet_dataloaders(planet, FULL)
    kinds = [{type(t) for t in d.after_batch.fs} for d in (dls, full)]
    assert Flip in kinds[0] and not {Dihedral, RandomResizedCropGPU} & kinds[0]
    assert {Dihedral, RandomResizedCropGPU} <= kinds[1]


# --- fastai reads it ---------------------------------------------------------------------------------------


def test_a_batch_holds_the_images_and_one_hot_tags(dls, planet):
    assert list(dls.vocab) == sorted(TAGS)
    x, y = dls.valid.one_batch()
    assert x.shape == (256, 3, 56, 56) and y.shape == (256, 6) and y.dtype == torch.float32
    rows = dls.valid_ds.items.iloc[:256]
    expected = [[float(tag in tags.split(" ")) for tag in dls.vocab] for tags in rows.tags]
    np.testing.assert_array_equal(y.numpy(), expected)
    with Image.open(planet / "train" / f"{rows.image_name.iloc[0]}.jpg") as image:
        np.testing.assert_allclose(x[0].permute(1, 2, 0).numpy() * 255, np.asarray(image), atol=1e-3)
    xb, yb = dls.train.one_batch()
    assert xb.shape == (64, 3, 56, 56) and set(yb.unique().tolist()) == {0.0, 1.0}


def test_the_validation_set_is_a_fixed_random_fifth(dls, planet):
    valid, train = set(dls.valid_ds.items.image_name), set(dls.train_ds.items.image_name)
    assert len(valid) == 400 and len(train) == 1600 and not valid & train
    again = planet_dataloaders(planet, OFFLINE)
    other = planet_dataloaders(planet, OFFLINE, seed=1)
    assert set(again.valid_ds.items.image_name) == valid != set(other.valid_ds.items.image_name)


def test_loss_and_predictions_equal_fastais_on_a_real_batch(dls):
    from fastai.learner import Learner
    from fastai.losses import BCEWithLogitsLossFlat
    from torch import nn

    torch.manual_seed(0)
    learn = Learner(dls, nn.Sequential(nn.Flatten(), nn.Linear(3 * 56 * 56, len(dls.vocab))))
    assert isinstance(learn.loss_func, BCEWithLogitsLossFlat)
    xb, yb = dls.valid.one_batch()
    with torch.no_grad():
        logits = learn.model(xb)
    ours = ml.binary_cross_entropy_with_logits(logits, yb)
    assert ours == pytest.approx(learn.loss_func(logits, yb).item(), rel=1e-6)
    probs, targets = learn.get_preds()
    np.testing.assert_allclose(probs[:256].numpy(), ml.sigmoid(logits), rtol=1e-5, atol=1e-6)
    sweep = ml.threshold_sweep(probs, targets)
    expected = [float(fastai_accuracy_multi(probs, targets, t, sigmoid=False)) for t in sweep.threshold]
    np.testing.assert_allclose(sweep.accuracy, expected, rtol=1e-6)


# --- sigmoid and binary cross-entropy ----------------------------------------------------------------------

logit_arrays = arrays(np.float64, (5, 4), elements=st.floats(-60, 60))


@CASES
@given(logit_arrays)
def test_sigmoid_equals_torch(x):
    np.testing.assert_allclose(ml.sigmoid(x), torch.sigmoid(torch.from_numpy(x)).numpy(), rtol=1e-12)


def test_sigmoid_and_the_loss_stay_finite_for_huge_logits():
    x = np.array([[-1e4, -800.0, 0.0, 800.0, 1e4]])
    y = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in exp
        np.testing.assert_array_equal(ml.sigmoid(x), [[0, 0, 0.5, 1, 1]])
        loss = ml.binary_cross_entropy_with_logits(x, y)
    reference = torch.nn.BCEWithLogitsLoss()(torch.from_numpy(x), torch.from_numpy(y)).item()
    assert loss == pytest.approx(reference, rel=1e-6)
    assert loss == pytest.approx((1e4 + np.log(2) + 1e4) / 5), "the two wrong confident tags and a coin flip"
    with np.errstate(divide="ignore", invalid="ignore"):
        naive = -(y * np.log(ml.sigmoid(x)) + (1 - y) * np.log(1 - ml.sigmoid(x))).mean()
    assert not np.isfinite(naive), "the textbook formula takes log(0) (and 0 × log(0)): no number"


@CASES
@given(logit_arrays, st.booleans(), st.integers(0, 2**32 - 1))
def test_binary_cross_entropy_equals_torch(x, soft, seed):
    rng = np.random.default_rng(seed)
    y = rng.random(x.shape) if soft else rng.integers(0, 2, x.shape).astype(float)
    loss = torch.nn.BCEWithLogitsLoss()
    assert ml.binary_cross_entropy_with_logits(x, y) == pytest.approx(
        loss(torch.from_numpy(x), torch.from_numpy(y)).item(), rel=1e-6, abs=1e-6
    )
    x32, y32 = torch.from_numpy(x).float(), torch.from_numpy(y).float()  # as a model gives them
    assert ml.binary_cross_entropy_with_logits(x32, y32) == pytest.approx(loss(x32, y32).item(), rel=1e-6)
    moderate = np.clip(x, -15, 15)
    p = ml.sigmoid(moderate)
    textbook = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert ml.binary_cross_entropy_with_logits(moderate, y) == pytest.approx(textbook, rel=1e-9)


# --- accuracy and F-beta -----------------------------------------------------------------------------------

thresholds = st.sampled_from([0.1, 0.2, 0.3, 0.5, 0.7, 0.9])
# (images, tags) with 2 tags at least: sklearn reads a single column as binary, not multi-label
masks = arrays(np.bool_, st.tuples(st.integers(1, 8), st.integers(2, 6)))


@CASES
@given(logit_arrays, st.integers(0, 2**32 - 1), thresholds, st.booleans())
def test_accuracy_multi_equals_fastais(x, seed, thresh, use_sigmoid):
    # fastai computes in float32: a probability within float32's rounding of the threshold (0.5 + 1e-16)
    # falls on either side depending on the precision, so such ties are left to the test below
    assume(np.all(np.abs(ml.sigmoid(x) - thresh) > 1e-6))
    preds = x if use_sigmoid else ml.sigmoid(x)
    y = np.random.default_rng(seed).integers(0, 2, x.shape)
    expected = fastai_accuracy_multi(torch.from_numpy(preds), torch.from_numpy(y), thresh, use_sigmoid)
    assert ml.accuracy_multi(preds, y, thresh, sigmoid=use_sigmoid) == pytest.approx(float(expected))


def test_a_probability_at_the_threshold_is_a_tag_for_fbeta_and_not_for_accuracy():
    probs, targets = np.array([[0.5, 0.2]]), np.array([[1, 0]])
    t, y = torch.tensor(probs), torch.tensor(targets)
    assert (
        ml.accuracy_multi(probs, targets, 0.5, sigmoid=False)
        == 0.5
        == float(fastai_accuracy_multi(t, y, 0.5, sigmoid=False))
    )
    assert ml.fbeta(probs, targets, thresh=0.5, sigmoid=False) == 1.0
    assert fastai_fbeta(t, y, 0.5, sigmoid=False) == 1.0


def fastai_fbeta(preds, targets, thresh, sigmoid=True, beta=2.0, average="samples"):
    """fastai's metric as training runs it: `accumulate` applies the sigmoid and the threshold."""
    metric = FBetaMulti(beta, thresh=thresh, sigmoid=sigmoid, average=average)
    metric.reset()
    metric.accumulate(SimpleNamespace(pred=preds, y=targets, to_detach=lambda t: t.detach().cpu()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return metric.value


@CASES
@given(masks, st.integers(0, 2**32 - 1), st.sampled_from([0, 0.5, 1, 2]), st.sampled_from([0.0, 1.0, np.nan]))
def test_fbeta_equals_sklearn_for_every_average_and_zero_division(predicted, seed, beta, zero_division):
    y = np.random.default_rng(seed).integers(0, 2, predicted.shape)
    y[0] = 0  # an image with no tags: at least one, to meet zero_division often
    for average in ("samples", "macro", "micro"):
        ours = ml.fbeta(predicted, y, beta, 0.5, sigmoid=False, average=average, zero_division=zero_division)
        expected = fbeta_score(y, predicted, beta=beta, average=average, zero_division=zero_division)
        np.testing.assert_allclose(ours, expected, rtol=1e-12, err_msg=average)


@CASES
@given(logit_arrays, st.integers(0, 2**32 - 1), thresholds)
def test_fbeta_equals_fastais_fbetamulti_on_logits(x, seed, thresh):
    y = np.random.default_rng(seed).integers(0, 2, x.shape)
    expected = fastai_fbeta(torch.from_numpy(x), torch.from_numpy(y), thresh)
    assert ml.fbeta(x, y, beta=2, thresh=thresh) == pytest.approx(expected, rel=1e-12)


def test_fbeta_by_hand():
    one_missed = ml.fbeta(np.array([[1, 0]]), np.array([[1, 1]]), sigmoid=False)
    four_wrong = ml.fbeta(np.array([[1, 1, 1, 1, 1]]), np.array([[1, 0, 0, 0, 0]]), sigmoid=False)
    assert one_missed == pytest.approx(5 / 9) == four_wrong, "F2: a missed tag costs four wrong ones"
    nothing = np.zeros((2, 2))
    targets = np.array([[1, 0], [0, 0]])  # image 0 has a tag, none predicted: 0; image 1: no F at all
    assert ml.fbeta(nothing, targets, sigmoid=False) == 0.0
    assert ml.fbeta(nothing, targets, sigmoid=False, zero_division=1.0) == 0.5
    assert ml.fbeta(nothing, targets, sigmoid=False, zero_division=np.nan) == 0.0
    assert np.isnan(ml.fbeta(nothing, nothing, sigmoid=False, zero_division=np.nan))
    with pytest.raises(ValueError, match=r"\(images, tags\)"):
        ml.fbeta(np.zeros(3), np.zeros(3))


# --- the threshold sweep -----------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_sweep_equals_the_metrics_and_its_best_threshold_is_the_argmax(seed):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, (40, 6))
    probs = ml.sigmoid(2 * (targets - 0.5) + rng.normal(0, 1.5, targets.shape))
    sweep = ml.threshold_sweep(probs, targets)
    assert list(sweep.columns) == ["threshold", "fbeta", "accuracy"]
    np.testing.assert_array_equal(sweep.threshold, ml.DEFAULT_THRESHOLDS)
    by_sklearn = [fbeta_score(targets, probs >= t, beta=2, average="samples") for t in sweep.threshold]
    np.testing.assert_allclose(sweep.fbeta, by_sklearn, rtol=1e-12)
    p, y = torch.from_numpy(probs), torch.from_numpy(targets)
    by_fastai = [float(fastai_accuracy_multi(p, y, th, sigmoid=False)) for th in sweep.threshold]
    np.testing.assert_allclose(sweep.accuracy, by_fastai, rtol=1e-6)
    assert ml.best_threshold(sweep) == sweep.threshold[int(np.argmax(by_sklearn))]
    assert ml.best_threshold(sweep, "accuracy") == sweep.threshold[sweep.accuracy.idxmax()]


def test_ties_go_to_the_lowest_threshold():
    sweep = pd.DataFrame({"threshold": [0.1, 0.2, 0.3], "fbeta": [0.5, 0.7, 0.7], "accuracy": [0, 0, 0]})
    assert ml.best_threshold(sweep) == 0.2


# --- the lesson's learner and its helpers ------------------------------------------------------------------


def test_the_lessons_learner_uses_bce_and_metrics_that_equal_ours_without_warnings(dls):
    from fastai.losses import BCEWithLogitsLossFlat
    from fastai.vision.learner import vision_learner

    from dlcourse.train import pick_arch

    torch.manual_seed(0)
    f2 = FBetaMulti(2, thresh=0.3, average="samples")  # as lesson 7 builds its metrics
    f2.kwargs["zero_division"] = 0
    learn = vision_learner(dls, pick_arch(OFFLINE), metrics=[partial(fastai_accuracy_multi, thresh=0.3), f2])
    assert isinstance(learn.loss_func, BCEWithLogitsLossFlat)
    assert [m.name for m in learn.metrics] == ["accuracy_multi", "fbeta_score"]
    logits, targets = ml.raw_outputs(learn)
    assert logits.shape == targets.shape == (400, len(dls.vocab))
    probs, _ = learn.get_preds()
    np.testing.assert_allclose(ml.sigmoid(logits), probs.numpy(), rtol=1e-5, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sklearn's UndefinedMetricWarning would print on every epoch
        _, acc, f2 = learn.validate()
    assert acc == pytest.approx(ml.accuracy_multi(logits, targets, 0.3), abs=1e-6)
    assert f2 == pytest.approx(ml.fbeta(logits, targets, beta=2, thresh=0.3), abs=1e-6)
    assert f2 == pytest.approx(fastai_fbeta(torch.tensor(logits), torch.tensor(targets), 0.3), abs=1e-6)


def test_worked_tables_and_one_tag_per_image():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 3, (5, 6)), rng.integers(0, 2, (5, 6))
    vocab = list("abcdef")
    table = ml.worked_bce(x[0], y[0], vocab)
    assert table.loss.mean() == pytest.approx(ml.binary_cross_entropy_with_logits(x[:1], y[:1]))
    assert list(table.present) == list(y[0])
    both = ml.softmax_vs_sigmoid(x[0], y[0], vocab)
    assert both.softmax.sum() == pytest.approx(1.0) and (both.sigmoid == ml.sigmoid(x[0])).all()
    one = ml.argmax_tags(x)
    assert (one.sum(1) == 1).all() and (one.argmax(1) == x.argmax(1)).all()
    assert ml.tags_of([0, 1, 1, 0, 0, 0], vocab) == "b c" and ml.tags_of(np.zeros(6), vocab) == "(none)"
    assert ml.tags_of([0.1, 0.6, 0.5, 0, 0, 0.9], vocab, thresh=0.5) == "b f"


def test_a_threshold_chosen_on_half_the_images_is_scored_on_the_other_half():
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 2, (300, 6))
    probs = ml.sigmoid(2 * (targets - 0.5) + rng.normal(0, 1.5, targets.shape))
    halves = ml.threshold_halves(probs, targets, splits=40, seed=3)
    assert list(halves.columns) == ["split", "threshold", "choosing", "held_out"] and len(halves) == 40
    pd.testing.assert_frame_equal(halves, ml.threshold_halves(probs, targets, splits=40, seed=3))
    order = np.random.default_rng(3).permutation(300)
    first, other = order[:150], order[150:]
    sweep = ml.threshold_sweep(probs[first], targets[first])
    assert halves.threshold[0] == ml.best_threshold(sweep) and halves.choosing[0] == sweep.fbeta.max()
    assert halves.held_out[0] == ml.fbeta(
        probs[other], targets[other], thresh=halves.threshold[0], sigmoid=False
    )
    assert (halves.choosing - halves.held_out).mean() > 0, "choosing and scoring on the same images flatters"


def test_the_rehearsal_lays_out_planet_and_the_harness_shrinks_its_images(tmp_path):
    from fastai.data.external import URLs, untar_data

    from dlcourse import rehearsal

    with environment({"FASTAI_HOME": str(tmp_path)}):
        folder = rehearsal.install_planet(n=20)
        assert folder == untar_data(URLs.PLANET_SAMPLE) == ml.planet_path(FULL)
        df = pd.read_csv(folder / "labels.csv")
        assert len(df) == 20 and set(df.tags.str.split(" ").explode()) <= set(rehearsal.PLANET_TAGS)
        with Image.open(folder / "train" / "train_0.jpg") as image:
            assert (image.format, image.size) == ("JPEG", (256, 256))

    from dlcourse import segmentation, text

    with environment({"FASTAI_HOME": str(tmp_path), **rehearsal.shrink_env(batch_size=4, size=64)}):
        assert (ml.config(FULL).batch_size, ml.config(FULL).size, ml.config(FULL).item_size) == (4, 64, 73)
        assert (segmentation.config(FULL).size, segmentation.config(FULL).item_size) == (64, 64)
        assert (text.config(FULL).batch_size, text.config(FULL).seq_len) == (4, 16)
        assert ml.config(OFFLINE) == TABLE["planet", "offline"]  # offline mode is never shrunk
        x, y = planet_dataloaders(folder, FULL).train.one_batch()
    assert ml.config(FULL) == TABLE["planet", "full"]  # and the settings are back once the block ends
    assert x.shape == (4, 3, 64, 64) and y.shape[0] == 4
