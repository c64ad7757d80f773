"""What an exercise is and how a learner's function is checked against the library it re-derives.

An exercise runs the learner's function and the reference (the library's own call) on the same cases
and reports how many agree. The first case that does not agree is shown concretely: its inputs, both
results and the largest difference, with a targeted message when the result is what a known mistake
gives. A starter that still raises `NotImplementedError` is *not attempted*, an exception is one line
naming the case, and a case that runs too long is stopped.
"""

from __future__ import annotations

import contextlib
import copy
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SECONDS_PER_CASE = 5.0


@dataclass(frozen=True)
class Case:
    """One call of the learner's function: its arguments and a few words saying what is special about it."""

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: `example` is code that makes the mistake (the tests prove it is recognised).
    The message is shown when the learner's function returned what `example` returns on every case it
    returned on, or, for a mistake with `detect`, when `detect(case, expected, received)` is true of the
    first failing case."""

    message: str
    example: str
    detect: Callable[[Case, Any, Any], bool] | None = None


@dataclass(frozen=True)
class Exercise:
    """An exercise, declared once: the notebook, the site, the terminal and the tests read this."""

    id: str  # "03.steep": the lesson's quiz id, a dot, a short name
    title: str
    function: str  # the name the learner's function must have
    prompt: str  # Markdown
    starter: str  # code: the function's signature, a docstring and `raise NotImplementedError`
    solution: str  # code: a worked solution, commented
    hints: tuple[str, ...]
    reference: Callable[..., Any]  # the library's own call, taking the same arguments
    cases: Callable[[], list[Case]]
    mistakes: tuple[Mistake, ...] = ()
    rtol: float = 1e-5
    atol: float = 1e-6
    compare: Callable[[Any, Any, float, float], str] | None = None  # "" when equal, else what differs

    @property
    def lesson(self) -> str:
        return self.id.split(".", 1)[0]

    def check(self, fn: Callable[..., Any], record: bool = True) -> Report:
        """Run `fn` on every case and say how it compares with the reference. A pass is recorded in your
        progress (`record=False` to leave it out)."""
        report = run_check(self, fn)
        if record and report.status == "passed":
            from dlcourse.exercises.progress import record_pass

            record_pass(self.id)
        return report

    def hint(self, level: int = 1) -> Hint:
        """Hint 1, 2, ...: each says more than the one before."""
        if not 1 <= level <= len(self.hints):
            raise ValueError(f"{self.id} has hints 1 to {len(self.hints)}; ask for one of those")
        return Hint(f"Hint {level} of {len(self.hints)}", self.hints[level - 1])

    def show_solution(self) -> Hint:
        """The worked solution."""
        return Hint(f"A solution to {self.id}", "```python\n" + self.solution.strip() + "\n```")

    @property
    def anchor(self) -> str:
        """The id of the exercise's heading cell in the notebook (Colab's `#scrollTo=` target)."""
        return "exercise-" + self.id.replace(".", "-").replace("_", "-")

    def __repr__(self) -> str:
        return f"{self.title} ({self.id}): write `{self.function}`.\n{self.prompt}"

    def _repr_markdown_(self) -> str:
        return f"**Write `{self.function}`.** {self.prompt}"


@dataclass(frozen=True)
class Hint:
    """A hint or solution: Markdown in a notebook, plain text in a terminal."""

    heading: str
    text: str

    def __repr__(self) -> str:
        return f"{self.heading}\n{self.text}"

    def _repr_markdown_(self) -> str:
        return f"**{self.heading}.**\n\n{self.text}"


@dataclass(frozen=True)
class Report:
    """The verdict on one function: "passed", "failed" or "not attempted", with what the learner needs."""

    exercise_id: str
    status: str
    passed: int
    total: int
    details: str = ""

    def __repr__(self) -> str:
        mark = {"passed": "✓", "failed": "✗", "not attempted": "·"}[self.status]
        if self.status == "not attempted":
            return (
                f"{mark} {self.exercise_id}: not attempted yet: write your code in place of "
                "`raise NotImplementedError`"
            )
        head = f"{mark} {self.exercise_id}: {self.status}, {self.passed} of {self.total} cases agree"
        return head + (f"\n{self.details.rstrip()}" if self.details else "")


class CaseTimeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop the code inside after `seconds` (an endless loop cannot hang the notebook). Uses a timer signal,
    so it works where Python signals do: the main thread on Linux and macOS; elsewhere there is no limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise CaseTimeout

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_check(exercise: Exercise, fn: Callable[..., Any]) -> Report:
    if not callable(fn):
        raise TypeError(f"check() takes your function itself, e.g. check({exercise.function}), not {fn!r}")
    cases = exercise.cases()
    passed, first_failure, failing = 0, "", None
    returned = []  # (case, what the function returned) for every case that returned
    for number, case in enumerate(cases, 1):
        where = f"case {number} of {len(cases)} ({case.label})"
        try:
            with time_limit(SECONDS_PER_CASE):
                received = fn(*_copied(case.args), **_copied(case.kwargs))
        except NotImplementedError:
            if number == 1:
                return Report(exercise.id, "not attempted", 0, len(cases))
            first_failure = first_failure or f"{where}: NotImplementedError raised"
            continue
        except CaseTimeout:
            first_failure = first_failure or (
                f"{where}: stopped after {SECONDS_PER_CASE:g} s: an endless loop? "
                "The remaining cases were not run."
            )
            break
        except Exception as err:  # the learner's bug, reported in one line
            first_failure = first_failure or f"{where}: {type(err).__name__}: {err}{_line_in(err)}"
            continue
        returned.append((case, received))
        expected = exercise.reference(*case.args, **case.kwargs)  # only for a case that returned
        problem = differs(exercise, expected, received)
        if not problem:
            passed += 1
        elif not first_failure:
            first_failure = f"{where}\n" + _describe_case(case) + problem
            failing = (case, expected, received)
    if failing is not None:
        first_failure += _mistake(exercise, *failing, returned)
    status = "passed" if passed == len(cases) else "failed"
    return Report(exercise.id, status, passed, len(cases), "" if status == "passed" else first_failure)


def _copied(value):
    """The learner's function gets copies: changing its inputs in place cannot change the next case."""
    return copy.deepcopy(value)


