"""Lesson 10: a trained classifier leaves Python: fastai's export, one ONNX file, the browser, Gradio.

The ONNX graph holds everything between an image's pixels and the class probabilities: fastai's
`Normalize`, the network and softmax. Its input is what a browser canvas gives, the RGB values divided
by 255, shaped (images, 3, height, width), so a page needs no maths of its own to use it.

The site's classify page runs the model of `SITE_WEIGHTS`: this lesson's offline recipe at seed 0,
made by `python -m dlcourse_tools record site-classifier` in a clone of the course.
"""

from __future__ import annotations

import copy
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from dlcourse.bundled import WEIGHTS_DIR, damaged, load_weights
from dlcourse.mode import Mode

SITE_WEIGHTS = WEIGHTS_DIR / "site_classifier.pth"
SITE_RECORD = WEIGHTS_DIR / "site_classifier.json"
REBUILD = "site-classifier"  # python -m dlcourse_tools record site-classifier makes both
EPOCHS = 3  # fine_tune epochs of the lesson's model (after its one head-only epoch)


class PixelsToProbabilities(nn.Module):
    """The network with fastai's input normalisation before it and softmax after it."""

    def __init__(self, model: nn.Module, mean: torch.Tensor, std: torch.Tensor):
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).reshape(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).reshape(1, -1, 1, 1))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model((pixels - self.mean) / self.std), dim=1)


def normalize_stats(dls) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean and standard deviation of the `Normalize` step in the data's batch transforms."""
    from fastai.data.transforms import Normalize

    norm = next(t for t in dls.after_batch if isinstance(t, Normalize))
    return norm.mean.flatten().float().cpu(), norm.std.flatten().float().cpu()


def pixels_to_probabilities(learn) -> PixelsToProbabilities:
    """The learner's model, on the CPU in float32 and in eval mode, from pixels (0-1) to probabilities."""
    mean, std = normalize_stats(learn.dls)
    return PixelsToProbabilities(learn.model.float().cpu(), mean, std).eval()


def validation_pixels(learn, n: int) -> tuple[torch.Tensor, list[str]]:
    """`n` validation images as the model's pixels (0-1, resized as fastai resizes them) and their labels."""
    mean, std = normalize_stats(learn.dls)
    pixels, labels = [], []
    for xb, yb in learn.dls.valid:
        pixels.append(xb.float().cpu() * std.reshape(1, -1, 1, 1) + mean.reshape(1, -1, 1, 1))
        labels += [learn.dls.vocab[int(y)] for y in yb]
        if len(labels) >= n:
            break
    return torch.cat(pixels)[:n].clamp(0, 1), labels[:n]


class GlobalMaxPool(nn.Module):
    """`nn.AdaptiveMaxPool2d(1)` written as the maximum over each channel's map: the same numbers."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.amax(dim=(-2, -1), keepdim=True)


def exportable(model: nn.Module) -> nn.Module:
    """A copy of `model` with each `AdaptiveMaxPool2d` of output size 1 (fastai's head has one) replaced by
    `GlobalMaxPool`: the ONNX exporter of torch 2.11, Colab's, has no translation for adaptive max pooling."""
    model = copy.deepcopy(model)
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.AdaptiveMaxPool2d) and module.output_size in (1, (1, 1)):
            parent, _, attribute = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, attribute, GlobalMaxPool())
    return model


