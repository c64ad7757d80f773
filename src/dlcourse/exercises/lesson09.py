"""Lesson 9's exercises: the vocabulary, numericalization, a language model's input and target.
References: fastai's `make_vocab`, `Numericalize` and `LMDataLoader`."""

from __future__ import annotations

from collections import Counter

import numpy as np

from dlcourse.exercises.core import Case, Exercise, Mistake, compare_values

SPECIAL = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj"]  # fastai's order

REVIEWS = [
    "xxbos xxmaj my dog loves this food . xxmaj he eats it every day and wants more .",
    "xxbos xxmaj the coffee is good but the price is too high . xxmaj good coffee , though .",
    "xxbos xxup great tea ! xxmaj my kids love it and i love it too .",
    "xxbos xxmaj this food is too salty for my dog . i would not buy it again .",
]


# --- the vocabulary ----------------------------------------------------------------------------------------


def _fastai_make_vocab(counts: Counter, min_freq: int = 3, max_vocab: int = 60000) -> list[str]:
    from fastai.text.data import make_vocab

    return make_vocab(counts, min_freq=min_freq, max_vocab=max_vocab)


def _vocab_cases() -> list[Case]:
    rng = np.random.default_rng(9)
    reviews = Counter(t for review in REVIEWS for t in review.split())
    seven = Counter({"good": 5, "tea": 4, "dog": 4, "food": 3, "price": 3, "salty": 3, "kids": 3, "rex": 2})
    words = ["the", "a", "dog", "cat", "tea", "coffee", "good", "bad", "price", "salt", "sweet", "box"]
    weights = np.linspace(2, 0.2, len(words))
    drawn = Counter(str(w) for w in rng.choice(words, size=80, p=weights / weights.sum()))
    return [
        Case("the tokens of four short reviews, min_freq=2", (reviews, 2)),
        Case("the same reviews with the default min_freq=3", (reviews,)),
        Case("9 special tokens + 7 words = 16, already a multiple of 8", (seven,)),
        Case("ties: b, a and c are each seen twice, min_freq=1", (Counter("b a c a b c d d d e".split()), 1)),
        Case("max_vocab=12 leaves room for 3 words", (reviews, 2, 12)),
        Case("80 tokens drawn at random from 12 words", (drawn,)),
    ]


