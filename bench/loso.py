"""Leave-one-source-out evaluation of the classifier, plus the comment-spam fixture.

    python -m bench.loso [--data DIR] [--only FILE_STEM ...] [--comment-spam-only]

For every dataset file of a task: build the training set without that file (same weighting as
`mizan train`), drop training rows whose normalised text also occurs in the held-out file, fit
only that task's head (no calibration: rankings only), and score the held-out file's benchmark
sample (at most 3000 rows: csv module, file order, numpy.random.default_rng(0).permutation(n)
[:min(3000, n)]; the rule bench/peers uses).  Features are computed once for all rows.
Writes bench/results/classifier_loso.json and classifier_comment_spam.json, then the card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import average_precision_score, roc_auc_score

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mizan.models.data import default_data_dir, file_task, read_csv, sample_index  # noqa: E402
from mizan.models.normalize import normalize  # noqa: E402
from mizan.models.pipeline import HEADS, NB_HEADS, CalibratedLinearHeads  # noqa: E402
from mizan.models.train import (  # noqa: E402
    ASSUMED_NEGATIVE_SCREEN,
    SEED,
    build_training_set,
    drop_top_assumed_negatives,
    lexicon_for,
    neutralise_words,
    neutralised_words,
    training_files,
)

RESULTS = REPO / "bench" / "results"
ALJAZEERA = "ar_aljazeera_deleted_comments"


class FeatureCache:
    """Hashed features of every distinct text, computed once."""

    def __init__(self, features) -> None:
        self.features = features
        self.index: dict[str, int] = {}
        self.blocks: list[sp.csr_matrix] = []
        self._x: sp.csr_matrix | None = None

    def add(self, texts: list[str]) -> None:
        new = [t for t in dict.fromkeys(texts) if t not in self.index]
        if not new:
            return
        base = len(self.index)
        for i, t in enumerate(new):
            self.index[t] = base + i
        self.blocks.append(self.features.transform(new))
        self._x = None

    def rows(self, texts: list[str]) -> sp.csr_matrix:
        if self._x is None:
            self._x = sp.vstack(self.blocks, format="csr")
            self.blocks = [self._x]
        return self._x[[self.index[t] for t in texts]]


def loso(data_dir: Path, only: set[str] | None) -> dict:
    from mizan.models.features import HashedTextFeatures

    lexicon = lexicon_for(data_dir)
    feats = HashedTextFeatures(
        lexicon_terms=lexicon.insults, identity_terms=lexicon.identities
    ).fit(None)
    files = training_files(data_dir)
    neutral = neutralised_words(feats, lexicon)
    cache = FeatureCache(feats)
    t0 = time.perf_counter()
    full = build_training_set(files, seed=SEED)
    cache.add(full.rows.text)
    print(f"features for {len(cache.index)} texts in {time.perf_counter() - t0:.0f} s", flush=True)
    results = []
    for held in files:
        task = file_task(held)
        if only and held.stem not in only:
            continue
        rows = read_csv(held)
        if len(set(rows.label)) < 2:
            print(f"skip {held.stem}: one class only", flush=True)
            continue
        t1 = time.perf_counter()
        ts = build_training_set([p for p in files if p != held], seed=SEED)
        held_norm = {normalize(t) for t in rows.text}
        h = HEADS.index(task)
        keep = np.flatnonzero(~np.isnan(ts.y[:, h]))
        keep = np.array([i for i in keep if normalize(ts.rows.text[i]) not in held_norm])
        texts = [ts.rows.text[i] for i in keep]
        cache.add(texts)
        model = CalibratedLinearHeads(
            heads=(task,),
            cv=0,
            random_state=SEED % (2**31),
            nb_heads=NB_HEADS,
            nb_columns=1 << feats.n_bits,
        )
        x = cache.rows(texts)
        model.fit(x, ts.y[keep, h][:, None], sample_weight=ts.w[keep, h])
        screened = 0
        if task == "abuse" and ASSUMED_NEGATIVE_SCREEN > 0:
            # as `mizan train` does, on this fold's own first fit (in-sample scores)
            first = model.decision_function(x)[:, 0]
            screened = sum(
                drop_top_assumed_negatives(ts, keep, first, ASSUMED_NEGATIVE_SCREEN).values()
            )
            if screened:
                model.fit(x, ts.y[keep, h][:, None], sample_weight=ts.w[keep, h])
            neutralise_words(model, neutral)  # as `mizan train` does
        idx = sample_index(len(rows))
        sample = [rows.text[i] for i in idx]
        y = np.array([rows.label[i] for i in idx])
        p = model.decision_function(feats.transform(sample))[:, 0]
        r = {
            "file": held.stem,
            "task": task,
            "lang": rows.lang[0],
            "n": len(idx),
            "pos_rate": round(float(y.mean()), 3),
            "roc_auc": round(float(roc_auc_score(y, p)), 4),
            "pr_auc": round(float(average_precision_score(y, p)), 4),
            "train_rows": len(keep),
            "dropped_duplicates": int((~np.isnan(ts.y[:, h])).sum() - len(keep)),
            "screened": screened,
            "seconds": round(time.perf_counter() - t1, 1),
            # same digest as bench/peers: proves both scored the same rows
            "sample_sha256": hashlib.sha256("\n".join(sample).encode("utf-8")).hexdigest()[:16],
        }
        results.append(r)
        print(json.dumps(r), flush=True)
    return {"files": results}


def summarise(out: dict) -> dict:
    summary = {}
    for task in ("abuse", "spam"):
        for lang in ("ar", "en"):
            rs = [r for r in out["files"] if r["task"] == task and r["lang"] == lang]
            if not rs:
                continue
            s = {
                "files": len(rs),
                "mean_roc_auc": round(float(np.mean([r["roc_auc"] for r in rs])), 4),
                "min_roc_auc": min(r["roc_auc"] for r in rs),
                "min_file": min(rs, key=lambda r: r["roc_auc"])["file"],
                "mean_pr_auc": round(float(np.mean([r["pr_auc"] for r in rs])), 4),
            }
            ex = [r for r in rs if r["file"] != ALJAZEERA]
            if len(ex) != len(rs) and ex:
                s["mean_roc_auc_excl_aljazeera"] = round(
                    float(np.mean([r["roc_auc"] for r in ex])), 4
                )
                s["min_roc_auc_excl_aljazeera"] = min(r["roc_auc"] for r in ex)
            summary[f"{task}_{lang}"] = s
    return summary


def comment_spam() -> dict | None:
    from mizan.models.classifier import load_default
    from mizan.models.evaluate import evaluate_rows

    path = REPO / "models" / "eval" / "comment_spam.csv"
    if not path.is_file():
        print("models/eval/comment_spam.csv not there yet", flush=True)
        return None
    clf = load_default()
    rows = read_csv(path, task="spam")
    out = {
        "file": "models/eval/comment_spam.csv",
        "model_version": clf.version,
        "all": evaluate_rows(clf, rows.text, rows.label, "spam"),
    }
    for lang in ("ar", "en"):
        idx = [i for i, lg in enumerate(rows.lang) if lg == lang]
        if idx:
            out[lang] = evaluate_rows(
                clf, [rows.text[i] for i in idx], [rows.label[i] for i in idx], "spam"
            )
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--only", nargs="*", default=None)
    ap.add_argument("--comment-spam-only", action="store_true")
    args = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    cs = comment_spam()
    if cs:
        (RESULTS / "classifier_comment_spam.json").write_text(json.dumps(cs, indent=2) + "\n")
        print("comment spam:", json.dumps(cs["all"]), flush=True)
    if not args.comment_spam_only:
        data_dir = args.data or default_data_dir()
        if not data_dir.is_dir():
            sys.exit(f"dataset directory not found: {data_dir}")
        out = loso(data_dir, set(args.only) if args.only else None)
        path = RESULTS / "classifier_loso.json"
        if args.only and path.is_file():  # merge a partial rerun into the previous results
            prev = json.loads(path.read_text())
            done = {r["file"] for r in out["files"]}
            out["files"] = [r for r in prev["files"] if r["file"] not in done] + out["files"]
            out["files"].sort(key=lambda r: r["file"])
        out["summary"] = summarise(out)
        out["protocol"] = (
            "Each file is held out in turn: the training set is rebuilt without it (same "
            "per-source weighting as `mizan train`), training rows whose normalised text "
            "occurs in the held-out file are dropped, only that task's head is fitted, and "
            "the held-out file's benchmark sample is scored (at most 3000 rows: csv module, "
            "file order, `numpy.random.default_rng(0).permutation(n)[:min(3000, n)]`). "
            "Single-class files (ar_lowquality_spam_tweets; the clean news-comment, sentiment "
            "and review sets) have no AUC and are not held out. LY-Abusive is scored with its "
            "own negatives (tweets from another platform) though training uses only its "
            "positives. "
            f"The abuse head screens its assumed negatives as `mizan train` does (the top "
            f"{ASSUMED_NEGATIVE_SCREEN:.0%} of each set leave and the head is fitted again), "
            "ranked by the fold's own first fit instead of out-of-fold scores, to halve the "
            "cost. "
            "Aljazeera is reported with its deleted-but-clean rows as negatives, and "
            "summaries are also given without it."
        )
        path.write_text(json.dumps(out, indent=2) + "\n")
        print(json.dumps(out["summary"], indent=2))
    try:
        from mizan.models.card import write_card

        print("wrote", write_card())
    except Exception as exc:  # noqa: BLE001 - the card is a convenience here
        print(f"card not regenerated: {exc}")


if __name__ == "__main__":
    main()
