"""Training core: data, learners, recipes, and the re-derived LR finder and one-cycle vs fastai itself."""

import copy
import inspect
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fastai.callback.core import Callback
from fastai.callback.schedule import ParamScheduler
from fastai.learner import Learner, load_learner
from fastai.losses import CrossEntropyLossFlat
from fastai.metrics import accuracy, error_rate
from fastai.optimizer import SGD
from fastai.torch_core import set_seed
from fastai.vision.learner import vision_learner
from PIL import Image
from torch import nn

import dlcourse.fastai_setup  # noqa: F401
from dlcourse import data, experiments, lr_finder, pets, photos, schedules, train
from dlcourse import multilabel as ml
from dlcourse.mode import detect_mode

from support import FAULTS, damage

OFFLINE = detect_mode("offline")


@pytest.fixture(scope="module")
def dls():
    set_seed(0, reproducible=True)
    return pets.pets_dataloaders(pets.offline_pets(), OFFLINE, seed=0)


def lesson_learner(dls, **kwargs):
    """The lessons' learner: fastai's `vision_learner` on the mode's architecture, error rate and accuracy."""
    return vision_learner(dls, train.pick_arch(OFFLINE), metrics=[error_rate, accuracy], **kwargs)


def trainable(learn) -> int:
    """How many numbers the optimiser updates: the parameters that require a gradient."""
    return sum(p.numel() for p in learn.model.parameters() if p.requires_grad)


def small_cnn(n_out=5):
    """A plain CNN without dropout, so that two runs with the same batches are numerically the same."""
    set_seed(1, reproducible=True)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, n_out),
    )


class KeepHypers(Callback):
    """Every parameter group's LR and momentum as set for each training batch."""

    order = ParamScheduler.order + 1

    def __init__(self):
        self.lrs, self.moms = [], []

    def before_batch(self):
        if self.training:
            self.lrs.append([h["lr"] for h in self.opt.hypers])
            self.moms.append(self.opt.hypers[-1]["mom"])


# --- data ---------------------------------------------------------------------------------------


def test_offline_data_has_the_pets_layout_and_comes_from_the_test_split_only(dls):
    import re

    from dlcourse import fashion_mnist

    files = sorted(pets.offline_pets().glob("*.png"))
    assert len(files) == pets.OFFLINE_IMAGES
    stems = {v: k for k, v in fashion_mnist.FILE_STEMS.items()}
    test_images, test_labels = fashion_mnist.load_split("test")
    for f in files[::50]:
        stem, index = re.fullmatch(r"(.+)_(\d+)\.png", f.name).groups()
        assert pets.is_cat(f.name) == (stem in ("Sandal", "Sneaker", "Ankle_boot")), "footwear is capitalised"
        assert test_labels[int(index)] == stems[stem], "named after its label in the test split"
        pixels = np.asarray(Image.open(f).convert("RGB"))
        drawn = photos.render(test_images[int(index)], int(index))
        assert np.array_equal(pixels, drawn), "the photo drawn from that very item of the test split"
    assert list(dls.vocab) == ["Ankle_boot", "Sandal", "Sneaker", "bag", "shirt"]
    assert len(dls.valid_ds) == 2000, "one validation image = 0.05 points"
    cats = pets.pets_dataloaders(pets.offline_pets(), OFFLINE, label="cat")
    assert list(cats.vocab) == [False, True]


def test_pretraining_uses_the_training_split_only():
    from dlcourse.offline_model import pretraining_record
    from dlcourse_tools.pretrain import RECIPE

    record = pretraining_record()
    assert record["data"]["split"] == "train" and record["data"]["train"] == RECIPE["images"]


def test_missing_and_empty_folders_get_clear_errors(tmp_path):
    with pytest.raises(data.DataError, match="does not exist"):
        data.image_files(tmp_path / "nope")
    with pytest.raises(data.DataError, match="no image files"):
        data.image_files(tmp_path)


