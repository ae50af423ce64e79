"""Assemble the weighted multi-task training set from the datasets and fit the pipeline.

Bias compensation (see ../shared/datasets/README.md and sources/*.md):

* Every (head, source) group gets a total weight of sqrt(rows), split equally between its
  classes, so a big set cannot dominate and a set's base rate cannot be learned as its style.
* Aljazeera's "clean" rows were deleted by moderators too: they are dropped from the abuse and
  obscene heads (never used as clean negatives); its offensive rows are kept as positives.
* Arabic spam/ham: the ham side is mostly news headlines.  So that "headline style" is not what
  separates ham from spam, up to 2000 rows of every abuse set (ordinary tweets and comments,
  abusive or not) are added as spam negatives, and the ham headlines also serve as non-abusive
  negatives for the abuse head.
* The low-quality spam set is spam-only: it contributes positives (half a group's weight).
* English spam is SMS: kept, but as one group among many.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import Pipeline

from .augment import synthetic_comments
from .data import ARABIZI_TERMS, Rows, dataset_files, file_task, read_csv, read_lexicon
from .pipeline import HEADS, build_pipeline

SEED = 20261129
COMMENT_NEGATIVES_PER_FILE = 2000
FINE_NEGATIVES_PER_FILE = 1000
FEEDBACK_MASS = 3.0  # feedback counts as this many average-sized groups (moderators are truth)

ALJAZEERA = "ar_aljazeera_deleted_comments"
OBSCENE_FILES = {ALJAZEERA: "obscene", "ar_mubarak2017_egyptian_tweets": "obscene"}
HATE_FILES = {"ar_lhsab_levantine_tweets": "hate", "en_davidson_hate_offensive": "0"}

# Precision / recall targets used to pick the policy thresholds (documented in the card).
THRESHOLD_RULES = {
    "reject_abuse": ("abuse", "precision", 0.95),
    "spam": ("spam", "precision", 0.99),
    "approve_abuse": ("abuse", "recall", 0.85),
    "approve_spam": ("spam", "recall", 0.95),
}


@dataclass(slots=True)
class TrainingSet:
    """Texts with one label and one weight column per head (NaN label = not used by that head)."""

    rows: Rows
    y: np.ndarray
    w: np.ndarray
    groups: dict[str, dict[str, int]] = field(default_factory=dict)


def _sample(idx: list[int], k: int, rng: np.random.Generator) -> list[int]:
    if len(idx) <= k:
        return idx
    return sorted(rng.choice(idx, size=k, replace=False).tolist())


def build_training_set(
    files: list[Path],
    feedback: Rows | None = None,
    seed: int = SEED,
    synthetic: bool = True,
    mass_power: float = 0.5,
) -> TrainingSet:
    """Read ``files`` (+ optional feedback rows) and derive labels and weights per head."""
    rng = np.random.default_rng(seed)
    rows = Rows()
    spans: dict[str, tuple[int, int]] = {}
    for path in files:
        start = len(rows)
        rows.extend(read_csv(path))
        spans[path.stem] = (start, len(rows))
    if synthetic and any(file_task(p) == "spam" for p in files):
        start = len(rows)
        rows.extend(synthetic_comments(seed=seed % (2**31)))
        spans["synthetic_comments"] = (start, len(rows))
    if feedback is not None and len(feedback):
        start = len(rows)
        fb = Rows()
        fb.extend(feedback)
        fb.file[:] = ["feedback"] * len(fb)
        rows.extend(fb)
        spans["feedback"] = (start, len(rows))

    n = len(rows)
    label = np.asarray(rows.label)
    task = np.asarray(rows.task)
    y = np.full((n, len(HEADS)), np.nan)
    # group id per (row, head); rows can belong to different groups for different heads
    group = np.full((n, len(HEADS)), "", dtype=object)
    hs, ha, ho, hh = (HEADS.index(h) for h in ("spam", "abuse", "obscene", "hate"))

    for name, (a, b) in spans.items():
        idx = np.arange(a, b)
        t = task[idx]
        lab = label[idx]
        fine = [rows.fine_label[i] for i in idx]
        if name == "feedback":
            for h, tname in ((hs, "spam"), (ha, "abuse")):
                sel = idx[t == tname]
                y[sel, h] = label[sel]
                group[sel, h] = "feedback"
            continue
        if (t == "spam").all():
            y[idx, hs] = lab
            group[idx, hs] = name
            if name == "ar_spam_ham_tweets":
                ham = idx[lab == 0]
                y[ham, ha] = 0
                group[ham, ha] = name + "(ham)"
            continue
        # abuse file
        keep = idx if name != ALJAZEERA else idx[lab == 1]
        y[keep, ha] = label[keep]
        group[keep, ha] = name
        neg = _sample(idx.tolist(), COMMENT_NEGATIVES_PER_FILE, rng)
        y[neg, hs] = 0
        group[neg, hs] = "comments(abuse sets)"
        clean = idx[lab == 0].tolist() if name != ALJAZEERA else []
        if name in OBSCENE_FILES:
            sel = idx if name != ALJAZEERA else idx[lab == 1]
            y[sel, ho] = [float(rows.fine_label[i] == OBSCENE_FILES[name]) for i in sel]
            group[sel, ho] = name
        elif rows.lang[a] == "ar" and clean:
            sel = _sample(clean, FINE_NEGATIVES_PER_FILE, rng)
            y[sel, ho] = 0
            group[sel, ho] = "clean(other sets)"
        if name in HATE_FILES:
            y[idx, hh] = [float(f == HATE_FILES[name]) for f in fine]
            group[idx, hh] = name
        elif clean:
            sel = _sample(clean, FINE_NEGATIVES_PER_FILE, rng)
            y[sel, hh] = 0
            group[sel, hh] = "clean(other sets)"

    w = np.zeros_like(y)
    row_w = np.asarray(rows.weight, dtype=float)
    summary: dict[str, dict[str, int]] = {}
    for h, head in enumerate(HEADS):
        has = ~np.isnan(y[:, h])
        names = sorted(set(group[has, h]))
        masses = {g: int((group[:, h] == g).sum()) ** mass_power for g in names}
        mean_mass = float(np.mean(list(masses.values()))) if masses else 1.0
        for g in names:
            in_g = has & (group[:, h] == g)
            mass = FEEDBACK_MASS * mean_mass if g == "feedback" else masses[g]
            for cls in (0, 1):
                sel = in_g & (y[:, h] == cls)
                k = int(sel.sum())
                if k:
                    w[sel, h] = mass / 2.0 / k * row_w[sel]
            summary[f"{head}:{g}"] = {
                "neg": int((in_g & (y[:, h] == 0)).sum()),
                "pos": int((in_g & (y[:, h] == 1)).sum()),
            }
    used = np.flatnonzero((~np.isnan(y)).any(axis=1))
    return TrainingSet(rows=rows.take(used), y=y[used], w=w[used], groups=summary)


def licence_of(path: Path) -> str:
    """Return the first line of the licence section of ``sources/<name>.md`` ('' if absent)."""
    md = path.parent / "sources" / f"{path.stem}.md"
    if not md.is_file():
        return ""
    text = md.read_text(encoding="utf-8")
    if "## License" not in text:
        return ""
    section = text.split("## License", 1)[1].split("\n## ", 1)[0]
    lines = [ln.strip() for ln in section.strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


def lexicon_for(data_dir: str | os.PathLike) -> tuple[tuple[str, ...], list[Path]]:
    """Return the lexicon terms used as features (shared lexicons + Arabizi list) and files."""
    terms, files = read_lexicon(data_dir)
    return tuple(sorted(set(terms) | set(ARABIZI_TERMS))), files


def training_files(data_dir: str | os.PathLike, exclude: set[str] | None = None) -> list[Path]:
    """Return the dataset CSVs used for training (all of ``data_dir`` minus ``exclude``)."""
    exclude = exclude or set()
    return [p for p in dataset_files(data_dir) if p.stem not in exclude]


def fit(
    ts: TrainingSet, seed: int = SEED, lexicon: tuple[str, ...] = (), **head_params
) -> Pipeline:
    """Fit the pipeline on a training set (``lexicon``: offensive terms for meta features)."""
    cols = [
        h
        for h in range(len(HEADS))
        if len(np.unique(ts.y[~np.isnan(ts.y[:, h]), h])) == 2  # skip heads without data
    ]
    heads = tuple(HEADS[h] for h in cols)
    pipe = build_pipeline(random_state=seed % (2**31), heads=heads, **head_params)
    pipe.set_params(features__lexicon_terms=tuple(lexicon))
    pipe.fit(ts.rows.text, ts.y[:, cols], heads__sample_weight=ts.w[:, cols])
    return pipe


def reliability(p: np.ndarray, y: np.ndarray, w: np.ndarray, bins: int = 10) -> dict:
    """Return a weighted reliability table and expected calibration error."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    table, ece, total = [], 0.0, w.sum()
    for b in range(bins):
        m = which == b
        if not m.any():
            continue
        wb = w[m].sum()
        pred = float(np.average(p[m], weights=w[m]))
        obs = float(np.average(y[m], weights=w[m]))
        ece += wb / total * abs(pred - obs)
        table.append(
            {
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "n": int(m.sum()),
                "mean_predicted": round(pred, 4),
                "observed": round(obs, 4),
            }
        )
    return {"ece": round(float(ece), 4), "table": table}


