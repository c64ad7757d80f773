"""`python -m dlcourse_tools bench WHAT [options]`, `python -m dlcourse_tools record WHAT [options]`,
`python -m dlcourse_tools write exercises` or
`python -m dlcourse_tools colab refresh|closure|missing|build|twin [options]`."""

import sys
from importlib import import_module

COMMANDS = {
    ("bench", "conv"): ("dlcourse_tools.bench.conv", "main"),
    ("bench", "site"): ("dlcourse_tools.bench.site", "main"),
    ("bench", "pipeline"): ("dlcourse_tools.bench.pipeline", "main"),
    ("bench", "lessons"): ("dlcourse_tools.bench.lessons", "main"),
    ("record", "experiments"): ("dlcourse_tools.records", "record_experiments"),
    ("record", "site-classifier"): ("dlcourse_tools.records", "record_site_classifier"),
    ("record", "offline-model"): ("dlcourse_tools.pretrain", "main"),
    ("record", "language-model"): ("dlcourse_tools.pretrain_text", "main"),
    ("write", "exercises"): ("dlcourse_tools.your_turn", "main"),
}


def main(argv: list[str]) -> None:
    if argv[:1] == ["colab"]:
        from dlcourse_tools import colab

        return colab.main(argv[1:])
    if tuple(argv[:2]) not in COMMANDS:
        sys.exit(
            "usage: python -m dlcourse_tools "
            + " | ".join(" ".join(c) for c in COMMANDS)
            + " [options] | colab refresh|closure|missing|build|twin [options]"
        )
    module, function = COMMANDS[tuple(argv[:2])]
    getattr(import_module(module), function)(argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
