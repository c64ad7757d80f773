"""Lesson 6's exercises: a DataBlock for train/ and valid/ folders, a Pets label from a file name, and the
validation set `RandomSplitter` draws. References: fastai (`ImageDataLoaders.from_folder`, `RegexLabeller`,
`RandomSplitter`)."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import numpy as np

from dlcourse.exercises.core import Case, Exercise, Mistake, show

# --- 06.folder_block ----------------------------------------------------------------------------------------

# each folder: (split folder, label folder, number of images, extension)
_LAYOUTS = {
    "three_breeds": [
        ("train", "abyssinian", 3, "jpg"),
        ("train", "beagle", 3, "jpg"),
        ("train", "Bengal", 2, "jpg"),
        ("valid", "abyssinian", 1, "jpg"),
        ("valid", "beagle", 1, "jpg"),
        ("valid", "Bengal", 1, "jpg"),
    ],
    "with_test": [
        ("train", "cat", 3, "jpg"),
        ("train", "dog", 3, "jpg"),
        ("valid", "cat", 1, "jpg"),
        ("valid", "dog", 1, "jpg"),
        ("test", "cat", 2, "jpg"),
        ("test", "dog", 2, "jpg"),
    ],
    "png_and_a_class_without_valid": [
        ("train", "ant", 2, "png"),
        ("train", "bee", 3, "jpg"),
        ("train", "wasp", 2, "png"),
        ("valid", "ant", 1, "jpg"),
        ("valid", "bee", 2, "png"),
    ],
    "with_other_files": [
        ("train", "sandal", 3, "png"),
        ("train", "shirt", 3, "png"),
        ("valid", "sandal", 2, "png"),
        ("valid", "shirt", 1, "png"),
    ],
}


def _random_layout(seed: int) -> list[tuple[str, str, int, str]]:
    rng = np.random.default_rng(seed)
    layout = []
    for label in ["bag", "boot", "sandal", "shirt", "sneaker"]:
        layout.append(("train", label, int(rng.integers(1, 6)), str(rng.choice(["jpg", "png"]))))
        layout.append(("valid", label, int(rng.integers(0, 3)), str(rng.choice(["jpg", "png"]))))
    return layout


@functools.cache
def _fixture_root() -> Path:
    """Small folders of tiny images, written once per session to a temporary folder."""
    from PIL import Image

    root = Path(tempfile.mkdtemp(prefix="dlcourse-06-"))
    layouts = {**_LAYOUTS, "random": _random_layout(6)}
    for name, layout in layouts.items():
        for split, label, count, ext in layout:
            folder = root / name / split / label
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                colour = (40 * i % 256, len(label) * 20 % 256, 120)
                Image.new("RGB", (8, 6), colour).save(folder / f"{label}_{i}.{ext}")
    (root / "with_other_files" / "train" / "sandal" / "notes.txt").write_text("taken in the shop\n")
    (root / "with_other_files" / "labels.csv").write_text("name,label\n")
    return root


def _folder_cases() -> list[Case]:
    root = _fixture_root()
    return [
        Case("three breeds in train/ and valid/", (root / "three_breeds",)),
        Case("a test/ folder next to train/ and valid/", (root / "with_test",)),
        Case("png files, and a class with no validation images", (root / "png_and_a_class_without_valid",)),
        Case("a notes.txt and a labels.csv among the images", (root / "with_other_files",)),
        Case("a random folder: five classes, 1 to 5 training images each", (root / "random",)),
    ]


def _label(subset, i: int) -> str:
    try:
        return str(subset.vocab[int(subset.tls[1][i])])
    except Exception as err:  # noqa: BLE001 - a label fastai cannot encode is part of what is compared
        return f"{type(err).__name__}: {err}"


def _summary(value) -> dict | str:
    """What is compared: the input pipeline, the vocab and each set's (item, label) pairs, in any order.
    A string says why `value` could not be read."""
    if isinstance(value, dict):
        return value
    from fastai.data.block import DataBlock
    from fastai.data.core import DataLoaders, Datasets

    if isinstance(value, DataBlock):
        return "a DataBlock: return the Datasets it makes for the folder, `block.datasets(path)`"
    if isinstance(value, DataLoaders):
        train, valid = value.train_ds, value.valid_ds
    elif isinstance(value, Datasets):
        train, valid = value.train, value.valid
    else:
        return f"{show(value)}, not the Datasets of a DataBlock"
    root = _fixture_root()
    try:
        return {
            "input": str(train.tls[0].tfms),
            "vocab": [str(v) for v in train.vocab],
            "training": sorted(
                (os.path.relpath(o, root), _label(train, i)) for i, o in enumerate(train.items)
            ),
            "validation": sorted(
                (os.path.relpath(o, root), _label(valid, i)) for i, o in enumerate(valid.items)
            ),
        }
    except Exception as err:  # noqa: BLE001 - whatever it is, it is not the block asked for
        return f"Datasets that could not be read: {type(err).__name__}: {err}"


def _compare_datasets(expected, received, rtol: float, atol: float) -> str:
    want, got = _summary(expected), _summary(received)
    if want == got:
        return ""
    if isinstance(got, str) or isinstance(want, str):
        what = got if isinstance(got, str) else "Datasets"
        return f"  expected the Datasets of a DataBlock\n  received {what}\n"
    if want["input"] != got["input"]:
        return (
            f"  the inputs differ: expected images ({want['input']})\n  received {got['input']}\n"
            "  (the first block opens each item: ImageBlock)\n"
        )
    for name in ("training", "validation"):
        if want[name] != got[name]:
            return _set_difference(name, dict(want[name]), dict(got[name]))
    return f"  the vocab differs\n  expected: {want['vocab']}\n  received: {got['vocab']}\n"


def _set_difference(name: str, want: dict, got: dict) -> str:
    def few(items: list) -> str:
        return ", ".join(items[:4]) + (f" and {len(items) - 4} more" if len(items) > 4 else "")

    lines = [f"  the {name} set differs: expected {len(want)} items, received {len(got)}"]
    if missing := [k for k in want if k not in got]:
        lines.append(f"  missing from yours: {few(missing)}")
    if extra := [k for k in got if k not in want]:
        lines.append(f"  in yours but should not be: {few(extra)}")
    if wrong := [k for k in want if k in got and want[k] != got[k]]:
        k = wrong[0]
        lines.append(
            f"  labels differ ({len(wrong)} items), e.g. {k}: expected {want[k]!r}, received {got[k]!r}"
        )
    return "\n".join(lines) + "\n"


def _fastai_from_folder(path) -> dict:
    from fastai.vision.data import ImageDataLoaders

    return _summary(ImageDataLoaders.from_folder(path, bs=2, num_workers=0))


FOLDER_BLOCK = Exercise(
    id="06.folder_block",
    title="A DataBlock for train/ and valid/ folders",
    function="folder_datasets",
    prompt=(
        "Some data sets come sorted into folders instead of named by file: the training images in "
        "`path/train/<label>/` and the validation images in `path/valid/<label>/` (sometimes with other "
        "folders, such as `test/`, that belong to neither set, and other files, such as a `notes.txt`). "
        "Write `folder_datasets(path)`: build a `DataBlock` for such a folder, with an image as input "
        "(`ImageBlock`) and one category as target (`CategoryBlock`), as in the lesson; the items are the "
        "image files under `path` (and nothing else), an image's label is the name of the folder it is "
        "in, and the folder above that says whether it is for training (`train`) or validation "
        "(`valid`). Return `block.datasets(path)`, the `Datasets` the block makes for `path` (no "
        "transforms are needed: Datasets do not apply `item_tfms`). The check runs it and fastai's "
        "`ImageDataLoaders.from_folder(path)` on small folders of tiny images and compares the training "
        "and validation items, their labels and the vocab."
    ),
    starter='''def folder_datasets(path):
    """path: a folder with train/<label>/ and valid/<label>/ image folders. Returns the block's Datasets."""
    raise NotImplementedError
