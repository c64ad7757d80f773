"""Preparing the offline data: safe with several processes at once, never deleting a complete copy."""

import os
import subprocess
import sys

import pytest

from dlcourse import data, pets, photos

# Each process prepares the data, then keeps reading every image until the other one has finished
# preparing too: whatever the other does to the folder happens while this one reads it.
PREPARE_AND_READ = """
import sys
from pathlib import Path
from PIL import Image
from dlcourse import pets

me, other = Path(sys.argv[1]), Path(sys.argv[2])

def read_all(folder):
    files = sorted(folder.glob("*.png"))
    assert len(files) == pets.OFFLINE_IMAGES, len(files)
    for f in files:
        Image.open(f).load()

try:
    folder = pets.offline_pets()
    read_all(folder)
finally:
    me.touch()  # also when this one failed: the other stops waiting
while not other.exists():
    read_all(folder)
read_all(folder)
"""


def prepare_twice_at_once(root):
    env = {**os.environ, "DLCOURSE_DATA": str(root)}
    a, b = root / "a.done", root / "b.done"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PREPARE_AND_READ, str(me), str(other)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in ((a, b), (b, a))
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    return [err.strip().splitlines()[-1] for p, err in zip(procs, errors, strict=True) if p.returncode]


@pytest.mark.parametrize("round", range(3))
def test_two_processes_preparing_the_data_at_once_both_read_every_image(tmp_path, round):
    assert prepare_twice_at_once(tmp_path) == []
    folder = tmp_path / f"fashion-photos-{photos.LESSON.tag}"
    assert len(list(folder.glob("*.png"))) == pets.OFFLINE_IMAGES
    assert not list(tmp_path.glob(".fashion-photos-*.tmp-*")), "no temporary folder left behind"


def test_a_complete_folder_is_kept_and_a_damaged_one_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path))
    folder = pets.offline_pets()
    inode = folder.stat().st_ino
    assert prepare_twice_at_once(tmp_path) == []
    assert folder.stat().st_ino == inode, "the complete folder was used, not rebuilt"

    victim = next(folder.glob("*.png"))
    victim.unlink()
    (folder / "Sandal_99999.png").write_bytes(b"junk")
    leftover = tmp_path / f".{folder.name}.tmp-killed"  # as a killed run leaves it
    leftover.mkdir()
    (leftover / "Shirt_00001.png").write_bytes(b"half")
    assert pets.offline_pets() == folder
    assert victim.exists() and not (folder / "Sandal_99999.png").exists()
    assert len(list(folder.glob("*.png"))) == pets.OFFLINE_IMAGES
    assert not leftover.exists()


def test_data_folder_that_is_a_file_gets_a_clear_error(tmp_path, monkeypatch):
    not_a_folder = tmp_path / "data.txt"
    not_a_folder.write_text("")
    monkeypatch.setenv("DLCOURSE_DATA", str(not_a_folder))
    with pytest.raises(data.DataError, match=r"data.txt is a file, not a folder: point DLCOURSE_DATA"):
        pets.offline_pets()
