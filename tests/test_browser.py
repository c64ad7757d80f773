"""The built site in real headless Chromium: quizzes, review, progress, storage repair, grading parity."""

import json

import pytest
import yaml

from dlcourse.quiz import grade
from dlcourse.quiz.schema import Question

from conftest import ROOT

pytestmark = pytest.mark.browser

CASES = yaml.safe_load((ROOT / "tests/grading_cases.yml").read_text(encoding="utf-8"))
KEY = "dlcourse.quiz.v1"


def open_page(page, server, path):
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    return page


def question(page, qid):
    return page.locator(f'fieldset[data-qid="{qid}"]').first


def answer(page, qid, choice=None, text=None):
    box = question(page, qid)
    if choice is not None:
        for c in [choice] if isinstance(choice, str) else choice:
            box.locator(f'input[value="{c}"]').check()
    if text is not None:
        box.locator("input.dlq-input").fill(text)
    box.locator("button.dlq-check").click()
    return box.locator(".dlq-result")


def test_chromium_grader_agrees_with_python_on_every_case(page, server):
    open_page(page, server, "quiz/01_convolutions/")
    payload = [
        [Question.model_validate(CASES["questions"][c["q"]]).model_dump(exclude_none=True), c["r"]]
        for c in CASES["cases"]
    ]
    results = page.evaluate("cases => cases.map(([q, r]) => DLQuiz.grade(q, r))", payload)
    for (q, r), got in zip(payload, results, strict=True):
        want = grade(Question.model_validate(q), r).to_dict()
        assert got == want, (q["id"], r)
    assert not page.problems


def test_take_a_quiz_reload_and_review(page, server):
    open_page(page, server, "quiz/01_convolutions/")
    right = answer(page, "conv-one-step", choice="multiply-sum")
    assert "dlq-correct" in right.get_attribute("class")
    assert "multiply each pair" in right.inner_text()
    assert (
        right.locator("a")
        .get_attribute("href")
        .endswith("lessons/01_convolutions/#a-convolution-on-one-patch")
    )

    wrong = answer(page, "conv-where-result", choice="corner")
    assert "dlq-incorrect" in wrong.get_attribute("class")
    assert "Each position of the kernel writes its own output pixel." in wrong.inner_text()

    invalid = answer(page, "kernel-flat-response", text="four")
    assert "dlq-invalid" in invalid.get_attribute("class")
    assert "not a number" in invalid.inner_text()
    assert "dlq-correct" in answer(page, "kernel-flat-response", text=" 0.0 ").get_attribute("class")

    multi = answer(page, "kernel-blur-sum", choice=["box", "outline"])
    assert "missing" in multi.inner_text() and "dlq-incorrect" in multi.get_attribute("class")
    assert "Score: 2 of" in page.locator(".dlq-score").inner_text()

    page.reload()
    page.wait_for_load_state("networkidle")
    cards = json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))["cards"]
    assert {k: v["last"] for k, v in cards.items()} == {
        "conv-one-step": "correct",
        "conv-where-result": "incorrect",
        "kernel-flat-response": "correct",
        "kernel-blur-sum": "incorrect",
    }

    open_page(page, server, "")
    row = page.locator('.dlq-progress-list li[data-lesson="01"]')
    assert "2 / 31 correct" in row.inner_text()

    open_page(page, server, "review/")
    due = page.locator("fieldset.dlq-question")
    assert sorted(due.evaluate_all("els => els.map(e => e.dataset.qid)")) == [
        "conv-where-result",
        "kernel-blur-sum",
    ]
    assert "dlq-correct" in answer(page, "conv-where-result", choice="centre").get_attribute("class")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.locator("fieldset.dlq-question").evaluate_all("els => els.map(e => e.dataset.qid)") == [
        "kernel-blur-sum"
    ]
    assert not page.problems


@pytest.mark.parametrize("garbage", ["{not json", "null", "[1,2]", '{"version": 99, "cards": {}}', "42"])
def test_corrupt_storage_is_set_aside(page, server, garbage):
    open_page(page, server, "")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [KEY, garbage])
    open_page(page, server, "quiz/01_convolutions/")
    assert "dlq-correct" in answer(page, "conv-one-step", choice="multiply-sum").get_attribute("class")
    state = json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))
    assert state["version"] == 1 and list(state["cards"]) == ["conv-one-step"]
    assert page.evaluate(f"localStorage.getItem('{KEY}.unreadable')") == garbage
    assert not page.problems


def test_damaged_entries_are_dropped_the_rest_kept(page, server):
    good = {"box": 3, "due": 0, "lesson": "01", "last": "correct"}
    state = {
        "version": 1,
        "cards": {
            "conv-one-step": good,
            "relu-what": {"box": "x"},
            "relu-why": None,
            "stride-two-effect": {**good, "last": "maybe"},
        },
    }
    open_page(page, server, "")
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [KEY, json.dumps(state)])
    open_page(page, server, "")
    assert "1 / 31 correct" in page.locator('.dlq-progress-list li[data-lesson="01"]').inner_text()
    kept = json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))
    assert kept["cards"] == {"conv-one-step": good}
    assert not page.problems


def test_quiz_stays_interactive_on_the_rendered_lesson_page(page, server):
    open_page(page, server, "lessons/01_convolutions/")
    result = answer(page, "conv-one-step", choice="matrix-product")
    assert "dlq-incorrect" in result.get_attribute("class")
    assert result.locator("a").get_attribute("href") == "#a-convolution-on-one-patch"
    assert page.locator("#a-convolution-on-one-patch").count() == 1
    link = page.locator("a", has_text="quiz page").first
    assert link.get_attribute("href") == "../../quiz/01_convolutions/"
    assert not page.problems