''',
    solution='''from fastai.data.block import CategoryBlock, DataBlock
from fastai.data.transforms import GrandparentSplitter, get_image_files, parent_label
from fastai.vision.data import ImageBlock


def folder_datasets(path):
    """path: a folder with train/<label>/ and valid/<label>/ image folders. Returns the block's Datasets."""
    block = DataBlock(
        blocks=(ImageBlock, CategoryBlock),  # an image in, one category out
        get_items=get_image_files,  # every image file under path, at any depth; no other files
        get_y=parent_label,  # the label: the name of the folder the image is in
        # the split: the folder above that; images under any other folder (test/) are in neither set
        splitter=GrandparentSplitter(train_name="train", valid_name="valid"),
    )
    return block.datasets(path)  # the block holds no data: given a folder, it makes the Datasets
''',
    hints=(
        "Four of the five answers a DataBlock needs (the fifth, the transforms, is not needed here): "
        "`blocks=(ImageBlock, CategoryBlock)` as in the lesson, `get_items=get_image_files`, a `get_y` "
        "and a `splitter`. Both of the last two read the image's "
        "path, at different levels: `Path(o).parent.name` is the folder the image is in.",
        "fastai has a function for each: `parent_label` reads the folder an image is in, and "
        "`GrandparentSplitter` splits by the folder above it, `train/` for training and `valid/` for "
        "validation, and leaves any other folder out of both sets.",
        "`DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, get_y=parent_label, "
        "splitter=GrandparentSplitter()).datasets(path)` (import them from `fastai.vision.all`).",
    ),
    reference=_fastai_from_folder,
    cases=_folder_cases,
    compare=_compare_datasets,
    mistakes=(
        Mistake(
            "Your validation set is a random share of all the images. In this layout the folders already "
            "say which images are for validation: split by the `train/` or `valid/` folder above each "
            "label folder (`GrandparentSplitter`).",
            """from fastai.vision.all import (CategoryBlock, DataBlock, ImageBlock, RandomSplitter,
                               get_image_files, parent_label)
def folder_datasets(path):
    return DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, get_y=parent_label,
                     splitter=RandomSplitter(valid_pct=0.2, seed=42)).datasets(path)
""",
        ),
        Mistake(
            "Your labels are the split folders' names, `train` and `valid`: you read the folder two levels "
            "up. An image's label is the folder it is in (`parent_label`); the folder above that only says "
            "which set it belongs to.",
            """from pathlib import Path
from fastai.vision.all import CategoryBlock, DataBlock, GrandparentSplitter, ImageBlock, get_image_files
def folder_datasets(path):
    return DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files,
                     get_y=lambda o: Path(o).parent.parent.name,
                     splitter=GrandparentSplitter()).datasets(path)
""",
        ),
        Mistake(
            "The images of `test/` ended up in your training set: a rule that sends every image not in "
            "`valid/` to training takes them too. Only `train/` is for training; `GrandparentSplitter` keeps "
            "the images of any other folder out of both sets.",
            """from pathlib import Path
from fastai.vision.all import (CategoryBlock, DataBlock, FuncSplitter, ImageBlock, get_image_files,
                               parent_label)
def folder_datasets(path):
    return DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_image_files, get_y=parent_label,
                     splitter=FuncSplitter(lambda o: Path(o).parent.parent.name == "valid")).datasets(path)
""",
        ),
        Mistake(
            "Your items include files that are not images (`notes.txt`): `get_files` lists every file. "
            "`get_image_files` keeps only the image files.",
            """from fastai.vision.all import (CategoryBlock, DataBlock, GrandparentSplitter, ImageBlock,
                               get_files, parent_label)
def folder_datasets(path):
    return DataBlock(blocks=(ImageBlock, CategoryBlock), get_items=get_files, get_y=parent_label,
                     splitter=GrandparentSplitter()).datasets(path)
""",
        ),
    ),
)


# --- 06.breed -----------------------------------------------------------------------------------------------

_PETS_PATTERN = r"^(.+)_\d+\.(?:jpg|jpeg|png)$"  # the pattern of the lesson's DataBlock

_BREEDS = [
    "Abyssinian", "american_bulldog", "basset_hound", "Birman", "British_Shorthair", "chihuahua",
    "english_cocker_spaniel", "german_shorthaired", "Maine_Coon", "miniature_pinscher", "Ragdoll",
    "Russian_Blue", "saint_bernard", "Siamese", "staffordshire_bull_terrier", "wheaten_terrier",
]  # fmt: skip


def _fastai_breed(name: str) -> str:
    from fastai.data.transforms import RegexLabeller

    return RegexLabeller(_PETS_PATTERN)(name)


def _breed_cases() -> list[Case]:
    rng = np.random.default_rng(61)
    cases = [
        Case("a dog breed with an underscore in it", ("great_pyrenees_173.jpg",)),
        Case("a cat breed: it starts with a capital letter", ("Bengal_12.jpg",)),
        Case("a cat breed of two words", ("Egyptian_Mau_7.jpg",)),
        Case("three underscores in the breed", ("american_pit_bull_terrier_100.jpg",)),
        Case("an offline photo: a zero-padded number and .png", ("Sandal_00042.png",)),
        Case("an offline photo of a lower-case class", ("shirt_00105.png",)),
        Case("a .jpeg file", ("yorkshire_terrier_5.jpeg",)),
    ]
    for _ in range(3):
        breed = str(rng.choice(_BREEDS))
        name = f"{breed}_{int(rng.integers(1, 250))}.jpg"
        cases.append(Case(f"a random Pets name: {name}", (name,)))
    return cases


BREED = Exercise(
    id="06.breed",
    title="The breed in a Pets file name",
    function="breed_of",
    prompt=(
        "Pets photos are named after their breed and a number: `great_pyrenees_173.jpg` is a Great "
        "Pyrenees, `Bengal_12.jpg` a Bengal. Cat breeds start with a capital letter, dog breeds do not, and "
        "a breed can have underscores in it. The offline photos follow the same rule (`Sandal_00042.png`). "
        "Write `breed_of(name)`: `name` is a file name (a str, no folders) and you return the label the "
        "lesson's DataBlock gives it, a str: everything before the last underscore, the one that is followed "
        "by the number and the extension (`.jpg`, `.jpeg` or `.png`), exactly as written in the name. The "
        "check compares with fastai's `RegexLabeller`, with the pattern the lesson's DataBlock uses. A "
        "regular expression is the usual tool (Python's `re`), but any way that gives the same labels will "
        "do."
    ),
    starter='''def breed_of(name):
    """name: a file name such as "great_pyrenees_173.jpg". Returns its label, such as "great_pyrenees"."""
    raise NotImplementedError
