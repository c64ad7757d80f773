"""The glossary and the map of old fastai names.

Every term the lessons use has a glossary entry, each entry points at a lesson heading that exists,
each lesson links every term it uses to its entry, and every name of today's fastai on the map page
exists in the installed fastai, with the keyword arguments the page gives it."""

import ast
import inspect
import json
import re
from functools import cache

import pytest

from dlcourse.lessons import LESSONS
from dlcourse.links import SITE_URL
from dlcourse.quiz.bank import heading_anchors

from support import ROOT

GLOSSARY = ROOT / "docs" / "glossary.md"
NAMES = ROOT / "docs" / "fastai-names.md"
# How a lesson links an entry: the address works in Colab, and the site build makes it relative.
LINK = f"{SITE_URL}glossary/#"

# glossary anchor -> the words that show a lesson's prose uses the term
TERMS = {
    "activation": r"\bactivations?\b",
    "adam": r"(?-i:\bAdam\b)",
    "augmentation": r"\baugment",
    "awd-lstm": r"(?-i:\bAWD\b)",
    "batch": r"\b(?:mini-?)?batch(?:es)?\b(?![- ]norm)",
    "batch-normalisation": r"\bbatch[- ]norm",
    "discriminative-learning-rates": r"\bdiscriminative\b|\bslice\(",
    "dropout": r"\bdropout\b",
    "embedding": r"\bembeddings?\b",
    "epoch": r"\bepochs?\b",
    "fine-tuning": r"\bfine[- ]tun|\bfine_tune\b",
    "freezing": r"\b(?:un)?freez|\b(?:un)?frozen\b",
    "head": r"\bhead\b|\bbody\b",
    "language-model": r"\blanguage models?\b",
    "learning-rate": r"\blearning[- ]rates?\b",
    "logit": r"\blogits?\b",
    "loss": r"\bloss(?:es)?\b",
    "lstm": r"(?-i:LSTM)",
    "metric": r"\bmetrics?\b",
    "mixed-precision": r"\bmixed precision\b|\bto_fp16\b|\bto_bf16\b",
    "momentum": r"\bmomentum\b",
    "one-cycle": r"\bone-cycle\b|\bfit_one_cycle\b",
    "parameter-group": r"\b(?:parameter|layer) groups?\b",
    "perplexity": r"\bperplexit",
    "presizing": r"\bpresiz",
    "resnet": r"(?-i:\bResNets?\b)|\bresidual\b",
    "sgd": r"(?-i:\bSGD\b)|\bgradient descent\b",
    "tensor-cores": r"\btensor cores?\b",
    "tokenization": r"\btokeni[sz]|\btokens?\b",
    "transfer-learning": r"\btransfer[- ]learning\b",
    "validation-set": r"\bvalidation sets?\b",
    "weight-decay": r"\bweight decay\b",
}
# Terms whose only use in a lesson is in a cell being rewritten together with the lesson's code; the new
# text of that cell links the term, and the entry goes once it does.
PENDING: dict[tuple[str, str], str] = {}
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]*)\)")


def glossary_entries() -> dict[str, str]:
    """{anchor: the entry's text} from the `## Term {#anchor}` headings of the glossary."""
    parts = re.split(r"^## (.+?) \{#([a-z0-9-]+)\}[ \t]*$", GLOSSARY.read_text(encoding="utf-8"), flags=re.M)
    return {anchor: body for anchor, body in zip(parts[2::3], parts[3::3], strict=True)}