def _line_in(err: Exception) -> str:
    """' (line N: its code)' of the innermost frame outside this package (the learner's), when known."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "dlcourse/exercises" not in f.filename]
    return f" (line {frames[-1].lineno}: {frames[-1].line})" if frames and frames[-1].line else ""


def differs(exercise: Exercise, expected: Any, received: Any) -> str:
    """'' when `received` equals `expected` within the exercise's tolerance, else what differs."""
    compare = exercise.compare or compare_values
    return compare(expected, received, exercise.rtol, exercise.atol)


def compare_values(expected: Any, received: Any, rtol: float, atol: float) -> str:
    """Numbers, arrays and tensors within tolerance; other values (strings, lists of them) exactly."""
    if is_numeric(expected):
        if not is_numeric(received):
            return f"  expected a number or array like {show(expected)}\n  received {show(received)}\n"
        want, got = as_array(expected), as_array(received)
        if want.shape != got.shape:
            return (
                f"  expected shape {tuple(want.shape)}: {show(expected)}\n"
                f"  received shape {tuple(got.shape)}: {show(received)}\n"
            )
        if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=False):
            return ""
        gap = np.abs(got.astype(float) - want.astype(float))
        gap = np.where(np.isnan(gap), np.inf, gap)
        worst = np.unravel_index(int(np.argmax(gap)), gap.shape) if gap.ndim else ()
        at = f" at index {tuple(int(i) for i in worst)}" if worst else ""
        return (
            f"  expected: {show(expected)}\n  received: {show(received)}\n"
            f"  largest difference: {float(gap.max()):.4g}{at} (allowed: {atol:g} + {rtol:g} × |expected|)\n"
        )
    if expected == received:
        return ""
    return f"  expected: {show(expected)}\n  received: {show(received)}\n"


def is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.number)):
        return True
    if hasattr(value, "detach") or isinstance(value, np.ndarray):
        return np.asarray(as_array(value)).dtype.kind in "biuf"
    if isinstance(value, (list, tuple)) and value:
        return all(is_numeric(v) for v in value)
    return False


def as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float) if not isinstance(value, np.ndarray) else value


def show(value: Any, width: int = 300) -> str:
    """A short, concrete description of a value: small arrays in full, big ones by shape and a corner."""
    if hasattr(value, "detach") or isinstance(value, np.ndarray):
        array = as_array(value)
        kind = "tensor" if hasattr(value, "detach") else "array"
        if array.size <= 36:
            body = np.array2string(array, precision=4, separator=", ", max_line_width=90)
            return f"{kind} of shape {tuple(array.shape)}:\n      " + body.replace("\n", "\n      ")
        corner = array[tuple(slice(0, 3) for _ in array.shape)]
        body = np.array2string(corner, precision=4, separator=", ")
        return f"{kind} of shape {tuple(array.shape)}, starting {body}"[:width]
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, (int, float, np.number)) for v in value)
    ):
        body = np.array2string(np.asarray(value, dtype=float), precision=4, separator=", ", max_line_width=90)
        return f"{type(value).__name__} of {len(value)}: {body}"[:width]
    if isinstance(value, slice):
        return f"slice({value.start}, {value.stop})"
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _describe_case(case: Case) -> str:
    parts = [f"  argument {i}: {show(a)}" for i, a in enumerate(case.args, 1)]
    parts += [f"  {name}={show(v)}" for name, v in case.kwargs.items()]
    return "\n".join(parts) + "\n"


def _mistake(exercise: Exercise, case: Case, expected: Any, received: Any, returned: list) -> str:
    """The message of the first known mistake that explains the failing case, as a last line; '' if none.
    A mistake with an example explains it when the example returns what the learner's function returned
    on every case it returned on."""
    for mistake in exercise.mistakes:
        if mistake.detect is not None:
            with contextlib.suppress(Exception):
                if mistake.detect(case, expected, received):
                    return f"  → {mistake.message}\n"
            continue
        if all(_same_as_example(exercise, mistake, c, r) for c, r in returned):
            return f"  → {mistake.message}\n"
    return ""


def _same_as_example(exercise: Exercise, mistake: Mistake, case: Case, received: Any) -> bool:
    try:
        wrong = load_function(mistake.example, exercise.function)
        with time_limit(SECONDS_PER_CASE):
            theirs = wrong(*_copied(case.args), **_copied(case.kwargs))
    except Exception:  # noqa: BLE001 - an example that cannot run on this case is not this mistake
        return False
    return not differs(exercise, theirs, received)


def load_function(code: str, name: str) -> Callable[..., Any]:
    """The function `name` defined by `code` (a starter, a solution or a mistake's example)."""
    namespace: dict[str, Any] = {}
    exec(compile(code, f"<{name}>", "exec"), namespace)  # noqa: S102 - the course's own code strings
    return namespace[name]


def agrees(a, b) -> bool:
    """Whether two results agree, shape and values, nan where the other has nan: for mistake detectors, more
    loosely than the check (a detector recomputes in float64, the learner's function ran in float32)."""
    a = np.asarray(a.detach().cpu() if hasattr(a, "detach") else a, dtype=float)
    b = np.asarray(b.detach().cpu() if hasattr(b, "detach") else b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-3, atol=1e-4, equal_nan=True))
