"""`dlcourse train`: a mistake in the command or the environment gets one line naming the fix, exit 2."""

import subprocess
import sys

import pytest

from dlcourse import offline_model
from dlcourse.cli import main


def one_line_error(capsys, argv) -> str:
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_unknown_mode(capsys, monkeypatch):
    monkeypatch.setenv("DLCOURSE_MODE", "bogus")
    line = one_line_error(capsys, ["train", "pets"])
    assert line == (
        "error: DLCOURSE_MODE must be 'full' or 'offline', got 'bogus': set one of them, "
        "or unset it to choose automatically"
    )


@pytest.mark.parametrize("epochs", ["-1", "0", "two", "1.5"])
def test_epochs_must_be_a_positive_whole_number(capsys, epochs):
    line = one_line_error(capsys, ["train", "pets", "--offline", "--epochs", epochs])
    assert line.endswith(f"argument --epochs: must be a whole number of epochs, 1 or more, got '{epochs}'")


def test_data_folder_that_is_a_file(capsys, monkeypatch, tmp_path):
    (tmp_path / "data").write_text("")
    monkeypatch.setenv("DLCOURSE_DATA", str(tmp_path / "data"))
    line = one_line_error(capsys, ["train", "pets", "--offline"])
    assert (
        line
        == f"error: {tmp_path / 'data'} is a file, not a folder: point DLCOURSE_DATA at a folder, or unset it"
    )


def test_damaged_bundled_model(capsys, monkeypatch, tmp_path):
    (tmp_path / "offline_resnet.pth").write_bytes(offline_model.WEIGHTS.read_bytes()[:1000])
    monkeypatch.setattr(offline_model, "WEIGHTS", tmp_path / "offline_resnet.pth")
    line = one_line_error(capsys, ["train", "pets", "--offline", "--epochs", "1"])
    assert line.startswith(f"error: {tmp_path / 'offline_resnet.pth'} is missing or damaged")


def dlcourse(*argv, cwd):
    """The command as a learner runs it, with no terminal attached (stdin from /dev/null)."""

    out = subprocess.run(
        [sys.executable, "-m", "dlcourse", *argv],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    return out.stderr.strip().splitlines()[-1]


def test_quiz_mistakes_get_one_line_naming_the_fix(tmp_path):
    (tmp_path / "latin1.yml").write_bytes('lesson: "01"\nanswers: {conv-one-step: "né"}\n'.encode("latin-1"))
    (tmp_path / "nested.yml").write_text('lesson: "01"\nanswers: ' + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "huge.yml").write_text('lesson: "01"\nanswers: {a: "' + "x" * 1_100_000 + '"}\n')
    assert dlcourse("quiz", "1.5", cwd=tmp_path).endswith(
        "give one lesson number, e.g. `dlcourse quiz 01`, or `grade FILE` or `lint`"
    )
    assert dlcourse("quiz", "grade", "latin1.yml", cwd=tmp_path) == (
        "error: latin1.yml: not UTF-8 text (invalid continuation byte); save the file as UTF-8"
    )
    assert "nested too deeply" in dlcourse("quiz", "grade", "nested.yml", cwd=tmp_path)
    assert "over 1,000,000 bytes" in dlcourse("quiz", "grade", "huge.yml", cwd=tmp_path)
    for argv in (["quiz", "01"], ["quiz", "--review"]):
        assert dlcourse(*argv, cwd=tmp_path).endswith("use `dlcourse quiz grade ANSWERS.yml`")
