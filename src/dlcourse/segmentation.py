"""Segmentation: CamVid's layout, its offline stand-in, void-excluded accuracy, and a U-Net's shapes.

Full mode: fastai's `URLs.CAMVID_TINY` (100 street scenes, 960×720) or the full `URLs.CAMVID` (701):
`images/0001TP_006690.png`, its mask `labels/0001TP_006690_P.png` (one class index per pixel), and
`codes.txt`, the class names, one per line, in index order (`Void` among them).

Offline mode: scenes in the same layout. Each 56×56 scene is a faint textured floor with 2 to 4
Fashion-MNIST photos (test split, the lesson classes) pasted at random places, brightest pixel on top.
Each pixel's class comes from a rule, not from a person drawing outlines:

- the class of the photo whose ink there is strong (at least `INK` of 255), when no other photo has any
  ink there;
- `Void` where the ink is only faint (an outline's soft edge, between `FAINT` and `INK`) or where two
  photos overlap with ink: pixels whose class a person could not say for sure either;
- `Background` everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from dlcourse import fashion_mnist
from dlcourse.data import DataError, data_root, download, write_folder_once
from dlcourse.mode import Mode
from dlcourse.settings import OFFLINE_MOSAIC, DataConfig, data_settings

SCENE = OFFLINE_MOSAIC  # pixels per side, offline
ITEM = 28  # a Fashion-MNIST photo
INK, FAINT = 96, 24  # grey levels: strong ink is a photo's class, faint ink is Void
FLOOR = 40  # the floor's texture stays below this grey level (under INK, above FAINT: not a class cue)
OFFLINE_SCENES = 600
VOID = "Void"
BACKGROUND = "Background"
CLASS_CODES = {c: fashion_mnist.CLASSES[c].replace(" ", "_") for c in fashion_mnist.LESSON_CLASSES}
CODES = (BACKGROUND, *CLASS_CODES.values(), VOID)


def config(mode: Mode) -> DataConfig:
    """The mode's data settings: sizes, batch sizes, the validation share, augmentation."""
    return data_settings("camvid", mode)


# --- the offline scenes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    name: str  # images/{name}.png and labels/{name}_P.png
    items: tuple[int, ...]  # photo indices in `fashion_mnist.lesson_images()`, pasted in this order
    corners: tuple[tuple[int, int], ...]  # (row, col) of each photo's top-left corner
    floor_seed: int


def plan_scenes(n: int, n_photos: int, seed: int = 0) -> list[Scene]:
    """`n` scenes, the same for the same arguments: 2-4 photos each, anywhere inside the scene."""
    rng = np.random.default_rng(seed)
    scenes = []
    for i in range(n):
        k = int(rng.integers(2, 5))
        items = tuple(int(j) for j in rng.integers(0, n_photos, size=k))
        corners = tuple((int(r), int(c)) for r, c in rng.integers(0, SCENE - ITEM + 1, size=(k, 2)))
        scenes.append(Scene(f"scene_{i:04d}", items, corners, int(rng.integers(2**31))))
    return scenes


def floor(seed: int) -> np.ndarray:
    """A smooth random texture below `FLOOR`: the scene's background is not simply black."""
    coarse = np.random.default_rng(seed).integers(0, FLOOR, size=(8, 8), dtype=np.uint8)
    return np.array(Image.fromarray(coarse).resize((SCENE, SCENE), Image.Resampling.BICUBIC))


