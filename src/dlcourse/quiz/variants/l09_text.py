"""Variant makers for the computed questions of quiz 09 (`quiz/09_text.yml`)."""

from __future__ import annotations

import math
import random
from functools import lru_cache

from dlcourse.quiz.bank import Variant

SPECIALS9 = 9  # fastai's special tokens, always the first entries of a vocabulary (`defaults.text_spec_tok`)


REVIEW_NOUNS = ["coffee", "tea", "price", "taste", "snack", "box", "sauce", "flavor"]


REVIEW_WORDS = ["good", "fresh", "cheap", "sweet", "strong", "nice", "bad", "salty"]


@lru_cache(maxsize=1)
def _text_tokenizer():
    from dlcourse import text

    return text.tokenizer()


def _review_sentence(rng: random.Random) -> str:
    """A short made-up review: capitalised words, a word in capitals, a repeated character and a repeated
    word, in a few orders and lengths."""
    noun, other = rng.sample(REVIEW_NOUNS, 2)
    word, shout, extra = rng.sample(REVIEW_WORDS, 3)
    opener = rng.choice(["Great", "Fine", "Lovely", "Awful"])
    bang = "!" * rng.randint(3, 6)
    first = rng.choice(
        [
            f"{opener} {noun}, {shout.upper()} {other}{bang}",
            f"{opener} {noun} and {shout.upper()} {other}{bang}",
            f"{opener} {noun}{bang} {shout.upper()}, {extra} {other}.",
            f"{shout.upper()} {noun}{bang}",
        ]
    )
    repeated = " ".join([rng.choice(["very", "so", "really"])] * rng.randint(3, 5))
    second = rng.choice(
        [
            f"{rng.choice(['My', 'Our', 'The'])} kids think it is {repeated} {word}.",
            f"It is {repeated} {word} and {extra}.",
            f"{rng.choice(['My', 'Our'])} dog {rng.choice(['Rex', 'Max'])} finds it {repeated} {word}.",
        ]
    )
    parts = [first, second] if rng.random() < 0.7 else [second, first]
    if rng.random() < 0.5:
        parts.append(rng.choice(["Buy", "Try", "Skip"]) + " it.")
    return " ".join(parts)


def text_token_count(rng: random.Random) -> Variant:
    """How many tokens fastai's default tokenizer (the lesson's `text.tokenizer()`) gives for a review."""
    review = _review_sentence(rng)
    tokens = list(_text_tokenizer()(review))
    special = [t for t in tokens if t.startswith("xx")]
    counts = sum(t in ("xxrep", "xxwrep") for t in tokens)  # each repeat also writes its count
    return Variant(
        {"review": review, "tokens": "`" + " ".join(tokens) + "`", "n_special": len(special)},
        len(tokens),
        mistakes={
            "split at the spaces": len(review.split()),
            "no xxbos": len(tokens) - 1,
            "no special tokens (repeats written out once)": len(tokens) - len(special) - counts,
        },
    )


def _pad8(n: int) -> int:
    return n + 8 - n % 8


def vocab_size_from_counts(rng: random.Random) -> Variant:
    """The length of the vocabulary fastai's rule (the lesson's `text.make_vocab`) makes from token counts."""
    from dlcourse import text

    while True:
        min_freq = rng.choice([2, 3, 4, 5])
        more, exact, fewer = rng.randint(150, 900), rng.randint(20, 200), rng.randint(300, 1500)
        kept = more + exact
        if (SPECIALS9 + kept) % 8 == 0:  # the lesson speaks of padding *to* a multiple of 8: skip that edge
            continue
        mistakes = {
            "special tokens left out": _pad8(kept),
            "no xxfake padding": SPECIALS9 + kept,
            "more than min_freq times (> instead of >=)": _pad8(SPECIALS9 + more),
            "xxbos and xxmaj counted again among the words": _pad8(SPECIALS9 + 2 + kept),
        }
        answer = _pad8(SPECIALS9 + kept)
        if answer not in mistakes.values():
            break
    n_reviews = rng.choice([1000, 2000, 5000])
    tokens = ["xxbos"] * n_reviews + ["xxmaj"] * (3 * n_reviews)
    for i in range(more):
        tokens += [f"w{i}"] * (min_freq + 1 + i % 7)
    for i in range(exact):
        tokens += [f"x{i}"] * min_freq
    for i in range(fewer):
        tokens += [f"y{i}"] * (1 + i % (min_freq - 1))
    vocab = text.make_vocab([tokens], min_freq=min_freq)
    return Variant(
        {
            "min_freq": min_freq,
            "n_reviews": f"{n_reviews:,}",
            "n_maj": f"{3 * n_reviews:,}",
            "more": more,
            "exact": exact,
            "fewer": f"{fewer:,}",
            "kept": kept,
            "listed": SPECIALS9 + kept,
            "fake": len(vocab) - SPECIALS9 - kept,
        },
        len(vocab),
        mistakes=mistakes,
    )


