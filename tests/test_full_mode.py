"""Full mode rehearsed without the internet: every lesson runs its Colab path against stand-ins laid out
where the downloads would land (`dlcourse.rehearsal`), with epochs shortened and images shrunk by the
harness only (`SHORT_EPOCHS`, `shrink_env`)."""

import nbformat
import pytest
import torch

from dlcourse import data, pets, rehearsal
from dlcourse.mode import Mode
from dlcourse.rehearsal import prepare_full_mode
from dlcourse.settings import environment
from dlcourse_tools.notebooks import ONE_THREAD, execute_cached, two_at_a_time

from support import LESSONS, ROOT

pytestmark = pytest.mark.slow

HOME = ROOT / ".cache" / "rehearsal"  # a fixed place, so that unchanged lessons are not run again
PER_BREED = 5  # 185 real-sized JPEGs: enough for every breed to appear in training at the lessons' seeds


@pytest.fixture(scope="module")
def full_env():
    return prepare_full_mode(HOME, PER_BREED)


@pytest.fixture(scope="module")
def full_mode_lessons(full_env):
    cache = ROOT / ".cache" / "executed" / "full"
    env = {**full_env, **ONE_THREAD, **rehearsal.shrink_env()}
    return two_at_a_time(
        lambda nb: execute_cached(
            nb, cache, extra_dirs=(ROOT / "quiz",), env=env, setup=rehearsal.SHORT_EPOCHS
        ),
        LESSONS,
    )


def test_pets_and_weights_are_found_where_the_downloads_land(full_env, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("full mode tried the network although the data is in place")

    monkeypatch.setattr(data, "has_internet", no_network)
    with environment(full_env):
        from fastai.data.external import URLs, untar_data

        images = pets.download_pets()
        assert images == untar_data(URLs.PETS) / "images"
        assert len(list(images.glob("*.jpg"))) == PER_BREED * 37
        for weights in rehearsal.install_weights():
            assert str(weights).startswith(full_env["TORCH_HOME"])
        import torchvision.models as models

        loaded = models.resnet34(weights="DEFAULT").state_dict()
        saved = torch.load(rehearsal.install_weights(("resnet34",))[0], weights_only=True)
        assert all(torch.equal(loaded[k], saved[k]) for k in saved), "torchvision loaded the stand-in"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.name)
def test_lesson_runs_top_to_bottom_in_full_mode(full_mode_lessons, full_env, notebook):
    lesson = full_mode_lessons[notebook.name]
    print(f"{notebook.name}: {lesson.metadata['seconds']} s in full mode (rehearsal)")
    assert lesson.metadata["mode"] == "full"
    nb = nbformat.read(lesson.executed, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.source for c in code] == [
        c.source for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"
    ], "the harness's setup is not part of the lesson"
    assert all(c.execution_count for c in code), "every code cell ran"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    if "detect_mode" in "".join(c.source for c in code):
        assert "full mode (" in stdout(lesson)


def stdout(lesson) -> str:
    nb = nbformat.read(lesson.executed, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def test_lesson_2_reads_pets_from_fastais_data_folder(full_mode_lessons, full_env):
    """What lesson 2 shows a learner in full mode: the count and folder of fastai's Pets download."""
    images = f"{full_env['FASTAI_HOME']}/data/oxford-iiit-pet/images"
    assert f"{PER_BREED * 37} images in {images}" in stdout(full_mode_lessons["02_cnn_training.ipynb"])


def test_lesson_5_trains_the_bigger_model_in_full_mode(full_mode_lessons):
    assert "ResNet-50 final error rate:" in stdout(full_mode_lessons["05_unfreezing.ipynb"])


def test_lesson_6_trains_the_bigger_model_with_its_precision_named(full_mode_lessons):
    assert "ResNet-50 trains in: " in stdout(full_mode_lessons["06_data_blocks.ipynb"])


def test_lesson_8s_data_in_full_mode_is_camvids_layout_with_its_32_codes(full_env):
    from fastai.data.external import URLs, untar_data

    from dlcourse import segmentation as seg

    with environment(full_env):
        path = seg.camvid_path(Mode("full", gpu=False, internet=False, reason="a rehearsal"))
        assert path == untar_data(URLs.CAMVID_TINY)
        codes = seg.read_codes(path)
    assert list(codes) == list(rehearsal.CAMVID_CODES) and len(codes) == 32 and codes[0] == "Animal"


def test_lesson_9_fine_tunes_the_wikitext_sized_model_in_full_mode(full_mode_lessons):
    out = stdout(full_mode_lessons["09_text.ipynb"])
    assert "fastai's Numericalize gives the same numbers: True" in out
    assert "pretrained on Emma" not in out, "full mode loads WikiText-103's model, not the bundled one"


def test_lesson_10_exports_resnet34_and_serves_it_in_full_mode(full_mode_lessons):
    out = stdout(full_mode_lessons["10_deployment.ipynb"])
    assert "37 classes:" in out
    assert "same top class in 100%" in out
    assert "The app's answer for" in out, "outside Colab the app is asked on this machine"
