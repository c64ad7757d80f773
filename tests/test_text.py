"""Text: the reviews offline and in IMDB's layout, tokens, vocabulary and numbers equal to fastai's, the
bundled language model loaded as tensors only and its record reproduced, and ULMFiT's pieces."""

import json
import pickle

import pytest
import torch
from fastai.metrics import Perplexity, accuracy
from fastai.text.core import Tokenizer, WordTokenizer
from fastai.text.data import Numericalize
from fastai.text.data import make_vocab as fastai_make_vocab
from fastai.text.learner import language_model_learner
from fastai.text.models.awdlstm import AWD_LSTM

from dlcourse import data, experiments, rehearsal, text
from dlcourse import language_model as lm
from dlcourse.bundled import BundledFileError
from dlcourse.mode import Mode, detect_mode
from dlcourse.settings import environment

OFFLINE = detect_mode("offline")
FULL = Mode("full", gpu=False, internet=False, reason="a test")
SAMPLES = [
    "This is GREAT!!!! I loved it, loved it, loved it.<br /><br />Would buy again.",
    "Not what I expected... the box was   crushed &amp; the bag half empty. 1/10",
    "My dog Rex eats nothing else. Highly recommended",
]


@pytest.fixture(scope="module")
def reviews(root):
    return text.read_reviews(text.offline_reviews())


# --- the data ----------------------------------------------------------------------------------------------


def test_the_offline_reviews_are_in_imdbs_layout(reviews):
    assert list(reviews.columns) == ["label", "text", "is_valid"]
    assert (int((~reviews.is_valid).sum()), int(reviews.is_valid.sum())) == (
        text.OFFLINE_TRAIN,
        text.OFFLINE_VALID,
    )
    assert set(reviews.label) == {"great", "other"}
    source = text.fine_food_reviews()
    assert len(source) == 5000 and source.text.str.len().min() > 0
    assert set(reviews.text) <= set(source.text), "real reviews, not made up"
    assert reviews[~reviews.is_valid].text.isin(set(source.text[~source.is_valid])).all()
    assert reviews[reviews.is_valid].text.isin(set(source.text[source.is_valid])).all()


def test_a_damaged_texts_csv_is_named(tmp_path):
    (tmp_path / "texts.csv").write_text("label,review\npositive,nice\n")
    with pytest.raises(data.DataError, match=r"has no column\(s\) text, is_valid"):
        text.read_reviews(tmp_path)
    (tmp_path / "texts.csv").write_text("label,text,is_valid\npositive,,False\n")
    with pytest.raises(data.DataError, match=r"1 row\(s\) .* have no text or no label"):
        text.read_reviews(tmp_path)
    with pytest.raises(data.DataError, match="cannot read .*texts.csv"):
        text.read_reviews(tmp_path / "absent")


def test_full_mode_reads_imdbs_sample_where_fastai_extracts_it(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "has_internet", lambda timeout_s=3.0: pytest.fail("tried the network"))
    with environment({"FASTAI_HOME": str(tmp_path / "fastai")}):
        folder = rehearsal.install_imdb_sample(n=10)
        assert text.reviews_path(FULL) == folder == tmp_path / "fastai" / "data" / "imdb_sample"
        df = text.read_reviews(folder)
        assert set(df.label) == {"negative", "positive"} and df.is_valid.sum() == 2


# --- tokens, vocabulary, numbers: equal to fastai's --------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_rules_step_by_step_end_where_fastais_tokenizer_does(sample):
    steps = text.tokenize_by_steps(sample)
    assert steps.result.iloc[-1] == list(Tokenizer(WordTokenizer())(sample))
    assert steps.step.tolist()[1:-1] == [
        "fix_html", "replace_rep", "replace_wrep", "spec_add_spaces", "rm_useless_spaces",
        "replace_all_caps", "replace_maj", "lowercase",
    ]  # fmt: skip


def test_the_special_tokens_mark_what_the_table_says():
    tokens = list(text.tokenizer()(SAMPLES[0]))
    assert tokens[:4] == ["xxbos", "xxmaj", "this", "is"]
    assert "xxup" in tokens and "great" in tokens and "xxrep" in tokens
    assert tokens[tokens.index("xxrep") + 1] == "4"
    assert list(text.tokenizer()("very very very good"))[1:4] == ["xxwrep", "3", "very"]
    table = text.special_tokens()
    assert table.token.tolist()[:3] == ["xxunk", "xxpad", "xxbos"]


