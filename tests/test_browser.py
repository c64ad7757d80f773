"""The built site in real headless Chromium: quizzes, review, progress, storage repair, grading parity."""

import json

import pytest
import yaml

from dlcourse.quiz import grade, load_quiz
from dlcourse.quiz.schema import Question

from support import ROOT

pytestmark = pytest.mark.browser

CASES = yaml.safe_load((ROOT / "tests/grading_cases.yml").read_text(encoding="utf-8"))
KEY = "dlcourse.quiz.v1"
N01 = len(load_quiz("01").items)  # questions in lesson 1's quiz


def open_page(page, server, path):
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    return page


def question(page, qid):
    return page.locator(f'fieldset[data-qid="{qid}"]').first


def open_collapsed(page):
    """A quiz in a notebook or on a lesson page is one line with the score: click it to open."""
    summary = page.locator("summary.dlq-cta-summary").first
    summary.click()
    return summary


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
    assert f"{N01} questions." in page.locator("article").inner_text()
    assert page.locator("fieldset.dlq-question").count() == N01, "one variant of each question"
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
    assert "the window's centre" in wrong.inner_text(), "the chosen choice's feedback"

    invalid = answer(page, "kernel-flat-response", text="four")
    assert "dlq-invalid" in invalid.get_attribute("class")
    assert "not a number" in invalid.inner_text()
    assert "dlq-correct" in answer(page, "kernel-flat-response", text=" 0.0 ").get_attribute("class")

    multi = answer(page, "kernel-blur-sum", choice=["box", "outline"])
    assert "missing" in multi.inner_text() and "dlq-incorrect" in multi.get_attribute("class")
    scores = page.locator(".dlq-score")
    assert scores.count() == 2, "the score shows at the top and at the bottom"
    assert scores.all_inner_texts() == [f"Score: 2 of {N01} correct (4 answered)."] * 2

    page.reload()
    page.wait_for_load_state("networkidle")
    assert scores.first.inner_text() == f"Score: 2 of {N01} correct (4 answered).", "answers kept on reload"
    assert "dlq-correct" in question(page, "conv-one-step").locator(".dlq-result").get_attribute("class")
    assert question(page, "conv-one-step").locator('input[value="multiply-sum"]').is_checked()
    cards = json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))["cards"]
    assert {k: v["last"] for k, v in cards.items()} == {
        "conv-one-step": "correct",
        "conv-where-result": "incorrect",
        "kernel-flat-response": "correct",
        "kernel-blur-sum": "incorrect",
    }

    open_page(page, server, "")
    row = page.locator('.dlq-progress-list li[data-lesson="01"]')
    assert f"2 / {N01} correct" in row.inner_text()

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
    assert f"1 / {N01} correct" in page.locator('.dlq-progress-list li[data-lesson="01"]').inner_text()
    kept = json.loads(page.evaluate(f"localStorage.getItem('{KEY}')"))
    assert kept["cards"] == {"conv-one-step": good}
    assert not page.problems


def test_quiz_stays_interactive_on_the_rendered_lesson_page(page, server):
    open_page(page, server, "lessons/01_convolutions/")
    summary = page.locator("summary.dlq-cta-summary")
    assert summary.count() == 1 and f"Check yourself: {N01} questions." in summary.inner_text()
    assert not page.locator('fieldset[data-qid="conv-one-step"]').is_visible(), "collapsed to one line"
    open_collapsed(page)
    result = answer(page, "conv-one-step", choice="matrix-product")
    assert f"Your score: 0 of {N01} correct (1 answered)" in summary.inner_text()
    widget_link = page.locator(".dlq-cta-page a")
    assert widget_link.get_attribute("href") == "../../quiz/01_convolutions/"
    assert "dlq-incorrect" in result.get_attribute("class")
    assert result.locator("a").get_attribute("href") == "#a-convolution-on-one-patch"
    assert page.locator("#a-convolution-on-one-patch").count() == 1
    link = page.locator("a", has_text="quiz page").first
    assert link.get_attribute("href") == "../../quiz/01_convolutions/"
    assert not page.problems


