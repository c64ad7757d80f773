"""What several test modules share: where things are, how the lesson runs are spread over two cores, and
how a learner's image folder gets damaged (with the errors the course gives for each damage)."""

from pathlib import Path

from dlcourse.lessons import LESSONS as REGISTRY

ROOT = Path(__file__).resolve().parents[1]
LESSONS = [ROOT / lesson.notebook for lesson in REGISTRY]


# Two lessons at a time, one thread each: on two cores that finishes sooner than one after the other on
# two threads (for the rehearsals, which check that lessons run, not how long they take). Lessons 2 and
# 10 both export `export.pkl` into the Pets folder, so they share a lane and never run at once.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
LANES = (
    ("02_cnn_training", "10_deployment", "03_lr_finder", "07_multi_label", "09_text"),
    ("01_convolutions", "04_one_cycle", "05_unfreezing", "06_data_blocks", "08_segmentation"),
)


def two_at_a_time(run, notebooks):
    """{notebook name: run(notebook)}: the notebooks of each of `LANES` one after the other, the two
    lanes at once (each notebook in its own kernel process)."""
    from concurrent.futures import ThreadPoolExecutor

    by_stem = {nb.stem: nb for nb in notebooks}
    assert sorted(by_stem) == sorted(sum(LANES, ())), "every lesson belongs to one lane"

    def run_lane(lane):
        return {f"{stem}.ipynb": run(by_stem[stem]) for stem in lane}

    with ThreadPoolExecutor(len(LANES)) as pool:
        results = {}
        for done in pool.map(run_lane, LANES):
            results.update(done)
    return {nb.name: results[nb.name] for nb in notebooks}


def damage(folder, fault):
    """Damage one image of `folder` as a learner's disk or download might; return the file's new name."""
    victim = sorted(folder.iterdir())[3]
    if fault == "corrupt":
        victim.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    elif fault == "truncated":
        victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    elif fault == "not an image":
        victim.write_text("notes about sandals")
    elif fault == "misnamed":
        victim = victim.rename(victim.with_name("Sandal" + victim.suffix))
    return victim.name


# What each damage does to the data, in the words of `dlcourse.data`'s errors ({} is the file's name)
FAULTS = {
    "corrupt": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them, then run again\.",
    "truncated": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them",
    "not an image": r"1 image file\(s\) in .* cannot be read: {}\. Delete or replace them",
    "misnamed": r"1 file name\(s\) in .* are not CLASS_NUMBER.jpg \(or .png\): {}\. Rename or remove them",
}