def test_vocabulary_and_numbers_equal_fastais(reviews):
    tok = text.tokenizer()
    token_lists = [list(tok(t)) for t in reviews.text[:300]]
    from collections import Counter

    for min_freq, max_vocab in [(3, 60000), (2, 500), (1, 64)]:
        counts = Counter(t for tokens in token_lists for t in tokens)
        assert text.make_vocab(token_lists, min_freq, max_vocab) == fastai_make_vocab(
            counts, min_freq, max_vocab
        )
    vocab = text.make_vocab(token_lists)
    assert len(vocab) % 8 == 0 and vocab[0] == "xxunk"
    num = Numericalize(vocab=vocab)
    for tokens in token_lists[:20] + [["xxbos", "zzzunseen", "the"]]:
        assert text.numericalize(tokens, vocab) == num(tokens).tolist()
    assert text.numericalize(["zzzunseen"], vocab) == [0]
    assert 0.5 < text.vocab_coverage(token_lists, vocab) < 1


# --- the bundled language model ----------------------------------------------------------------------------


def test_the_bundled_model_is_read_as_tensors_only_and_its_record_describes_it():
    record = lm.record()
    assert {"source", "novels", "chapters", "train_tokens", "held_out"} <= set(record["corpus"])
    assert len(record["corpus"]["novels"]) == 6 and "janeaustenr" in record["corpus"]["source"]
    assert record["recipe"]["epochs"] >= 1 and record["held_out"]["perplexity"] > 1
    state = torch.load(lm.WEIGHTS, map_location="cpu", weights_only=True)  # refuses anything but tensors
    assert all(v.dtype == torch.float16 for v in state.values())
    assert state["0.encoder.weight"].shape == (len(record["vocab"]), lm.config()["emb_sz"])
    assert record["parameters"] == sum(p.numel() for p in lm.bundled_model().parameters())


def test_the_records_perplexity_is_the_models_on_the_held_out_chapters():
    record = lm.record()
    measured = lm.perplexity(lm.bundled_model(), record["vocab"], lm.held_out_texts())
    print(f"held-out perplexity {measured:.3f}, recorded {record['held_out']['perplexity']}")
    assert measured == pytest.approx(record["held_out"]["perplexity"], rel=1e-3)
    uniform = len(record["vocab"])
    assert measured < uniform / 10, "it learned something: far better than guessing among the words"


def test_a_pickled_file_is_refused_not_run(tmp_path, monkeypatch):
    class Payload:
        def __reduce__(self):
            return (print, ("this ran",))

    evil = tmp_path / "austen_lm.pth"
    evil.write_bytes(pickle.dumps({"0.encoder.weight": Payload()}))
    monkeypatch.setattr(lm, "WEIGHTS", evil)
    with pytest.raises(BundledFileError, match="austen_lm.pth is missing or damaged"):
        lm.pretrained_weights()
    monkeypatch.setattr(lm, "RECORD", tmp_path / "absent.json")
    with pytest.raises(
        BundledFileError, match=r"absent.json is missing or damaged.*dlcourse_tools record language-model"
    ):
        lm.record()


@pytest.fixture(scope="module")
def lm_dls(reviews):
    from fastai.torch_core import set_seed

    set_seed(0)
    return text.lm_dataloaders(reviews, OFFLINE)


def test_a_language_model_batch_is_its_target_shifted_by_one(lm_dls):
    x, y = lm_dls.one_batch()
    assert x.shape == y.shape == (text.config(OFFLINE).batch_size, text.config(OFFLINE).seq_len)
    assert torch.equal(x[:, 1:], y[:, :-1])
    pair = text.shifted_pair(lm_dls)
    assert pair.input.tolist()[1:] == pair.target.tolist()[:-1]


def lesson_language_model(dls, **kwargs):
    """Lesson 9's language model: fastai's `language_model_learner` on an AWD-LSTM, offline the bundled one
    (its sizes and files from `text.lm_options`), loaded by fastai's own `load_pretrained`."""
    options = {**text.lm_options(OFFLINE), **kwargs}
    cfg = text.config(OFFLINE)
    return language_model_learner(
        dls, AWD_LSTM, drop_mult=cfg.lm_drop_mult, metrics=[accuracy, Perplexity()], **options
    )