def token_index(rng: random.Random) -> Variant:
    """The number a token gets from fastai's rule (the lesson's `make_vocab` and `numericalize`): special
    tokens first, then the others from most to least frequent; a token seen under min_freq times: xxunk."""
    from dlcourse import text

    min_freq = 3
    words = rng.sample(REVIEW_NOUNS + REVIEW_WORDS, 7)
    counts = dict(zip(words, rng.sample(range(min_freq, 60), 7), strict=True))
    asked = rng.choice(words)
    if rng.random() < 0.35:  # a word too rare for the vocabulary
        counts[asked] = rng.choice(range(1, min_freq))
    counts["xxmaj"] = rng.choice([c for c in range(10, 70) if c not in counts.values()])
    order = list(counts)
    rng.shuffle(order)
    tokens = [t for t in order for _ in range(counts[t])]
    vocab = text.make_vocab([tokens], min_freq=min_freq)
    answer = text.numericalize([asked], vocab)[0]
    ranked = sorted((w for w in words if counts[w] >= min_freq), key=lambda w: -counts[w])
    with_maj = sorted([w for w in words if counts[w] >= min_freq] + ["xxmaj"], key=lambda w: -counts[w])
    if asked in ranked:
        rank = ranked.index(asked)
        mistakes = {
            "special tokens forgotten": rank,
            "counting from 1": SPECIALS9 + rank + 1,
            "xxmaj ranked by its count among the words": SPECIALS9 + with_maj.index(asked),
        }
        mistakes = {k: v for k, v in mistakes.items() if v != answer}
        why = f"is word {rank + 1} by frequency among those kept, so its number is 9 + {rank} = {answer}"
    else:
        rare_rank = sorted(words, key=lambda w: -counts[w]).index(asked)
        mistakes = {"a number of its own after the others": SPECIALS9 + rare_rank}
        why = f"appears only {['once', 'twice'][counts[asked] - 1]}, too rare: it becomes `xxunk`, number 0"
    listing = ", ".join(f"`{t}` {counts[t]}" for t in sorted(counts, key=lambda t: -counts[t]))
    return Variant(
        {"counts": listing, "min_freq": min_freq, "asked": asked, "why": why}, answer, mistakes=mistakes
    )


