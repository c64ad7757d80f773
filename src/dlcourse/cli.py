"""The `dlcourse` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlcourse", description="Tools for the dlcourse lessons.")
    commands = parser.add_subparsers(dest="command", required=True)

    quiz = commands.add_parser(
        "quiz",
        help="take a lesson's quiz, review what is due, grade an answers file, or lint the bank",
        description="dlcourse quiz [LESSON] [--new] | quiz --review | quiz grade FILE | quiz lint",
    )
    quiz.add_argument("words", nargs="*", metavar="LESSON | grade FILE | lint")
    quiz.add_argument("--review", action="store_true", help="ask the questions that are due (Leitner boxes)")
    quiz.add_argument(
        "--new", action="store_true", help="start the quiz again with new questions instead of going on"
    )

    practice = commands.add_parser(
        "exercise",
        help="your progress, a lesson's exercises, hints and solutions, or grade a file of your functions",
        description="dlcourse exercise [NN | check FILE.py [--lesson NN] | hint ID [N] | solution ID]",
    )
    practice.add_argument("words", nargs="*", metavar="NN | check FILE.py | hint ID [N] | solution ID")
    practice.add_argument("--lesson", help="with check: grade only this lesson's exercises")

    trainer = commands.add_parser("train", help="train a classifier with fastai and print its metrics")
    trainer.add_argument("dataset", choices=["pets"])
    trainer.add_argument(
        "--epochs", type=_positive_int, default=4, help="epochs after the frozen one (fine_tune), 1 or more"
    )
    trainer.add_argument(
        "--arch",
        choices=["resnet34", "resnet50"],
        default="resnet34",
        help="full mode architecture (offline mode uses the bundled small model)",
    )
    trainer.add_argument("--offline", action="store_true", help="force offline mode (bundled data and model)")

    args = parser.parse_args(argv)
    if args.command == "train":
        return _train(args)
    if args.command == "exercise":
        from dlcourse.exercises.terminal import main as exercise_main

        return exercise_main(args.words, args.lesson)
    return _quiz(parser, args.words, args.review, args.new)


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of epochs, 1 or more, got {text!r}")
    return int(text)


def _train(args: argparse.Namespace) -> int:
    from dlcourse.bundled import BundledFileError
    from dlcourse.data import DataError
    from dlcourse.mode import ModeError

    try:
        return _train_pets(args)
    except (DataError, ModeError, BundledFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _train_pets(args: argparse.Namespace) -> int:
    from fastai.metrics import accuracy, error_rate
    from fastai.vision.learner import vision_learner

    from dlcourse.mode import detect_mode
    from dlcourse.pets import pets_dataloaders, pets_path
    from dlcourse.train import history, pick_arch

    mode = detect_mode("offline" if args.offline else None)
    print(f"dlcourse: {mode.describe()}")
    path = pets_path(mode)
    arch = pick_arch(mode, bigger=args.arch == "resnet50")
    if mode.offline and args.arch != "resnet34":
        print(f"dlcourse: --arch {args.arch} applies to full mode; offline uses the bundled {arch.__name__}")
    dls = pets_dataloaders(path, mode)
    print(
        f"dlcourse: {len(dls.train_ds)} training and {len(dls.valid_ds)} validation images from {path}, "
        f"{len(dls.vocab)} classes; model {arch.__name__}"
    )
    learn = vision_learner(dls, arch, metrics=[error_rate, accuracy])
    if mode.gpu:
        learn.to_fp16()
    learn.fine_tune(args.epochs)
    last = history(learn).iloc[-1]
    print(
        f"final: error_rate {last.error_rate:.4f}, accuracy {last.accuracy:.4f}, "
        f"valid_loss {last.valid_loss:.4f} after {args.epochs + 1} epochs"
    )
    return 0


def _quiz(parser: argparse.ArgumentParser, words: list[str], review: bool, new: bool = False) -> int:
    from dlcourse.quiz import QuizFileError

    try:
        if words[:1] == ["lint"]:
            from dlcourse.quiz.bank import bank_dir, lint

            quiz_dir = bank_dir()
            problems = lint(quiz_dir)
            for line in problems:
                print(line, file=sys.stderr)
            print(f"{'FAILED' if problems else 'ok'}: quiz bank in {quiz_dir}, {len(problems)} problem(s)")
            return 1 if problems else 0
        if words[:1] == ["grade"]:
            if len(words) != 2:
                parser.error("usage: dlcourse quiz grade ANSWERS.yml")
            from dlcourse.quiz.terminal import print_report

            print_report(Path(words[1]))
            return 0
        if len(words) > 1 or (words and not words[0].isdigit()):
            parser.error("give one lesson number, e.g. `dlcourse quiz 01`, or `grade FILE` or `lint`")
        if not sys.stdin.isatty():
            raise QuizFileError(
                "`dlcourse quiz` asks its questions in an interactive terminal; to grade answers written in "
                "a file, use `dlcourse quiz grade ANSWERS.yml`"
            )
        from dlcourse.quiz.terminal import take_quiz

        return take_quiz(words[0] if words else None, review, new=new)
    except (QuizFileError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
