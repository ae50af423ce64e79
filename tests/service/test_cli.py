"""The `mizan` command fails with one line that says the fix, never a traceback (finding 8)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mizan.service.cli import main
from tests.conftest import SECRET


@pytest.mark.parametrize(
    "args",
    [
        ["users", "list"],
        ["users", "disable", "a@b.example"],
        ["tokens", "list"],
        ["tokens", "revoke", "mzn_abc"],
        ["models", "list"],
        ["feedback", "export", "--out", "feedback.csv"],
        ["sweep"],
        ["sites", "list"],
        ["webhooks", "list"],
    ],
)
def test_commands_without_a_schema_say_run_db_upgrade(tmp_path, args):
    env = {
        "MIZAN_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "MIZAN_DATA_DIR": str(tmp_path),
        "MIZAN_SECRET_KEY": SECRET,
    }
    res = CliRunner().invoke(main, args, env=env)
    assert res.exit_code == 1, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.output.strip().splitlines() == [
        "Error: the database has no schema yet; run `mizan db upgrade`"
    ]


def test_readme_names_the_cipher_the_code_uses():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "Fernet" not in readme and "AES-256-GCM" in readme
