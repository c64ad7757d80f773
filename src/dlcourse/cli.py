"""The `dlcourse` command line."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dlcourse", description="Tools for the dlcourse lessons.")
    commands = parser.add_subparsers(dest="command", required=True)

    bench = commands.add_parser("bench", help="run a benchmark and print its figures")
    bench.add_argument("what", choices=["conv"], help="conv: hand-written convolution vs torch")

    args = parser.parse_args(argv)
    if args.command == "bench":
        from dlcourse.benchmarks import conv

        conv.main()


if __name__ == "__main__":
    main()
