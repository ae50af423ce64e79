"""Peer comparison bench: score the shared datasets with two PyPI peers, each in its own venv.

    python -m bench.peers.run [--datasets DIR] [--cache DIR] [--peers arabic-toxic,...]

* arabic-toxic (Arabic abuse) runs on every Arabic abuse file (ar_*.csv except the two spam
  sets); alt-profanity-check (English) on the three English abuse files.
* The peers pin conflicting scikit-learn versions, so each gets its own virtual environment
  under ``${MIZAN_BENCH_CACHE:-~/.cache/mizan-bench}/venvs/<peer>`` (created once, reused while
  the pinned spec is unchanged). ``runner.py`` runs inside that venv, reads the sampled texts
  from a temp JSON file and writes scores; this script (main venv) computes the metrics.
* Rows: ``bench.peers.sample.sample_rows`` (the rule shared with the classifier bench).
* Writes ``bench/results/peers.json`` and ``bench/results/peers.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from bench.peers.sample import SAMPLE_RULE, read_csv_rows, sample_rows

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().with_name("runner.py")

EN_ABUSE = ["en_davidson_hate_offensive", "en_olid_offenseval2019", "en_jigsaw_toxic_small"]
AR_NOT_ABUSE = {"ar_spam_ham_tweets", "ar_lowquality_spam_tweets"}

PEERS = {
    "arabic-toxic": {"spec": "arabic-toxic==0.2.3", "lang": "ar"},
    "alt-profanity-check": {"spec": "alt-profanity-check==1.9.1", "lang": "en"},
}


def default_datasets() -> Path:
    env = os.environ.get("MIZAN_DATASETS")
    return Path(env) if env else (REPO_ROOT / ".." / "shared" / "datasets").resolve()


def default_cache() -> Path:
    env = os.environ.get("MIZAN_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "mizan-bench"


def files_for(peer: str, datasets: Path) -> list[Path]:
    if PEERS[peer]["lang"] == "ar":
        return sorted(p for p in datasets.glob("ar_*.csv") if p.stem not in AR_NOT_ABUSE)
    return [datasets / f"{name}.csv" for name in EN_ABUSE]


def log(msg: str) -> None:
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


def ensure_venv(peer: str, cache: Path, python: str) -> Path:
    """Create (or reuse) the peer's venv and pip-install its pinned spec there."""
    spec = PEERS[peer]["spec"]
    venv = cache / "venvs" / peer
    py = venv / "bin" / "python"
    marker = venv / ".mizan-spec"
    if py.exists() and marker.exists() and marker.read_text().strip() == spec:
        log(f"reusing venv {venv} ({spec})")
        return py
    log(f"creating venv {venv} and installing {spec}")
    subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(py), "-m", "pip", "--disable-pip-version-check", "install", "-q"]
    subprocess.run([*pip, spec], check=True)
    marker.write_text(spec + "\n")
    return py


def run_peer(peer: str, py: Path, batches: dict[str, list[str]]) -> dict:
    env = dict(os.environ)
    # same footing for every peer: one thread, no hub downloads
    env.update(
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONNOUSERSITE="1",
    )
    with tempfile.TemporaryDirectory(prefix="mizan-peers-") as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps({"batches": batches}, ensure_ascii=False), encoding="utf-8")
        t0 = time.perf_counter()
        subprocess.run(
            [str(py), str(RUNNER), peer, str(inp), str(out)], check=True, env=env, cwd=tmp
        )
        log(f"{peer}: runner finished in {time.perf_counter() - t0:.1f}s")
        return json.loads(out.read_text(encoding="utf-8"))


def metrics(y: list[int], scores: list[float], flagged: list[int]) -> dict:
    both = 0 < sum(y) < len(y)
    return {
        "roc_auc": round(float(roc_auc_score(y, scores)), 4) if both else None,
        "pr_auc": round(float(average_precision_score(y, scores)), 4) if both else None,
        "flag_precision": round(float(precision_score(y, flagged, zero_division=0)), 4),
        "flag_recall": round(float(recall_score(y, flagged, zero_division=0)), 4),
        "flag_f1": round(float(f1_score(y, flagged, zero_division=0)), 4),
    }


