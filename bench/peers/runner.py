"""Scores texts with one peer package. Runs INSIDE that peer's own virtual environment.

Stdlib + the peer package only (never imports Mizan code). Usage:

    <peer-venv>/bin/python runner.py PEER IN.json OUT.json

IN.json is {"batches": {name: [text, ...]}}. OUT.json gets, per batch, the peer's
scores (higher = more abusive), its own binary decision and the scoring time, plus
versions, the model load time, warnings raised while loading/scoring, and the network
connections the peer tried to open (sockets are refused while the peer runs, so a peer
that fetches weights at run time shows up here and fails).
"""

from __future__ import annotations

import json
import socket
import sys
import time
import warnings
from importlib import metadata

NETWORK_ATTEMPTS: list[str] = []


def _block_network() -> None:
    def refuse(self, address, *args, **kwargs):
        NETWORK_ATTEMPTS.append(repr(address))
        raise OSError("mizan-bench: network disabled while a peer runs")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]


class ArabicToxic:
    api = (
        "arabic_toxic.predict_proba(list_of_texts) -> [{label: percent}]; "
        "score = max over the 6 toxic labels / 100; flag = arabic_toxic.is_toxic(text) "
        "(package's tuned per-label thresholds)"
    )

    def load(self) -> None:
        import arabic_toxic

        self.m = arabic_toxic
        arabic_toxic.predict_proba("تحميل")  # first call loads the bundled joblib model
        self.labels = list(arabic_toxic.classifier.labels())
        self.module_version = getattr(arabic_toxic, "__version__", None)

    def score(self, texts: list[str]) -> tuple[list[float], dict[str, list[float]]]:
        probs = self.m.predict_proba(list(texts))
        toxic = [lab for lab in self.labels if lab != "NOT"]
        scores = [max(p[lab] for lab in toxic) / 100.0 for p in probs]
        alt = {"one_minus_not": [1.0 - p["NOT"] / 100.0 for p in probs]}
        return scores, alt

    def flag(self, texts: list[str]) -> list[int]:
        return [int(self.m.is_toxic(t)) for t in texts]


class ProfanityCheck:
    api = (
        "profanity_check.predict_prob(list_of_texts) -> P(profane); "
        "flag = profanity_check.predict(list_of_texts)"
    )

    def load(self) -> None:
        import profanity_check  # loads vectorizer + model at import time

        self.m = profanity_check
        profanity_check.predict_prob(["warm up"])
        self.labels = ["profane"]
        self.module_version = getattr(profanity_check, "__version__", None)

    def score(self, texts: list[str]) -> tuple[list[float], dict[str, list[float]]]:
        return [float(x) for x in self.m.predict_prob(list(texts))], {}

    def flag(self, texts: list[str]) -> list[int]:
        return [int(x) for x in self.m.predict(list(texts))]


PEERS = {"arabic-toxic": ArabicToxic, "alt-profanity-check": ProfanityCheck}


def main() -> int:
    peer, in_path, out_path = sys.argv[1:4]
    with open(in_path, encoding="utf-8") as fh:
        batches = json.load(fh)["batches"]
    _block_network()
    model = PEERS[peer]()
    out: dict = {"batches": {}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        model.load()
        out["load_seconds"] = time.perf_counter() - t0
        for name, texts in batches.items():
            t0 = time.perf_counter()
            scores, alt = model.score(texts)
            elapsed = time.perf_counter() - t0
            out["batches"][name] = {
                "scores": scores,
                "alt_scores": alt,
                "flagged": model.flag(texts),
                "score_seconds": elapsed,
            }
    out.update(
        peer=peer,
        api=model.api,
        labels=model.labels,
        module_version=model.module_version,
        dist_version=metadata.version(peer),
        sklearn_version=metadata.version("scikit-learn"),
        python=sys.version.split()[0],
        network_attempts=NETWORK_ATTEMPTS,
        warnings=sorted(
            {f"{w.category.__name__}: {str(w.message).splitlines()[0][:200]}" for w in caught}
        ),
    )
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
