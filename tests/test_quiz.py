"""Quiz engine: schema and lint, the grader (Python == JS under node), scheduling, terminal, notebook."""

import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.links import SITE_URL
from dlcourse.quiz import grade, lint, load_bank, load_quiz
from dlcourse.quiz.bank import heading_anchors, make_variants, page_path, variant_maker
from dlcourse.quiz.client import client_quiz, static_text
from dlcourse.quiz.review import INTERVAL_DAYS, ReviewState, schedule
from dlcourse.quiz.schema import Question

from support import ROOT

CASES = yaml.safe_load((ROOT / "tests/grading_cases.yml").read_text(encoding="utf-8"))
QUESTIONS = {k: Question.model_validate(v) for k, v in CASES["questions"].items()}


def expected(case):
    return {"status": case["status"], "reason": case["reason"], "feedback": case.get("feedback", [])}


def verdict_of(v):
    return {"status": v["status"], "reason": v["reason"], "feedback": v["feedback"]}


def run_node(payload):
    node = shutil.which("node")
    assert node, "node is needed for the JS grader tests (apt-get install nodejs)"
    out = subprocess.run(
        [node, str(ROOT / "tests/js/run.cjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,  # a hang guard, not a speed test
    )
    return json.loads(out.stdout)


# --- the bank ------------------------------------------------------------------------------------


def test_bank_lints_clean():
    assert lint(ROOT / "quiz") == []


def test_bank_content_requirements():
    quizzes = {q.lesson: q for q in load_bank()}
    raw = {p.name[:2]: yaml.safe_load(p.read_text()) for p in (ROOT / "quiz").glob("*.yml")}
    assert len(raw["00"]["questions"]) >= 30
    for lesson in sorted(set(raw) - {"00"}):
        assert len(raw[lesson]["questions"]) >= 15, lesson
        assert quizzes[lesson].n_computed * 3 >= len(raw[lesson]["questions"]), f"{lesson}: a third computed"
    for quiz in quizzes.values():
        for q in quiz.questions:
            for c in q.choices or []:
                assert c.feedback.strip(), f"{q.id}/{c.id} has no feedback"


def test_every_lesson_has_a_quiz_and_every_quiz_page_exists():
    lessons = {p.name[:2] for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb")}
    quizzes = {q.lesson: q for q in load_bank()}
    assert lessons <= set(quizzes)
    for quiz in quizzes.values():
        assert page_path(ROOT, quiz.page).exists()


def test_computed_answers_come_from_the_library():
    from dlcourse.kernels import output_size

    q = next(
        q
        for q in yaml.safe_load((ROOT / "quiz/01_convolutions.yml").read_text())["questions"]
        if q["id"] == "output-size-formula"
    )
    question = Question.model_validate(q)
    variants = make_variants(question)
    assert variants == make_variants(question), "same seed, same variants"
    for v in variants:
        assert v.answer == output_size(v.params["n"], v.params["k"], v.params["p"], v.params["s"])
    item = next(item for item in load_quiz("01").items if item.id == "output-size-formula")
    assert [x.answer for x in item.variants] == [float(v.answer) for v in variants]
    assert [x.id for x in item.variants] == [f"output-size-formula-v{i}" for i in range(1, len(variants) + 1)]
    assert f"{variants[0].params['n']} pixels wide" in item.variants[0].prompt


def write_quiz(tmp_path, questions, name="01_convolutions.yml", page="lessons/01_convolutions.ipynb"):
    (tmp_path / "quiz").mkdir(exist_ok=True)
    (tmp_path / "lessons").mkdir(exist_ok=True)
    shutil.copy(ROOT / "lessons/01_convolutions.ipynb", tmp_path / "lessons")
    doc = {"lesson": name[:2], "title": "T", "page": page, "questions": questions}
    (tmp_path / "quiz" / name).write_text(yaml.safe_dump(doc, allow_unicode=True))
    return tmp_path


def single(qid="q-one", **overrides):
    q = {
        "id": qid,
        "type": "single",
        "prompt": "p",
        "explanation": "e",
        "section": "stride-and-padding",
        "difficulty": "easy",
        "tags": ["t"],
        "choices": [
            {"id": "a", "text": "A", "correct": True, "feedback": "yes"},
            {"id": "b", "text": "B", "feedback": "no"},
        ],
    }
    q.update(overrides)
    return q


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "choices": [
                    {"id": "a", "text": "A", "correct": True, "feedback": "y"},
                    {"id": "b", "text": "B", "correct": True, "feedback": "n"},
                ]
            },
            "question 'q-one': .*exactly one correct choice, has 2",
        ),
        (
            {
                "type": "multi",
                "choices": [
                    {"id": "a", "text": "A", "feedback": "y"},
                    {"id": "b", "text": "B", "feedback": "n"},
                ],
            },
            "question 'q-one': .*at least one correct choice",
        ),
        (
            {
                "choices": [
                    {"id": "a", "text": "A", "correct": True},
                    {"id": "b", "text": "B", "feedback": "n"},
                ]
            },
            r"question 'q-one': choices\.0\.feedback: Field required",
        ),
        ({"section": "no-such-heading"}, "question 'q-one': section 'no-such-heading' is not a heading"),
        ({"difficulty": "impossible"}, "question 'q-one': difficulty"),
        (
            {"type": "numeric", "choices": None, "answer": None},
            "question 'q-one': .*needs either `answer` or `compute`",
        ),
        (
            {"type": "text", "choices": None, "pattern": "(unclosed"},
            "question 'q-one': pattern.*does not compile",
        ),
        (
            {
                "type": "numeric",
                "choices": None,
                "compute": {"function": "dlcourse.quiz.variants.nothing_here"},
            },
            "question 'q-one': compute.function 'dlcourse.quiz.variants.nothing_here' is not a function",
        ),
        (
            {
                "type": "numeric",
                "choices": None,
                "prompt": "{missing}",
                "compute": {"function": "dlcourse.quiz.variants.l01_convolutions.conv_output_size"},
            },
            r"question 'q-one': prompt/explanation field 'missing' is not among",
        ),
    ],
)
def test_malformed_quiz_names_file_question_and_fix(tmp_path, change, message):
    root = write_quiz(tmp_path, [single(), single("q-two")] if "section" not in change else [single()])
    doc = yaml.safe_load((root / "quiz/01_convolutions.yml").read_text())
    doc["questions"][0].update(change)
    doc["questions"][0] = {k: v for k, v in doc["questions"][0].items() if v is not None}
    (root / "quiz/01_convolutions.yml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    problems = "\n".join(lint(root / "quiz"))
    assert "01_convolutions.yml: " in problems
    assert __import__("re").search(message, problems), problems


def test_duplicate_ids_within_and_across_files(tmp_path):
    root = write_quiz(tmp_path, [single(), single()])
    assert any("question 'q-one': id used twice" in p for p in lint(root / "quiz"))
    root = write_quiz(tmp_path, [single()])
    write_quiz(
        tmp_path, [single(section="the-head-of-a-model")], name="00_foundations.yml", page="foundations.md"
    )
    (root / "docs").mkdir()
    shutil.copy(ROOT / "docs/foundations.md", root / "docs")
    assert any("question 'q-one': id already used in 00_foundations.yml" in p for p in lint(root / "quiz"))


def test_broken_yaml_and_nondeterministic_functions_are_reported(tmp_path, monkeypatch):
    root = write_quiz(tmp_path, [single()])
    (root / "quiz/01_convolutions.yml").write_text("lesson: '01'\nquestions: [unclosed\n")
    assert any(p.startswith("01_convolutions.yml: not valid YAML") for p in lint(root / "quiz"))

    import dlcourse.quiz.variants as variants

    monkeypatch.setattr(
        variants, "flaky", lambda rng: ({"x": random.random()}, random.random()), raising=False
    )
    q = single(type="numeric", choices=None, compute={"function": "dlcourse.quiz.variants.flaky"})
    del q["choices"]
    write_quiz(tmp_path, [q])
    assert any(
        "question 'q-one': dlcourse.quiz.variants.flaky gives different answers" in p
        for p in lint(root / "quiz")
    )


def test_anchors_match_the_rendered_headings():
    anchors = heading_anchors(ROOT / "lessons/01_convolutions.ipynb")
    assert {"stride-and-padding", "relu-keeping-what-was-found", "check-yourself"} <= anchors
    assert "what-a-gpu-is-for" in heading_anchors(ROOT / "docs/foundations.md")


# --- grading: one rule, Python and JavaScript ------------------------------------------------------


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: f"{c['q']}:{c['r']!r}")
def test_python_grader_conformance(case):
    assert verdict_of(grade(QUESTIONS[case["q"]], case["r"]).to_dict()) == expected(case)


