"""Rebuild the records shipped in `dlcourse` that only a long run can make.

    python -m dlcourse_tools record experiments [--seeds 0 1 2 3 4] [--only FUNCTION ...] [--jobs 2]
    python -m dlcourse_tools record site-classifier

`experiments` measures every effect the lessons claim over several seeds (`dlcourse.experiments`) and
writes weights/offline_effects.json; `site-classifier` trains lesson 10's offline model and writes the
classify page's weights and record (`dlcourse.deploy`). The offline models are rebuilt by
`record offline-model` and `record language-model` (`dlcourse_tools.pretrain`, `.pretrain_text`).
"""

from __future__ import annotations

import argparse
import json
import time

import pandas as pd
import torch

from dlcourse import deploy, experiments
from dlcourse.mode import cpu_model, describe_device, detect_mode


def record_experiments(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Measure the lessons' effects (final validation error rate)."
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--dry-run", action="store_true", help=f"print, without writing {experiments.RECORD.name}"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="FUNCTION", help="measure these experiments and keep the other records"
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs at once, each in a process of one thread")
    args = parser.parse_args(argv)
    mode = detect_mode()
    print(mode.describe())
    start = time.perf_counter()
    rows = experiments.measure_in_parallel(args.seeds, mode, args.only, args.jobs)
    kept = experiments.recorded()[lambda r: ~r.experiment.isin(args.only)] if args.only else rows.iloc[:0]
    rows = pd.concat([kept, rows], ignore_index=True)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(experiments.summary(rows).to_string(index=False))
    if args.dry_run:
        return
    dates = sorted(set(rows.date))
    record = {
        "mode": mode.name,
        "device": describe_device(),
        "how": ", each run on one thread, several at once" if args.jobs > 1 else "",
        "date": ", ".join(dates[:-1]) + " and " + dates[-1] if len(dates) > 1 else dates[0],
        "seconds": round(time.perf_counter() - start),
        "rows": rows.to_dict(orient="records"),
    }
    experiments.RECORD.write_text(json.dumps(record, indent=1) + "\n")


def record_site_classifier(argv: list[str] | None = None) -> dict:
    """Train lesson 10's model offline, save its weights in float16 and a record of the run, with its
    accuracy on every validation image measured from the saved weights."""
    parser = argparse.ArgumentParser(description="Rebuild the classify page's model and its record.")
    parser.add_argument("--seed", type=int, default=0)
    seed = parser.parse_args(argv).seed
    start = time.time()
    learn = deploy.train_classifier(detect_mode("offline"), seed)
    torch.save({k: v.half() for k, v in learn.model.state_dict().items()}, deploy.SITE_WEIGHTS)
    mean, std = deploy.normalize_stats(learn.dls)
    record = {
        "made_by": f"python -m dlcourse_tools record {deploy.REBUILD}",
        "recipe": (
            f"offline Pets layout, vision_learner(offline_resnet), fine_tune({deploy.EPOCHS}), seed {seed}"
        ),
        "classes": list(learn.dls.vocab),
        "size": int(learn.dls.valid.one_batch()[0].shape[-1]),
        "mean": mean.tolist(),
        "std": std.tolist(),
        "seconds": round(time.time() - start, 1),
        "cpu": cpu_model(),
        "date": time.strftime("%Y-%m-%d"),
    }
    deploy.SITE_RECORD.write_text(json.dumps(record, indent=1))
    model, _ = deploy.site_classifier()
    files, labels = deploy.site_validation_files()
    record["validation_images"] = len(files)
    record["validation_accuracy"] = deploy.file_accuracy(model, files, labels, record["classes"])
    deploy.SITE_RECORD.write_text(json.dumps(record, indent=1))
    print(json.dumps(record, indent=1))
    return record