@pytest.mark.parametrize("fault", FAULTS)
def test_damaged_images_are_named_with_the_fix(tmp_path, fault):
    for f in sorted(pets.offline_pets().glob("*.png"))[:40]:
        (tmp_path / f.name).write_bytes(f.read_bytes())
    name = damage(tmp_path, fault)
    with pytest.raises(data.DataError, match=FAULTS[fault].format(name)):
        pets.pets_dataloaders(tmp_path, OFFLINE)


DOWNLOADS = {  # every full-mode download a lesson makes: (function, the data set's name in the error)
    "pets": (pets.download_pets, "Oxford-IIIT Pets"),
    "planet": (ml.download_planet, "fastai's Planet sample"),
}


@pytest.mark.parametrize("dataset", DOWNLOADS)
def test_without_internet_a_download_fails_at_once_naming_offline_mode(monkeypatch, tmp_path, dataset):
    from urllib.error import URLError

    import fastai.data.external as external

    download, name = DOWNLOADS[dataset]
    attempts = []

    def untar_data(url):
        attempts.append(url)
        raise URLError("no route")

    monkeypatch.setattr(data, "untar_data_path", lambda url: tmp_path / "absent")  # no local copy
    monkeypatch.setattr(external, "untar_data", untar_data)
    monkeypatch.setattr(data, "has_internet", lambda timeout_s=3.0: False)
    with pytest.raises(data.DataError, match="no internet.*DLCOURSE_MODE=offline"):
        download()
    assert attempts == []  # it failed on the quick check of the host, not after a download's own timeout

    monkeypatch.setattr(data, "has_internet", lambda timeout_s=3.0: True)
    with pytest.raises(
        data.DataError, match=f"downloading {name} to .*absent failed: .*no route.*DLCOURSE_MODE=offline"
    ):
        download()
    assert len(attempts) == 1

    (tmp_path / "absent").mkdir()  # extracted before: used as it is, nothing fetched or checked online
    monkeypatch.setattr(data, "has_internet", lambda timeout_s=3.0: pytest.fail("went online"))
    assert str(tmp_path / "absent") in str(download())
    assert len(attempts) == 1


def test_mode_selection(monkeypatch):
    monkeypatch.setenv("DLCOURSE_MODE", "offline")
    assert detect_mode().offline
    monkeypatch.setenv("DLCOURSE_MODE", "sometimes")
    with pytest.raises(ValueError, match="must be 'full' or 'offline'"):
        detect_mode()
    monkeypatch.delenv("DLCOURSE_MODE")
    import dlcourse.mode as mode

    monkeypatch.setattr(mode, "has_internet", lambda: True)
    chosen = detect_mode()
    assert chosen.offline == (not torch.cuda.is_available())
    if chosen.offline:
        assert "no GPU" in chosen.describe()


# --- LR finder: re-derived == fastai --------------------------------------------------------------


def test_lr_range_test_equals_fastai_lr_find(dls):
    num_it = 60
    learn = Learner(dls, small_cnn(), loss_func=CrossEntropyLossFlat(), opt_func=SGD, wd=0.0)
    start_state = copy.deepcopy(learn.model.state_dict())
    with learn.no_bar():
        theirs, ours, suggestions = lr_finder.compare_with_fastai(learn, num_it=num_it, end_lr=1e3)
    assert ours.lrs == theirs.lrs, "the same exponential LR sequence, step for step"
    assert len(ours.lrs) < num_it, "this curve diverges, and both stop at the same step"
    np.testing.assert_allclose(ours.losses, theirs.losses, rtol=1e-4)
    assert ours.losses == lr_finder.smooth(ours.raw_losses)
    for key, value in start_state.items():
        torch.testing.assert_close(learn.model.state_dict()[key], value, msg="fastai restored its weights")

    mine = lr_finder.suggest(theirs, num_it)
    for name in ("valley", "slide", "minimum", "steep"):
        assert mine[name] == pytest.approx(suggestions[name], rel=1e-6), name