# --- untrusted bank text and a browser that cannot store progress (no site needed) ----------------------

HOSTILE = '<img src=x onerror="window.pwned = (window.pwned || 0) + 1">'


def hostile_bank(tmp_path):
    quiz_dir = tmp_path / "quiz"
    quiz_dir.mkdir()
    choice = {"text": f"A {HOSTILE}", "feedback": f"Because {HOSTILE}"}
    bank = {
        "lesson": "01",
        "title": f"Sneaky {HOSTILE}",
        "page": "p.md",
        "questions": [
            {
                "id": "q-hostile",
                "type": "single",
                "prompt": f"Pick one {HOSTILE} <script>window.pwned = 99</script> `<b>code</b>`",
                "explanation": f"So {HOSTILE}",
                "section": "s",
                "difficulty": "easy",
                "tags": ["t"],
                "choices": [{"id": "a", "correct": True, **choice}, {"id": "b", **choice}],
            }
        ],
    }
    (quiz_dir / "01_hostile.yml").write_text(yaml.safe_dump(bank), encoding="utf-8")
    return quiz_dir


def widget_tab(browser, html, init_script=""):
    context = browser.new_context()
    tab = context.new_page()
    if init_script:
        tab.add_init_script(init_script)
    tab.route("http://quiz.test/", lambda route: route.fulfill(body=html, content_type="text/html"))
    tab.goto("http://quiz.test/")
    return tab


def test_html_in_the_bank_is_shown_as_text_never_run(browser, tmp_path, monkeypatch):
    import markdown

    from dlcourse.quiz import load_quiz
    from dlcourse.quiz.client import client_quiz, static_text
    from dlcourse.quiz.notebook import QuizWidget
    from dlcourse_tools.site.hooks import _quiz_page

    monkeypatch.setenv("DLCOURSE_QUIZ_DIR", str(hostile_bank(tmp_path)))
    quiz = load_quiz("01")
    on_quiz_page = (
        f"<h1>{markdown.markdown(_quiz_page(quiz, 'q').splitlines()[0])}</h1><div id=q></div>"
        f"<script>{static_text('quiz.js')}</script>"
        f"<script>DLQuiz.mount(document.getElementById('q'), {json.dumps(client_quiz(quiz))})</script>"
    )
    in_a_notebook_or_lesson_page = f"<body>{QuizWidget('01')._repr_html_()}</body>"
    for html in (on_quiz_page, in_a_notebook_or_lesson_page):
        tab = widget_tab(browser, html)
        if html is in_a_notebook_or_lesson_page:
            open_collapsed(tab)
        box = question(tab, "q-hostile")
        box.locator('input[value="a"]').check()
        box.locator("button.dlq-check").click()
        tab.locator(".dlq-result").first.wait_for()
        assert tab.evaluate("window.pwned") is None
        assert tab.locator(".dlq img, .dlq script, h1 img").count() == 0
        assert "<img src=x" in box.inner_text() and "<b>code</b>" in box.inner_text()
        tab.context.close()


def test_a_browser_that_cannot_save_progress_says_so_once(browser, tmp_path):
    from dlcourse.quiz.notebook import QuizWidget

    full = (
        "Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };"
    )
    tab = widget_tab(browser, f"<body>{QuizWidget('01')._repr_html_()}</body>", init_script=full)
    warning = tab.locator(".dlq-storage-warning")
    assert warning.count() == 1, "said at once: the attempt's questions cannot be kept either"
    open_collapsed(tab)
    for qid in [q.get_attribute("data-qid") for q in tab.locator("fieldset[data-qid]").all()[:2]]:
        box = question(tab, qid)
        if box.locator("input.dlq-input").count():
            box.locator("input.dlq-input").fill("1")
        else:
            box.locator("input").first.check()
        box.locator("button.dlq-check").click()
    assert warning.count() == 1 and "cannot be saved in this browser" in warning.inner_text()
    assert tab.evaluate("Object.keys(DLQuiz.loadState().cards).length") == 2, "kept for this visit"
    tab.context.close()


