"""Privacy as a property: no email or IP, nor any hash of them, in public responses or logs."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from sqlalchemy import create_engine, text

from mizan.service.crypto import Keys
from tests.conftest import REDIS_URL
from tests.processes import mizan_env, request, start_api, start_worker, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def fingerprints(value: str, keys: Keys, kind: str) -> set[str]:
    """The value and every derivative a leak could take: plain hashes, keyed hash, gravatar."""
    out = {value, value.lower()}
    for v in (value, value.strip().lower()):
        b = v.encode()
        for algo in ("md5", "sha1", "sha256", "sha512"):
            out.add(hashlib.new(algo, b).hexdigest())
    out.add(keys.lookup_hash(kind, value))
    return out


def test_no_email_ip_or_hash_in_public_responses_or_logs(tmp_path, pg_database, redis_client):
    env = mizan_env(
        pg_database,
        REDIS_URL,
        tmp_path,
        MIZAN_TRUSTED_PROXIES="127.0.0.1/32",
        MIZAN_LOG_LEVEL="DEBUG",
    )
    keys = Keys(env["MIZAN_SECRET_KEY"])
    worker = start_worker(env, tmp_path / "worker.log")
    api, base = start_api(env, tmp_path / "api.log")
    try:
        secrets_seen: set[str] = set()
        posted = []
        responses: list[str] = []
        for i in range(3):
            email = f"private.{secrets.token_hex(5)}@example.org"
            ip = f"198.51.100.{10 + i}"
            secrets_seen |= fingerprints(email, keys, "email") | fingerprints(ip, keys, "ip")
            status, headers, body = request(
                "POST",
                base + "/api/v1/comments",
                {
                    "post_id": "privacy",
                    "author_name": f"Reader {i}",
                    "author_email": email,
                    "author_url": "https://blog.example/me",
                    "body": f"Interesting article, part {i}.",
                },
                headers={"X-Forwarded-For": ip, "User-Agent": "PrivacyTest/1.0"},
            )
            assert status == 202, body
            responses.append(str(body) + str(dict(headers)))
            posted.append(body)
            # A rejected post carrying the same private data must not echo it either.
            status, headers, err = request(
                "POST",
                base + "/api/v1/comments",
                {
                    "post_id": "privacy",
                    "author_name": "x",
                    "author_email": email + "@bad",
                    "body": "",
                    "author_url": "javascript:x",
                },
                headers={"X-Forwarded-For": ip},
            )
            assert status == 422
            responses.append(str(err) + str(dict(headers)))

        for body in posted:
            wait_for(
                lambda b=body: request("GET", base + b["status_url"])[2]["status"] != "pending",
                30,
                "a decision",
            )
        engine = create_engine(pg_database)
        with engine.begin() as conn:  # a moderator approves whatever the machine held
            conn.execute(text("UPDATE comments SET status = 'approved' WHERE post_id = 'privacy'"))
        engine.dispose()

        for url in (
            ["/api/v1/posts/privacy/comments"]
            + [b["status_url"] for b in posted]
            + [f"/api/v1/comments/{b['id']}" for b in posted]
        ):
            status, headers, body = request("GET", base + url)
            assert status == 200
            responses.append(str(body) + str(dict(headers)))
        _s, _h, page = request("GET", base + "/api/v1/posts/privacy/comments")
        assert len(page["comments"]) == 3
        logs = api.output() + worker.output()
        haystack = "\n".join(responses) + "\n" + logs
        leaked = sorted(s for s in secrets_seen if s in haystack)
        assert leaked == []
    finally:
        api.stop()
        worker.stop()
