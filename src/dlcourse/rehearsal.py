"""Rehearse full mode without the internet: stand-ins laid out exactly where its downloads would land.

- Oxford-IIIT Pets: JPEGs of Pets' sizes and names (`Bengal_12.jpg`, `great_pyrenees_173.jpg`) in the
  folder `untar_data(URLs.PETS)` returns, so fastai finds the data there and downloads nothing.
- Planet's sample: 256-pixel JPEG tiles and a `labels.csv` of space-separated tags in the folder
  `untar_data(URLs.PLANET_SAMPLE)` returns.
- CamVid's sample: 960×720 PNG scenes, their masks (`labels/…_P.png`, CamVid's 32 class indices) and
  `codes.txt` in the folder `untar_data(URLs.CAMVID_TINY)` returns.
- IMDB's sample: `texts.csv` (label, text, is_valid) of made-up reviews in the folder
  `untar_data(URLs.IMDB_SAMPLE)` returns.
- ImageNet weights: files with the right names and keys in torch's hub cache, so torchvision loads them
  instead of downloading. WikiText-103's language model: a weights file and its vocabulary where
  `untar_data(URLs.WT103_FWD, c_key='model')` looks, with fastai's AWD-LSTM sizes and a small vocabulary.
  Their values are random: a rehearsal proves the plumbing, not the accuracy.

The test harness and the course's benchmarks use this; the lessons do not know about it. `ShortRuns`
is the harness's way of shortening epochs: it is added to fastai's default callbacks before a lesson
runs, so the lesson's own cells stay exactly what a learner runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from fastai.callback.core import Callback, CancelFitException
from PIL import Image

from dlcourse.settings import SHRINK, environment

CATS = (
    "Abyssinian Bengal Birman Bombay British_Shorthair Egyptian_Mau Maine_Coon Persian Ragdoll "
    "Russian_Blue Siamese Sphynx"
).split()
DOGS = (
    "american_bulldog american_pit_bull_terrier basset_hound beagle boxer chihuahua english_cocker_spaniel "
    "english_setter german_shorthaired great_pyrenees havanese japanese_chin keeshond leonberger "
    "miniature_pinscher newfoundland pomeranian pug saint_bernard samoyed scottish_terrier shiba_inu "
    "staffordshire_bull_terrier wheaten_terrier yorkshire_terrier"
).split()
BREEDS = CATS + DOGS  # Pets' 37 breeds; cats are the capitalised names
FULL_MODE_ARCHS = ("resnet34", "resnet50")


def write_pets_like(dest: Path, per_breed: int, width: int = 500, height: int = 375, seed: int = 0) -> Path:
    """`per_breed` JPEGs of each breed, about `width`×`height` (±20 %), named as in Pets."""
    rng = np.random.default_rng(seed)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(per_breed * len(BREEDS)):
        w, h = (int(s * rng.uniform(0.8, 1.2)) for s in (width, height))
        blotches = rng.integers(0, 256, size=(max(1, h // 16), max(1, w // 16), 3), dtype=np.uint8)
        image = Image.fromarray(blotches).resize((w, h), Image.Resampling.BICUBIC)
        image.save(dest / f"{BREEDS[i % len(BREEDS)]}_{i // len(BREEDS) + 1}.jpg", quality=90)
    return dest


def install_pets(per_breed: int, **kwargs) -> Path:
    """Pets-like images where `untar_data(URLs.PETS)` looks first (under $FASTAI_HOME)."""
    from fastai.data.external import URLs

    from dlcourse.data import untar_data_path

    images = untar_data_path(URLs.PETS) / "images"
    if not (images.is_dir() and len(list(images.glob("*.jpg"))) == per_breed * len(BREEDS)):
        write_pets_like(images, per_breed, **kwargs)
    (images.parent / "annotations").mkdir(exist_ok=True)
    return images


PLANET_TAGS = (
    "agriculture artisinal_mine bare_ground blooming blow_down clear cloudy conventional_mine cultivation "
    "habitation haze partly_cloudy primary road selective_logging slash_burn water"
).split()  # the 17 tags of Planet's sample


def install_planet(n: int = 40, size: int = 256, seed: int = 0) -> Path:
    """A Planet-like sample where `untar_data(URLs.PLANET_SAMPLE)` looks first: `n` JPEG tiles of the
    sample's size (256×256) in `train/`, and `labels.csv` with 1 to 4 space-separated tags each (every
    tag used at least once when `n` allows)."""
    from fastai.data.external import URLs

    from dlcourse.data import untar_data_path

    folder = untar_data_path(URLs.PLANET_SAMPLE)
    images = folder / "train"
    if images.is_dir() and len(list(images.glob("*.jpg"))) == n and (folder / "labels.csv").is_file():
        return folder
    rng = np.random.default_rng(seed)
    images.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        tags = {PLANET_TAGS[i % len(PLANET_TAGS)], *rng.choice(PLANET_TAGS, int(rng.integers(0, 4)))}
        rows.append(f"train_{i},{' '.join(sorted(tags))}\n")
        blotches = rng.integers(0, 256, size=(size // 16, size // 16, 3), dtype=np.uint8)
        Image.fromarray(blotches).resize((size, size), Image.Resampling.BICUBIC).save(
            images / f"train_{i}.jpg", quality=90
        )
    (folder / "labels.csv").write_text("image_name,tags\n" + "".join(rows))
    return folder


CAMVID_CODES = (
    "Animal Archway Bicyclist Bridge Building Car CartLuggagePram Child Column_Pole Fence LaneMkgsDriv "
    "LaneMkgsNonDriv Misc_Text MotorcycleScooter OtherMoving ParkingBlock Pedestrian Road RoadShoulder "
    "Sidewalk SignSymbol Sky SUVPickupTruck TrafficCone TrafficLight Train Tree Truck_Bus Tunnel "
    "VegetationMisc Void Wall"
).split()  # CamVid's codes.txt, in index order


def install_camvid(n: int = 12, width: int = 960, height: int = 720, seed: int = 0) -> Path:
    """A CamVid-like sample where `untar_data(URLs.CAMVID_TINY)` looks first: `n` PNG scenes of CamVid's
    size in `images/` (named as CamVid's, `0001TP_006690.png`), masks of blocks of random class indices in
    `labels/` (`0001TP_006690_P.png`, mode L), and CamVid's `codes.txt`."""
    from fastai.data.external import URLs

    from dlcourse.data import untar_data_path

    folder = untar_data_path(URLs.CAMVID_TINY)
    if (folder / "codes.txt").is_file() and len(list((folder / "labels").glob("*_P.png"))) == n:
        return folder
    rng = np.random.default_rng(seed)
    for sub in ("images", "labels"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = f"0001TP_{6690 + 30 * i:06d}"
        blotches = rng.integers(0, 256, size=(height // 48, width // 48, 3), dtype=np.uint8)
        Image.fromarray(blotches).resize((width, height), Image.Resampling.BICUBIC).save(
            folder / "images" / f"{name}.png"
        )
        blocks = rng.integers(0, len(CAMVID_CODES), size=(height // 48, width // 48), dtype=np.uint8)
        Image.fromarray(blocks).resize((width, height), Image.Resampling.NEAREST).save(
            folder / "labels" / f"{name}_P.png"
        )
    (folder / "codes.txt").write_text("".join(f"{code}\n" for code in CAMVID_CODES))
    return folder


REVIEW_WORDS = (
    "the a this film movie story acting plot was is and but not very really great good bad awful boring "
    "loved hated it I we actors scene ending music funny slow long best worst ever again watch"
).split()


def install_imdb_sample(n: int = 40, words: tuple[int, int] = (20, 60), seed: int = 0) -> Path:
    """An IMDB-like sample where `untar_data(URLs.IMDB_SAMPLE)` looks first: `texts.csv` with `n` made-up
    reviews of `words` (smallest, largest) words each, labelled negative or positive, a fifth of them
    `is_valid`."""
    import pandas as pd
    from fastai.data.external import URLs

    from dlcourse.data import untar_data_path

    folder = untar_data_path(URLs.IMDB_SAMPLE)
    if (folder / "texts.csv").is_file() and len(pd.read_csv(folder / "texts.csv")) == n:
        return folder
    rng = np.random.default_rng(seed)
    shortest, longest = words
    rows = []
    for i in range(n):
        text = " ".join(rng.choice(REVIEW_WORDS, int(rng.integers(shortest, longest + 1))))
        rows.append(
            {
                "label": ("negative", "positive")[i % 2],
                "text": text.capitalize() + ".",
                "is_valid": i % 5 == 0,
            }
        )
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(folder / "texts.csv", index=False)
    return folder


def install_wt103(seed: int = 0) -> Path:
    """Random weights of fastai's AWD-LSTM language model (its sizes: 400, 1,152, 3 layers) with a vocabulary
    of the special tokens and `REVIEW_WORDS`, as `lstm_fwd.pth` and `itos_wt103.pkl` where fastai's
    `language_model_learner(..., pretrained=True)` finds WikiText-103's."""
    import pickle

    from fastai.data.external import URLs, fastai_path
    from fastai.text.core import defaults
    from fastai.text.models.awdlstm import AWD_LSTM
    from fastai.text.models.core import get_language_model

    folder = fastai_path("model") / URLs.WT103_FWD.rsplit("/", 1)[-1].removesuffix(".tgz")
    if (folder / "lstm_fwd.pth").is_file() and (folder / "itos_wt103.pkl").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    itos = [*defaults.text_spec_tok, *dict.fromkeys(w.lower() for w in REVIEW_WORDS)]
    torch.manual_seed(seed)
    torch.save(get_language_model(AWD_LSTM, len(itos)).state_dict(), folder / "lstm_fwd.pth")
    (folder / "itos_wt103.pkl").write_bytes(pickle.dumps(itos))
    return folder


def install_weights(archs: tuple[str, ...] = FULL_MODE_ARCHS, seed: int = 0) -> list[Path]:
    """Random weights under the file names torchvision would download for fastai's default weights."""
    import torchvision.models as models

    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    written = []
    for name in archs:
        url = models.get_model_weights(name).DEFAULT.url  # what `vision_learner(..., pretrained=True)` loads
        target = checkpoints / url.rsplit("/", 1)[-1]
        if not target.exists():
            torch.manual_seed(seed)
            torch.save(models.get_model(name).state_dict(), target)
        written.append(target)
    return written


class ShortRuns(Callback):
    """Short epochs: each fit sees only the first `train_batches` batches of the training set per epoch
    (the schedules and metrics stay consistent) and validates on the first `valid_items` items of the
    validation set, or one batch if that is more (from then on, predictions and interpretation see those
    too), and `lr_find` stops after `lr_find_batches` steps. Only for rehearsals: the numbers mean nothing."""

    order = -20  # before the schedulers read the number of batches

    def __init__(self, train_batches: int = 2, lr_find_batches: int = 32, valid_items: int = 64):
        self.train_batches, self.lr_find_batches = train_batches, lr_find_batches
        self.valid_items = valid_items

    def before_fit(self):
        if hasattr(self.learn, "lr_finder"):
            return  # lr_find runs its own count of batches, across epochs
        train, valid = self.dls.train, self.dls.valid
        train.n = min(len(train.dataset), self.train_batches * train.bs)
        valid.n = min(len(valid.dataset), max(self.valid_items, valid.bs))

    def after_batch(self):
        if self.training and hasattr(self.learn, "lr_finder") and self.train_iter >= self.lr_find_batches:
            raise CancelFitException()


# Code a test harness runs in a lesson's kernel before the lesson: every fit stops after a few batches.
SHORT_EPOCHS = (
    "import fastai.learner, dlcourse.rehearsal\n"
    "fastai.learner.defaults.callbacks.append(dlcourse.rehearsal.ShortRuns)\n"
)


def shrink_env(batch_size: int = 4, size: int = 64) -> dict[str, str]:
    """The environment a test harness starts a lesson's kernel with: full mode's batches and images made
    small (`dlcourse.settings.SHRINK`), the full-mode code path at a fraction of the compute."""
    return {SHRINK: f"{batch_size}x{size}"}


# --- laying the stand-ins out for a run in full mode -------------------------------------------------------

# The real downloads' sizes: Pets (7,390 photos, about 200 per breed), fastai's Planet sample (1,000
# tiles), CamVid tiny (100 scenes), IMDB sample (1,000 reviews of about 230 words).
REAL_SIZES = {"per_breed": 200, "planet_tiles": 1000, "camvid_scenes": 100, "imdb_reviews": 1000}
REAL_REVIEW_LENGTH = (50, 410)  # a real review's words, shortest to longest; about 230 on average
STAND_INS = (
    "generated stand-ins of the downloads' sizes (Pets: 200 photos per breed, Planet: 1,000 tiles, CamVid: "
    "100 scenes, IMDB sample: 1,000 reviews)"
)


def rehearsal_env(home: Path) -> dict[str, str]:
    """Where full mode's downloads land (fastai's data, torch's hub cache) and the course's cache."""
    home = Path(home).resolve()
    return {
        "DLCOURSE_MODE": "full",
        "FASTAI_HOME": str(home / "fastai"),
        "TORCH_HOME": str(home / "torch"),
        "DLCOURSE_DATA": str(home / "dlcourse"),
    }


def prepare_full_mode(
    home: Path, per_breed: int, planet_tiles: int = 40, camvid_scenes: int = 12, imdb_reviews: int = 40
) -> dict[str, str]:
    """Lay out the stand-ins under `home`; returns the environment a lesson kernel needs to find them.
    The defaults are a test's small stand-ins; `REAL_SIZES` are the downloads' own."""
    env = rehearsal_env(home)
    words = REAL_REVIEW_LENGTH if imdb_reviews >= REAL_SIZES["imdb_reviews"] else (20, 60)
    with environment(env):
        install_pets(per_breed)
        install_planet(planet_tiles)
        install_camvid(camvid_scenes)
        install_imdb_sample(imdb_reviews, words=words)
        install_wt103()
        install_weights()
    return env