def lm_row_length(rng: random.Random) -> Variant:
    """How many input tokens each row of a language-model stream holds: fastai's `LMDataLoader` keeps one
    token back for the last target and cuts the rest into `bs` equal rows."""
    import torch
    from fastai.text.data import LMDataLoader

    bs, seq_len = rng.choice([16, 32, 64]), rng.choice([64, 72, 80])
    per_row = rng.randint(400, 9000)
    n_tokens = bs * per_row
    lens = [n_tokens // 4] * 3 + [n_tokens - 3 * (n_tokens // 4)]
    dl = LMDataLoader([torch.zeros(n, dtype=torch.long) for n in lens], lens=lens, bs=bs, seq_len=seq_len)
    return Variant(
        {"n_tokens": f"{n_tokens:,}", "bs": bs, "seq_len": seq_len, "usable": f"{n_tokens - 1:,}"},
        dl.bl,
        mistakes={
            "forgetting the one-token shift": n_tokens // bs,
            "rows of seq_len tokens": n_tokens // seq_len,
        },
    )


def lm_batches(rng: random.Random) -> Variant:
    """How many batches one epoch of fastai's `LMDataLoader` takes: each row read seq_len tokens at a time,
    the last stretch shorter."""
    import torch
    from fastai.text.data import LMDataLoader

    while True:
        bs, seq_len = rng.choice([16, 32, 64]), rng.choice([64, 72, 80])
        n_tokens = rng.randint(50, 900) * 1000 + rng.randint(1, 999)
        row = (n_tokens - 1) // bs
        if row % seq_len:
            break
    lens = [n_tokens // 2, n_tokens - n_tokens // 2]
    dl = LMDataLoader([torch.zeros(n, dtype=torch.long) for n in lens], lens=lens, bs=bs, seq_len=seq_len)
    full = row // seq_len
    return Variant(
        {
            "n_tokens": f"{n_tokens:,}",
            "bs": bs,
            "seq_len": seq_len,
            "row": f"{row:,}",
            "full": full,
            "last": dl.last_len,
        },
        len(dl),
        mistakes={
            "dropping the shorter last batch": full,
            "forgetting the rows (one stretch of seq_len per batch)": math.ceil(n_tokens / seq_len),
        },
    )


def perplexity_from_loss(rng: random.Random) -> Variant:
    """fastai's `Perplexity` metric for a given mean cross-entropy: exp(loss)."""
    import torch
    from fastai.metrics import Perplexity

    loss = round(rng.uniform(3.6, 5.4), 3)

    class Batch:  # what fastai's metric reads from the learner after a validation batch
        yb = (torch.zeros(64, 72),)

        @staticmethod
        def to_detach(x):
            return x.detach()

    batch = Batch()
    batch.loss = torch.tensor(loss)
    metric = Perplexity()
    metric.reset()
    metric.accumulate(batch)
    return Variant(
        {"loss": f"{loss:.3f}"},
        round(float(metric.value), 1),
        mistakes={"10 to the power of the loss": 10**loss, "2 to the power of the loss": 2**loss},
    )


def uniform_guess_loss(rng: random.Random) -> Variant:
    """Cross-entropy of a model that spreads its probability evenly over k tokens, the right one among them:
    ln k, which makes its perplexity k (computed with PyTorch's cross-entropy)."""
    import torch

    vocab_size = rng.choice([4008, 8000, 60000])
    k = rng.choice([12, 20, 25, 40, 50, 80, 150, 300])
    logits = torch.full((1, vocab_size), -1e9)
    logits[0, :k] = 0.0
    loss = float(torch.nn.functional.cross_entropy(logits, torch.tensor([rng.randrange(k)])))
    return Variant(
        {"vocab": f"{vocab_size:,}", "k": k},
        round(loss, 2),
        mistakes={
            "log base 10": math.log10(k),
            "log base 2": math.log2(k),
            "evenly over the whole vocabulary": math.log(vocab_size),
        },
    )


UNFREEZING_FACTOR = 2.6**4  # ULMFiT's ratio of the top group's rate to the earliest group's, as in lesson 9


def unfreezing_group_lr(rng: random.Random) -> Variant:
    """The peak rate of the earliest group that trains in a stage of lesson 9's gradual unfreezing (head
    alone at lr; then slice(top / 2.6**4, top) with top lr / 2, lr / 4, lr / 20), spread over the AWD-LSTM
    classifier's parameter groups."""
    from fastai.text.models.awdlstm import AWD_LSTM, awd_lstm_clas_config, awd_lstm_clas_split
    from fastai.text.models.core import get_text_classifier

    from dlcourse.schedules import group_lrs

    factor = UNFREEZING_FACTOR
    # The stages of the lesson's gradual unfreezing: (name, groups trained, top rate as a share of lr).
    stages = [("last two groups", 2, 1 / 2), ("last three groups", 3, 1 / 4), ("all layers", None, 1 / 20)]
    while True:
        n_layers = rng.choice([2, 3])
        name, trained, share = rng.choice(stages)
        if trained is None or trained < n_layers + 2:
            break
    config = {**awd_lstm_clas_config, "emb_sz": 8, "n_hid": 8, "n_layers": n_layers}
    n_groups = len(awd_lstm_clas_split(get_text_classifier(AWD_LSTM, 50, 2, config=config)))
    trained = n_groups if trained is None else trained
    lr = rng.choice([1e-2, 2e-2, 4e-2])
    top = lr * share
    lrs = group_lrs(slice(top / factor, top), n_groups)
    first = n_groups - trained
    mistakes = {
        "the stage's top rate forgotten (lr itself)": float(
            group_lrs(slice(lr / factor, lr), n_groups)[first]
        )
    }
    if first:
        mistakes["evenly spaced rates (linear)"] = top / factor + (top - top / factor) * first / (
            n_groups - 1
        )
        mistakes["the bottom of the slice (a frozen group's rate)"] = top / factor
    else:
        mistakes["the top rate divided by 2.6 once"] = top / 2.6
    frozen = {0: "", 1: " The group below it stays frozen."}.get(
        first, f" The {first} groups below it stay frozen."
    )
    return Variant(
        {
            "lr": f"{lr:g}",
            "name": name,
            "n_layers": n_layers,
            "n_groups": n_groups,
            "top": f"{top:g}",
            "bottom": f"{top / factor:.4g}",
            "trained": trained,
            "step": f"{factor ** (1 / (n_groups - 1)):.4g}",
            "steps": f"{n_groups - 1 - first} step{'s' if n_groups - 2 - first else ''}",
            "power": n_groups - 1 - first,
            "frozen": frozen,
            "gaps": n_groups - 1,
            "which": (["the embeddings"] + [f"LSTM layer {i}" for i in range(1, n_groups - 1)])[first],
        },
        float(f"{lrs[first]:.4g}"),
        mistakes=mistakes,
    )
