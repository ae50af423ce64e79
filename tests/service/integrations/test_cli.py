"""`mizan sites ...` and `mizan webhooks ...`: keys and secrets printed once, stored hashed or
encrypted, errors in one line."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import create_engine, select

from mizan.service.cli import main
from mizan.service.tables import Site, WebhookEndpoint
from tests.conftest import SECRET


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env)


def test_sites_and_webhooks_from_the_command_line(tmp_path, sqlite_url):
    env = {
        "MIZAN_DATABASE_URL": sqlite_url,
        "MIZAN_DATA_DIR": str(tmp_path),
        "MIZAN_SECRET_KEY": SECRET,
    }
    res = run(env, "sites", "add", "news", "--origin", "https://news.example/")
    assert res.exit_code == 0, res.output
    key = res.stdout.strip()
    assert key.startswith("mz") and len(key) == 34
    res = run(env, "sites", "add", "news", "--origin", "https://news.example/")
    assert res.exit_code == 1 and "exists" in res.output
    res = run(env, "sites", "add", "other", "--origin", "ftp://x")
    assert res.exit_code == 1 and "origin" in res.output
    listed = run(env, "sites", "list").output
    assert "news\thttps://news.example\tmz" in listed and key not in listed

    res = run(env, "webhooks", "add", "https://news.example/hook", "--events", "comment.held")
    assert res.exit_code == 0, res.output
    secret = res.stdout.strip()
    assert secret.startswith("whsec_")
    assert run(env, "webhooks", "add", "ftp://x").exit_code == 1
    assert run(env, "webhooks", "add", "https://x.example", "--events", "nope").exit_code == 1
    listed = run(env, "webhooks", "list").output
    assert "#1\tenabled\tfailures 0\tcomment.held\thttps://news.example/hook" in listed
    assert secret not in listed
    assert run(env, "webhooks", "disable", "1").output.strip() == "disabled"
    assert "#1\tdisabled" in run(env, "webhooks", "list").output
    assert run(env, "webhooks", "enable", "1").output.strip() == "enabled"
    assert run(env, "webhooks", "show", "1").exit_code == 0
    assert run(env, "webhooks", "enable", "9").exit_code == 1

    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        stored = conn.execute(select(Site.key_hash)).scalar_one()
        secret_enc = conn.execute(select(WebhookEndpoint.secret_enc)).scalar_one()
    engine.dispose()
    assert key not in stored and secret not in secret_enc  # hashed / encrypted at rest

    assert run(env, "sites", "revoke", "news").output.strip() == "revoked"
    assert "revoked" in run(env, "sites", "list").output
    assert run(env, "sites", "revoke", "news").exit_code == 1
    assert run(env, "webhooks", "remove", "1").output.strip() == "removed"