VOCAB = Exercise(
    id="09.vocab",
    title="The vocabulary",
    function="make_vocab",
    prompt=(
        "Write `make_vocab(counts, min_freq=3, max_vocab=60000)`: the list of tokens fastai's "
        "`Numericalize` numbers, position i being token i. `counts` is a `collections.Counter` from token "
        "(a string) to how many times it appears in the training texts; it may count special tokens "
        "such as `xxbos` too. The vocabulary is, in this order:\n\n"
        "1. fastai's 9 special tokens, always, each once: `xxunk`, `xxpad`, `xxbos`, `xxeos`, `xxfld`, "
        "`xxrep`, `xxwrep`, `xxup`, `xxmaj`;\n"
        "2. every other token seen **at least** `min_freq` times, the most frequent first; tokens seen "
        "equally often keep the order `counts.most_common()` gives them;\n"
        "3. cut to the first `max_vocab` entries;\n"
        "4. then `xxfake` entries, 1 to 8 of them, so that the length is a multiple of 8: a vocabulary "
        "of 16 gets 8 more.\n\n"
        "Return a list of strings. The check compares it with fastai's "
        "`make_vocab(counts, min_freq=min_freq, max_vocab=max_vocab)` (in `fastai.text.data`)."
    ),
    starter='''def make_vocab(counts, min_freq=3, max_vocab=60000):
    """counts: a Counter of tokens. The special tokens, the tokens seen >= min_freq times, xxfake padding."""
    raise NotImplementedError
''',
    solution='''SPECIAL = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj"]


def make_vocab(counts, min_freq=3, max_vocab=60000):
    """counts: a Counter of tokens. The special tokens, the tokens seen >= min_freq times, xxfake padding."""
    # most_common() sorts by count, ties in the Counter's own order; >=: min_freq times is enough
    words = [t for t, n in counts.most_common() if n >= min_freq and t not in SPECIAL]
    vocab = (SPECIAL + words)[:max_vocab]  # the special tokens once each, first
    return vocab + ["xxfake"] * (8 - len(vocab) % 8)  # 8 - 0 = 8 when already a multiple of 8
''',
    hints=(
        "`counts.most_common()` lists `(token, count)` pairs from the most to the least frequent, ties in "
        "the Counter's own order. Keep a token when its count is at least `min_freq`.",
        "A special token that appears in `counts` must not come a second time among the words: leave "
        "out the 9 special tokens when you collect the words, then put all 9 in front.",
        "With `SPECIAL` the list of the 9 special tokens in that order: "
        "`words = [t for t, n in counts.most_common() if n >= min_freq and t not in SPECIAL]`, then "
        "`vocab = (SPECIAL + words)[:max_vocab]`, and add `8 - len(vocab) % 8` times `'xxfake'`: that is "
        "between 1 and 8, and 8 when the length is already a multiple of 8.",
    ),
    reference=_fastai_make_vocab,
    cases=_vocab_cases,
    mistakes=(
        Mistake(
            "Tokens seen exactly `min_freq` times are missing: fastai keeps a token seen *at least* "
            "`min_freq` times (`>=`, not `>`).",
            """SPECIAL = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj"]
def make_vocab(counts, min_freq=3, max_vocab=60000):
    words = [t for t, n in counts.most_common() if n > min_freq and t not in SPECIAL]
    vocab = (SPECIAL + words)[:max_vocab]
    return vocab + ["xxfake"] * (8 - len(vocab) % 8)
""",
        ),
        Mistake(
            "The 9 special tokens must come first, in fastai's order, whether or not the texts contain "
            "them: `xxunk` is number 0 and `xxpad` number 1 in every fastai vocabulary.",
            """def make_vocab(counts, min_freq=3, max_vocab=60000):
    vocab = [t for t, n in counts.most_common() if n >= min_freq][:max_vocab]
    return vocab + ["xxfake"] * (8 - len(vocab) % 8)
""",
        ),
        Mistake(
            "Some special tokens appear twice: once in front and once among the words, because the texts "
            "contain them. Leave the special tokens out when you collect the words.",
            """SPECIAL = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj"]
def make_vocab(counts, min_freq=3, max_vocab=60000):
    words = [t for t, n in counts.most_common() if n >= min_freq]
    vocab = (SPECIAL + words)[:max_vocab]
    return vocab + ["xxfake"] * (8 - len(vocab) % 8)
""",
        ),
        Mistake(
            "The `xxfake` padding is missing: fastai adds 1 to 8 of them so that the length is a multiple "
            "of 8.",
            """SPECIAL = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj"]
def make_vocab(counts, min_freq=3, max_vocab=60000):
    words = [t for t, n in counts.most_common() if n >= min_freq and t not in SPECIAL]
    return (SPECIAL + words)[:max_vocab]
""",
        ),
        Mistake(
            "When the length is already a multiple of 8, fastai still adds 8 `xxfake` entries: it adds "
            "`8 - len(vocab) % 8`, which is 8 when the remainder is 0.",
            """SPECIAL = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj"]
def make_vocab(counts, min_freq=3, max_vocab=60000):
    words = [t for t, n in counts.most_common() if n >= min_freq and t not in SPECIAL]
    vocab = (SPECIAL + words)[:max_vocab]
    return vocab + ["xxfake"] * (-len(vocab) % 8)
""",
        ),
        Mistake(
            "Tokens seen equally often are in another order. Keep the order `counts.most_common()` gives "
            "(by count, ties as the Counter first met them), not alphabetical.",
            """SPECIAL = ["xxunk", "xxpad", "xxbos", "xxeos", "xxfld", "xxrep", "xxwrep", "xxup", "xxmaj"]
def make_vocab(counts, min_freq=3, max_vocab=60000):
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    words = [t for t, n in ranked if n >= min_freq and t not in SPECIAL]
    vocab = (SPECIAL + words)[:max_vocab]
    return vocab + ["xxfake"] * (8 - len(vocab) % 8)
""",
        ),
    ),
)


# --- numericalization --------------------------------------------------------------------------------------


def _fastai_numericalize(tokens: list[str], vocab: list[str]) -> list[int]:
    from fastai.text.data import Numericalize

    return Numericalize(vocab=vocab)(tokens).tolist()