def _threshold(p, y, w, kind: str, target: float) -> float:
    order = np.argsort(-p)
    ps, ys, ws = p[order], y[order], w[order]
    tp = np.cumsum(ws * ys)
    fp = np.cumsum(ws * (1 - ys))
    precision = tp / np.maximum(tp + fp, 1e-12)
    recall = tp / max(tp[-1], 1e-12)
    if kind == "precision":
        # lowest threshold whose precision (from there up) stays >= target
        # lowest threshold at which the precision of everything above it is >= target
        ok = np.flatnonzero(precision >= target)
        return float(ps[ok[-1]]) if ok.size else float(ps[0])
    i = int(np.searchsorted(recall, target))
    return float(ps[min(i, len(ps) - 1)])


def cv_report(pipe: Pipeline, ts: TrainingSet) -> tuple[dict, dict[str, float]]:
    """Return out-of-fold metrics per head and thresholds chosen from them."""
    heads = pipe.named_steps["heads"]
    metrics: dict = {}
    oof: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for h, (rows, proba) in enumerate(heads.cv_proba_):
        name = heads.heads[h]
        yh = ts.y[rows, HEADS.index(name)]
        wh = ts.w[rows, HEADS.index(name)]
        oof[name] = (proba, yh, wh)
        metrics[name] = {
            "n": len(rows),
            "roc_auc_weighted": round(float(roc_auc_score(yh, proba, sample_weight=wh)), 4),
            "pr_auc_weighted": round(
                float(average_precision_score(yh, proba, sample_weight=wh)), 4
            ),
            "calibration": reliability(proba, yh, wh),
        }
    thresholds = {}
    for key, (head, kind, target) in THRESHOLD_RULES.items():
        p, yh, wh = oof[head]
        thresholds[key] = round(_threshold(p, yh, wh, kind, target), 4)
    thresholds["approve_abuse"] = min(thresholds["approve_abuse"], thresholds["reject_abuse"])
    thresholds["approve_spam"] = min(thresholds["approve_spam"], thresholds["spam"])
    return metrics, thresholds


