"""The click commands, run with CliRunner on generated CSVs (no shared data needed)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mizan.models import artifact
from mizan.models.classifier import load
from mizan.models.commands import evaluate, train

from .conftest import tiny_rows, write_csv


def test_evaluate_json_has_exactly_the_keys(tiny_artifact, tmp_path):
    data = write_csv(tmp_path / "x.csv", tiny_rows(60, seed=1))
    res = CliRunner().invoke(
        evaluate, ["--data", str(data), "--task", "abuse", "--json", "--model", str(tiny_artifact)]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == {"n", "roc_auc", "pr_auc", "precision", "recall", "f1"}
    assert out["n"] == sum(1 for r in tiny_rows(60, seed=1) if r["task"] == "abuse")
    assert 0.0 <= out["roc_auc"] <= 1.0


def test_evaluate_text_and_label_only(tiny_artifact, tmp_path):
    path = tmp_path / "min.csv"
    path.write_text("text,label\nيا كلب حقير,1\nشكرا على الخبر,0\n", encoding="utf-8")
    res = CliRunner().invoke(
        evaluate, ["--data", str(path), "--task", "spam", "--model", str(tiny_artifact)]
    )
    assert res.exit_code == 0, res.output
    assert "roc_auc" in res.output


def test_evaluate_reports_unusable_model(tmp_path):
    path = tmp_path / "min.csv"
    path.write_text("text,label\na,1\nb,0\n", encoding="utf-8")
    res = CliRunner().invoke(
        evaluate, ["--data", str(path), "--task", "spam", "--model", str(tmp_path)]
    )
    assert res.exit_code != 0
    assert "model" in res.output.lower()


def test_train_writes_a_loadable_artifact(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    rows = tiny_rows(150, seed=2)
    write_csv(data_dir / "gen_abuse.csv", [r for r in rows if r["task"] == "abuse"])
    write_csv(data_dir / "gen_spam.csv", [r for r in rows if r["task"] == "spam"])
    feedback = write_csv(tmp_path / "feedback.csv", tiny_rows(30, seed=3))
    out = tmp_path / "out"
    res = CliRunner().invoke(
        train,
        [
            "--data",
            str(data_dir),
            "--out",
            str(out),
            "--feedback",
            str(feedback),
            "--version",
            "t-1",
            "--no-card",
        ],
    )
    assert res.exit_code == 0, res.output
    target = out / "mizan-classifier"
    assert (target / "model.json").is_file() and (target / "model.skops").is_file()
    meta = artifact.read_sidecar(target)
    assert meta["version"] == "t-1"
    assert {d["file"] for d in meta["training_data"]} >= {"gen_abuse.csv", "gen_spam.csv"}
    assert set(meta["thresholds"]) >= {"approve_spam", "approve_abuse", "spam", "reject_abuse"}
    clf = load(target)
    s = clf.score(["يا كلب حقير", "شكرا على الخبر"])
    assert s[0].abuse > s[1].abuse


def test_evaluate_skips_rows_of_the_other_task_even_when_none_is_left(tiny_artifact, tmp_path):
    spam_only = [r for r in tiny_rows(30, seed=4) if r["task"] == "spam"]
    data = write_csv(tmp_path / "spam.csv", spam_only)
    for extra in (["--json"], []):
        res = CliRunner().invoke(
            evaluate,
            ["--data", str(data), "--task", "abuse", "--model", str(tiny_artifact), *extra],
        )
        assert res.exit_code == 0, res.output
        assert res.exception is None, res.exception
    out = json.loads(
        CliRunner()
        .invoke(
            evaluate,
            ["--data", str(data), "--task", "abuse", "--json", "--model", str(tiny_artifact)],
        )
        .output
    )
    assert out == dict.fromkeys(("roc_auc", "pr_auc", "precision", "recall", "f1"), None) | {"n": 0}


def test_train_needs_data_or_mizan_datasets(tmp_path, monkeypatch):
    monkeypatch.delenv("MIZAN_DATASETS", raising=False)
    res = CliRunner().invoke(train, ["--out", str(tmp_path / "out"), "--no-card"])
    assert res.exit_code == 2, res.output
    assert "--data" in res.output and "MIZAN_DATASETS" in res.output
    assert "shared" not in res.output and "Traceback" not in res.output
    assert not (tmp_path / "out").exists()

    monkeypatch.setenv("MIZAN_DATASETS", str(tmp_path / "nowhere"))
    res = CliRunner().invoke(train, ["--out", str(tmp_path / "out"), "--no-card"])
    assert res.exit_code != 0
    assert res.output.strip().splitlines()[-1].endswith(f"{tmp_path / 'nowhere'}")
