"""How much do obfuscations lower the shipped model's scores on positive examples?

    python -m bench.robustness [--data DIR] [--per-file 60]

Positives: abusive rows of every abuse file and spam rows of every spam file (at most
``--per-file`` from each file's benchmark sample), or tests/fixtures/moderation_examples.csv
when the datasets are absent.  Each is rewritten with one obfuscation at a time (seeded);
the ratio is mean(variant score) / mean(clean score) for the head of its task.
Writes bench/results/classifier_robustness.json, then the card.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mizan.models.data import default_data_dir, file_task, read_csv, sample_index  # noqa: E402

RESULTS = REPO / "bench" / "results"
FIXTURE = REPO / "tests" / "fixtures" / "moderation_examples.csv"

HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
LATIN_HOMO = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
LEET = {"a": "@", "i": "1", "o": "0", "s": "$", "e": "3"}
ARABIC_HOMO = {"ي": "ی", "ك": "ک", "ه": "ہ", "ى": "ې"}


def _is_ar(ch: str) -> bool:
    return "\u0621" <= ch <= "\u064a"


def diacritics(t: str, r: random.Random) -> str:
    return "".join(ch + (r.choice(HARAKAT) if _is_ar(ch) and r.random() < 0.6 else "") for ch in t)


def tatweel(t: str, r: random.Random) -> str:
    out = []
    for i, ch in enumerate(t):
        out.append(ch)
        nxt = t[i + 1] if i + 1 < len(t) else ""
        if _is_ar(ch) and _is_ar(nxt) and ch not in "اأإآدذرزوؤة" and r.random() < 0.5:
            out.append("ـ" * r.randint(1, 4))
    return "".join(out)


def spaced(t: str, r: random.Random) -> str:
    words = t.split(" ")
    cand = [i for i, w in enumerate(words) if 3 <= len(w) <= 7 and w.isalpha()]
    for i in r.sample(cand, min(2, len(cand))):
        words[i] = " ".join(words[i])
    return " ".join(words)


def zero_width(t: str, r: random.Random) -> str:
    return "".join(
        ch + (r.choice(ZERO_WIDTH) if ch.isalpha() and r.random() < 0.4 else "") for ch in t
    )


def homoglyphs(t: str, r: random.Random) -> str:
    out = []
    for ch in t:
        low = ch.lower()
        if low in LATIN_HOMO and r.random() < 0.5:
            out.append(LEET[low] if low in LEET and r.random() < 0.3 else LATIN_HOMO[low])
        elif ch in ARABIC_HOMO and r.random() < 0.7:
            out.append(ARABIC_HOMO[ch])
        else:
            out.append(ch)
    return "".join(out)


def elongation(t: str, r: random.Random) -> str:
    return "".join(ch * (r.randint(3, 6) if ch.isalpha() and r.random() < 0.25 else 1) for ch in t)


VARIANTS: dict[str, Callable[[str, random.Random], str]] = {
    "diacritics": diacritics,
    "tatweel": tatweel,
    "spaced_letters": spaced,
    "zero_width": zero_width,
    "homoglyphs_leet": homoglyphs,
    "elongation": elongation,
}


def positives(data_dir: Path, per_file: int) -> tuple[list[tuple[str, str]], str]:
    if data_dir.is_dir():
        out = []
        for p in sorted(data_dir.glob("*.csv")):
            task = file_task(p)
            rows = read_csv(p)
            pos = [rows.text[i] for i in sample_index(len(rows)) if rows.label[i] == 1]
            out += [(task, t) for t in pos[:per_file]]
        return out, f"{per_file} positives per dataset file (benchmark sample order)"
    with open(FIXTURE, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] == "1"]
    return [(r["task"], r["text"]) for r in rows], "positives of tests/fixtures"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--per-file", type=int, default=60)
    args = ap.parse_args(argv)
    from mizan.models.classifier import load_default

    clf = load_default()
    items, source = positives(args.data or default_data_dir(), args.per_file)
    col = {h: clf.head_names.index(h) for h in ("spam", "abuse")}
    texts = [t for _, t in items]
    heads = np.array([col[k] for k, _ in items])
    clean = clf.predict_matrix(texts)[np.arange(len(texts)), heads]
    res = {}
    for name, fn in VARIANTS.items():
        rng = random.Random(f"{name}-0")
        var = [fn(t, rng) for t in texts]
        changed = np.array([v != t for v, t in zip(var, texts, strict=True)])
        score = clf.predict_matrix(var)[np.arange(len(texts)), heads]
        m = changed
        res[name] = {
            "n": int(m.sum()),
            "ratio": round(float(score[m].mean() / max(clean[m].mean(), 1e-9)), 4),
            "mean_clean": round(float(clean[m].mean()), 4),
            "mean_variant": round(float(score[m].mean()), 4),
            "example": var[int(np.flatnonzero(m)[0])][:120] if m.any() else "",
        }
        print(name, json.dumps(res[name], ensure_ascii=False), flush=True)
    overall = round(float(np.mean([v["ratio"] for v in res.values()])), 4)
    out = {
        "model_version": clf.version,
        "positives": len(texts),
        "protocol": (
            f"Positives: {source} ({len(texts)} texts; abuse rows scored by the abuse head, "
            "spam rows by the spam head). Each variant rewrites every text with one "
            "obfuscation (seeded): harakat on 60% of Arabic letters; 1-4 tatweel inside 50% "
            "of joinable letter pairs; two 3-7-letter words spelled with spaces; zero-width "
            "characters after 40% of letters; Cyrillic look-alikes / leet for Latin and "
            "Persian/Urdu forms for Arabic letters; 25% of letters repeated 3-6 times. Only "
            "texts the variant changed count. Ratio = mean variant score / mean clean score; "
            "the overall ratio is the mean over variants."
        ),
        "variants": res,
        "overall_ratio": overall,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "classifier_robustness.json").write_text(
        json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print("overall ratio", overall)
    try:
        from mizan.models.card import write_card

        print("wrote", write_card())
    except Exception as exc:  # noqa: BLE001
        print(f"card not regenerated: {exc}")


if __name__ == "__main__":
    main()