def test_js_grader_under_node_agrees_on_every_case():
    payload = [[QUESTIONS[c["q"]].model_dump(exclude_none=True), c["r"]] for c in CASES["cases"]]
    results = run_node({"grade": payload})["grade"]
    for case, got in zip(CASES["cases"], results, strict=True):
        assert verdict_of(got) == expected(case), case
        assert got["message"] == grade(QUESTIONS[case["q"]], case["r"]).message


RESPONSES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(QUESTIONS)), response=RESPONSES)
def test_grader_never_raises(name, response):
    verdict = grade(QUESTIONS[name], response)
    assert verdict.status in {"correct", "incorrect", "invalid"}
    assert verdict.message


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=12), min_size=1, max_size=25))
def test_js_and_python_agree_on_arbitrary_text(texts):
    payload = [[QUESTIONS[n].model_dump(exclude_none=True), t] for t in texts for n in ("four", "stride")]
    results = run_node({"grade": payload})["grade"]
    for (q, t), got in zip(payload, results, strict=True):
        assert verdict_of(got) == verdict_of(grade(Question.model_validate(q), t).to_dict()), (q["id"], t)


# --- spaced repetition -------------------------------------------------------------------------------


def test_leitner_schedule_same_in_python_and_js():
    sequences = [
        ["correct"] * 6,
        ["incorrect", "correct", "correct", "incorrect", "correct"],
        ["correct", "correct", "correct", "incorrect"],
    ]
    js = run_node({"schedule": sequences})["schedule"]
    for statuses, js_cards in zip(sequences, js, strict=True):
        card = None
        for i, (status, js_card) in enumerate(zip(statuses, js_cards, strict=True)):
            card = schedule(card, status, 1000 * i)
            assert card == js_card
    boxes = []
    card = None
    for status in ["correct", "correct", "incorrect", "correct"]:
        card = schedule(card, status, 0)
        boxes.append(card["box"])
    assert boxes == [2, 3, 1, 2]
    assert schedule(None, "incorrect", 5)["due"] == 5, "a missed question is due again at once"
    assert INTERVAL_DAYS[1] < INTERVAL_DAYS[2] < INTERVAL_DAYS[5]