def _numericalize_cases() -> list[Case]:
    rng = np.random.default_rng(19)
    small = SPECIAL + ["the", ".", "dog", "food", "good", "my", "is"] + ["xxfake"] * 8
    reviews = Counter(t for review in REVIEWS for t in review.split())
    vocab = _fastai_make_vocab(reviews, 2)
    every = [t for review in REVIEWS for t in review.split()]
    drawn = [str(t) for t in rng.choice(every + ["xxpad", "unseen", "words"], size=40)]
    return [
        Case("every token is in the vocabulary", ("xxbos xxmaj my dog is good .".split(), small)),
        Case("two tokens the vocabulary lacks", ("xxbos xxmaj my cat is good too .".split(), small)),
        Case("a review, against the vocabulary fastai builds with min_freq=2", (REVIEWS[3].split(), vocab)),
        Case(
            "tokens are matched exactly: 'Dog' is not 'dog'",
            (["xxbos", "Dog", "dog", "xxup", "GOOD"], small),
        ),
        Case("40 tokens drawn at random, some unknown", (drawn, vocab)),
    ]


NUMERICALIZE = Exercise(
    id="09.numericalize",
    title="Tokens to numbers",
    function="numericalize",
    prompt=(
        "Write `numericalize(tokens, vocab)`: each token's number, as fastai's `Numericalize` gives it "
        "with a vocabulary you pass it. `tokens` is a list of strings (a tokenized text), `vocab` a list "
        "of strings whose first entry is `xxunk`, with no duplicates apart from its trailing `xxfake`s. A "
        "token's number is its position in `vocab`, counting from 0. A token that is not in `vocab` "
        "(compared exactly, capital letters included) becomes `xxunk`'s number, 0. Return a list of "
        "ints, one per token, in order. The check compares it with fastai's "
        "`Numericalize(vocab=vocab)(tokens)`. Looking each token up with `vocab.index` scans the whole "
        "list: build a dictionary once instead."
    ),
    starter='''def numericalize(tokens, vocab):
    """tokens: a list of strings; vocab: a list of strings. Each token's index in vocab, 0 when absent."""
    raise NotImplementedError
''',
    solution='''def numericalize(tokens, vocab):
    """tokens: a list of strings; vocab: a list of strings. Each token's index in vocab, 0 when absent."""
    index = {token: i for i, token in enumerate(vocab)}  # built once: each look-up is then instant
    unknown = index["xxunk"]  # 0 in every fastai vocabulary
    return [index.get(token, unknown) for token in tokens]  # an unknown token still takes a place
''',
    hints=(
        "Build a dictionary from token to position once, with `enumerate(vocab)`, so that each look-up "
        "does not scan the whole vocabulary.",
        "Every token gets a number, the unknown ones too: the output is as long as the input. `dict.get` "
        "takes a second argument, the value for a missing key.",
        "`index = {t: i for i, t in enumerate(vocab)}`, then `[index.get(t, 0) for t in tokens]`: 0 is "
        "the position of `xxunk`.",
    ),
    reference=_fastai_numericalize,
    cases=_numericalize_cases,
    mistakes=(
        Mistake(
            "You left the unknown tokens out, so the numbers no longer line up with the text. An unknown "
            "token keeps its place and becomes `xxunk`, number 0.",
            """def numericalize(tokens, vocab):
    index = {t: i for i, t in enumerate(vocab)}
    return [index[t] for t in tokens if t in index]
""",
        ),
        Mistake(
            "An unknown token became -1. fastai gives it the number of `xxunk`, 0, which the model has an "
            "embedding for; -1 is not a row of the embedding.",
            """def numericalize(tokens, vocab):
    index = {t: i for i, t in enumerate(vocab)}
    return [index.get(t, -1) for t in tokens]
""",
        ),
        Mistake(
            "Your numbers are one too high: positions count from 0 (`enumerate(vocab)`), so `xxunk` is 0, "
            "not 1. Some libraries keep 0 for padding; fastai's padding token is `xxpad`, number 1.",
            """def numericalize(tokens, vocab):
    index = {t: i for i, t in enumerate(vocab, start=1)}
    return [index.get(t, 1) for t in tokens]
""",
        ),
        Mistake(
            "You changed the tokens to lower case before the look-up. fastai compares them exactly: the "
            "tokenizer has already written capitals as `xxmaj` or `xxup` before a lower-case word, so a "
            "token with capitals is not in the vocabulary and becomes `xxunk`, 0.",
            """def numericalize(tokens, vocab):
    index = {t: i for i, t in enumerate(vocab)}
    return [index.get(t.lower(), 0) for t in tokens]
""",
        ),
    ),
    atol=0,
    rtol=0,
)


