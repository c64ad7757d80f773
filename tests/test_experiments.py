"""The lessons' comparisons: the record of five seeds shows each effect the lessons claim (or the docs say
plainly that it is not robust), and a live run reproduces the recorded seed 0. The live run takes about
5 minutes on 2 cores, so it is marked `experiments` and run by `make test-experiments` (and `make records`)
rather than by every `make test`."""

import pytest

from dlcourse import experiments
from dlcourse.mode import cpu_model, detect_mode

OFFLINE = detect_mode("offline")
FUNCTIONS = experiments.functions()
# the effects the lessons claim as robust; the others are shown with the words "not robust" beside them
CLAIMED = {
    "pretrained vs scratch",
    "LR finder vs 100x",
    "discriminative vs one rate",
    "whole photos vs random crops",
    "one size vs progressive resizing",
    "pretrained LM encoder vs none",
    "batch norm vs plain",
    "batch norm vs plain, high rate",
    "batch of 64 vs 512",
    "one-cycle vs constant, from scratch",
    "plain: 8 layers vs 38, training loss",
    "residual vs plain, 38 layers",
}


@pytest.fixture(scope="module")
def record():
    return experiments.recorded()


def test_record_holds_five_seeds_of_every_experiment(record):
    assert set(record.seed) == {0, 1, 2, 3, 4}
    assert set(record.experiment) == {fn.__name__ for fn in FUNCTIONS}
    assert record.error_rate.between(0, 1).all()


def test_the_claimed_effects_are_robust_and_the_others_are_called_not_robust(record):
    from support import ROOT

    summary = experiments.summary(record).set_index("effect")
    for effect in CLAIMED:
        wins, seeds = map(int, summary.at[effect, "wins"].split("/"))
        assert wins >= 4 and seeds == 5, (effect, summary.loc[effect].to_dict())
        assert summary.at[effect, "robust"], summary.loc[effect].to_dict()
    notes = (ROOT / "docs" / "offline.md").read_text()
    for effect in set(summary.index) - CLAIMED:
        assert not summary.at[effect, "robust"], f"{effect} is robust now: claim it in the lesson"
        assert f"**{effect}: not robust here.**" in notes, f"docs/offline.md must say so about {effect}"


@pytest.fixture(scope="module")
def live():
    """Seed 0 of every experiment, run now as the record was made: two at a time, one thread each."""
    return experiments.measure_in_parallel([0], OFFLINE, None, jobs=2)


@pytest.mark.experiments
@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
def test_a_live_run_reproduces_seed_0_and_shows_the_effect(function, record, live):
    now = live[live.experiment == function.__name__].set_index("arm").error_rate
    seed_0 = record[(record.experiment == function.__name__) & (record.seed == 0)]
    recorded = seed_0.set_index("arm").error_rate
    assert list(now.index) == list(recorded.index)
    for arm, error in now.items():
        print(f"{function.__name__} / {arm}: live {error:.2%}, recorded {recorded[arm]:.2%}")
    for effect, claim in experiments.EFFECTS.items():
        if claim.function is function and effect in CLAIMED and claim.metric == "error_rate":
            assert now[claim.better] < now[claim.worse], (effect, now.to_dict())


@pytest.mark.experiments
@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.__name__)
def test_on_the_recording_cpu_a_live_run_gives_seed_0s_numbers(function, record, live):
    """Training from the same seed is reproducible to the image on one kind of CPU, not across kinds
    (`dlcourse.mode.cpu_model`): elsewhere only the claimed effects are checked (the test above)."""
    seed_0 = record[(record.experiment == function.__name__) & (record.seed == 0)]
    recorded_on = set(seed_0.cpu) if "cpu" in seed_0 else set()
    if recorded_on != {cpu_model()}:
        pytest.skip(
            f"recorded on {', '.join(sorted(map(str, recorded_on))) or 'an unnamed CPU'}, not {cpu_model()}"
        )
    now = live[live.experiment == function.__name__].set_index("arm").error_rate
    for arm, error in now.items():
        recorded = seed_0.set_index("arm").error_rate[arm]
        assert error == pytest.approx(recorded, abs=0.0015), f"{arm}: within 3 of 2,000 images"