def test_by_hand_range_test_restores_weights(dls):
    model = small_cnn()
    start_state = copy.deepcopy(model.state_dict())
    batches = [tuple(t.as_subclass(torch.Tensor) for t in next(iter(dls.train)))]
    lr_finder.lr_range_test(
        model, batches, F.cross_entropy, torch.optim.SGD(model.parameters(), lr=0), num_it=10
    )
    for key, value in start_state.items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_lr_range_test_runs_num_it_steps_when_it_does_not_diverge(dls):
    model = small_cnn()
    batches = [tuple(t.as_subclass(torch.Tensor) for t in next(iter(dls.train)))]
    test = lr_finder.lr_range_test(
        model,
        batches,
        F.cross_entropy,
        torch.optim.SGD(model.parameters(), lr=0),
        start_lr=1e-6,
        end_lr=1e-3,
        num_it=20,
    )
    assert test.lrs == pytest.approx(lr_finder.exponential_lrs(1e-6, 1e-3, 20))
    assert test.lrs[0] == 1e-6 and test.lrs[-1] < 1e-3


# --- one-cycle: re-derived == fastai's recorder ------------------------------------------------------


@pytest.mark.parametrize(
    ("lr_max", "kwargs"),
    [
        (slice(1e-5, 1e-3), {}),
        (3e-3, {"div": 10.0, "div_final": 1e4, "pct_start": 0.3, "moms": (0.9, 0.8, 0.9)}),
        (slice(1e-3), {}),
    ],
)
def test_one_cycle_equals_fastai(dls, lr_max, kwargs):
    learn = lesson_learner(dls)
    learn.unfreeze()
    keep = KeepHypers()
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(2, lr_max, cbs=keep, **kwargs)
    n_steps, n_groups = len(keep.lrs), len(keep.lrs[0])
    assert n_groups == 3 and n_steps == 2 * len(dls.train)
    lrs, mom = schedules.one_cycle(n_steps, lr_max, n_groups, **kwargs)
    # fastai sums 1/n_steps once per step to know where it is in the cycle: float error grows with the steps
    np.testing.assert_allclose(lrs, np.array(keep.lrs), rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(mom, keep.moms, rtol=1e-5)
    np.testing.assert_allclose(lrs[:, -1], learn.recorder.hps["lr"], rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(mom, learn.recorder.hps["mom"], rtol=1e-5)


# --- recipes ------------------------------------------------------------------------------------------


def test_fine_tune_by_hand_equals_fastai_fine_tune():
    """Lesson 5's table: fastai's `fine_tune` and `train.fine_tune_by_hand`, each on a fresh learner from the
    same seed, give the same losses epoch by epoch and the same weights at the end."""
    table = experiments.fine_tune_by_hand_vs_fastai(OFFLINE, seed=3, epochs=1)
    assert list(table.columns) == [
        (run, loss) for run in ("fastai fine_tune", "by hand") for loss in ("train_loss", "valid_loss")
    ]
    assert len(table) == 2, "one row per epoch: the head's, then all layers'"
    np.testing.assert_allclose(table["by hand"], table["fastai fine_tune"], rtol=1e-5)
    # the same two recipes here, in this process, to compare what they leave behind
    with experiments.quiet(experiments.learner(OFFLINE, seed=3)) as fastai_learn:
        experiments.trained_epochs(fastai_learn, lambda: fastai_learn.fine_tune(1))
    with experiments.quiet(experiments.learner(OFFLINE, seed=3)) as hand_learn:
        hand = experiments.trained_epochs(hand_learn, lambda: train.fine_tune_by_hand(hand_learn, 1))
    assert list(hand.stage) == ["head only", "all layers"]
    np.testing.assert_allclose(
        hand[["train_loss", "valid_loss"]],
        fastai_learn.epoch_log.table()[["train_loss", "valid_loss"]],
        rtol=1e-5,
    )
    fastai_state, hand_state = fastai_learn.model.state_dict(), hand_learn.model.state_dict()
    for key, value in fastai_state.items():
        torch.testing.assert_close(hand_state[key], value, rtol=1e-5, atol=1e-6)


def test_fine_tune_second_stage_is_pct_start_0_3_div_5(dls):
    """What lesson 5 teaches about `fine_tune`: after the head, one cycle over all layers at half the base
    rate, warming up over 30% of the steps (not fit_one_cycle's 25%) from a fifth of the peak (not 1/25)."""
    base_lr = 2e-3
    learn = lesson_learner(dls)
    with learn.no_bar(), learn.no_logging():
        learn.fine_tune(1, base_lr=base_lr)
    recorded = np.array(learn.recorder.hps["lr"])  # the Recorder keeps the last fit: the second stage
    n_steps, peak = len(recorded), base_lr / 2
    assert n_steps == len(dls.train) > 20
    assert recorded[0] == pytest.approx(peak / 5.0, rel=1e-6)
    assert 0.99 * peak < recorded.max() <= peak, "the peak falls between two steps"
    assert abs(int(recorded.argmax()) - round(0.3 * n_steps)) <= 1
    n_groups = len(learn.opt.param_groups)
    lrs, _ = schedules.one_cycle(n_steps, slice(peak / 100, peak), n_groups, pct_start=0.3, div=5.0)
    np.testing.assert_allclose(recorded, lrs[:, -1], rtol=1e-5, atol=1e-12)

    defaults = inspect.signature(Learner.fit_one_cycle).parameters
    assert (defaults["pct_start"].default, defaults["div"].default) == (0.25, 25.0)
    plain, _ = schedules.one_cycle(n_steps, slice(peak / 100, peak), n_groups)
    assert plain[0, -1] == pytest.approx(peak / 25.0) and recorded[0] > 4 * plain[0, -1]
    assert not np.allclose(recorded, plain[:, -1], rtol=1e-2), "fit_one_cycle's defaults differ"


def test_recipes_return_metrics_and_the_model_learns(dls, tmp_path):
    learn = lesson_learner(dls, cbs=train.EpochLog(), path=tmp_path)
    frozen = trainable(learn)
    with learn.no_bar(), learn.no_logging():
        learn.fine_tune(1)
    metrics = learn.epoch_log.table()
    assert list(metrics.stage) == ["head only", "all layers"] and list(metrics.epoch) == [0, 1]
    assert {"train_loss", "valid_loss", "error_rate", "accuracy"} <= set(metrics.columns)
    assert trainable(learn) > frozen
    assert metrics.error_rate.iloc[-1] < 0.2, (
        "fine-tuning the pretrained model learns (5 classes: chance 0.8)"
    )
    last_fit = train.history(learn)  # fastai's Recorder: the last fit only, the unfrozen epoch
    assert list(last_fit.columns) == ["epoch", "train_loss", "valid_loss", "error_rate", "accuracy"]
    assert len(last_fit) == 1
    for column in ("train_loss", "valid_loss", "error_rate", "accuracy"):
        assert last_fit[column].iloc[0] == metrics[column].iloc[-1], column
    assert last_fit.error_rate.iloc[0] == pytest.approx(1 - last_fit.accuracy.iloc[0])
    valid_loss, error, _ = learn.validate()
    assert [last_fit.valid_loss.iloc[0], last_fit.error_rate.iloc[0]] == pytest.approx([valid_loss, error])

    learn.save("checkpoint")
    before = learn.get_preds()[0]
    reloaded = lesson_learner(dls, path=tmp_path).load("checkpoint")
    torch.testing.assert_close(reloaded.get_preds()[0], before)

    image = sorted(pets.offline_pets().glob("Sandal_*.png"))[0]
    learn.export("export.pkl")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*insecure pickle")
        exported = load_learner(tmp_path / "export.pkl")
    label, index, probs = exported.predict(image)
    assert label in dls.vocab and label == dls.vocab[int(index)] and 0 <= float(probs[index]) <= 1
    assert float(probs.sum()) == pytest.approx(1, abs=1e-5)
    their_label, _, their_probs = learn.predict(image)
    assert their_label == label
    torch.testing.assert_close(their_probs, probs, atol=1e-5, rtol=0)

    from fastai.interpret import ClassificationInterpretation

    interp = ClassificationInterpretation.from_learner(learn)
    assert interp.confusion_matrix().sum() == len(dls.valid_ds)
    assert all(len(t) == 3 for t in interp.most_confused())


# --- the bundled model and the script that made it ---------------------------------------------------------


def test_bundled_weights_load_safely_and_carry_their_record():
    from dlcourse.offline_model import RECORD, WEIGHTS, offline_resnet, pretraining_record

    state = torch.load(WEIGHTS, weights_only=True)
    model = offline_resnet(pretrained=True)
    for key, value in state.items():
        torch.testing.assert_close(model.state_dict()[key], value)
    record = pretraining_record()
    assert record["valid_accuracy"] > 0.7 and WEIGHTS.stat().st_size < 5e6  # ten classes: chance is 0.1
    assert Path(RECORD).exists() and len(record["data"]["classes"]) == 10


def test_damaged_bundled_files_name_the_file_and_how_to_restore_it(dls, tmp_path, monkeypatch):
    import subprocess
    import sys

    from dlcourse import fashion_mnist, offline_model
    from dlcourse.bundled import BundledFileError

    restore = (
        r"pip install --force-reinstall --no-deps dlcourse.*python -m dlcourse_tools record offline-model"
    )
    truncated = tmp_path / "offline_resnet.pth"
    truncated.write_bytes(offline_model.WEIGHTS.read_bytes()[:4000])  # as an interrupted copy leaves it
    for weights in (truncated, tmp_path / "absent.pth"):
        monkeypatch.setattr(offline_model, "WEIGHTS", weights)
        with pytest.raises(BundledFileError, match=f"{weights.name} is missing or damaged.*{restore}"):
            offline_model.offline_resnet(pretrained=True)
    monkeypatch.undo()

    for text in ("{", '{"stats": {"mean": [0.5]}}', "[]"):
        (tmp_path / "offline_resnet.json").write_text(text)
        monkeypatch.setattr(offline_model, "RECORD", tmp_path / "offline_resnet.json")
        with pytest.raises(BundledFileError, match=f"offline_resnet.json is missing or damaged.*{restore}"):
            lesson_learner(dls)
    lesson_file = tmp_path / "fashion_lessons.npz"
    lesson_file.write_bytes(fashion_mnist.LESSON_FILE.read_bytes()[:5000])
    monkeypatch.setattr(fashion_mnist, "LESSON_FILE", lesson_file)
    with pytest.raises(BundledFileError, match=r"fashion_lessons.npz is missing or damaged.*--lesson-file"):
        pets.write_fashion(tmp_path / "lessons")
    # importing the model reads neither file, so a damaged one never breaks `import`
    code = (
        "import sys\n"
        "sys.addaudithook(lambda event, args: event == 'open' and 'offline_resnet' in str(args[0]) and 1/0)\n"
        "import dlcourse.offline_model"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def test_pretrain_script_short_run(tmp_path):
    from dlcourse.offline_model import offline_resnet
    from dlcourse_tools.pretrain import pretrain

    record = pretrain(tmp_path, epochs=1, n_train=3000)
    state = torch.load(tmp_path / "offline_resnet.pth", weights_only=True)
    offline_resnet(pretrained=False).load_state_dict(state)
    assert (tmp_path / "offline_resnet.json").exists()
    assert record["recipe"]["epochs"] == 1 and record["data"]["train"] == record["recipe"]["images"] == 3000
    assert record["valid_accuracy"] > 0.2, "one epoch on 3,000 photos: twice chance (10 classes) at least"


def test_train_command_runs_as_a_new_user_types_it(tmp_path):
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "dlcourse", "train", "pets", "--offline", "--epochs", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "offline mode" in out.stdout and "final: error_rate" in out.stdout


def test_parameter_counts_match_a_real_frozen_learner(dls):
    learn = lesson_learner(dls)
    counts = train.parameter_counts(len(dls.vocab))
    assert counts["frozen"] == trainable(learn)
    learn.unfreeze()
    assert counts["unfrozen"] == trainable(learn) == sum(p.numel() for p in learn.model.parameters())