def export_onnx(model: PixelsToProbabilities, classes: list[str], size: int, path: Path) -> Path:
    """One self-contained ONNX file (any number of images per call) and, beside it, `path`.json with the
    class names and the image size a page needs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    example = torch.rand(2, 3, size, size)
    with torch.no_grad():
        torch.onnx.export(
            exportable(model).eval(),
            (example,),
            str(path),
            dynamo=True,
            verbose=False,
            input_names=["pixels"],
            output_names=["probabilities"],
            dynamic_shapes={"pixels": {0: torch.export.Dim("images", min=1, max=4096)}},
            external_data=False,
        )
    path.with_suffix(".json").write_text(json.dumps({"classes": list(classes), "size": size}, indent=1))
    return path


def export_learner_onnx(learn, path: Path) -> Path:
    """`export_onnx` for a trained fastai learner: its classes and its validation image size."""
    xb, _ = learn.dls.valid.one_batch()
    return export_onnx(pixels_to_probabilities(learn), list(learn.dls.vocab), int(xb.shape[-1]), path)


def onnx_probabilities(path: Path, pixels: np.ndarray) -> np.ndarray:
    """The probabilities ONNX Runtime computes from the file at `path` (the CPU provider)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"pixels": np.asarray(pixels, dtype=np.float32)})[0]


def runtime_agreement(model: PixelsToProbabilities, onnx_path: Path, pixels, labels, classes) -> pd.DataFrame:
    """PyTorch against ONNX Runtime on the same pixels: each image's top class in both, ONNX Runtime's
    probability of its top class, and the largest difference between the two runtimes' probabilities."""
    with torch.no_grad():
        by_torch = model(torch.as_tensor(pixels)).numpy()
    by_onnx = onnx_probabilities(onnx_path, np.asarray(pixels))
    return pd.DataFrame(
        {
            "label": labels,
            "pytorch": [classes[i] for i in by_torch.argmax(1)],
            "onnx_runtime": [classes[i] for i in by_onnx.argmax(1)],
            "probability": by_onnx.max(1),  # ONNX Runtime's, of its top class
            "largest_difference": np.abs(by_torch - by_onnx).max(1),
        }
    )


def timings(model: PixelsToProbabilities, onnx_path: Path, pixels, repeat: int = 5) -> pd.DataFrame:
    """Milliseconds per image with PyTorch and with ONNX Runtime on this machine's CPU, one image at a
    time and in one batch of all of them (the best of `repeat` runs)."""
    import time

    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    batch = np.asarray(pixels, dtype=np.float32)
    runtimes = {
        "PyTorch": lambda x: model(torch.from_numpy(x)),
        "ONNX Runtime": lambda x: session.run(None, {"pixels": x}),
    }

    def best_ms(run, inputs) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            for x in inputs:
                run(x)
            times.append(time.perf_counter() - start)
        return 1000 * min(times) / len(batch)

    rows = []
    with torch.no_grad():
        for name, run in runtimes.items():
            rows.append(
                {
                    "runtime": name,
                    "ms per image, one at a time": best_ms(run, [x[None] for x in batch]),
                    f"ms per image, batch of {len(batch)}": best_ms(run, [batch]),
                }
            )
    return pd.DataFrame(rows).set_index("runtime").round(3)


# --- fastai's export and the label function ------------------------------------------------------


def loads_elsewhere(obj) -> str:
    """Whether `obj` survives pickling as fastai's export pickles it (cloudpickle) and loading in a fresh
    Python, as `load_learner` does in another program: 'yes', or why not. Functions and classes of a
    module are stored by name, so that module must be importable there; the notebook's own functions
    are stored with their code."""
    import tempfile

    import cloudpickle

    try:
        data = cloudpickle.dumps(obj)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        return "cannot be saved: " + re.sub(r" at 0x[0-9a-f]+", "", str(err))
    with tempfile.TemporaryDirectory() as elsewhere:  # an empty folder: nothing importable from beside it
        result = subprocess.run(
            [sys.executable, "-c", "import pickle, sys; pickle.loads(sys.stdin.buffer.read())"],
            input=data,
            capture_output=True,
            cwd=elsewhere,
        )
    if result.returncode == 0:
        return "yes"
    return "cannot be loaded: " + result.stderr.decode().strip().splitlines()[-1]


# --- a Gradio app ------------------------------------------------------------------------------