def bench_peer(peer: str, datasets: Path, cache: Path, python: str) -> dict:
    samples: dict[str, list[dict[str, str]]] = {}
    for path in files_for(peer, datasets):
        rows = sample_rows(read_csv_rows(path))
        bad = {(r["task"], r["lang"]) for r in rows} - {("abuse", PEERS[peer]["lang"])}
        if bad:
            raise SystemExit(f"{path.name}: unexpected task/lang {sorted(bad)}")
        samples[path.stem] = rows
    py = ensure_venv(peer, cache, python)
    res = run_peer(peer, py, {k: [r["text"] for r in v] for k, v in samples.items()})
    files = {}
    for name, rows in samples.items():
        y = [int(r["label"]) for r in rows]
        b = res["batches"][name]
        entry = {"n": len(y), "pos": sum(y), **metrics(y, b["scores"], b["flagged"])}
        for alt, alt_scores in b["alt_scores"].items():
            entry[f"roc_auc_{alt}"] = round(float(roc_auc_score(y, alt_scores)), 4)
        entry["rows_per_s"] = round(len(y) / b["score_seconds"], 1)
        entry["sample_sha256"] = hashlib.sha256(
            "\n".join(r["text"] for r in rows).encode("utf-8")
        ).hexdigest()[:16]
        files[name] = entry
    total_n = sum(len(v) for v in samples.values())
    total_s = sum(b["score_seconds"] for b in res["batches"].values())
    return {
        "version": res["dist_version"],
        "module___version__": res["module_version"],
        "install": PEERS[peer]["spec"],
        "sklearn_in_venv": res["sklearn_version"],
        "python_in_venv": res["python"],
        "api": res["api"],
        "labels": res["labels"],
        "load_seconds": round(res["load_seconds"], 2),
        "throughput_rows_per_s": round(total_n / total_s, 1),
        "network_attempts_at_run_time": res["network_attempts"],
        "warnings": res["warnings"],
        "files": files,
    }


def fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def write_md(report: dict, path: Path) -> None:
    lines = [
        "# Peer comparison (PyPI peers on the shared abuse datasets)",
        "",
        f"Command: `{report['command']}`",
        "",
        f"Rows: {report['sample_rule']}",
        "",
        "Score = the peer's probability-like output (arabic-toxic: strongest toxic label; "
        "alt-profanity-check: P(profane)); PR-AUC = average precision; F1 at the peer's own "
        "decision rule. Throughput: scoring only (model already loaded), 1 thread.",
        "",
    ]
    for peer, p in report["peers"].items():
        alts = sorted({k for f in p["files"].values() for k in f if k.startswith("roc_auc_")})
        lines += [
            f"## {peer} {p['version']} (scikit-learn {p['sklearn_in_venv']} in its own venv)",
            "",
            "| file | n | pos | ROC-AUC | PR-AUC | F1 @ peer flag | rows/s |"
            + "".join(f" ROC-AUC ({a[8:]}) |" for a in alts),
            "|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(alts),
        ]
        for name, f in p["files"].items():
            lines.append(
                f"| {name} | {f['n']} | {f['pos']} | {fmt(f['roc_auc'])} | "
                f"{fmt(f['pr_auc'])} | {fmt(f['flag_f1'])} | {f['rows_per_s']:.0f} |"
                + "".join(f" {fmt(f[a])} |" for a in alts)
            )
        aucs = [f["roc_auc"] for f in p["files"].values() if f["roc_auc"] is not None]
        lines += [
            "",
            f"Mean ROC-AUC over files: {sum(aucs) / len(aucs):.3f}. Overall throughput "
            f"{p['throughput_rows_per_s']:.0f} rows/s; model load {p['load_seconds']} s; "
            f"network connections attempted at run time: {len(p['network_attempts_at_run_time'])}.",
            "",
        ]
        if p["warnings"]:
            lines += ["Warnings while loading/scoring (first line of each, deduplicated):", ""]
            lines += [f"- `{w}`" for w in p["warnings"]] + [""]
    lines += [
        "The primary score of each peer was fixed before looking at results; alternatives are",
        "shown for information only. Per-file rows/s vary with load on the shared 2-core",
        "machine.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--datasets",
        type=Path,
        default=None,
        help="dataset dir (default: $MIZAN_DATASETS or ../shared/datasets "
        "relative to the repo root)",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="venv cache (default: $MIZAN_BENCH_CACHE or ~/.cache/mizan-bench)",
    )
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated peer names")
    ap.add_argument("--python", default=sys.executable, help="interpreter used to create venvs")
    ap.add_argument("--out-dir", type=Path, default=REPO_ROOT / "bench" / "results")
    args = ap.parse_args(argv)
    datasets = (args.datasets or default_datasets()).resolve()
    cache = (args.cache or default_cache()).expanduser()
    report = {
        "command": "python -m bench.peers.run"
        + (
            " " + shlex.join(argv if argv is not None else sys.argv[1:])
            if (argv if argv is not None else sys.argv[1:])
            else ""
        ),
        "sample_rule": SAMPLE_RULE,
        "datasets": "../shared/datasets (file stems below)",
        "host": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
        },
        "peers": {},
    }
    for peer in [p.strip() for p in args.peers.split(",") if p.strip()]:
        if peer not in PEERS:
            raise SystemExit(f"unknown peer {peer!r}; known: {', '.join(PEERS)}")
        report["peers"][peer] = bench_peer(peer, datasets, cache, args.python)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "peers.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_md(report, args.out_dir / "peers.md")
    log(f"wrote {args.out_dir / 'peers.json'} and peers.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
