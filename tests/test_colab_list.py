"""Colab's package list and the pieces of the Colab twin that need no twin: reading a pip freeze, the
install cell pointed at a checkout, what counts as a change to Colab's packages, and the Performance
page's account of a run."""

import json

import pytest

from dlcourse_tools import colab
from dlcourse_tools.site.hooks import colab_twin_section

from support import LESSONS, ROOT, first_cell


def test_the_committed_list_is_colabs_with_its_source_named():
    header = colab.FREEZE.read_text().splitlines()[:3]
    assert "github.com/googlecolab/backend-info" in header[0] and "Python 3.13" in header[1]
    versions = colab.colab_pins()
    assert len(versions) > 500
    assert {name: versions[name] for name in ("torch", "fastai", "numpy")} == {
        "torch": "2.11.0",
        "fastai": "2.8.8",
        "numpy": "2.1.3",
    }


def test_a_freeze_is_read_with_local_tags_dropped_and_urls_kept():
    text = (
        "# note\nTorch==2.11.0+cu128\nen_core_web_sm @ https://x/y.whl#sha256=ab==cd\nscikit_learn==1.6.1\n"
    )
    assert colab.pins(text) == {
        "torch": "2.11.0",
        "en-core-web-sm": "https://x/y.whl#sha256=ab==cd",
        "scikit-learn": "1.6.1",
    }


def test_each_install_cell_is_pointed_at_a_checkout_and_nothing_else_changes(tmp_path):
    for notebook in LESSONS:
        cell = first_cell(notebook)
        local = colab.local_cell(cell, tmp_path)
        assert f'@ {tmp_path.as_uri()}"' in local and "git+" not in local
        assert local.replace(tmp_path.as_uri(), "URL") == colab.INSTALL_URL.sub("URL", cell)
    with pytest.raises(ValueError, match="names no git"):
        colab.local_cell("print('no install here')", tmp_path)


def test_only_colabs_packages_count_as_changed_and_added_ones_of_colabs_are_named():
    """jedi is not in Colab's list; the twin's CUDA libraries are PyPI torch's, not Colab's."""
    colab_versions = colab.colab_pins()
    before = {
        "numpy": colab_versions["numpy"],
        "nvidia-nccl-cu13": "2.0",
        "jedi": "0.20.1",
        "protobuf": "5.29.6",
    }
    after = {
        "numpy": colab_versions["numpy"],
        "nvidia-nccl-cu13": "3.0",
        "jedi": "0.21",
        "protobuf": "7.36.2",
    }
    assert colab.colab_changes(before, after) == {"protobuf": ("5.29.6", "7.36.2")}
    assert colab.colab_changes(before, {"numpy": colab_versions["numpy"]})["protobuf"] == (
        "5.29.6",
        "removed",
    )
    assert colab.lacking(before, {**after, "pandas": "3.0.0"}) == [
        f"pandas (Colab: {colab_versions['pandas']}, added: 3.0.0)"
    ]


@pytest.fixture
def twin_record(tmp_path):
    record = {
        "date": "2026-12-04",
        "machine": "x86_64, 2 cores",
        "colab_list": "2026-08-19",
        "versions": {"torch": "2.11.0", "fastai": "2.8.8"},
        "build": {
            "python": "3.13.0",
            "torch_seconds": 88.0,
            "seconds": 235.2,
            "megabytes": 5759,
            "colab_packages": 145,
        },  # fmt: skip
        "install_cells": [
            {
                "lessons": ["01_convolutions", "02_cnn_training"],
                "seconds": 18.6,
                "added": ["dlcourse", "onnx"],
            }
        ],  # fmt: skip
        "tests": 13,
        "failed": {},
    }
    path = tmp_path / "colab_twin.json"
    path.write_text(json.dumps(record))
    return path, record


def test_the_performance_page_gives_the_runs_versions_costs_and_verdict(twin_record):
    path, record = twin_record
    text = colab_twin_section(path)
    assert "Last run 2026-12-04 (x86_64, 2 cores), with Colab's package list of 2026-08-19" in text
    assert "Python 3.13.0, torch 2.11.0, fastai 2.8.8; all 13 of its tests passed." in text
    assert "took 235 s from PyPI, 88 s of them for torch and torchvision" in text and "5.8 GB" in text
    assert "| 1, 2 | 19 s | 2: dlcourse, onnx |" in text
    record["failed"] = {"test_x": "protobuf 5.29.6 → 7.36.2 <b>"}
    path.write_text(json.dumps(record))
    assert "1 of its 13 tests failed: `test_x`: protobuf 5.29.6 → 7.36.2 &lt;b&gt;." in colab_twin_section(
        path
    )
    assert colab_twin_section(path.with_name("none.json")) == "No run has been recorded yet."


def test_the_twin_lives_under_the_cache_keyed_on_what_decides_its_packages():
    folder = colab.twin_folder()
    assert folder.parent == ROOT / ".cache" and folder.name.startswith("colab-twin-")