# --- a language model's input and target -------------------------------------------------------------------


def _fastai_lm_batch(texts: list[list[int]], bs: int, seq_len: int, batch: int = 0):
    import torch
    from fastai.text.data import LMDataLoader

    loader = LMDataLoader([torch.tensor(t) for t in texts], bs=bs, seq_len=seq_len, shuffle=False)
    x, y = list(loader)[batch]
    return np.asarray(x.tolist()), np.asarray(y.tolist())


def _compare_pair(expected, received, rtol: float, atol: float) -> str:
    """Both parts of an (input, target) pair, each as `compare_values` compares arrays."""
    if not isinstance(received, (tuple, list)) or len(received) != 2:
        return (
            f"  expected: a pair (x, y) of arrays\n  received: {type(received).__name__} {received!r:.200}\n"
        )
    for name, want, got in zip(("x, the input", "y, the target"), expected, received, strict=True):
        if isinstance(got, list):
            got = np.asarray(got)
        problem = compare_values(want, got, rtol, atol)
        if problem:
            return f"  in {name}:\n" + problem
    return ""


def _lm_cases() -> list[Case]:
    rng = np.random.default_rng(29)
    three = [list(range(100, 110)), list(range(200, 207)), list(range(300, 312))]  # 29 ids
    reviews = [list(rng.integers(2, 60, size=n)) for n in (23, 7, 41, 15, 30)]  # 116 ids
    reviews = [[int(i) for i in r] for r in reviews]
    return [
        Case("three texts (29 ids), bs=3, seq_len=4: the first batch", (three, 3, 4)),
        Case("the same, the second batch", (three, 3, 4), {"batch": 1}),
        Case("one text of 24 ids, bs=4, seq_len=3", ([list(range(24))], 4, 3)),
        Case("one text of 24 ids, bs=4, seq_len=3, the last batch", ([list(range(24))], 4, 3), {"batch": 1}),
        Case(
            "three texts, bs=3, seq_len=4, the last batch: rows of 9 ids leave 1 for it",
            (three, 3, 4),
            {"batch": 2},
        ),
        Case("five random texts (116 ids), bs=4, seq_len=8, batch 2", (reviews, 4, 8), {"batch": 2}),
        Case("rows shorter than seq_len: 20 ids, bs=2, seq_len=16", ([list(range(50, 70))], 2, 16)),
    ]