def ask_app(app, image: Path) -> dict[str, float]:
    """Start a Gradio `app` on this machine, send it one image through Gradio's own client (as a
    visitor's browser would) and stop it: the probabilities it answered."""
    from gradio_client import Client, handle_file

    from dlcourse.settings import environment

    with environment({"GRADIO_ANALYTICS_ENABLED": "False"}):
        app.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True, inline=False)
        try:
            client = Client(app.local_url, verbose=False)
            answer = client.predict(handle_file(str(image)), api_name="/classify")
        finally:
            app.close()
    return {c["label"]: c["confidence"] for c in answer["confidences"]}


def launch(app, image: Path) -> dict[str, float] | None:
    """In Colab: the app with a public share link (it lives as long as the notebook runs, a week at most).
    Elsewhere: `ask_app` with `image`, on this machine."""
    if "google.colab" in sys.modules:
        app.launch(share=True)
        return None
    return ask_app(app, image)


def space_files() -> dict[str, str]:
    """The files of a Hugging Face Space for the app: app.py and requirements.txt, as shipped."""
    folder = Path(__file__).parent / "space"
    return {name: (folder / name).read_text(encoding="utf-8") for name in ("app.py", "requirements.txt")}


# --- the model on the course site ----------------------------------------------------------------


def train_classifier(mode: Mode, seed: int = 0):
    """Lesson 10's model (lesson 2's recipe, the same split): `vision_learner`, then `fine_tune(EPOCHS)`."""
    from fastai.metrics import error_rate
    from fastai.torch_core import set_seed
    from fastai.vision.learner import vision_learner

    from dlcourse.pets import pets_dataloaders, pets_path
    from dlcourse.train import pick_arch

    set_seed(seed, reproducible=True)
    learn = vision_learner(pets_dataloaders(pets_path(mode), mode), pick_arch(mode), metrics=error_rate)
    learn.fine_tune(EPOCHS)
    return learn


def site_record() -> dict:
    """The record of the classify page's model: its classes, image size, Normalize statistics and run."""
    try:
        return json.loads(SITE_RECORD.read_text())
    except (OSError, ValueError) as err:
        raise damaged(SITE_RECORD, err, REBUILD) from err


def site_classifier() -> tuple[PixelsToProbabilities, dict]:
    """The classify page's model (float32 from its float16 weights) and its record."""
    from fastai.vision.learner import create_vision_model

    from dlcourse.offline_model import offline_resnet

    record = site_record()
    state = load_weights(SITE_WEIGHTS, REBUILD)
    model = create_vision_model(offline_resnet, len(record["classes"]), pretrained=False)
    model.load_state_dict(state)
    return PixelsToProbabilities(model, record["mean"], record["std"]).eval(), record


def site_validation_files() -> tuple[list[Path], list[str]]:
    """The validation images of the site model's run (the offline Pets split of `pets_dataloaders`, which
    trained it) and their labels."""
    from dlcourse.mode import detect_mode
    from dlcourse.pets import offline_pets, pets_dataloaders

    dls = pets_dataloaders(offline_pets(), detect_mode("offline"))
    return list(dls.valid_ds.items), [dls.vocab[int(y)] for y in dls.valid_ds.tls[1]]


def file_pixels(files: list[Path]) -> np.ndarray:
    """Image files at the model's size as the page reads them: RGB values / 255, (N, 3, H, W)."""
    from PIL import Image

    return np.stack(
        [np.asarray(Image.open(f).convert("RGB"), dtype=np.float32).transpose(2, 0, 1) / 255 for f in files]
    )


def file_accuracy(
    model: PixelsToProbabilities, files: list[Path], labels: list[str], classes: list[str]
) -> float:
    """The share of `files` whose likeliest class is their label."""
    with torch.no_grad():
        predicted = model(torch.from_numpy(file_pixels(files))).argmax(1).numpy()
    return float(np.mean([classes[i] == y for i, y in zip(predicted, labels, strict=True)]))
