"""`mizan evaluate --json` reports routing decided by the worker's own policy function."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mizan.models.classifier import load_default
from mizan.service.cli import main
from mizan.service.policy import route_texts

ROWS = [
    ("شكرا على التغطية الممتازة", 0),
    ("الحكومة تأخرت في صرف المرتبات", 0),
    ("يا كلب يا حقير", 1),
    ("الله يلعنك يا خنزير", 1),
]


def test_evaluate_json_reports_routing_per_label(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text(
        "text,label,task\n" + "".join(f"{t},{y},abuse\n" for t, y in ROWS), encoding="utf-8"
    )
    res = CliRunner().invoke(main, ["evaluate", "--data", str(path), "--task", "abuse", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert {"n", "roc_auc", "pr_auc", "precision", "recall", "f1", "routing"} <= set(out)
    routing = out["routing"]
    assert set(routing) == {"0", "1"}
    for cls in ("0", "1"):
        shares = [routing[cls][k] for k in ("approved", "held", "spam", "rejected")]
        assert routing[cls]["n"] == 2 and abs(sum(shares) - 1) < 1e-9
    # the same outcomes the policy gives those rows directly
    outcomes = route_texts(load_default(), [t for t, _ in ROWS])
    want_0 = sum(o == "approved" for o, (_, y) in zip(outcomes, ROWS, strict=True) if y == 0) / 2
    assert routing["0"]["approved"] == want_0
    assert routing["1"]["approved"] == 0.0  # insults are never published