LM_BATCH = Exercise(
    id="09.lm_batch",
    title="A language model's input and target",
    function="lm_batch",
    prompt=(
        "Write `lm_batch(texts, bs, seq_len, batch=0)`: the input `x` and target `y` of batch number "
        "`batch` that fastai's `LMDataLoader` gives (not shuffled). `texts` is a list of texts, each a "
        "list of token numbers (ints). fastai cuts them as follows:\n\n"
        "1. join the texts, in order, into one stream of L numbers;\n"
        "2. cut it into `bs` rows of bl = (L − 1) // `bs` numbers each: row r is "
        "`stream[r * bl : (r + 1) * bl]` (the − 1 keeps one number after the rows for the last target; "
        "what is left over at the end is dropped);\n"
        "3. batch b takes, from every row, the `seq_len` numbers that start at column b × `seq_len`; the "
        "last batch takes what remains of the rows, which can be fewer (all rows have the same length, "
        "so every batch is a rectangle);\n"
        "4. the target is the same stretch of the stream, one number further on: at every position, the "
        "number that comes next.\n\n"
        "Return the pair `(x, y)`, two NumPy integer arrays of shape (`bs`, number of columns). The check "
        "compares them with the batch `list(LMDataLoader([torch.tensor(t) for t in texts], bs=bs, "
        "seq_len=seq_len))[batch]`."
    ),
    starter='''def lm_batch(texts, bs, seq_len, batch=0):
    """texts: a list of lists of ints. The input and target (bs, seq_len) of batch `batch` of the stream."""
    raise NotImplementedError
''',
    solution='''import numpy as np


def lm_batch(texts, bs, seq_len, batch=0):
    """texts: a list of lists of ints. The input and target (bs, seq_len) of batch `batch` of the stream."""
    stream = np.concatenate([np.asarray(t) for t in texts])  # one long stream of L numbers
    bl = (len(stream) - 1) // bs  # each row's length; one number is kept back for the last target
    start = batch * seq_len  # this batch's first column
    width = min(seq_len, bl - start)  # the last batch may be narrower
    x = np.stack([stream[r * bl + start : r * bl + start + width] for r in range(bs)])
    y = np.stack([stream[r * bl + start + 1 : r * bl + start + width + 1] for r in range(bs)])  # next ones
    return x, y
''',
    hints=(
        "Rows are long: each row is a stretch of bl = (L − 1) // bs consecutive numbers of the stream, "
        "and the batches walk along all rows together, `seq_len` columns at a time. So row r of batch b "
        "starts at `r * bl + b * seq_len` in the stream.",
        "The number of columns is `seq_len`, except in the last batch, where it is what is left of the "
        "row: `min(seq_len, bl - b * seq_len)`. The target at each position is the stream's next number, "
        "so the target row is the input row's slice moved by 1, which may reach into the next row.",
        "`stream = np.concatenate(texts)`, `bl = (len(stream) - 1) // bs`, `start = batch * seq_len`, "
        "`width = min(seq_len, bl - start)`; row r of x is `stream[r * bl + start : r * bl + start + width]` "
        "and of y the same slice with both ends + 1. Stack the rows with `np.stack`.",
    ),
    reference=_fastai_lm_batch,
    cases=_lm_cases,
    mistakes=(
        Mistake(
            "Your target is the input itself. A language model learns to predict the *next* token: the "
            "target is the same stretch of the stream moved one number to the right.",
            """import numpy as np
def lm_batch(texts, bs, seq_len, batch=0):
    stream = np.concatenate([np.asarray(t) for t in texts])
    bl = (len(stream) - 1) // bs
    start = batch * seq_len
    width = min(seq_len, bl - start)
    x = np.stack([stream[r * bl + start : r * bl + start + width] for r in range(bs)])
    return x, x.copy()
""",
        ),
        Mistake(
            "Your rows are consecutive pieces of `seq_len` numbers. fastai first cuts the stream into `bs` "
            "long rows of (L − 1) // bs numbers and walks along them: row r of batch b starts at "
            "`r * bl + b * seq_len`, so each row of a batch continues the same row of the batch before.",
            """import numpy as np
def lm_batch(texts, bs, seq_len, batch=0):
    stream = np.concatenate([np.asarray(t) for t in texts])
    first = batch * bs * seq_len
    x = np.stack([stream[first + r * seq_len : first + (r + 1) * seq_len] for r in range(bs)])
    y = np.stack([stream[first + r * seq_len + 1 : first + (r + 1) * seq_len + 1] for r in range(bs)])
    return x, y
""",
        ),
        Mistake(
            "Your rows are L // bs long. fastai keeps one number back for the last target: bl = "
            "(L − 1) // bs, which is one less when L is a multiple of `bs`.",
            """import numpy as np
def lm_batch(texts, bs, seq_len, batch=0):
    stream = np.concatenate([np.asarray(t) for t in texts])
    bl = len(stream) // bs
    start = batch * seq_len
    width = min(seq_len, bl - start)
    x = np.stack([stream[r * bl + start : r * bl + start + width] for r in range(bs)])
    y = np.stack([stream[r * bl + start + 1 : r * bl + start + width + 1] for r in range(bs)])
    return x, y
""",
        ),
        Mistake(
            "Your last batch is `seq_len` wide, so its rows run into the next row's numbers. A row ends "
            "after bl = (L − 1) // bs numbers: the last batch takes only what is left of it, "
            "`bl - batch * seq_len` columns.",
            """import numpy as np
def lm_batch(texts, bs, seq_len, batch=0):
    stream = np.concatenate([np.asarray(t) for t in texts])
    bl = (len(stream) - 1) // bs
    start = batch * seq_len
    x = np.stack([stream[r * bl + start : r * bl + start + seq_len] for r in range(bs)])
    y = np.stack([stream[r * bl + start + 1 : r * bl + start + seq_len + 1] for r in range(bs)])
    return x, y
""",
        ),
    ),
    atol=0,
    rtol=0,
    compare=_compare_pair,
)

EXERCISES = [VOCAB, NUMERICALIZE, LM_BATCH]
