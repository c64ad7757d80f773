"""Lesson 10: the exported model gives PyTorch's answers in ONNX Runtime, the site model is what its record
says, label functions load elsewhere only when importable, and the Gradio app answers like `predict`."""

import importlib.metadata
import os
import re
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from fastai.learner import load_learner
from fastai.metrics import error_rate
from fastai.vision.learner import vision_learner

from dlcourse import deploy
from dlcourse.mode import detect_mode
from dlcourse.pets import is_cat, pets_config, pets_dataloaders, pets_path
from dlcourse.train import pick_arch

OFFLINE = detect_mode("offline")


@pytest.fixture(scope="module")
def learn(root, tmp_path_factory):
    """An offline learner as lesson 10 builds it (`deploy.train_classifier`), its new head untrained:
    exporting does not depend on training."""
    torch.manual_seed(0)
    dls = pets_dataloaders(pets_path(OFFLINE), OFFLINE)
    return vision_learner(dls, pick_arch(OFFLINE), metrics=error_rate, path=tmp_path_factory.mktemp("runs"))


def export_and_reload(learn, fname="export.pkl"):
    """fastai's `export`, then `load_learner` as a user loads it; its warning about unpickling is silenced
    for this file only, which the line above wrote."""
    learn.export(fname)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*insecure pickle")
        return load_learner(learn.path / fname)


def test_the_wrapped_model_gives_fastais_probabilities(learn):
    pixels, labels = deploy.validation_pixels(learn, 300)
    probs, targets = learn.get_preds(dl=learn.dls.valid)
    with torch.no_grad():
        ours = deploy.pixels_to_probabilities(learn)(pixels)
    assert len(labels) == 300 and labels[:5] == [learn.dls.vocab[int(t)] for t in targets[:5]]
    assert torch.allclose(ours, probs[:300], atol=1e-5), (ours - probs[:300]).abs().max()


def test_the_exported_copy_pools_with_the_same_numbers_and_leaves_the_learner_alone(learn):
    """fastai's head pools with `AdaptiveMaxPool2d(1)`, which the ONNX exporter of Colab's torch cannot
    translate: the copy that is exported computes the same maximum another way."""
    model = deploy.pixels_to_probabilities(learn)
    copy = deploy.exportable(model)
    pools = [
        type(m) for m in model.modules() if isinstance(m, (torch.nn.AdaptiveMaxPool2d, deploy.GlobalMaxPool))
    ]
    assert pools == [torch.nn.AdaptiveMaxPool2d]
    assert not [m for m in copy.modules() if isinstance(m, torch.nn.AdaptiveMaxPool2d)]
    pixels, _ = deploy.validation_pixels(learn, 64)
    with torch.no_grad():
        assert torch.equal(copy(pixels), model(pixels))
        maps = torch.randn(3, 8, 5, 7)
        assert torch.equal(deploy.GlobalMaxPool()(maps), torch.nn.AdaptiveMaxPool2d(1)(maps))


def test_onnx_runtime_equals_pytorch_on_validation_images(learn, tmp_path):
    path = deploy.export_learner_onnx(learn, tmp_path / "model.onnx")
    pixels, labels = deploy.validation_pixels(learn, 300)
    table = deploy.runtime_agreement(
        deploy.pixels_to_probabilities(learn), path, pixels, labels, list(learn.dls.vocab)
    )
    assert len(table) == 300
    assert table.largest_difference.max() <= 1e-4
    assert (table.pytorch == table.onnx_runtime).all()
    info = path.with_suffix(".json").read_text()
    assert f'"size": {pets_config(OFFLINE).size}' in info and all(c in info for c in learn.dls.vocab)
    # one self-contained file: no external weights beside it, any number of images per call
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.onnx"]
    assert deploy.onnx_probabilities(path, pixels[:1].numpy()).shape == (1, len(learn.dls.vocab))


def test_the_site_model_is_what_its_record_says():
    model, record = deploy.site_classifier()
    files, labels = deploy.site_validation_files()
    assert record["validation_images"] == len(files) == 2000
    assert sorted(set(labels)) == record["classes"]
    assert deploy.file_accuracy(model, files, labels, record["classes"]) == record["validation_accuracy"]
    assert record["validation_accuracy"] > 0.85  # well above the 0.2 of guessing among five classes