def test_one_variant_per_attempt_kept_on_reload_new_on_retry(browser):
    """The quiz page's behaviour, on lesson 3's quiz (six computed questions with three variants each)."""
    from dlcourse.quiz.client import client_quiz, static_text

    quiz = load_quiz("03")
    computed = {item.id: {q.id: q for q in item.variants} for item in quiz.items if item.computed}
    html = (
        f"<div id=q></div><script>{static_text('quiz.js')}</script>"
        f"<script>DLQuiz.mount(document.getElementById('q'), {json.dumps(client_quiz(quiz))})</script>"
    )
    old_card = {"box": 2, "due": 0, "lesson": "03", "last": "correct"}
    seed = (
        f"if (!localStorage.getItem('{KEY}')) {{ localStorage.setItem('{KEY}', "
        f"JSON.stringify({{version: 1, cards: {{'smoothing-v2': {json.dumps(old_card)}}}}}));"
        "localStorage.setItem('dlcourse.quiz.attempts.v1', '{broken'); }"
    )
    tab = widget_tab(browser, html, init_script=seed)

    def shown():
        return dict(
            tab.locator("fieldset.dlq-question").evaluate_all(
                "els => els.map(e => [e.dataset.item, e.dataset.qid])"
            )
        )

    first = shown()
    assert list(first) == [item.id for item in quiz.items], "one question each, in order"
    assert all(first[i] in computed[i] for i in computed), "a variant of each computed question"
    marked = tab.locator("fieldset.dlq-question:has(.dlq-computed)").evaluate_all(
        "els => els.map(e => e.dataset.item)"
    )
    assert marked == list(computed), "exactly the computed questions are marked"
    assert tab.evaluate("localStorage.getItem('dlcourse.quiz.attempts.v1.unreadable')") == "{broken"
    assert "smoothing" in tab.evaluate("Object.keys(DLQuiz.loadState().cards)"), (
        "an old variant's card is kept"
    )

    variant = computed["smoothing"][first["smoothing"]]
    assert "dlq-correct" in answer(tab, variant.id, text=repr(variant.answer)).get_attribute("class")
    for _ in range(2):
        tab.reload()
        assert shown() == first, "a reload keeps the variants"
        score = tab.locator(".dlq-score").first.inner_text()
        assert score.startswith(f"Score: 1 of {len(quiz.items)} correct (1 answered)")
        assert "dlq-correct" in question(tab, variant.id).locator(".dlq-result").get_attribute("class")

    tab.locator("button.dlq-again").click()
    second = shown()
    assert all(second[i] != first[i] for i in computed), "starting again draws new variants"
    assert {i: second[i] for i in second if i not in computed} == {
        i: first[i] for i in first if i not in computed
    }
    score = tab.locator(".dlq-score").first.inner_text()
    assert score.startswith(f"Score: 0 of {len(quiz.items)} correct (0 answered)")
    tab.reload()
    assert shown() == second, "and keeps them"
    tab.context.close()


def test_the_notebook_widget_keeps_its_variants_on_reload_and_draws_new_ones_on_retry(browser):
    """`dlcourse.quiz.show("03")` as Jupyter or Colab displays it: collapsed, one variant per question."""
    from dlcourse.quiz.notebook import QuizWidget

    quiz = load_quiz("03")
    computed = [item.id for item in quiz.items if item.computed]
    tab = widget_tab(browser, QuizWidget("03")._repr_html_())

    def shown():
        open_collapsed(tab)
        items = tab.locator("fieldset.dlq-question").evaluate_all(
            "els => els.map(e => [e.dataset.item, e.dataset.qid])"
        )
        return dict(items)

    first = shown()
    assert list(first) == [item.id for item in quiz.items]
    tab.reload()
    assert shown() == first, "a reload of the notebook keeps the variants"
    tab.locator("button.dlq-again").click()
    second = tab.locator("fieldset.dlq-question").evaluate_all(
        "els => els.map(e => [e.dataset.item, e.dataset.qid])"
    )
    assert all(dict(second)[i] != first[i] for i in computed), "starting again draws new variants"
    tab.context.close()