''',
    solution='''import re


def breed_of(name):
    """name: a file name such as "great_pyrenees_173.jpg". Returns its label, such as "great_pyrenees"."""
    # ^ and $: the pattern must cover the whole name. (.+) is greedy, so it takes as much as it can:
    # every underscore but the last, which must be followed by digits, a dot and the extension.
    match = re.match(r"^(.+)_\\d+\\.(?:jpg|jpeg|png)$", name)
    return match.group(1)  # the group in brackets, with its letters as they are
''',
    hints=(
        "The breed is not what comes before the *first* underscore (`great_pyrenees`): the number follows "
        "the *last* one. Keep the letters as they are: the capital letter is how Pets marks cats.",
        "A regular expression can say all of it: the whole name (`^` ... `$`), a group for the breed "
        "`(.+)`, then `_`, the digits `\\d+`, a dot `\\.` and the extension `(?:jpg|jpeg|png)`. `.+` is "
        "greedy: it takes as many characters as it can, underscores included.",
        '`re.match(r"^(.+)_\\d+\\.(?:jpg|jpeg|png)$", name).group(1)`. (Without a regular expression: '
        '`name.rsplit("_", 1)[0]` gives the same here.)',
    ),
    reference=_fastai_breed,
    cases=_breed_cases,
    mistakes=(
        Mistake(
            "You kept what comes before the first underscore. Breeds can have underscores in them "
            "(`great_pyrenees`, `Egyptian_Mau`): the number follows the last one.",
            """def breed_of(name):
    return name.split("_")[0]
""",
        ),
        Mistake(
            "Your labels are in lower case. Keep the letters as the name has them: the capital letter is how "
            "Pets tells cat breeds from dog breeds, and `Bengal` and `bengal` are different labels.",
            """import re
def breed_of(name):
    return re.match(r"^(.+)_\\d+\\.(?:jpg|jpeg|png)$", name).group(1).lower()
""",
        ),
        Mistake(
            "Your pattern matched only part of the name: `[a-z_]` has no capital letters, and without `^` "
            "the match can start in the middle (`Bengal_12.jpg` gives `engal`). Anchor it with `^` and let "
            "the breed be any characters, `(.+)`.",
            """import re
def breed_of(name):
    return re.search(r"([a-z_]+)_\\d+", name).group(1)
""",
        ),
        Mistake(
            "Your label still has the photo's number: it ends at the last underscore, before the digits.",
            """def breed_of(name):
    return name.rsplit(".", 1)[0]
""",
        ),
    ),
)


# --- 06.random_split ----------------------------------------------------------------------------------------


def _fastai_valid_indices(n_items: int, valid_pct: float, seed: int) -> list[int]:
    from fastai.data.transforms import RandomSplitter

    train, valid = RandomSplitter(valid_pct, seed=seed)(list(range(n_items)))
    return [int(i) for i in valid]


def _compare_indices(expected, received, rtol: float, atol: float) -> str:
    try:
        values = received.tolist() if hasattr(received, "tolist") else list(received)
        got = [int(v) for v in values]
        if any(g != v for g, v in zip(got, values, strict=True)):
            raise TypeError
    except (TypeError, ValueError):
        return f"  expected a list of whole numbers like {show(expected)}\n  received {show(received)}\n"
    if got == expected:
        return ""
    head = (
        f"  expected {len(expected)} positions: {show(expected)}\n"
        f"  received {len(got)} positions: {show(got)}\n"
    )
    if len(got) == len(expected):
        first = next(i for i, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e)
        head += (
            f"  the first difference is at place {first}: expected {expected[first]}, received {got[first]}\n"
        )
    return head


def _split_cases() -> list[Case]:
    rng = np.random.default_rng(62)
    cases = [
        Case("10 items, 20 %, seed 42", (10, 0.2, 42)),
        Case("9 items, 20 %: 1.8 items", (9, 0.2, 42)),
        Case("100 items, 29 %: in floating point 0.29 × 100 is 28.999…", (100, 0.29, 0)),
        Case("4 items, 20 %: 0.8 items", (4, 0.2, 1)),
        Case("the offline lesson set: 2,500 photos, 80 %", (2500, 0.8, 42)),
        Case("Pets: 7,390 photos, 20 %, seed 42", (7390, 0.2, 42)),
    ]
    for _ in range(2):
        n, pct, seed = (
            int(rng.integers(20, 500)),
            round(float(rng.uniform(0.1, 0.5)), 3),
            int(rng.integers(100)),
        )
        cases.append(Case(f"random: {n} items, {pct:.1%}, seed {seed}", (n, pct, seed)))
    return cases


RANDOM_SPLIT = Exercise(
    id="06.random_split",
    title="The validation set RandomSplitter draws",
    function="valid_indices",
    prompt=(
        "`RandomSplitter(valid_pct, seed)` chooses a random share of the items for the validation set, the "
        "same one every time for the same seed. Write `valid_indices(n_items, valid_pct, seed)`: the "
        "positions (from 0 to `n_items - 1`) of the items it puts in the validation set, in the order it "
        "lists them. `n_items` and `seed` are ints, `valid_pct` a float between 0 and 1 (0.2 for 20 %). "
        "There are `int(valid_pct * n_items)` of them, computed exactly so: `int` rounds down, and in "
        "floating point the product can fall just short of a whole number (0.29 × 100 is 28.999…, so 29 % "
        "of 100 items is 28). Which positions, and in which order, is for you to find out from how fastai "
        "draws them: read its source (`RandomSplitter??` in a notebook). "
        "Return a list of ints (a 1-D array or tensor will do). The check calls fastai's "
        "`RandomSplitter(valid_pct, seed=seed)` on a list of `n_items` items and reads the second of the "
        "two lists it returns (training, validation)."
    ),
    starter='''def valid_indices(n_items, valid_pct, seed):
    """The positions RandomSplitter(valid_pct, seed) puts in the validation set, in its order."""
    raise NotImplementedError
