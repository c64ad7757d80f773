"""Spaced repetition with Leitner boxes, the same rule as the site's review page (static/quiz.js).

Five boxes. A correct answer moves a question up one box, a wrong one sends it back to box 1.
A question in box b is due again INTERVAL_DAYS[b] days after it was answered: box 1 at once,
then 1, 3, 7 and 16 days. Missed questions therefore come back soonest.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

DAY_MS = 86_400_000
INTERVAL_DAYS = [0, 0, 1, 3, 7, 16]  # index = box


def schedule(card: dict | None, status: str, now_ms: int) -> dict:
    box = min((card["box"] if card else 1) + 1, 5) if status == "correct" else 1
    return {"box": box, "due": now_ms + INTERVAL_DAYS[box] * DAY_MS, "last": status}


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
    """Cards kept in a JSON file ($DLCOURSE_STATE, else ~/.local/share/dlcourse/quiz-state.json)."""

    def __init__(self, path: Path | None = None):
        default = (
            Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "dlcourse/quiz-state.json"
        )
        self.path = Path(path or os.environ.get("DLCOURSE_STATE") or default)
        self.warning = ""
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
        cards = {k: v for k, v in data["cards"].items() if valid_card(v)}
        if len(cards) != len(data["cards"]):
            self.warning = f"{len(data['cards']) - len(cards)} damaged entries in {self.path} were dropped."
        return cards

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"version": 1, "cards": self.cards}, indent=1), encoding="utf-8")
        tmp.replace(self.path)

    def record(self, lesson: str, qid: str, status: str, now_ms: int | None = None) -> dict:
        card = schedule(self.cards.get(qid), status, _now(now_ms))
        self.cards[qid] = {**card, "lesson": lesson}
        return self.cards[qid]

    def due(self, now_ms: int | None = None) -> list[str]:
        now = _now(now_ms)
        due = [qid for qid, c in self.cards.items() if c["due"] <= now]
        return sorted(due, key=lambda qid: (self.cards[qid]["box"], self.cards[qid]["due"]))


def _now(now_ms: int | None) -> int:
    return int(time.time() * 1000) if now_ms is None else now_ms
