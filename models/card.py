"""Render models/MODEL_CARD.md from its template, the sidecar and bench/results/classifier*.json."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parent
REPO_ROOT = MODELS_DIR.parent
RESULTS = REPO_ROOT / "bench" / "results"
CARD = MODELS_DIR / "MODEL_CARD.md"


# a bench/results/*.json document, a sidecar or a part of one
_Json = dict[str, Any]


def _read(name: str) -> _Json | None:
    p = RESULTS / name
    if not p.is_file():
        return None
    doc: _Json = json.loads(p.read_text(encoding="utf-8"))
    return doc


def _f(v: object, nd: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def _met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**missed**")


def _loso_section(loso: _Json | None, peers: _Json | None) -> list[str]:
    out = ["## Leave-one-source-out (LOSO)", ""]
    if not loso:
        return out + ["Not measured yet: run `python -m bench.loso`.", ""]
    out += [
        loso.get("protocol", ""),
        "",
    ]
    if loso.get("measured_with"):
        out += [f"Measured with: {loso['measured_with']}", ""]
    peer_files = (peers or {}).get("files", {}) if peers else {}
    for task in ("abuse", "spam"):
        rows = [r for r in loso.get("files", []) if r["task"] == task]
        if not rows:
            continue
        for lang in ("ar", "en"):
            lr = [r for r in rows if r["lang"] == lang]
            if not lr:
                continue
            out += [f"### {task}, {'Arabic' if lang == 'ar' else 'English'}", ""]
            head = "| held-out file | rows (sample) | pos. rate | ROC-AUC | PR-AUC |"
            sep = "|---|---|---|---|---|"
            with_peers = task == "abuse"
            if with_peers:
                head += " peer | peer ROC-AUC | peer PR-AUC | Mizan minus peer (ROC) |"
                sep += "---|---|---|---|"
            out += [head, sep]
            for r in lr:
                line = (
                    f"| {r['file']} | {r['n']} | {_f(r['pos_rate'], 2)} | "
                    f"{_f(r['roc_auc'])} | {_f(r['pr_auc'])} |"
                )
                if with_peers:
                    pf = _peer_for(peer_files, r["file"])
                    if pf and pf.get("sample_sha256") not in (None, r.get("sample_sha256")):
                        pf = {**pf, "peer": pf["peer"] + " (different rows!)"}
                    if pf:
                        diff = (r["roc_auc"] - pf["roc_auc"]) if pf.get("roc_auc") else None
                        line += (
                            f" {pf['peer']} | {_f(pf.get('roc_auc'))} | "
                            f"{_f(pf.get('pr_auc'))} | {_f(diff)} |"
                        )
                    else:
                        line += " n/a | n/a | n/a | n/a |"
                out.append(line)
            summ = loso.get("summary", {}).get(f"{task}_{lang}")
            if summ:
                out += [
                    "",
                    f"Mean ROC-AUC {_f(summ['mean_roc_auc'])}, min {_f(summ['min_roc_auc'])}"
                    f" ({summ['min_file']}); mean PR-AUC {_f(summ['mean_pr_auc'])}.",
                ]
                if summ.get("mean_roc_auc_excl_aljazeera") is not None:
                    out.append(
                        f"Without Aljazeera (positives-only in training, see caveats): mean "
                        f"ROC-AUC {_f(summ['mean_roc_auc_excl_aljazeera'])}, min "
                        f"{_f(summ['min_roc_auc_excl_aljazeera'])}."
                    )
            out.append("")
    return out


def _peer_for(peer_files: _Json | list[_Json], file: str) -> _Json | None:
    """Return {'peer', 'roc_auc', 'pr_auc'} for a dataset file from peers.json, if any."""
    items: Iterable[tuple[Any, Any]]
    if isinstance(peer_files, dict):
        items = peer_files.items()
    else:
        items = ((p.get("file", ""), p) for p in peer_files)
    for name, entry in items:
        if Path(str(name)).stem != file:
            continue
        if "roc_auc" in entry:
            return {"peer": entry.get("peer", "?"), **entry}
        for peer, m in entry.items():
            if isinstance(m, dict) and "roc_auc" in m:
                return {"peer": peer, **m}
    return None


def _normalise_peers(peers: _Json | None) -> _Json | None:
    """Accept a few plausible layouts of bench/results/peers.json."""
    if not peers:
        return None
    if "files" in peers:
        return peers
    out: _Json = {"files": {}}
    for key in ("results", "peers"):
        block = peers.get(key)
        if isinstance(block, dict):
            for peer, entry in block.items():
                files = entry.get("files", entry) if isinstance(entry, dict) else None
                if isinstance(files, dict):
                    for f, m in files.items():
                        if isinstance(m, dict) and "roc_auc" in m:
                            out["files"].setdefault(Path(f).stem, {})[peer] = m
        elif isinstance(block, list):
            for m in block:
                if isinstance(m, dict) and "file" in m and "roc_auc" in m:
                    peer = m.get("peer", "?")
                    out["files"].setdefault(Path(m["file"]).stem, {})[peer] = m
    return out


def render(sidecar: _Json) -> str:
    """Return the model card text (models/templates/model_card.md.j2 filled in)."""
    import jinja2

    from .features import META_NAMES
    from .normalizer_check import check_texts
    from .train import (
        ASSUMED_NEGATIVE_MASS,
        IN_DOMAIN_FOLDS,
        IN_DOMAIN_MASS,
        REVIEWED,
        REVIEWED_MASS,
    )

    loso = _read("classifier_loso.json")
    peers = _normalise_peers(_read("peers.json"))
    rob = _read("classifier_robustness.json")
    speed = _read("classifier_speed.json")
    cspam = _read("classifier_comment_spam.json")
    probe = _read("classifier_probe.json")
    loso_lines = _loso_section(loso, peers)
    if peers and loso:
        loso_lines += _peer_summary(loso, peers)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(MODELS_DIR / "templates"),
        autoescape=False,  # noqa: S701 - Markdown for the repository, not HTML for a browser
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    text = env.get_template("model_card.md.j2").render(
        s=sidecar,
        ind=(sidecar.get("metrics") or {}).get("in_domain"),
        probe=probe,
        cspam=cspam,
        rob=rob,
        speed=speed,
        loso_section="\n".join(loso_lines),
        targets=_targets(loso, cspam, rob, speed, sidecar, probe),
        meta_count=len(META_NAMES),
        n_check_texts=len(check_texts()),
        assumed_mass=ASSUMED_NEGATIVE_MASS,
        in_domain_mass=IN_DOMAIN_MASS,
        reviewed_mass=REVIEWED_MASS,
        reviewed_group=REVIEWED,
        folds=IN_DOMAIN_FOLDS,
        f=_f,
        pct=_pct,
    )
    # blank runs left by template blocks collapse to one blank line
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def _peer_summary(loso: _Json, peers: _Json) -> list[str]:
    wins, total, worse = 0, 0, []
    for r in loso.get("files", []):
        if r["task"] != "abuse":
            continue
        pf = _peer_for(peers.get("files", {}), r["file"])
        if not pf or pf.get("roc_auc") is None:
            continue
        total += 1
        if r["roc_auc"] > pf["roc_auc"]:
            wins += 1
        else:
            worse.append(f"{r['file']} ({_f(r['roc_auc'])} vs {_f(pf['roc_auc'])})")
    out = [f"Mizan (LOSO) beats the peer on {wins} of {total} abuse files (ROC-AUC)."]
    if worse:
        out.append("Not better on: " + ", ".join(worse) + ".")
    return out + [""]


def _targets(
    loso: _Json | None,
    cspam: _Json | None,
    rob: _Json | None,
    speed: _Json | None,
    sidecar: _Json,
    probe: _Json | None,
) -> list[dict[str, str]]:
    """Rows of the targets table: name, wanted, measured, met or missed."""
    s = (loso or {}).get("summary", {}).get("abuse_ar", {})
    ind = (sidecar.get("metrics") or {}).get("in_domain") or {}
    routing = ind.get("routing") or {}
    conf = (probe or {}).get("confusion") or {}

    def share(table: _Json, cls: str, key: str) -> float | None:
        return (table.get(cls) or {}).get(key)

    def probe_rows(title: str, table: _Json) -> list[tuple[str, str, Any, str, float]]:
        return [
            (f"{title}: benign approved", ">= 97%", share(table, "benign", "approved"), ">=", 0.97),
            (f"{title}: benign sent to spam", "0", share(table, "benign", "spam"), "<=", 0.0),
            (f"{title}: benign rejected", "0", share(table, "benign", "rejected"), "<=", 0.0),
            (f"{title}: abuse published", "<= 5%", share(table, "abuse", "approved"), "<=", 0.05),
            (f"{title}: spam published", "<= 5%", share(table, "spam", "approved"), "<=", 0.05),
        ]

    rows = [
        ("LOSO ROC-AUC, Arabic abuse sets, mean", ">= 0.88", s.get("mean_roc_auc"), ">=", 0.88),
        ("LOSO ROC-AUC, Arabic abuse sets, min", ">= 0.80", s.get("min_roc_auc"), ">=", 0.80),
        (
            "In-domain news comments: benign approved",
            ">= 85%",
            share(routing, "benign", "approved"),
            ">=",
            0.85,
        ),
        (
            "In-domain news comments: offensive published",
            "<= 10%",
            share(routing, "offensive", "approved"),
            "<=",
            0.10,
        ),
        (
            "In-domain news comments: rejection precision",
            ">= 95%",
            routing.get("reject_precision"),
            ">=",
            0.95,
        ),
        *probe_rows("Probe", conf),
        # the later probes, each written by another hand (the first was read most often); one
        # not measured shows as n/a
        *(
            row
            for key, title in (("second", "Second"), ("third", "Third"), ("fourth", "Fourth"))
            for row in probe_rows(
                f"{title} probe", ((probe or {}).get(key) or {}).get("confusion") or {}
            )
        ),
        (
            "Comment spam fixture ROC-AUC",
            ">= 0.95",
            ((cspam or {}).get("all") or {}).get("roc_auc"),
            ">=",
            0.95,
        ),
        ("Obfuscated / clean score", ">= 0.95", (rob or {}).get("overall_ratio"), ">=", 0.95),
        (
            "Speed ratio, batch 256",
            ">= 2x",
            ((speed or {}).get("batch_256") or {}).get("ratio"),
            ">=",
            2.0,
        ),
        (
            "Speed ratio, single",
            ">= 1.5x",
            ((speed or {}).get("single") or {}).get("ratio"),
            ">=",
            1.5,
        ),
        ("Worker RSS (MB)", "< 300", (speed or {}).get("rss_mb"), "<=", 300),
        ("Artifact size (MB)", "< 25", sidecar.get("model_bytes", 0) / 1e6, "<=", 25),
    ]
    out = []
    for name, want, v, op, target in rows:
        ok = None if v is None else (v >= target if op == ">=" else v <= target)
        shown = _pct(v) if "%" in want or want == "0" else _f(v)
        out.append({"name": name, "want": want, "value": shown, "status": _met(ok)})
    return out


def write_card(artifact_dir: str | os.PathLike[str] | None = None) -> Path:
    """Regenerate models/MODEL_CARD.md; return its path."""
    from . import artifact
    from .classifier import default_artifact_path

    sidecar = artifact.read_sidecar(artifact_dir or default_artifact_path())
    CARD.write_text(render(sidecar), encoding="utf-8")
    return CARD
