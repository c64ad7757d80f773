"""Spaced repetition with Leitner boxes, the same rule as the site's review page (static/quiz.js).

Five boxes. A correct answer moves a question up one box, a wrong one sends it back to box 1.
A question in box b is due again INTERVAL_DAYS[b] days after it was answered: box 1 at once,
then 1, 3, 7 and 16 days. Missed questions therefore come back soonest.

Cards are kept under the question's id, whichever variant of a computed question was asked; an attempt
records which variant of each question the learner is shown until they start again.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import time
from pathlib import Path

DAY_MS = 86_400_000
INTERVAL_DAYS = [0, 0, 1, 3, 7, 16]  # index = box


def schedule(card: dict | None, status: str, now_ms: int) -> dict:
    box = min((card["box"] if card else 1) + 1, 5) if status == "correct" else 1
    return {"box": box, "due": now_ms + INTERVAL_DAYS[box] * DAY_MS, "last": status}


def question_id(qid: str) -> str:
    """The question a card belongs to: variant ids (`id-v2`) map to their question (quiz.js: questionId)."""
    return re.sub(r"-v[0-9]+$", "", qid)


def pick_variants(
    items: list, picks: dict[str, str] | None, previous: dict[str, str] | None, rng: random.Random
) -> dict[str, str]:
    """One variant id per item: the one in `picks` if it still exists, else a random one that avoids the
    `previous` attempt's when there is another (quiz.js: pickVariants)."""
    out = {}
    for item in items:
        ids = [q.id for q in item.variants]
        if picks and picks.get(item.id) in ids:
            out[item.id] = picks[item.id]
            continue
        fresh = [i for i in ids if not previous or i != previous.get(item.id)]
        out[item.id] = rng.choice(fresh or ids)
    return out


def _string_map(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def valid_card(card: object) -> bool:
    """The same rule as quiz.js's validCard: a box 1-5, a finite due time, a lesson and a last verdict."""
    return (
        isinstance(card, dict)
        and _number(card.get("box"))
        and card["box"] in (1, 2, 3, 4, 5)
        and _number(card.get("due"))
        and isinstance(card.get("lesson"), str)
        and card.get("last") in ("correct", "incorrect")
    )


class ReviewState:
    """Cards kept in a JSON file ($DLCOURSE_STATE, else ~/.local/share/dlcourse/quiz-state.json), beside
    the exercises passed ({exercise id: when, in ms})."""

    def __init__(self, path: Path | None = None):
        default = (
            Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "dlcourse/quiz-state.json"
        )
        self.path = Path(path or os.environ.get("DLCOURSE_STATE") or default)
        self.warning = ""
        self.attempts: dict[
            str, dict
        ] = {}  # lesson -> {"picks": {item: variant}, "answered": {item: status}}
        self.exercises: dict[str, int] = {}
        self.cards = self._load()

    def _load(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        raw = self.path.read_text(encoding="utf-8", errors="replace")
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("version") != 1 or not isinstance(data.get("cards"), dict):
            backup = self.path.with_suffix(".unreadable.json")
            backup.write_text(raw, encoding="utf-8")
            self.warning = f"{self.path} was unreadable; it was kept as {backup} and progress starts afresh."
            return {}
        cards: dict[str, dict] = {}
        for qid, card in data["cards"].items():
            base = question_id(qid)
            if valid_card(card) and (base not in cards or card["due"] < cards[base]["due"]):
                cards[base] = card
        dropped = sum(not valid_card(c) for c in data["cards"].values())
        if dropped:
            self.warning = f"{dropped} damaged entries in {self.path} were dropped."
        attempts = data.get("attempts")
        self.attempts = {
            lesson: a
            for lesson, a in (attempts.items() if isinstance(attempts, dict) else [])
            if isinstance(a, dict) and _string_map(a.get("picks")) and _string_map(a.get("answered"))
        }
        exercises = data.get("exercises")
        self.exercises = {
            name: when
            for name, when in (exercises.items() if isinstance(exercises, dict) else [])
            if isinstance(name, str) and _number(when)
        }
        return cards

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        state = {"version": 1, "cards": self.cards, "attempts": self.attempts, "exercises": self.exercises}
        tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
        tmp.replace(self.path)

    def record(self, lesson: str, qid: str, status: str, now_ms: int | None = None) -> dict:
        card = schedule(self.cards.get(qid), status, _now(now_ms))
        self.cards[qid] = {**card, "lesson": lesson}
        return self.cards[qid]

    def attempt(self, quiz, rng: random.Random, new: bool = False) -> dict:
        """The learner's attempt at `quiz`: the one they stopped in the middle of, else a new one whose
        variants differ from the last attempt's where a question has others."""
        saved = self.attempts.get(quiz.lesson)
        finished = saved is not None and all(item.id in saved["answered"] for item in quiz.items)
        if saved is None or finished or new:
            previous = saved["picks"] if saved else None
            attempt = {"picks": pick_variants(quiz.items, None, previous, rng), "answered": {}}
        else:
            picks = pick_variants(quiz.items, saved["picks"], None, rng)
            answered = {i: s for i, s in saved["answered"].items() if picks.get(i) == saved["picks"].get(i)}
            attempt = {"picks": picks, "answered": answered}
        self.attempts[quiz.lesson] = attempt
        return attempt

    def due(self, now_ms: int | None = None) -> list[str]:
        now = _now(now_ms)
        due = [qid for qid, c in self.cards.items() if c["due"] <= now]
        return sorted(due, key=lambda qid: (self.cards[qid]["box"], self.cards[qid]["due"]))


def _now(now_ms: int | None) -> int:
    return int(time.time() * 1000) if now_ms is None else now_ms