def test_loading_the_bundled_model_matches_embeddings_word_by_word(lm_dls):
    learn = lesson_language_model(lm_dls)
    record, weights = lm.record(), lm.pretrained_weights()
    old = {w: i for i, w in enumerate(record["vocab"])}
    emb = learn.model[0].encoder.weight.detach()
    new_vocab = list(lm_dls.vocab)
    shared = [w for w in new_vocab if w in old][:50]
    for w in shared:
        assert torch.equal(emb[new_vocab.index(w)], weights["0.encoder.weight"][old[w]])
    unseen = next(w for w in new_vocab if w not in old)
    mean = weights["0.encoder.weight"].mean(0)
    # the average embedding (fastai averages the stored float16 numbers: equal up to float16's rounding)
    assert torch.allclose(emb[new_vocab.index(unseen)], mean, rtol=1e-3, atol=1e-6)
    assert torch.equal(learn.model[1].decoder.weight, learn.model[0].encoder.weight), "the decoder's are tied"
    assert 0.3 < lm.known_words(new_vocab) < 1
    frozen = [p.requires_grad for p in learn.model.parameters()]
    assert any(frozen) and not all(frozen), "only the last layer group trains at first"


def test_fastais_loading_equals_the_courses_re_derivation(lm_dls):
    """`language_model.load_into` spells out fastai's `load_pretrained`: the same numbers in every tensor."""
    by_fastai = lesson_language_model(lm_dls)
    by_hand = lesson_language_model(lm_dls, config=lm.config(), pretrained=False, pretrained_fnames=None)
    before = {k: v.clone() for k, v in by_hand.model.state_dict().items()}
    lm.load_into(by_hand)
    theirs, ours = by_fastai.model.state_dict(), by_hand.model.state_dict()
    assert list(theirs) == list(ours)
    assert not torch.equal(before["0.encoder.weight"], ours["0.encoder.weight"]), "load_into loaded weights"
    different = [k for k in theirs if not torch.equal(theirs[k], ours[k])]
    assert different == [], f"fastai's load_pretrained and load_into differ in {different}"
    assert [p.requires_grad for p in by_fastai.model.parameters()] == [
        p.requires_grad for p in by_hand.model.parameters()
    ], "both freeze all but the last layer group"


def test_next_token_probabilities_are_the_models_softmax(lm_dls):
    learn = experiments.language_model(lm_dls, OFFLINE)
    table = text.next_token_table(learn, "I would buy this", k=5)
    assert len(table) == 5 and table.probability.is_monotonic_decreasing
    assert 0 < table.probability.sum() <= 1
    tokens = Tokenizer(WordTokenizer())("I would buy this")  # fastai's own tokens and numbers
    xb = Numericalize(vocab=list(lm_dls.vocab))(tokens)[None]
    learn.model.eval()
    learn.model.reset()
    with torch.no_grad():
        probs = torch.softmax(learn.model(xb)[0][0, -1], dim=-1)
    top = probs.topk(5)
    assert table.probability.tolist() == pytest.approx(top.values.tolist(), rel=1e-5)
    assert table["next token"].tolist() == [lm_dls.vocab[i] for i in top.indices]


def test_the_classifier_reads_the_encoder_the_language_model_saved(lm_dls, reviews):
    learn = experiments.language_model(lm_dls, OFFLINE)
    learn.save_encoder("encoder")  # under $DLCOURSE_DATA/runs, where the classifier looks
    assert (data.data_root() / "runs" / "models" / "encoder.pth").is_file()
    dls = text.classifier_dataloaders(reviews, list(lm_dls.vocab), OFFLINE)
    classifier = experiments.classifier(dls, OFFLINE, encoder="encoder")
    lm_encoder = learn.model[0].state_dict()
    clas_encoder = classifier.model[0].module.state_dict()
    assert set(lm_encoder) == set(clas_encoder)
    assert all(torch.equal(lm_encoder[k], clas_encoder[k]) for k in lm_encoder)
    fresh = experiments.classifier(dls, OFFLINE).model[0].module.state_dict()
    assert not torch.equal(fresh["encoder.weight"], lm_encoder["encoder.weight"]), "without it, other weights"
    trains = [p.requires_grad for p in classifier.model.parameters()]
    assert any(trains) and not all(trains), "after loading, only the head trains at first"
    x, y = dls.one_batch()
    assert y.max() < 2 and list(dls.vocab[1]) == ["great", "other"]


def test_bundled_files_are_recorded_in_the_package_data():
    names = {lm.WEIGHTS.name, lm.RECORD.name, lm.HELD_OUT.name}
    assert all((lm.WEIGHTS.parent / n).is_file() for n in names)
    assert json.loads(lm.RECORD.read_text())["vocab"][:2] == ["xxunk", "xxpad"]
