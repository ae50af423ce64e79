"""Route the hand-written probe comments through the policy with the shipped model.

    python -m bench.probe [--model DIR]

tests/fixtures/probe_comments.csv holds comments written by hand for this purpose (never drawn
from a dataset, never trained or tuned on): benign ones (thanks, blessings, condolences,
questions, harsh criticism, news about violence, religion, migrants; MSA, Libyan and other
dialects, Arabizi, English, French, emoji), abuse and spam.  Each is scored by the model and
decided by the worker's policy function (model scores and their evidence only).
tests/fixtures/probe_second_comments.csv is a second probe of the same kinds, written by another
author who read neither the first probe nor the model, after 2026.12.01-3 shipped; its first
reading (before any change made after reading it) is kept in the model card.
tests/fixtures/probe_third_comments.csv is a third, written by a third author under the same terms
after 2026.12.01-5 shipped, with its first reading kept in the card likewise, and
tests/fixtures/probe_fourth_comments.csv a fourth, by a fourth author, read first with
2026.12.01-5 and policy-7.
Writes bench/results/classifier_probe.json (the confusion tables the model card prints).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mizan.models.classifier import load, load_default  # noqa: E402
from mizan.service.policy import confusion, route_texts  # noqa: E402

PROBE = REPO / "tests" / "fixtures" / "probe_comments.csv"
SECOND_PROBE = REPO / "tests" / "fixtures" / "probe_second_comments.csv"
THIRD_PROBE = REPO / "tests" / "fixtures" / "probe_third_comments.csv"
FOURTH_PROBE = REPO / "tests" / "fixtures" / "probe_fourth_comments.csv"
RESULTS = REPO / "bench" / "results"


def read_probe(path: Path = PROBE) -> list[dict[str, str]]:
    """Return the probe rows (text, expected, category, lang)."""
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run(model, path: Path = PROBE) -> dict:
    rows = read_probe(path)
    outcomes = route_texts(model, [r["text"] for r in rows])
    misrouted = [
        {"expected": r["expected"], "outcome": o, "category": r["category"], "text": r["text"]}
        for r, o in zip(rows, outcomes, strict=True)
        if (r["expected"] == "benign") != (o == "approved")
        or (r["expected"] == "spam" and o == "approved")
    ]
    return {
        "model_version": model.version,
        "n": len(rows),
        "confusion": confusion([r["expected"] for r in rows], outcomes),
        "by_category": {
            cat: confusion(
                [r["expected"] for r in rows if r["category"] == cat],
                [o for r, o in zip(rows, outcomes, strict=True) if r["category"] == cat],
            )
            for cat in sorted({r["category"] for r in rows})
        },
        "misrouted": misrouted,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    model = load(args.model) if args.model else load_default()
    out = run(model)
    out["second"] = run(model, SECOND_PROBE)
    out["third"] = run(model, THIRD_PROBE)
    out["fourth"] = run(model, FOURTH_PROBE)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "classifier_probe.json").write_text(
        json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    for name, res in (
        ("probe", out),
        ("second probe", out["second"]),
        ("third probe", out["third"]),
        ("fourth probe", out["fourth"]),
    ):
        for cls, row in res["confusion"].items():
            print(name, cls, json.dumps(row))
        print(f"{name}: {len(res['misrouted'])} misrouted; see bench/results/classifier_probe.json")


if __name__ == "__main__":
    main()