''',
    solution='''import torch


def valid_indices(n_items, valid_pct, seed):
    """The positions RandomSplitter(valid_pct, seed) puts in the validation set, in its order."""
    torch.manual_seed(seed)  # fastai seeds PyTorch's generator, not NumPy's
    shuffled = torch.randperm(n_items)  # every position once, in a random order
    cut = int(valid_pct * n_items)  # int() rounds down: 9 items at 20 % give 1 validation item
    return shuffled[:cut].tolist()  # the first cut positions are the validation set, the rest training
''',
    hints=(
        "Read the source: `RandomSplitter??` in a notebook, or `inspect.getsource(RandomSplitter)`. It "
        "draws with PyTorch, not NumPy: `torch.manual_seed(seed)`, then `torch.randperm(n_items)`, a random "
        "order of all the positions.",
        "The validation set is the *first* `cut` positions of that random order and the training set the "
        "rest, where `cut = int(valid_pct * n_items)` rounds down (and floating point can make it round "
        "down further than you expect).",
        "`torch.manual_seed(seed)`, then return "
        "`torch.randperm(n_items)[: int(valid_pct * n_items)].tolist()`.",
    ),
    reference=_fastai_valid_indices,
    cases=_split_cases,
    compare=_compare_indices,
    mistakes=(
        Mistake(
            "These are the first items in order. `RandomSplitter` shuffles the positions first and takes "
            "the first ones of the shuffled order, so the validation set is spread over the whole data set.",
            """def valid_indices(n_items, valid_pct, seed):
    return list(range(int(valid_pct * n_items)))
""",
        ),
        Mistake(
            "fastai shuffles with PyTorch (`torch.manual_seed` and `torch.randperm`); NumPy's generator "
            "gives another order for the same seed.",
            """import numpy as np
def valid_indices(n_items, valid_pct, seed):
    np.random.seed(seed)
    return np.random.permutation(n_items)[:int(valid_pct * n_items)].tolist()
""",
        ),
        Mistake(
            "You counted the validation items differently: fastai rounds down, `int(valid_pct * n_items)`, "
            "so 20 % of 9 items is 1 item, not 2.",
            """import torch
def valid_indices(n_items, valid_pct, seed):
    torch.manual_seed(seed)
    return torch.randperm(n_items)[:round(valid_pct * n_items)].tolist()
""",
        ),
        Mistake(
            "That is the training set. `RandomSplitter` returns (training, validation): the validation "
            "items are the first `int(valid_pct * n_items)` positions of the shuffled order.",
            """import torch
def valid_indices(n_items, valid_pct, seed):
    torch.manual_seed(seed)
    return torch.randperm(n_items)[int(valid_pct * n_items):].tolist()
""",
        ),
        Mistake(
            "The right items, but sorted. Give them in the order `RandomSplitter` lists them, the order "
            "`torch.randperm` drew them: it is the order of the validation set.",
            """import torch
def valid_indices(n_items, valid_pct, seed):
    torch.manual_seed(seed)
    return sorted(torch.randperm(n_items)[:int(valid_pct * n_items)].tolist())
""",
        ),
    ),
)

EXERCISES = [FOLDER_BLOCK, BREED, RANDOM_SPLIT]
