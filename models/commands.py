"""Click commands ``train`` and ``evaluate`` (attached to the ``mizan`` CLI by the service)."""

from __future__ import annotations

import json
from pathlib import Path

import click

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@click.command("train")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dataset directory (required unless $MIZAN_DATASETS names one).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ARTIFACTS,
    show_default="models/artifacts",
    help="Where to write the artifact directory mizan-classifier/ (model.skops + model.json).",
)
@click.option(
    "--feedback",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Extra labelled rows (same schema, optional weight column).",
)
@click.option("--version", "version", default=None, help="Model version (default YYYY.MM.DD-1).")
@click.option(
    "--card/--no-card",
    default=True,
    show_default=True,
    help="Regenerate models/MODEL_CARD.md after training.",
)
@click.option(
    "--card-only",
    is_flag=True,
    help="Only regenerate the card from the shipped sidecar and bench/results/*.json.",
)
def train(
    data_dir: Path | None,
    out_dir: Path,
    feedback: Path | None,
    version: str | None,
    card: bool,
    card_only: bool,
) -> None:
    """Train the spam/abuse classifier and write the artifact, sidecar and model card."""
    from . import card as card_mod

    if card_only:
        path = card_mod.write_card()
        click.echo(f"wrote {path}")
        return
    from .data import datasets_from_env  # numpy: not for every `mizan` command

    data_dir = data_dir or datasets_from_env()
    if data_dir is None:
        # An installed package has no datasets beside it: never guess a path.
        raise click.UsageError("give the dataset directory with --data or MIZAN_DATASETS")
    if not Path(data_dir).is_dir():
        raise click.ClickException(f"dataset directory not found: {data_dir}")
    from .train import train_and_save

    target, sidecar = train_and_save(data_dir, out_dir, feedback, version=version)
    cv = sidecar["metrics"]["cross_validated"]
    click.echo(
        f"wrote {target} (version {sidecar['version']}, "
        f"{sidecar['model_bytes'] / 1e6:.2f} MB, {sidecar['train_seconds']} s)"
    )
    for head, m in cv.items():
        click.echo(
            f"  {head:8s} cv ROC-AUC {m['roc_auc_weighted']:.4f}  ECE {m['calibration']['ece']:.4f}"
        )
    click.echo(f"  thresholds {json.dumps(sidecar['thresholds'])}")
    if card:
        click.echo(f"wrote {card_mod.write_card(target)}")


@click.command("evaluate")
@click.option(
    "--data",
    "data_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV with at least text and label columns.",
)
@click.option("--task", type=click.Choice(["abuse", "spam"]), required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Artifact directory or .skops file (default: shipped model).",
)
def evaluate(data_file: Path, task: str, as_json: bool, model_path: Path | None) -> None:
    """Score a labelled CSV: n, ROC-AUC, PR-AUC, precision/recall/F1 and routing.

    The flag threshold is where the score alone stops auto-approving: approve_abuse for
    --task abuse, approve_spam for --task spam. ``routing`` gives, for label 0 and label 1
    rows, the share approved / held / spam / rejected by the worker's policy at the model's
    thresholds (model scores and their evidence only, no author or flood rules). Rows whose
    task column names the other task are skipped.
    """
    from .classifier import ModelUnavailable, load, load_default
    from .data import read_csv
    from .evaluate import evaluate_rows

    try:
        clf = load(model_path) if model_path else load_default()
    except ModelUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    rows = read_csv(data_file, task=task)
    route = click.get_current_context().meta.get("mizan.route")
    result = evaluate_rows(clf, rows.text, rows.label, task, route=route)
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(
        f"{data_file.name} ({task}, model {clf.version}, "
        f"flag threshold {clf.thresholds['approve_' + task]:.4f})"
    )
    if not result["n"]:
        click.echo(f"  no {task} rows in this file (rows of the other task are skipped)")
    for k, v in result.items():
        click.echo(f"  {k:9s} {v}")