def train_and_save(
    data_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    feedback_path: str | os.PathLike | None = None,
    version: str | None = None,
    seed: int = SEED,
) -> tuple[Path, dict]:
    """Train on every CSV in ``data_dir`` (+ feedback), save artifact + sidecar; return both."""
    import datetime
    import time

    from . import artifact
    from .data import sha256

    t0 = time.perf_counter()
    files = training_files(data_dir)
    if not files:
        raise FileNotFoundError(f"no *.csv in {data_dir}")
    feedback = read_csv(feedback_path) if feedback_path else None
    ts = build_training_set(files, feedback, seed=seed)
    lexicon, lexicon_files = lexicon_for(data_dir)
    pipe = fit(ts, seed=seed, lexicon=lexicon)
    metrics, thresholds = cv_report(pipe, ts)
    del pipe.named_steps["heads"].cv_proba_  # training diagnostics, not part of the model
    data = [
        {"file": p.name, "sha256": sha256(p), "rows": len(read_csv(p)), "licence": licence_of(p)}
        for p in files
    ]
    data += [
        {
            "file": f"lexicons/{p.name}",
            "sha256": sha256(p),
            "rows": None,
            "licence": "see lexicons/SOURCE.md",
        }
        for p in lexicon_files
    ]
    if feedback_path:
        data.append(
            {
                "file": Path(feedback_path).name,
                "sha256": sha256(feedback_path),
                "rows": len(feedback),
                "feedback": True,
            }
        )
    sidecar = {
        "version": version or f"{datetime.date.today():%Y.%m.%d}-1",
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "heads": list(pipe.named_steps["heads"].heads),
        "thresholds": thresholds,
        "threshold_rules": {k: f"{h} {kind} >= {t}" for k, (h, kind, t) in THRESHOLD_RULES.items()},
        "training_data": data,
        "training_groups": ts.groups,
        "metrics": {"cross_validated": metrics},
        "train_seconds": round(time.perf_counter() - t0, 1),
        "params": {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in pipe.get_params(deep=True).items()
            if "__" in k and not hasattr(v, "fit") and k != "features__lexicon_terms"
        },
        "lexicon_terms": len(lexicon),
        # features depend on the normaliser's exact output: record which one was used
        "normalizer_sha256": sha256(Path(__file__).with_name("normalize.py")),
    }
    from .classifier import SHIPPED

    target = artifact.save(pipe, Path(out_dir) / SHIPPED, sidecar)
    return target, artifact.read_sidecar(target)