@cache
def lesson_prose(name: str) -> str:
    cells = json.loads((ROOT / "lessons" / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def uses(name: str, anchor: str) -> bool:
    """Whether the lesson's prose, link targets left out, uses the term."""
    return bool(re.search(TERMS[anchor], MARKDOWN_LINK.sub("]", lesson_prose(name)), flags=re.I))


def test_every_term_has_one_glossary_entry():
    headings = re.findall(r"^## .+? \{#([a-z0-9-]+)\}", GLOSSARY.read_text(encoding="utf-8"), flags=re.M)
    assert len(headings) == len(set(headings)), "an anchor is used twice"
    assert sorted(set(TERMS) - set(headings)) == []
    assert all(body.strip() for body in glossary_entries().values())


@pytest.mark.parametrize("anchor", sorted(glossary_entries()))
def test_each_entry_links_a_lesson_heading_that_exists(anchor):
    body = glossary_entries()[anchor]
    targets = re.findall(r"\]\((lessons/[^)#\s]+\.ipynb)(?:#([^)\s]+))?\)", body)
    assert targets, f"the entry {anchor!r} links no lesson"
    for notebook, heading in targets:
        assert (ROOT / notebook).exists(), notebook
        if heading:
            assert heading in heading_anchors(ROOT / notebook), f"{notebook} has no heading #{heading}"


def test_links_into_the_glossary_from_docs_pages_resolve():
    entries = set(glossary_entries())
    for page in (GLOSSARY, NAMES, ROOT / "docs" / "foundations.md"):
        text = page.read_text(encoding="utf-8")
        inside = re.findall(r"\]\(#([a-z0-9-]+)\)", text) if page == GLOSSARY else []
        across = re.findall(r"\]\(glossary\.md#([a-z0-9-]+)\)", text)
        assert set(inside + across) <= entries, (page.name, sorted(set(inside + across) - entries))


@pytest.mark.parametrize(
    "name, anchor",
    [(lesson.name, anchor) for lesson in LESSONS for anchor in TERMS if uses(lesson.name, anchor)],
)
def test_a_lesson_links_every_term_it_uses_to_the_glossary(name, anchor):
    linked = f"]({LINK}{anchor})" in lesson_prose(name)
    if not linked and (name, anchor) in PENDING:
        pytest.xfail(f"the link comes with the rewritten {PENDING[name, anchor]}")
    assert linked, f"lesson {name} uses '{anchor}' without linking it"


@pytest.mark.parametrize("name", [lesson.name for lesson in LESSONS])
def test_a_lessons_glossary_links_resolve_and_stay_out_of_headings(name):
    prose = lesson_prose(name)
    linked = set(re.findall(rf"\]\({re.escape(LINK)}([^)\s]+)\)", prose))
    assert linked <= set(glossary_entries()), sorted(linked - set(glossary_entries()))
    headings = [line for line in prose.splitlines() if line.startswith("#")]
    assert not [h for h in headings if LINK in h], "a link in a heading changes the heading's anchor"


def test_the_glossary_and_the_names_page_are_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "glossary.md" in nav and "fastai-names.md" in nav


# --- the map of old names --------------------------------------------------------------------------

PLACEHOLDERS = {"path", "fnames", "pat", "df", "source", "epochs", "dls", "learn"}


@cache
def fastai_names() -> dict:
    import fastai.text.all as text
    import fastai.vision.all as vision

    return {**vars(vision), **vars(text)}


def _object(node: ast.expr):
    """The fastai object a name or an attribute chain such as `learn.recorder.plot_loss` stands for."""
    from fastai.data.core import DataLoaders, TfmdDL
    from fastai.learner import Learner, Recorder

    if isinstance(node, ast.Name):
        assert node.id in fastai_names(), f"{node.id} is not in fastai.vision.all or fastai.text.all"
        return fastai_names()[node.id]
    assert isinstance(node, ast.Attribute), ast.unparse(node)
    chain = ast.unparse(node)
    if chain.startswith("learn.recorder."):
        owners, attr = [Recorder], chain.removeprefix("learn.recorder.")
    elif chain.startswith("learn."):
        owners, attr = [Learner], chain.removeprefix("learn.")
    elif chain.startswith("dls."):
        owners, attr = [DataLoaders, TfmdDL], chain.removeprefix("dls.")  # DataLoaders passes on to dls.train
    else:
        owners, attr = [_object(node.value)], node.attr
    found = [getattr(o, attr) for o in owners if hasattr(o, attr)]
    assert found, f"{chain}: fastai has no such attribute"
    return found[0]


def _takes_any_keyword(obj) -> bool:
    function = getattr(obj, "__func__", obj)
    function = function.__init__ if inspect.isclass(function) else function
    code = getattr(function, "__code__", None)
    return code is not None and bool(code.co_flags & inspect.CO_VARKEYWORDS)


def check_call(code: str) -> None:
    """Every name in `code` exists in fastai (or is a placeholder such as `path`), and every keyword
    argument is one the function takes."""
    tree = ast.parse(code)
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}  # parts of a longer chain
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in PLACEHOLDERS:
            _object(node)
        elif isinstance(node, ast.Attribute) and id(node) not in inner:
            _object(node)
        if isinstance(node, ast.Call) and node.keywords:
            function = _object(node.func)
            try:
                params = inspect.signature(function).parameters
            except (TypeError, ValueError):
                continue
            if _takes_any_keyword(function) or any(p.kind is p.VAR_KEYWORD for p in params.values()):
                continue  # fastai's @delegates can show fewer keywords than the function passes on
            for kw in node.keywords:
                assert kw.arg in params, f"{ast.unparse(node.func)} takes no argument {kw.arg}"


def map_rows() -> list[list[str]]:
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in NAMES.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and not line.startswith("|---")
    ]
    return rows[1:]  # without the header


def todays_calls() -> list[str]:
    return [span for row in map_rows() for span in re.findall(r"`([^`]+)`", row[1])]


def test_the_map_has_a_row_per_old_name_with_a_note():
    rows = map_rows()
    assert len(rows) >= 18 and all(len(row) == 3 for row in rows)
    old = " ".join(row[0] for row in rows)
    for name in (
        "ImageDataBunch",
        "cnn_learner",
        "ConvLearner",
        "get_transforms",
        "imagenet_stats",
        "recorder.plot()",
        "DataBunch",
        "ImageList",
        "TextLMDataBunch",
        "accuracy_thresh",
        "fbeta",
        "to_fp16",
        "Zeit",
        "3e-3",
    ):
        assert name in old, name
    assert all(row[2] for row in rows if row[0] != row[1]), "a renamed call has no note"


@pytest.mark.parametrize("code", todays_calls())
def test_todays_names_exist_in_fastai(code):
    check_call(code)


@pytest.mark.parametrize(
    "code",
    [
        "fbeta",
        "ImageDataBunch",
        "get_transforms()",
        "accuracy_thresh",
        "learn.recorder.plot_losses()",
        "TextLMDataBunch.from_csv(path)",
        "learn.lr_find(suggestion=True)",
        "dls.normalize(imagenet_stats)",
    ],
)
def test_the_check_rejects_old_names(code):
    with pytest.raises(AssertionError):
        check_call(code)


def test_the_learning_rates_the_map_states_are_fastais_defaults():
    from fastai.learner import Learner, defaults

    assert defaults.lr == 1e-3
    assert inspect.signature(Learner.fine_tune).parameters["base_lr"].default == 2e-3
    assert inspect.signature(Learner.fit_one_cycle).parameters["lr_max"].default is None  # the learner's lr
    row = next(row for row in map_rows() if "3e-3" in row[0])
    assert "1e-3" in row[1] and "2e-3" in row[1]