def test_review_state_repairs_a_corrupt_file_without_losing_it(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    state = ReviewState(path)
    assert state.cards == {} and "unreadable" in state.warning
    assert (tmp_path / "state.unreadable.json").read_text() == "{not json"
    good = {"box": 2, "due": 5, "lesson": "01", "last": "correct"}
    path.write_text(json.dumps({"version": 1, "cards": {"ok": good, "bad": {"box": 9}, "worse": "x"}}))
    state = ReviewState(path)
    assert state.cards == {"ok": good} and "2 damaged entries" in state.warning
    state.record("01", "new", "incorrect", now_ms=10)
    state.save()
    assert set(json.loads(path.read_text())["cards"]) == {"ok", "new"}
    assert ReviewState(path).due(now_ms=10) == ["new", "ok"]


CARDS = [
    {"box": 2, "due": 5, "lesson": "01", "last": "correct"},
    {"box": 2.0, "due": 5.5, "lesson": "01", "last": "incorrect"},
    {"box": True, "due": 5, "lesson": "01", "last": "correct"},
    {"box": 6, "due": 5, "lesson": "01", "last": "correct"},
    {"box": 2, "due": float("nan"), "lesson": "01", "last": "correct"},
    {"box": 2, "due": float("inf"), "lesson": "01", "last": "correct"},
    {"box": 2, "due": False, "lesson": "01", "last": "correct"},
    {"box": 2, "due": "5", "lesson": "01", "last": "correct"},
    {"box": 2, "due": 5, "lesson": 1, "last": "correct"},
    {"box": 2, "due": 5, "lesson": "01", "last": "maybe"},
    [2, 5, "01", "correct"],
    None,
]


def test_one_rule_for_stored_cards_in_python_and_js():
    from dlcourse.quiz.review import valid_card

    python = [valid_card(c) for c in CARDS]
    assert python == [True, True] + [False] * (len(CARDS) - 2)
    as_json = [None if isinstance(c, dict) and not all(map(_json_safe, c.values())) else c for c in CARDS]
    js = run_node({"valid": as_json})["valid"]  # JSON has no NaN or infinity: those cards arrive as null
    assert js == [valid_card(c) for c in as_json]


def _json_safe(value):
    return not isinstance(value, float) or math.isfinite(value)


def test_question_ids_that_are_object_keys_in_js_keep_their_progress(tmp_path):
    from dlcourse.quiz.review import ReviewState

    state = ReviewState(tmp_path / "state.json")
    for qid in ("constructor", "__proto__", "toString"):
        state.record("01", qid, "correct", now_ms=0)
    state.save()
    assert set(ReviewState(tmp_path / "state.json").cards) == {"constructor", "__proto__", "toString"}
    script = """
    globalThis.localStorage = (() => { const m = new Map(); return {
      getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) }; })();
    require(process.argv[1]);
    const Q = globalThis.DLQuiz;
    const ids = ["constructor", "__proto__", "toString"];
    for (const id of ids) { Q.record("01", id, "correct", 0); Q.record("01", id, "correct", 0); }
    const cards = Q.loadState().cards;
    console.log(JSON.stringify(ids.map((id) => cards[id] && cards[id].box)));
    """
    out = subprocess.run(
        ["node", "-e", script, str(ROOT / "src/dlcourse/quiz/static/quiz.js")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert json.loads(out.stdout) == [3, 3, 3], "answered right twice: box 3, like any other id"


# --- terminal --------------------------------------------------------------------------------------------


def scripted(answers):
    """An `ask` that answers from a list (None = Ctrl-C)."""
    it = iter(answers)
    return lambda q: next(it)


def test_terminal_reasks_on_invalid_then_grades_and_schedules(tmp_path):
    from rich.console import Console

    from dlcourse.quiz.terminal import take_quiz

    quiz = load_quiz("01")
    numeric = next(i for i, q in enumerate(quiz.questions) if q.id == "kernel-flat-response")
    answers = ["multiply-sum", "corner"] + [None]
    console = Console(record=True, width=100)
    state = ReviewState(tmp_path / "s.json")
    take_quiz("01", False, console=console, ask=scripted(answers), state=state)
    text = console.export_text()
    assert "Correct." in text and "Not this one." in text and "Stopped" in text
    assert f"{SITE_URL}lessons/01_convolutions/#a-convolution-on-one-patch" in text
    saved = json.loads((tmp_path / "s.json").read_text())["cards"]
    assert saved["conv-one-step"]["box"] == 2 and saved["conv-where-result"]["box"] == 1

    # a numeric question: "four" is not a number, asked again; "0" is then graded
    state = ReviewState(tmp_path / "t.json")
    console = Console(record=True, width=100)
    from dlcourse.quiz.terminal import run

    run([(quiz, quiz.questions[numeric])], state, console, ask=scripted(["four", "0"]))
    text = console.export_text()
    assert "That is not a number" in text and "Try again" in text and "Correct." in text

    # review asks exactly the missed question
    asked = []
    take_quiz(
        None,
        True,
        console=Console(record=True),
        state=ReviewState(tmp_path / "s.json"),
        ask=lambda q: asked.append(q.id) or None,
    )
    assert asked == ["conv-where-result"]


def test_terminal_is_really_interactive(tmp_path):
    """Drive `dlcourse quiz 01` in a pseudo-terminal: arrow keys and enter pick a choice, Ctrl-C stops."""
    import pexpect

    env = {
        "DLCOURSE_STATE": str(tmp_path / "s.json"),
        "TERM": "xterm",
        "PATH": str(Path(sys.executable).parent),
        "COLUMNS": "100",
        "LINES": "40",
    }
    child = pexpect.spawn(
        sys.executable,
        ["-m", "dlcourse", "quiz", "01"],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 100),
    )
    first = load_quiz("01").questions[0]
    right = [c.correct for c in first.choices].index(True)  # choices are shown in their fixed order
    child.expect("Question 1 of")
    child.expect("Your answer")
    child.send("\x1b[B" * right + "\r")  # down to the multiply-and-sum, the right one
    child.expect("Correct")
    child.expect("Question 2 of")
    child.expect("Your answer")
    child.sendcontrol("c")
    child.expect("Stopped")
    child.expect(pexpect.EOF)
    assert json.loads((tmp_path / "s.json").read_text())["cards"]["conv-one-step"]["last"] == "correct"


def test_grade_command_prints_a_json_report(tmp_path):
    answers = tmp_path / "answers.yml"
    answers.write_text(
        yaml.safe_dump(
            {
                "lesson": "01",
                "answers": {
                    "conv-one-step": "multiply-sum",
                    "kernel-blur-sum": ["box", "gaussian"],
                    "kernel-flat-response": 0,
                    "padding-word": " Zero-Padding ",
                    "relu-what": "",
                    "nope": "x",
                },
            }
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "dlcourse", "quiz", "grade", str(answers)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    by_id = {r["id"]: r for r in report["results"]}
    assert by_id["conv-one-step"]["status"] == "correct"
    assert by_id["kernel-blur-sum"]["reason"] == "missing-choices"
    assert by_id["kernel-flat-response"]["status"] == "correct"
    assert by_id["padding-word"]["status"] == "correct"
    assert by_id["relu-what"]["status"] == "invalid"
    assert report["correct"] == 3 and report["answered"] == 5 and report["unknown_ids"] == ["nope"]
    bad = tmp_path / "bad.yml"
    bad.write_text("just text")
    out = subprocess.run(
        [sys.executable, "-m", "dlcourse", "quiz", "grade", str(bad)], capture_output=True, text=True
    )
    assert out.returncode == 2 and "expected `lesson:" in out.stderr


def test_lint_command(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "dlcourse", "quiz", "lint"], cwd=ROOT, capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.startswith("ok:")
    root = write_quiz(tmp_path, [single(section="nowhere")])
    bad = subprocess.run(
        [sys.executable, "-m", "dlcourse", "quiz", "lint"],
        env={**os.environ, "DLCOURSE_QUIZ_DIR": str(root / "quiz")},
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "question 'q-one': section 'nowhere'" in bad.stderr


# --- notebook and page weight ------------------------------------------------------------------------------


def test_notebook_widget_inlines_renderer_and_data():
    from dlcourse import quiz

    html = quiz.show("01")._repr_html_()
    assert static_text("quiz.js") in html
    assert '"link":"#stride-and-padding"' in html.replace(" ", "")
    assert "</script>" not in html.split("DLQuiz.mount(")[1][: -len("</script>")]


@pytest.mark.parametrize("quiz", load_bank(), ids=lambda q: q.lesson)
def test_quiz_page_weight_at_most_64_kb(quiz):
    """Every variant of every question travels to the browser (it picks one per attempt): a budget."""
    data = json.dumps(client_quiz(quiz), ensure_ascii=False, separators=(",", ":")).encode()
    total = len(static_text("quiz.js").encode()) + len(data)
    print(f"lesson {quiz.lesson}: quiz.js + data = {total / 1024:.1f} KB")
    assert total <= 64 * 1024


def test_site_url_matches_mkdocs(monkeypatch):
    from mkdocs.config import load_config

    monkeypatch.delenv("DLCOURSE_SITE_URL", raising=False)
    assert load_config(str(ROOT / "mkdocs.yml")).site_url == SITE_URL


def test_quiz_files_are_our_own_words():
    """A guard against pasting fastbook's questionnaire: none of its well-known phrasings appear."""
    text = " ".join(Path(p).read_text().lower() for p in (ROOT / "quiz").glob("*.yml"))
    for phrase in [
        "do you need these for deep learning",
        "lots of math",
        "lots of data",
        "expensive computers",
        "name five areas where deep learning is now the best",
    ]:
        assert phrase not in text


def test_long_answers_are_refused_quickly_by_both_graders():
    """Over the length cap an answer is not graded; under it, a long blank run is stripped in one pass."""
    from dlcourse.quiz.grading import MAX_ANSWER

    cases = [
        (" " * (MAX_ANSWER - 1) + "4", "correct"),
        (" " * 160_000 + "x", "invalid"),
        ("4" * (MAX_ANSWER + 1), "invalid"),
    ]
    for name in ("four", "stride"):
        q = QUESTIONS[name]
        results = run_node({"grade": [[q.model_dump(exclude_none=True), r] for r, _ in cases]})["grade"]
        for (response, _), got in zip(cases, results, strict=True):
            assert verdict_of(got) == verdict_of(grade(q, response).to_dict())
    assert grade(QUESTIONS["four"], cases[0][0]).status == "correct"
    assert grade(QUESTIONS["stride"], cases[1][0]).reason == "too-long"


PORTABLE = [
    "(zero ?)?padding",
    r"\d+ ?px",
    r"[a\-z]+ layers?",
    r"\.jpe?g",
    "(?:max|average) pool(ing)?",
    "a{2,3}b",
]
PYTHON_ONLY = ["(?i)stride", r"a\-b", "(?P<n>pool)", "a++", r"pool\Z", "[]a]"]
SAMPLES = [
    "padding",
    "zero padding",
    "12 px",
    "12px",
    "a-z layer",
    "k-z layers",
    ".jpg",
    ".jpeg",
    "max pool",
    "average pooling",
    "aab",
    "aaab",
    "stride",
    "a-b",
    "pool",
    "]",
    "a",
    "zero  padding",
    "٣ px",
]


def test_text_patterns_must_read_the_same_in_the_browser():
    from dlcourse.quiz.schema import browser_incompatibility

    bank = [q.pattern for quiz in load_bank() for q in quiz.questions if q.pattern]
    assert all(browser_incompatibility(p) == "" for p in PORTABLE + bank)
    assert all(browser_incompatibility(p) for p in PYTHON_ONLY)
    script = """
    const [patterns, samples] = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    console.log(JSON.stringify(patterns.map((p) => { try { const r = new RegExp("^(?:" + p + ")$", "u");
      return samples.map((s) => r.test(s)); } catch (e) { return null; } })));
    """
    patterns = PORTABLE + bank + PYTHON_ONLY
    out = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([patterns, SAMPLES]),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    browser = dict(zip(patterns, json.loads(out.stdout), strict=True))
    for p in PORTABLE + bank:
        assert browser[p] == [bool(re.fullmatch(p, s, re.ASCII)) for s in SAMPLES], p
    assert all(
        browser[p] is None or browser[p] != [bool(re.fullmatch(p, s, re.ASCII)) for s in SAMPLES]
        for p in PYTHON_ONLY
    ), "each Python-only pattern fails or matches differently in the browser"


def test_lint_reads_the_bank_dlcourse_quiz_reads_and_refuses_no_bank(tmp_path, monkeypatch, capsys):
    from dlcourse.cli import main

    monkeypatch.setenv("DLCOURSE_QUIZ_DIR", str(tmp_path / "absent"))
    assert main(["quiz", "lint"]) == 1
    assert "absent does not exist: point DLCOURSE_QUIZ_DIR" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("DLCOURSE_QUIZ_DIR", str(tmp_path / "empty"))
    assert main(["quiz", "lint"]) == 1
    assert "has no quiz files" in capsys.readouterr().err
    monkeypatch.setenv("DLCOURSE_QUIZ_DIR", str(ROOT / "quiz"))
    assert main(["quiz", "lint"]) == 0


def test_lint_names_a_raising_function_and_an_inexact_numeric_answer(tmp_path, monkeypatch):
    import dlcourse.quiz.variants as variants

    monkeypatch.setattr(variants, "broken", lambda rng: 1 / 0, raising=False)
    quiz_dir = tmp_path / "quiz"
    quiz_dir.mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "p.md").write_text("# S\n")
    common = "section: s, difficulty: easy, tags: [t], explanation: e"
    head = "title: X\npage: p.md\nquestions:\n"
    (quiz_dir / "01_x.yml").write_text(
        f'lesson: "01"\n{head}  - {{id: q-raises, type: numeric, prompt: p, '
        f"compute: {{function: dlcourse.quiz.variants.broken}}, {common}}}\n"
    )
    (quiz_dir / "02_y.yml").write_text(
        f'lesson: "02"\n{head}  - {{id: q-inexact, type: numeric, prompt: p, answer: 0.25, {common}}}\n'
        f"  - {{id: q-count, type: numeric, prompt: p, answer: 12, {common}}}\n"
    )
    problems = "\n".join(lint(quiz_dir))
    assert "01_x.yml: question 'q-raises': dlcourse.quiz.variants.broken raised ZeroDivisionError" in problems
    assert (
        "02_y.yml: question 'q-inexact': answer 0.25 is not a whole number, so the precision expected must "
        "be stated" in problems
    )
    assert "q-count" not in problems, "a whole-number answer may be exact"


# --- bank v2: one variant per attempt, keys with one correct reading ---------------------------------------


def numeric(qid="q-num", **overrides):
    q = single(qid, type="numeric", **overrides)
    del q["choices"]
    return q


def lint_text(tmp_path, questions):
    return "\n".join(lint(write_quiz(tmp_path, questions) / "quiz"))


def tied_steep_curve(rng):
    """The audit's 03 rule-steep v2: falls of 0.4 start at 1e-5, 1e-3 and 1e-2 (float32, as then)."""
    import torch

    from dlcourse.quiz.variants.l03_lr_finder import steep_variant

    lrs = torch.tensor([10.0**e for e in range(-6, 1)])
    return steep_variant(lrs, torch.tensor([2.3, 2.2, 1.8, 1.7, 1.3, 0.9, 2.0]))


def audit_smoothing(rng):
    """The audit's 03 smoothing v2 setting: the bias-corrected average is almost the plain mean."""
    from dlcourse.lr_finder import smooth
    from dlcourse.quiz.bank import Variant

    losses = [2.8, 2.7, 2.7]
    return Variant({"l": losses}, smooth(losses)[-1], mistakes={"the plain mean": sum(losses) / 3})


@pytest.mark.parametrize(
    ("maker", "question", "message"),
    [
        (
            tied_steep_curve,
            {"tolerance": {"rel": 0.01}, "precision": {"significant": 2}},
            "has more than one correct answer: the tie at 1e-03 gives 0.001",
        ),
        (
            lambda rng: ({"x": 1}, 3),
            {},
            r"gives only 1 different variant\(s\) in 150 draws, 3 asked for",
        ),
        (
            lambda rng: ({"n": rng.choice([1, 2])}, 3),
            {},
            r"gives only 1 different variant\(s\)",  # different parameters, the same answer: a repeat too
        ),
        (
            audit_smoothing,
            {"tolerance": {"abs": 0.001}},
            "answer 2.73266 is not a whole number, so the precision expected must be stated",
        ),
        (
            audit_smoothing,
            {"tolerance": {"abs": 0.001}, "precision": {"decimals": 2}},
            "the key 2.73266 at the stated precision is 2.73, which fails the tolerance",
        ),
        (
            audit_smoothing,
            {"tolerance": {"abs": 0.001}, "precision": {"decimals": 3}},
            "the mistake 'the plain mean' gives 2.73333, which passes as correct",
        ),
    ],
    ids=[
        "tie",
        "duplicate-variants",
        "same-answer-variants",
        "unstated-precision",
        "precision-fails",
        "mistake",
    ],
)
def test_each_lint_rule_catches_its_defect(tmp_path, monkeypatch, maker, question, message):
    import dlcourse.quiz.variants as variants

    monkeypatch.setattr(variants, "fixture", maker, raising=False)
    compute = {"function": "dlcourse.quiz.variants.fixture", "variants": 1 if "tie" in message else 3}
    if maker is audit_smoothing:
        compute["variants"] = 1
    problems = lint_text(tmp_path, [numeric(compute=compute, **question)])
    assert re.search(message, problems), problems


WRONG = "a plausible wrong answer"  # 24 characters
PLAIN_KEY = "correct answer, in brief"  # as long as WRONG: neither the longest nor the shortest choice
LONG_KEY = "the right answer, carefully put"  # the longest, but under 1.4 times WRONG
SHORT_KEY = "right"


def two_choices(key: str) -> list[dict]:
    return [
        {"id": "a", "text": key, "correct": True, "feedback": "yes"},
        {"id": "b", "text": WRONG, "feedback": "no"},
    ]


def test_a_quiz_whose_key_is_usually_the_longest_choice_fails_lint(tmp_path):
    assert len(PLAIN_KEY) == len(WRONG) < len(LONG_KEY) < 1.4 * len(WRONG)

    def key(i, n_long):
        return LONG_KEY if i < n_long else PLAIN_KEY

    giveaway = [single(f"q-{i}", choices=two_choices(key(i, 3))) for i in range(5)]  # 3 of 5: over 40 %
    assert "the correct choice is the longest in 3 of 5 single-choice questions" in lint_text(
        tmp_path, giveaway
    )
    balanced = [single(f"q-{i}", choices=two_choices(key(i, 2))) for i in range(5)]  # 2 of 5
    assert lint_text(tmp_path, balanced) == ""


def test_a_quiz_whose_key_is_usually_the_shortest_choice_fails_lint(tmp_path):
    def key(i, n_short):
        return SHORT_KEY if i < n_short else PLAIN_KEY

    giveaway = [single(f"q-{i}", choices=two_choices(key(i, 3))) for i in range(5)]  # 3 of 5: over 40 %
    problems = lint_text(tmp_path, giveaway)
    assert "the correct choice is the shortest in 3 of 5 single-choice questions" in problems
    assert "in some of q-0, q-1, q-2" in problems
    balanced = [single(f"q-{i}", choices=two_choices(key(i, 2))) for i in range(5)]  # 2 of 5
    assert lint_text(tmp_path, balanced) == ""


def test_a_key_far_longer_than_every_wrong_choice_fails_lint(tmp_path):
    far = "the right answer, with a careful qualification"  # 46 characters: 1.9 times WRONG
    problems = lint_text(tmp_path, [single("q-long", choices=two_choices(far))])
    assert "question 'q-long': the correct choice is 1.9 times as long as the longest wrong one" in problems
    assert lint_text(tmp_path, [single("q-long", choices=two_choices(LONG_KEY))]) == ""


def multi(qid: str, n_correct: int, n_wrong: int) -> dict:
    right = [
        {"id": f"c{i}", "text": f"right {i}", "correct": True, "feedback": "y"} for i in range(n_correct)
    ]
    wrong = [{"id": f"w{i}", "text": f"wrong {i}", "feedback": "n"} for i in range(n_wrong)]
    return single(qid, type="multi", choices=right + wrong)


def test_multi_select_questions_that_all_have_the_same_number_of_wrong_or_right_choices_fail_lint(tmp_path):
    same = [multi(f"q-{i}", 2, 1) for i in range(3)]
    problems = lint_text(tmp_path, same)
    assert "all 3 multi-select questions have exactly 1 wrong choice(s)" in problems
    assert "all 3 multi-select questions have exactly 2 correct choice(s)" in problems
    same_wrong = [multi("q-0", 1, 2), multi("q-1", 2, 2), multi("q-2", 3, 2)]
    problems = lint_text(tmp_path, same_wrong)
    assert "exactly 2 wrong choice(s)" in problems and "correct choice(s)" not in problems
    varied = [multi("q-0", 1, 2), multi("q-1", 2, 1), multi("q-2", 3, 2)]
    assert lint_text(tmp_path, varied) == ""
    assert lint_text(tmp_path, [multi("q-0", 2, 1), multi("q-1", 2, 1)]) == "", "two are too few to judge"


def test_a_fixed_question_with_stated_precision_that_its_tolerance_accepts_lints_clean(tmp_path):
    ok = numeric(answer=2.7327, precision={"decimals": 2}, tolerance={"abs": 0.005})
    assert lint_text(tmp_path, [ok]) == ""
    too_tight = numeric(answer=2.7327, precision={"decimals": 2}, tolerance={"abs": 0.001})
    assert "at the stated precision is 2.73, which fails" in lint_text(tmp_path, [too_tight])
    unstated = numeric(answer=2.7327, tolerance={"abs": 0.005})
    assert "precision expected must be stated" in lint_text(tmp_path, [unstated])


def test_precision_is_stated_under_the_prompt_and_read_as_a_learner_rounds():
    from dlcourse.quiz.bank import at_precision
    from dlcourse.quiz.schema import Precision

    item = next(i for i in load_quiz("03").items if i.id == "smoothing")
    assert all(q.prompt.endswith("Give the answer to 3 decimal places.") for q in item.variants)
    assert at_precision(2.7327, Precision(decimals=2)) == "2.73"
    assert at_precision(0.125, Precision(decimals=2)) == "0.13", "halves round up, as learners do"
    assert at_precision(1.76355e-06, Precision(significant=2)) == "0.0000018"
    assert at_precision(21817152, Precision(significant=3)) == "21800000"
    assert Precision(significant=1).sentence() == "Give the answer to 1 significant figure."


def test_every_computed_question_asks_something_new_in_each_variant():
    for quiz in load_bank():
        for item in quiz.items:
            if item.computed:
                prompts = [q.prompt for q in item.variants]
                answers = [q.answer for q in item.variants]
                assert len(set(prompts)) == len(prompts) and len(set(answers)) == len(answers), item.id
                assert len(item.variants) >= 2, f"{item.id}: a retry needs another variant"


def test_one_cycle_variants_ask_at_different_positions_of_the_schedule():
    """Two variants at the same position differ only by a factor of lr_max: the same question again."""
    for item in load_quiz("04").items:
        if item.id in ("lr-at-step", "mom-at-step", "last-step-lr"):
            positions = [v.params.get("step", v.params.get("last")) / v.params["n"] for v in item.computed]
            assert len(set(positions)) == len(positions), (item.id, positions)


def test_notebook_widget_mounts_every_variant_with_the_site_renderer():
    """The notebook widget hands quiz.js every variant, as the site does, so the one rule of quiz.js picks
    one per attempt, keeps it on reload and draws a new one on a retry (tested in Chromium in
    test_browser.py and under node in test_variant_picking_is_the_same_rule_in_python_and_js)."""
    from dlcourse.quiz.notebook import QuizWidget

    html = QuizWidget("03")._repr_html_()
    assert static_text("quiz.js") in html
    start = html.index("DLQuiz.mount(document.getElementById(")
    start = html.index("), ", start) + len("), ")
    data, _ = json.JSONDecoder().raw_decode(html, start)
    items = client_quiz(load_quiz("03"), same_page=True)["questions"]
    assert data["questions"] == items
    computed = [i for i in data["questions"] if i["computed"]]
    assert computed and all(len(i["variants"]) >= 2 for i in computed), "a retry has another variant"
    assert all(len(i["variants"]) == 1 for i in data["questions"] if not i["computed"])


def test_variant_ids_are_reserved():
    with pytest.raises(ValueError, match="ends like a variant id"):
        Question.model_validate(single("relu-v2"))


class FixedRandom:
    """rng.choice as quiz.js picks: seq[floor(r * len(seq))] for the next r of a list."""

    def __init__(self, values):
        self.values = iter(values)

    def choice(self, seq):
        return seq[int(next(self.values) * len(seq))]


def test_variant_picking_is_the_same_rule_in_python_and_js():
    from dlcourse.quiz.review import pick_variants, question_id

    quiz = load_quiz("01")
    items = client_quiz(quiz)["questions"]
    first = {i["id"]: i["variants"][0]["id"] for i in items}
    cases = [
        ({}, {}, [0.99] * len(items)),  # fresh draws
        (first, {}, [0.5] * len(items)),  # kept picks
        ({}, first, [0.0] * len(items)),  # a retry avoids the last attempt's variant
        ({"relu-count": "relu-count-v9"}, {}, [0.3] * len(items)),  # a pick that no longer exists
    ]
    js = run_node({"pick": [[items, p, prev, r] for p, prev, r in cases]})["pick"]
    for (picks, previous, randoms), got in zip(cases, js, strict=True):
        want = pick_variants(quiz.items, picks, previous, FixedRandom(randoms))
        assert got == want
    retry = js[2]
    for item in quiz.items:
        if len(item.variants) > 1:
            assert retry[item.id] != first[item.id], item.id
        assert js[1][item.id] == first[item.id]
    ids = ["relu-count-v2", "conv-one-step", "a-v1-b", "x-v10"]
    assert run_node({"questionId": ids})["questionId"] == [question_id(i) for i in ids]
    assert [question_id(i) for i in ids] == ["relu-count", "conv-one-step", "a-v1-b", "x"]


def test_cards_of_old_variant_ids_are_kept_under_the_question(tmp_path):
    card = {"box": 2, "due": 5, "lesson": "01", "last": "correct"}
    sooner = {**card, "due": 1, "box": 1, "last": "incorrect"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"version": 1, "cards": {"relu-count-v1": card, "relu-count-v3": sooner}}))
    state = ReviewState(path)
    assert state.cards == {"relu-count": sooner}, "the card due soonest is kept"
    assert state.warning == ""


def correct_answer(q):
    if q.type == "single":
        return next(c.id for c in q.choices if c.correct)
    if q.type == "multi":
        return [c.id for c in q.choices if c.correct]
    if q.type == "numeric":
        return repr(q.answer)
    return q.accept[0] if q.accept else "?"


def test_terminal_goes_on_with_an_attempt_then_starts_a_new_one(tmp_path):
    from rich.console import Console

    from dlcourse.quiz.terminal import take_quiz

    quiz = load_quiz("03")
    n = len(quiz.items)
    path = tmp_path / "s.json"
    asked = []

    def ask_until(stop):
        def ask(q):
            if len(asked) == stop:
                return None
            asked.append(q.id)
            return correct_answer(q)

        return ask

    take_quiz(
        "03",
        False,
        console=Console(record=True),
        ask=ask_until(5),
        state=ReviewState(path),
        rng=random.Random(1),
    )
    first_five = list(asked)
    saved = json.loads(path.read_text())
    assert set(saved["attempts"]["03"]["answered"]) == {item.id for item in quiz.items[:5]}
    assert set(saved["cards"]) == {item.id for item in quiz.items[:5]}, "cards are kept under question ids"

    console = Console(record=True, width=120)
    take_quiz("03", False, console=console, ask=ask_until(n), state=ReviewState(path), rng=random.Random(2))
    text = console.export_text()
    assert "Going on with your attempt at lesson 03: 5 of" in text
    computed = sum(bool(item.computed) for item in quiz.items[5:])
    assert text.count("· computed ·") == computed, "exactly the computed questions are marked"
    picks = json.loads(path.read_text())["attempts"]["03"]["picks"]
    assert asked == first_five + [picks[item.id] for item in quiz.items[5:]], "the same variants, the rest"
    assert f"Question {n} of {n}" in text

    asked.clear()
    take_quiz(
        "03",
        False,
        console=Console(record=True),
        ask=ask_until(n),
        state=ReviewState(path),
        rng=random.Random(3),
    )
    new_picks = json.loads(path.read_text())["attempts"]["03"]["picks"]
    assert len(asked) == n, "a finished attempt is followed by a whole new one"
    for item in quiz.items:
        if len(item.variants) > 1:
            assert new_picks[item.id] != picks[item.id], item.id


def test_choices_are_shown_in_one_fixed_order_that_does_not_give_the_key_away():
    shown = {q.id: [c.id for c in q.choices] for quiz in load_bank() for q in quiz.questions if q.choices}
    again = {q.id: [c.id for c in q.choices] for quiz in load_bank() for q in quiz.questions if q.choices}
    assert shown == again, "the same order every time, so answers and reloads line up"
    in_client = {
        v["id"]: [c["id"] for c in v["choices"]]
        for quiz in load_bank()
        for item in client_quiz(quiz)["questions"]
        for v in item["variants"]
        if "choices" in v
    }
    assert in_client == shown, "the browser shows the order the terminal asks in"
    singles = [q for quiz in load_bank() for q in quiz.questions if q.type == "single"]
    first = sum(q.choices[0].correct for q in singles)
    assert first < len(singles) / 2, f"the correct choice comes first in {first} of {len(singles)}"


def test_each_quizs_computed_questions_come_from_its_own_module():
    """Quiz NN's variant makers live in `dlcourse.quiz.variants.lNN_<slug>`, beside quiz/NN_<slug>.yml."""
    for path in sorted((ROOT / "quiz").glob("*.yml")):
        functions = re.findall(r"function: (dlcourse\.[a-z0-9_.]+)", path.read_text())
        module = f"dlcourse.quiz.variants.l{path.stem}."
        assert all(f.startswith(module) for f in functions), (path.name, functions)
        assert all(callable(variant_maker(f)) for f in functions)