def test_the_site_model_reads_files_as_fastai_does(learn):
    """file_pixels (what the page computes) equals fastai's validation batch, pixel for pixel (up to the
    float32 rounding of normalising and undoing it, far below one step of 1/255)."""
    files = [learn.dls.valid_ds.items[i] for i in range(8)]
    pixels, _ = deploy.validation_pixels(learn, 8)
    assert np.abs(deploy.file_pixels(files) - pixels.numpy()).max() < 1e-5


def local_rule(name):
    return name[0].isupper()


def test_only_functions_importable_elsewhere_or_defined_in_place_load_in_another_program():
    """As fastai's export pickles them: a module's function by name (this test module is importable only
    here), a function defined in place with its code."""

    def nested(name):
        return name[0].isupper()

    assert deploy.loads_elsewhere(is_cat) == "yes"
    assert deploy.loads_elsewhere(local_rule) == (
        "cannot be loaded: ModuleNotFoundError: No module named 'test_deploy'"
    )
    assert deploy.loads_elsewhere(nested) == "yes"
    assert deploy.loads_elsewhere(lambda name: name) == "yes"


def test_the_gradio_app_answers_like_predict(learn):
    from dlcourse.space.app import make_app

    inference = export_and_reload(learn)
    photo = learn.dls.valid_ds.items[0]
    _, _, probs = inference.predict(photo)
    answer = deploy.ask_app(make_app(inference), photo)
    expected = dict(zip(inference.dls.vocab, probs.tolist(), strict=True))
    top3 = sorted(expected, key=expected.get, reverse=True)[:3]
    assert list(answer) == top3
    assert all(abs(answer[c] - expected[c]) < 1e-6 for c in top3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_space_app_runs_as_a_space_runs_it(learn, tmp_path):
    """`python app.py` beside export.pkl, as a Space starts it; asked through Gradio's client."""
    from gradio_client import Client, handle_file

    inference = export_and_reload(learn)
    (tmp_path / "export.pkl").write_bytes((learn.path / "export.pkl").read_bytes())
    (tmp_path / "app.py").write_text(deploy.space_files()["app.py"])
    port = free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
    }
    app = subprocess.Popen(
        [sys.executable, "app.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        seen = []
        for line in app.stdout:  # the app prints its address once it serves; the timeout below guards a hang
            seen.append(line.decode())
            if f"127.0.0.1:{port}" in seen[-1]:
                break
        else:
            pytest.fail("the app exited before serving:\n" + "".join(seen))
        photo = learn.dls.valid_ds.items[1]
        answer = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            handle_file(str(photo)), api_name="/classify"
        )
        _, index, probs = inference.predict(photo)
        assert answer["label"] == inference.dls.vocab[int(index)]
        assert abs(answer["confidences"][0]["confidence"] - float(probs[index])) < 1e-6
    finally:
        app.kill()
        app.wait(timeout=60)


def test_the_space_pins_the_gradio_version_the_tests_run():
    requirements = deploy.space_files()["requirements.txt"]
    assert f"gradio=={importlib.metadata.version('gradio')}" in requirements.splitlines()
    assert re.search(r"^dlcourse @ git\+\S+@v\d", requirements, re.MULTILINE)


def test_the_site_ships_the_runtime_from_npm_and_says_what_it_weighs(tmp_path):
    from dlcourse_tools.site import classify

    root = Path(__file__).resolve().parents[1]
    assets = classify.page_assets(root, tmp_path)
    table = classify.transfer(assets)
    wasm = assets["assets/ort/ort-wasm-simd-threaded.wasm"]
    assert wasm[:4] == b"\0asm"
    assert table.bytes.iloc[-1] == sum(
        len(v)
        for k, v in assets.items()
        if k.startswith(("assets/ort/", "assets/classify/model", "assets/classify.js"))
    )
    assert "| **total** |" in classify.transfer_markdown(table)
    assert len([k for k in assets if k.startswith("assets/classify/examples/")]) == 10
