"""The small language model bundled for offline mode: an AWD-LSTM (fastai's own architecture) pretrained
on Jane Austen's six novels, as the real course's AWD-LSTM is pretrained on Wikipedia (WikiText-103).

Its weights come from `python -m dlcourse_tools record language-model` (in a clone of the course) and
ship in `dlcourse/weights/` with their record (corpus, size, recipe, perplexity) and the held-out
chapters that perplexity was measured on. fastai's `language_model_learner` loads them as it loads its
own pretrained model, from a float32 copy that `pretrained_files` writes after reading the shipped file
tensors only, so that a damaged file is named."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from dlcourse.bundled import WEIGHTS_DIR, damaged, load_weights

WEIGHTS = WEIGHTS_DIR / "austen_lm.pth"
RECORD = WEIGHTS_DIR / "austen_lm.json"
HELD_OUT = (
    WEIGHTS_DIR / "austen_held_out.txt"
)  # public-domain chapters the record's perplexity is measured on
REBUILD = "language-model"  # python -m dlcourse_tools record language-model


def config() -> dict:
    """fastai's AWD-LSTM language-model settings, made small enough to train on a CPU (fastai's: 400
    embedding numbers, 1,152 hidden units, 3 layers)."""
    from fastai.text.models.awdlstm import awd_lstm_lm_config

    return {**awd_lstm_lm_config, "emb_sz": 100, "n_hid": 160, "n_layers": 2}


def record() -> dict:
    """The corpus, recipe, vocabulary and perplexity of the run that produced the bundled weights."""
    try:
        saved = json.loads(RECORD.read_text())
        if not isinstance(saved["vocab"], list) or not saved["vocab"]:
            raise ValueError("no vocabulary")
        float(saved["held_out"]["perplexity"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise damaged(RECORD, err, REBUILD) from err
    return saved


def pretrained_weights() -> dict[str, torch.Tensor]:
    """The bundled state dict in float32 (stored in float16), read as tensors only."""
    return load_weights(WEIGHTS, REBUILD)


def pretrained_files() -> tuple[Path, Path]:
    """The bundled weights and vocabulary as fastai's `language_model_learner(..., pretrained_fnames=...)`
    takes them: each path without its `.pth` / `.pkl` ending. Both are written once under
    `$DLCOURSE_DATA/austen-lm`: the weights in float32 (they ship in float16; fastai averages the
    embeddings in the weights' own type) and the vocabulary (kept in the record) as the pickled list
    fastai reads."""
    from dlcourse.data import data_root, write_folder_once

    weights = pretrained_weights()  # a damaged or missing file fails here, with how to restore it
    vocab = record()["vocab"]

    def same_weights(path: Path) -> bool:
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, pickle.UnpicklingError, EOFError):
            return False
        return saved.keys() == weights.keys() and all(torch.equal(saved[k], weights[k]) for k in weights)

    def same_vocab(path: Path) -> bool:
        try:
            return pickle.loads(path.read_bytes()) == vocab
        except (pickle.UnpicklingError, EOFError, ValueError):
            return False

    def write(folder: Path) -> None:
        torch.save(weights, folder / "weights.pth")
        (folder / "vocab.pkl").write_bytes(pickle.dumps(vocab))

    expected = {"weights.pth": same_weights, "vocab.pkl": same_vocab}
    folder = write_folder_once(data_root() / "austen-lm", expected, write)
    return folder / "weights", folder / "vocab"


def load_into(learn, weights: dict[str, torch.Tensor] | None = None, vocab: list[str] | None = None):
    """Load pretrained weights into a language-model learner whose data has another vocabulary, as
    fastai's `load_pretrained` does but without unpickling: fastai's `match_embeds` gives each word of
    the new vocabulary its pretrained embedding, or the average one when the pretraining never saw it.
    Default: the bundled Austen model. The body is then frozen, as `language_model_learner` leaves it."""
    from fastai.text.learner import match_embeds

    weights = pretrained_weights() if weights is None else weights
    vocab = record()["vocab"] if vocab is None else vocab
    matched = match_embeds({k: v.clone() for k, v in weights.items()}, vocab, list(learn.dls.vocab))
    learn.model.load_state_dict(matched)
    learn.freeze()
    return learn


def known_words(new_vocab: list[str], vocab: list[str] | None = None) -> float:
    """The share of `new_vocab` that the pretraining vocabulary has (the rest start from the average)."""
    old = set(record()["vocab"] if vocab is None else vocab)
    return sum(w in old for w in new_vocab) / len(new_vocab)


def held_out_texts() -> list[str]:
    """The held-out chapters, one per entry (they are separated by a line of `=` in the file)."""
    try:
        return [t.strip() for t in HELD_OUT.read_text().split("\n=====\n") if t.strip()]
    except OSError as err:
        raise damaged(HELD_OUT, err, REBUILD) from err


def perplexity(model, vocab: list[str], texts: list[str], bs: int = 16, seq_len: int = 72) -> float:
    """exp(mean next-token cross-entropy) of `model` over `texts`, tokenised and numericalised with
    fastai's defaults and `vocab`, read as fastai's language-model loader reads a stream (`bs` rows)."""
    import numpy as np
    from fastai.text.core import Tokenizer, WordTokenizer
    from fastai.text.data import LMDataLoader, Numericalize

    tok = Tokenizer(WordTokenizer())
    num = Numericalize(vocab=vocab)
    docs = [num(tok(t)) for t in texts]
    dl = LMDataLoader(docs, lens=[len(d) for d in docs], bs=bs, seq_len=seq_len, shuffle=False)
    losses, counts = [], []
    model.eval()
    with torch.no_grad():
        model.reset()
        for x, y in dl:
            out = model(x)[0]
            losses.append(
                float(torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten())) * y.numel()
            )
            counts.append(y.numel())
    return float(np.exp(sum(losses) / sum(counts)))


def bundled_model():
    """The bundled language model as a plain torch module (fastai's `get_language_model`)."""
    from fastai.text.models.awdlstm import AWD_LSTM
    from fastai.text.models.core import get_language_model

    model = get_language_model(AWD_LSTM, len(record()["vocab"]), config=config())
    model.load_state_dict(pretrained_weights())
    return model
