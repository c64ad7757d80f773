"""The offline language model: `python -m dlcourse_tools record language-model [--epochs N] [--out DIR]`.

Task: predict the next word of Jane Austen's six novels (public domain), the offline world's Wikipedia.
The text comes from the R package janeaustenr (Julia Silge, MIT licence), Debian's `r-cran-janeaustenr`,
read with `Rscript`; only this maintainer script needs it. Each chapter is one document; the last two
chapters of each novel are held out, shipped next to the weights, and the record's perplexity is
measured on them. The lessons fine-tune this model on product reviews it never saw.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import time
from pathlib import Path

import pandas as pd
import torch

import dlcourse.fastai_setup  # noqa: F401
from dlcourse import language_model as lm

RECIPE = {
    "max_vocab": 4000,
    "min_freq": 3,
    "epochs": 3,
    "lr_max": 1e-2,
    "batch_size": 64,
    "seq_len": 72,
    "drop_mult": 0.3,
    "seed": 0,
    "held_out_per_novel": 2,
}
CHAPTER = re.compile(r"^(CHAPTER|Chapter) ([0-9]+|[IVXLC]+)\.?$")


def austen_books() -> pd.DataFrame:
    """janeaustenr's `austen_books()`: one row per line of text, with its novel."""
    script = "library(janeaustenr); write.csv(austen_books(), stdout(), row.names = FALSE)"
    try:
        out = subprocess.run(["Rscript", "-e", script], check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise RuntimeError(
            f"cannot read janeaustenr ({err}): install Debian's r-cran-janeaustenr (apt-get install "
            "r-cran-janeaustenr), which brings R"
        ) from err
    return pd.read_csv(io.StringIO(out), keep_default_na=False)


def _join(lines: list[str]) -> str:
    """A chapter's lines as text: the lines of a paragraph joined by spaces, paragraphs by a line break."""
    paragraphs = " ".join(line.strip() if line.strip() else "\n" for line in lines).split("\n")
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def chapters(books: pd.DataFrame) -> pd.DataFrame:
    """One row per chapter: novel, chapter number, text (paragraphs kept as line breaks)."""
    rows = []
    for book, lines in books.groupby("book", sort=False):
        current: list[str] = []
        number = 0
        for line in lines.text:
            if CHAPTER.match(line.strip()):
                if number:
                    rows.append({"book": book, "chapter": number, "text": _join(current)})
                number, current = number + 1, []
            elif number:
                current.append(line)
        rows.append({"book": book, "chapter": number, "text": _join(current)})
    return pd.DataFrame(rows)


def pretrain(out_dir: Path, epochs: int = RECIPE["epochs"]) -> dict:
    from fastai.data.block import DataBlock
    from fastai.data.transforms import ColReader, ColSplitter
    from fastai.metrics import Perplexity, accuracy
    from fastai.text.data import TextBlock
    from fastai.text.learner import language_model_learner
    from fastai.text.models.awdlstm import AWD_LSTM
    from fastai.torch_core import set_seed

    set_seed(RECIPE["seed"], reproducible=True)
    df = chapters(austen_books())
    last = df.groupby("book").chapter.transform("max")
    df["is_valid"] = df.chapter > last - RECIPE["held_out_per_novel"]
    block = DataBlock(
        blocks=TextBlock.from_df(
            "text", is_lm=True, max_vocab=RECIPE["max_vocab"], min_freq=RECIPE["min_freq"]
        ),
        get_x=ColReader("text"),
        splitter=ColSplitter("is_valid"),
    )
    dls = block.dataloaders(df, bs=RECIPE["batch_size"], seq_len=RECIPE["seq_len"], num_workers=0)
    learn = language_model_learner(
        dls,
        AWD_LSTM,
        config=lm.config(),
        pretrained=False,
        drop_mult=RECIPE["drop_mult"],
        metrics=[accuracy, Perplexity()],
    )
    start = time.perf_counter()
    learn.fit_one_cycle(epochs, RECIPE["lr_max"])
    seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.half() for k, v in learn.model.state_dict().items()}
    torch.save(state, out_dir / lm.WEIGHTS.name)
    held_out = df[df.is_valid]
    (out_dir / lm.HELD_OUT.name).write_text("\n=====\n".join(held_out.text) + "\n")
    vocab = list(dls.vocab)
    from fastai.text.models.core import get_language_model

    model = get_language_model(AWD_LSTM, len(vocab), config=lm.config())
    model.load_state_dict({k: v.float() for k, v in state.items()})  # what the lessons load: float16 values
    ppl = lm.perplexity(model, vocab, list(held_out.text))
    tokens = int(sum(dls.train.lens))  # the training stream, tokens of every chapter
    record = {
        "task": "predict the next word of Jane Austen's novels; the lessons fine-tune it on product reviews",
        "corpus": {
            "source": "Jane Austen's six novels (public domain), from the R package janeaustenr "
            "(Julia Silge, MIT licence), Debian package r-cran-janeaustenr",
            "novels": sorted(df.book.unique().tolist()),
            "chapters": int((~df.is_valid).sum()),
            "train_tokens": int(tokens),
            "held_out": f"the last {RECIPE['held_out_per_novel']} chapters of each novel "
            f"({len(held_out)} chapters), shipped as {lm.HELD_OUT.name}",
        },
        "recipe": {
            **RECIPE,
            "epochs": epochs,
            "arch": "fastai AWD_LSTM, "
            + ", ".join(f"{k}={lm.config()[k]}" for k in ("emb_sz", "n_hid", "n_layers")),
            "method": "fastai language_model_learner(pretrained=False).fit_one_cycle, stored in float16",
            "tokenizer": "fastai Tokenizer(WordTokenizer()): spaCy's blank English tokenizer, fastai's rules",
        },
        "held_out": {
            "perplexity": round(ppl, 3),
            "measured_by": "dlcourse.language_model.perplexity(bs=16, seq_len=72) on the float16 weights",
        },
        "train_seconds": round(seconds, 1),
        "parameters": sum(p.numel() for p in learn.model.parameters()),
        "torch": torch.__version__,
        "vocab": vocab,
    }
    (out_dir / lm.RECORD.name).write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=RECIPE["epochs"])
    parser.add_argument("--out", type=Path, default=lm.WEIGHTS.parent)
    args = parser.parse_args(argv)
    record = pretrain(args.out, args.epochs)
    print(json.dumps({k: record[k] for k in ("held_out", "train_seconds", "parameters")}))


if __name__ == "__main__":
    main()
