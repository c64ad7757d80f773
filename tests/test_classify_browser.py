"""The classify page in real Chromium: the site model runs in the page and agrees with PyTorch."""

import re

import numpy as np
import pytest
import torch

from dlcourse import deploy

pytestmark = pytest.mark.browser

N_IMAGES = 60


def ready(page, server):
    page.goto(server + "classify/")
    page.wait_for_selector(".dlc-classify[data-state]", timeout=120_000)
    assert page.get_attribute(".dlc-classify", "data-state") == "ready", page.inner_text(".dlc-status")


def results(page) -> list[dict]:
    return page.eval_on_selector_all(
        ".dlc-result",
        "items => items.map(i => ({name: i.querySelector('.dlc-name').textContent, top: i.dataset.top,"
        " probabilities: i.dataset.probabilities && JSON.parse(i.dataset.probabilities),"
        " error: i.dataset.error, text: i.textContent}))",
    )


def test_the_page_agrees_with_pytorch_on_validation_images(page, server):
    files, labels = deploy.site_validation_files()
    files = files[:N_IMAGES]
    ready(page, server)
    page.set_input_files(".dlc-drop input", [str(f) for f in files])
    page.wait_for_selector(f".dlc-classify[data-classified='{N_IMAGES}']", timeout=120_000)
    shown = {r["name"]: r for r in results(page)}
    model, record = deploy.site_classifier()
    with torch.no_grad():
        expected = model(torch.from_numpy(deploy.file_pixels(files))).numpy()
    for file, probs in zip(files, expected, strict=True):
        row = shown[file.name]
        assert row["top"] == record["classes"][int(probs.argmax())], file.name
        assert np.abs(np.array(row["probabilities"]) - probs).max() <= 1e-3, file.name
    # the probabilities on screen are the same numbers, rounded
    first = shown[files[0].name]
    assert f"{100 * max(first['probabilities']):.1f} %" in first["text"]
    assert not page.problems, page.problems


def test_a_file_that_is_not_an_image_gets_a_clear_message(page, server, tmp_path):
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"this is a text file, not a photo")
    ready(page, server)
    page.set_input_files(".dlc-drop input", [str(bad)])
    page.wait_for_selector(".dlc-result.dlc-error")
    (row,) = results(page)
    assert row["error"] == "unreadable" and row["top"] is None
    assert re.search(r"holiday\.jpg could not be read as an image\. Choose a photo", row["text"])
    assert page.get_by_role("alert").count() == 1
    assert page.get_attribute(".dlc-classify", "data-state") == "ready"  # the page keeps working


def test_examples_and_a_drawing_are_classified(page, server):
    _, record = deploy.site_classifier()
    ready(page, server)
    assert page.locator(".dlc-example").count() == 10
    page.locator(".dlc-example").first.click()
    page.wait_for_selector(".dlc-result[data-top]")
    box = page.locator(".dlc-pad").bounding_box()
    page.mouse.move(box["x"] + 40, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 150, box["y"] + 150, steps=10)
    page.mouse.up()
    page.get_by_role("button", name="Classify my drawing").click()
    page.wait_for_function("document.querySelectorAll('.dlc-result[data-top]').length == 2")
    drawing, example = results(page)
    assert drawing["name"] == "your drawing" and drawing["top"] in record["classes"]
    assert abs(sum(drawing["probabilities"]) - 1) < 1e-5
    assert example["top"] in record["classes"]


def test_the_performance_page_reports_what_the_page_downloads(page, server):
    """The transfer table's total equals the bytes Chromium fetched for the runtime, the model and the
    page's script."""
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.__setitem__(r.url, len(r.body())) if r.ok else None)
    ready(page, server)
    counted = ("assets/ort/", "assets/classify/model.", "assets/classify.js")
    fetched = sum(n for url, n in sizes.items() if any(part in url for part in counted))
    page.goto(server + "performance/")
    total = page.locator("table tr", has_text="total").filter(has_text="MB").first.inner_text()
    assert f"{fetched / 1e6:.2f} MB" in total, (total, fetched)