def render(scene: Scene, photos: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(image, mask) of a scene as uint8 arrays (SCENE, SCENE): the image is the floor with the photos
    pasted brightest-on-top; the mask holds the index in `CODES` of each pixel's class, by the rule above."""
    image = floor(scene.floor_seed)
    owner = np.zeros((SCENE, SCENE), dtype=np.uint8)  # the class code of the photo with strong ink
    inked = np.zeros((SCENE, SCENE), dtype=np.uint8)  # how many photos have ink (>= FAINT) at each pixel
    strong = np.zeros((SCENE, SCENE), dtype=bool)
    for item, (r, c) in zip(scene.items, scene.corners, strict=True):
        photo = photos[item]
        window = (slice(r, r + ITEM), slice(c, c + ITEM))
        image[window] = np.maximum(image[window], photo)
        inked[window] += photo >= FAINT
        strong[window] |= photo >= INK
        code = CODES.index(CLASS_CODES[int(labels[item])])
        owner[window] = np.where(photo >= INK, code, owner[window])
    mask = np.zeros((SCENE, SCENE), dtype=np.uint8)  # Background
    mask[inked >= 1] = CODES.index(VOID)
    mask[(inked == 1) & strong] = owner[(inked == 1) & strong]
    return image, mask


def write_scenes(dest: Path, n: int = OFFLINE_SCENES, seed: int = 0) -> Path:
    """`n` scenes in CamVid's layout under `dest` (images/, labels/ with `_P`, codes.txt), written once,
    safely when processes race (`dlcourse.data.write_folder_once`)."""
    photos, labels, _ = fashion_mnist.lesson_images()
    scenes = plan_scenes(n, len(labels), seed)
    codes = "".join(f"{code}\n" for code in CODES)
    expected = {
        "codes.txt": codes,
        **{f"images/{s.name}.png": None for s in scenes},
        **{f"labels/{mask_name(f'{s.name}.png')}": None for s in scenes},
    }

    def write(folder: Path) -> None:
        for s in scenes:
            image, mask = render(s, photos, labels)
            Image.fromarray(image).convert("RGB").save(folder / "images" / f"{s.name}.png")
            Image.fromarray(mask).save(folder / "labels" / mask_name(f"{s.name}.png"))
        (folder / "codes.txt").write_text(codes)

    return write_folder_once(Path(dest), expected, write)


def offline_camvid() -> Path:
    """The offline stand-in for CamVid: 600 scenes of Fashion-MNIST photos with rule-derived masks."""
    return write_scenes(data_root() / "fashion-scenes")


def download_camvid(full: bool = False) -> Path:
    """CamVid's folder, downloaded by fastai: the 100-scene `CAMVID_TINY`, or with `full` all 701 scenes."""
    from fastai.data.external import URLs

    return download(URLs.CAMVID if full else URLs.CAMVID_TINY, "CamVid" if full else "fastai's CamVid sample")


def camvid_path(mode: Mode, full: bool = False) -> Path:
    return offline_camvid() if mode.offline else download_camvid(full)


# --- reading the layout, and checking the masks against the codes ------------------------------------------


def mask_name(image_name: str) -> str:
    """CamVid's rule: the mask of `0001TP_006690.png` is `0001TP_006690_P.png`."""
    stem, dot, suffix = image_name.rpartition(".")
    return f"{stem}_P.{suffix}"


def mask_file(image: Path, labels: Path) -> Path:
    """The mask of an image file, in the `labels` folder (a function, not a lambda: a learner that uses it
    can be exported)."""
    return Path(labels) / mask_name(Path(image).name)


def read_codes(path: Path) -> list[str]:
    """The class names of `path/codes.txt`, in index order."""
    try:
        codes = [line.strip() for line in (Path(path) / "codes.txt").read_text().splitlines() if line.strip()]
    except OSError as err:
        raise DataError(f"no codes.txt in {path}: is this CamVid's folder? Or use offline mode") from err
    if not codes:
        raise DataError(f"{Path(path) / 'codes.txt'} is empty: it should list the class names, one per line")
    return codes


def open_mask(file: Path) -> np.ndarray:
    """A mask file's class indices, as fastai's `PILMask` reads them: an 8-bit greyscale image (mode L),
    one class index per pixel. Other modes are refused with the fix: fastai converts them to greyscale,
    which turns colours, and the indices of a palette image, into grey levels that are not the classes."""
    try:
        with Image.open(file) as im:
            if im.mode == "P":
                raise DataError(
                    f"{file} is a palette image (mode P): fastai reads masks as greyscale, which would turn "
                    "its indices into grey levels. Save the indices as a greyscale image: "
                    "Image.fromarray(np.asarray(Image.open(f))).save(f)"
                )
            if im.mode != "L":
                raise DataError(
                    f"{file} is a {im.mode} image: a mask holds one class index per pixel (mode L), "
                    "not colours. Save the class indices, not a coloured picture of them"
                )
            return np.asarray(im)
    except OSError as err:
        raise DataError(
            f"{file} cannot be read as an image ({err}): replace it, or remove its image"
        ) from err


def check_masks(path: Path, codes: list[str] | None = None) -> list[Path]:
    """Every image has its mask, and every mask value is a class of codes.txt. A value outside them would
    only fail later, deep in the loss (on a GPU: 'CUDA error: device-side assert triggered'). Returns the
    image files, sorted."""
    path = Path(path)
    codes = codes or read_codes(path)
    images = sorted(p for p in (path / "images").iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
    if not images:
        raise DataError(f"no images in {path / 'images'}: is this CamVid's folder? Or use offline mode")
    if missing := [p.name for p in images if not mask_file(p, path / "labels").is_file()]:
        raise DataError(
            f"{len(missing)} image(s) have no mask in {path / 'labels'}, e.g. {missing[0]} needs "
            f"{mask_name(missing[0])}: add the masks, or remove those images"
        )
    for image in images:
        mask = open_mask(mask_file(image, path / "labels"))
        if (bad := np.unique(mask[mask >= len(codes)])).size:
            raise DataError(
                f"{mask_file(image, path / 'labels')} has pixel value(s) {', '.join(map(str, bad[:5]))}, but "
                f"codes.txt lists {len(codes)} classes (0 to {len(codes) - 1}): fix the mask, or add the "
                "missing class names to codes.txt"
            )
    return images


# --- accuracy without Void ---------------------------------------------------------------------------------


def _array(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def void_excluded_accuracy(logits, targets, void_code: int) -> float:
    """The share of pixels whose predicted class (the largest of the per-class outputs, axis 1) is the true
    one, counting only pixels whose true class is not `void_code`: no answer is right or wrong there."""
    predicted = _array(logits).argmax(axis=1)
    target = _array(targets)
    target = target.reshape(predicted.shape)  # fastai's masks may carry a channel axis of 1
    keep = target != void_code
    return float((predicted[keep] == target[keep]).mean())


def pixel_shares(path: Path, codes: list[str] | None = None) -> pd.DataFrame:
    """How many pixels of the masks belong to each class, and their share of the non-Void pixels: what a
    model that always answers the commonest class would score."""
    path = Path(path)
    codes = codes or read_codes(path)
    counts = np.zeros(len(codes), dtype=np.int64)
    for file in (path / "labels").iterdir():
        counts += np.bincount(open_mask(file).ravel(), minlength=len(codes))[: len(codes)]
    counted = counts.sum() - (counts[codes.index(VOID)] if VOID in codes else 0)
    return pd.DataFrame(
        {
            "class": codes,
            "pixels": counts,
            "share without Void": [
                np.nan if c == VOID else n / counted for c, n in zip(codes, counts, strict=True)
            ],
        }
    )


def per_class_accuracy(logits, targets, codes: list[str]) -> pd.DataFrame:
    """For each class: its pixels in `targets` and the share of them predicted as that class (recall)."""
    predicted = _array(logits).argmax(axis=1)
    target = _array(targets).reshape(predicted.shape)
    rows = []
    for index, code in enumerate(codes):
        here = target == index
        rows.append(
            {
                "class": code,
                "pixels": int(here.sum()),
                "predicted right": float((predicted[here] == index).mean()) if here.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


# --- the learner and its shapes ----------------------------------------------------------------------------


def mask_codes(dls) -> list[str]:
    """The class names a segmentation `DataLoaders` was made with (its `AddMaskCodes` step holds them)."""
    for tfm in dls.train.after_item.fs:
        if getattr(tfm, "vocab", None) is not None:
            return list(tfm.vocab)
    raise ValueError("these DataLoaders have no mask codes: make them with `codes=`")


def predictions(learn, n: int = 4, dl=None) -> list[dict[str, np.ndarray]]:
    """The first `n` images of `dl` (default: the validation set) with their true and predicted masks, as
    arrays for `dlcourse.plots.show_masks`; Void pixels count as right or wrong in neither."""
    dl = dl or learn.dls.valid
    logits, targets = learn.get_preds(dl=dl)
    files = dl.items[:n]
    return [
        {
            "image": np.asarray(Image.open(file).convert("RGB").resize(targets.shape[-1:-3:-1])),
            "true mask": _array(targets[i]).astype(np.int64),
            "predicted": _array(logits[i]).argmax(0).astype(np.int64),
        }
        for i, file in enumerate(files)
    ]


def unet_shapes(learn) -> pd.DataFrame:
    """The U-Net's layers in order, with the shape each outputs for one image of the validation set, and
    the encoder outputs that the decoder also takes (skip connections): those just before the image
    shrinks, as fastai's `DynamicUnet` chooses them."""
    import torch

    model = learn.model
    rows, handles = [], []
    parts = [("encoder", i, m) for i, m in enumerate(model[0])] + [
        ("decoder", i, m) for i, m in enumerate(model) if i > 0
    ]
    for part, i, module in parts:
        name = f"{i}: {type(module).__name__}"

        def hook(_, __, output, part=part, name=name):
            rows.append({"part": part, "layer": name, "output shape": tuple(output.shape[1:])})

        handles.append(module.register_forward_hook(hook))
    x, _ = learn.dls.valid.one_batch()
    try:
        with torch.no_grad():
            model.to(x.device).eval()(x[:1])  # before training the model may still be on the CPU
    finally:
        for handle in handles:
            handle.remove()
    table = pd.DataFrame(rows)
    encoder_sizes = [
        shape[-2:] for part, shape in zip(table.part, table["output shape"], strict=True) if part == "encoder"
    ]
    shrinks = {i for i in range(len(encoder_sizes) - 1) if encoder_sizes[i] != encoder_sizes[i + 1]}
    table["skip to the decoder"] = [part == "encoder" and i in shrinks for i, part in enumerate(table.part)]
    return table
