"""The checkup each lesson prints first: every branch, without the machines it describes."""

import json

import pytest
from packaging.specifiers import SpecifierSet

from dlcourse import doctor
from dlcourse.doctor import Machine, checkup
from dlcourse.mode import REQUESTED_OFFLINE, Mode

NEEDED = {"python": SpecifierSet(">=3.11"), "fastai": SpecifierSet(">=2.8,<2.9")}
VERSIONS = {"python": "3.12.3", "torch": "2.11.0", "fastai": "2.8.8", "dlcourse": "0.1.0"}
FULL = Mode("full", True, True, "a GPU and the internet are available")
NO_GPU = Mode("offline", False, True, "no GPU; using the bundled data and model")
NOTHING = Mode("offline", False, False, "no GPU and no internet; using the bundled data and model")
ASKED = Mode("offline", True, False, REQUESTED_OFFLINE)


@pytest.fixture(autouse=True)
def a_gpu_name(monkeypatch):
    import dlcourse.mode

    for module in (doctor, dlcourse.mode):
        monkeypatch.setattr(module, "gpu_name", lambda: "Tesla T4")


def lines(mode, place="this machine", **versions):
    return checkup(mode, Machine(place, {**VERSIONS, **versions}), NEEDED)


def test_on_a_colab_gpu_it_reports_versions_gpu_data_and_full_mode_and_asks_nothing():
    out = lines(FULL, "Colab")
    assert out[0] == "dlcourse 0.1.0 · Python 3.12.3 · torch 2.11.0 · fastai 2.8.8"
    assert out[1] == "GPU: Tesla T4"
    assert "server can be reached" in out[2] and out[3].startswith("this lesson runs in full mode (Tesla T4")
    assert not [line for line in out if line.startswith("To ")]


@pytest.mark.parametrize(
    ("place", "menu"),
    [("Colab", "Runtime > Change runtime type > T4 GPU"), ("Kaggle", "choose a GPU as the accelerator")],
)
def test_without_a_gpu_on_colab_or_kaggle_it_names_the_menu_and_runs_offline(place, menu):
    out = lines(NO_GPU, place)
    assert out[1] == "GPU: none" and "offline mode" in out[3]
    assert out[-1].startswith("To train on a GPU: ") and menu in out[-1]


def test_on_your_own_machine_without_a_gpu_it_names_no_menu():
    out = lines(NOTHING)
    assert "cannot be reached" in out[2] and out[-1].startswith("Offline mode:")
    assert not [line for line in out if line.startswith("To ")]


def test_on_kaggle_with_a_gpu_but_no_internet_it_says_to_switch_the_internet_on():
    out = lines(Mode("offline", True, False, "no internet; using the bundled data and model"), "Kaggle")
    assert out[-1] == "To download the full data: switch the internet on in the notebook's session options."


def test_offline_mode_asked_for_is_not_reported_as_a_missing_internet():
    assert "not checked, offline mode was asked for" in lines(ASKED)[2]


def test_a_fastai_outside_the_courses_range_gets_the_one_command_that_fixes_it():
    out = lines(FULL, "Colab", fastai="2.7.19")
    assert out[-1] == (
        "To fix: this course needs fastai <2.9,>=2.8, here it is 2.7.19: run pip install 'fastai<2.9,>=2.8', "
        "then restart the runtime."
    )
    assert lines(FULL, fastai="not installed")[-1].startswith("To fix: this course needs fastai")


def test_an_older_python_is_named():
    assert (
        lines(FULL, python="3.10.12")[-1]
        == "To fix: this course needs Python >=3.11; this is Python 3.10.12."
    )


def test_the_needed_versions_come_from_the_installed_package_and_this_machine_passes():
    needed = doctor.requirements()
    assert needed["python"] == SpecifierSet(">=3.11") and "2.8.0" in needed["fastai"]
    machine = doctor.this_machine()
    assert machine.place == "this machine" and machine.versions["dlcourse"] != "not installed"
    assert not [line for line in checkup(NOTHING, machine, needed) if line.startswith("To ")]


def test_the_place_is_read_from_colabs_module_and_kaggles_variable(monkeypatch):
    import sys
    import types

    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    assert doctor.this_machine().place == "Kaggle"
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    assert doctor.this_machine().place == "Colab"


def record(tmp_path, device, lessons):
    path = tmp_path / f"{device}.json"
    path.write_text(json.dumps({"device": device, "date": "2026-12-04", "lessons": lessons}))
    return path


@pytest.fixture
def records(tmp_path):
    return {
        "offline": record(tmp_path, "CPU (2 cores)", [{"lesson": "03_lr_finder.ipynb", "seconds": 49.4}]),
        "full": record(
            tmp_path,
            "NVIDIA H200",
            [{"lesson": "05_unfreezing.ipynb", "seconds": 113.1}, {"lesson": "07_x.ipynb", "error": "..."}],
        ),
    }


def test_the_lessons_recorded_time_in_its_mode_is_given(records):
    assert doctor.recorded_time("03", NOTHING, records) == (
        "it took about 49 s in offline mode on a CPU with 2 cores, measured 2026-12-04"
    )
    assert doctor.recorded_time("05", FULL, records) == (
        "it took about 2 min in full mode on an NVIDIA H200, a faster GPU than Colab's free T4, without the "
        "downloads, measured 2026-12-04"
    )


def test_a_lesson_without_a_time_says_so_and_full_mode_on_a_cpu_is_not_given_a_gpus_time(records):
    assert doctor.recorded_time("07", FULL, records) == "it has not been timed in full mode yet"
    assert doctor.recorded_time("05", NOTHING, records) == "it has not been timed in offline mode yet"
    on_a_cpu = doctor.recorded_time("05", Mode("full", False, True, "requested"), records)
    assert on_a_cpu.startswith("no time was measured for full mode without a GPU")


def test_the_time_is_the_line_after_the_mode(records, monkeypatch):
    monkeypatch.setattr(doctor, "LESSON_TIMES", records)
    out = checkup(NOTHING, Machine("this machine", VERSIONS), NEEDED, "03")
    assert out[3].startswith("this lesson runs in offline mode") and out[4].startswith("lesson 03: it took")


@pytest.mark.parametrize("mode", ["offline", "full"])
def test_the_shipped_records_are_the_lessons_own(mode):
    """Every lesson in the records is one of the course's, and offline every lesson has its time."""
    from dlcourse.lessons import LESSONS

    run = json.loads(doctor.LESSON_TIMES[mode].read_text())
    names = {f"{lesson.name}.ipynb" for lesson in LESSONS}
    assert {row["lesson"] for row in run["lessons"]} <= names
    if mode == "offline":
        assert {row["lesson"] for row in run["lessons"] if "seconds" in row} == names
