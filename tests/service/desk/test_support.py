"""Helpers shared by the desk's tests, and unit tests of the desk's pure functions."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mizan.service.db import DecisionRecord, utcnow
from mizan.service.desk.pages import inert, safe_url
from tests import factories
from tests.conftest import make_settings

PASSWORD = "correct horse battery staple"
DESK_TABLES = (
    "moderators",
    "api_tokens",
    "audit_log",
    "reader_reports",
    "training_examples",
    "model_versions",
    "rate_events",
    "author_bans",
    "word_terms",
    "post_settings",
)


def reset_pg(url: str) -> None:
    """The session-wide PostgreSQL database is shared: empty the desk's tables too."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE comments, " + ", ".join(DESK_TABLES) + " CASCADE"))
    engine.dispose()


def build_app(tmp_path: Path, url: str, sender, **overrides):
    from mizan.service import create_app

    if url.startswith("postgresql"):
        reset_pg(url)
    app = create_app(make_settings(tmp_path, url, **overrides), sender=sender)
    app.config["TESTING"] = True
    return app


def add_account(
    app, email: str = "mod@newsroom.example", role: str = "moderator", lang: str = "en"
) -> str:
    app.extensions["mizan_desk"].add_user(email, role, PASSWORD, lang)
    return email


def token_for(app, email: str) -> str:
    token, _prefix = app.extensions["mizan_desk"].create_token(email, "tests")
    return token


def make_comment(
    app,
    status: str = "held",
    *,
    body: str | None = None,
    post_id: str = "article-42",
    email: str | None = None,
    ip: str | None = "203.0.113.7",
    author_name: str = "سالم",
    author_url: str | None = None,
    scores: dict | None = None,
    reasons: list | None = None,
    model_version: str | None = "test-model-1",
    decided_by: str = "model",
    at: datetime | None = None,
    article_url: str | None = None,
    article_title: str | None = None,
) -> str:
    """Store a comment as intake would, then its automatic decision (unless pending)."""
    svc = app.extensions["mizan"]
    keys = svc.keys
    cid = secrets.token_urlsafe(12)
    now = utcnow()
    email = email or f"reader.{secrets.token_hex(4)}@example.org"
    body = body if body is not None else f"تعليق رقم {secrets.token_hex(3)} عن الكهرباء"
    svc.repo.insert_comment(
        {
            "id": cid,
            "post_id": post_id,
            "permalink": None,
            "article_url": article_url,
            "article_title": article_title,
            "parent_id": None,
            "root_id": None,
            "section": None,
            "author_name": author_name,
            "author_url": author_url,
            "author_email_enc": keys.encrypt(email),
            "author_email_hash": keys.lookup_hash("email", email),
            "ip_enc": keys.encrypt(ip),
            "ip_hash": keys.lookup_hash("ip", ip),
            "user_agent": "pytest",
            "referrer": None,
            "accept_language": "ar",
            "body": body,
            "status": "pending",
            "created_at": now,
            "updated_at": now,
            "decided_at": None,
            "enqueued_at": now,
            "metadata_erased_at": None,
        }
    )
    if status != "pending":
        factories.record_automatic(
            svc.repo,
            [
                DecisionRecord(
                    comment_id=cid,
                    outcome=status,
                    decided_by=decided_by,
                    scores=scores if scores is not None else {"spam": 0.42, "abuse": 0.61},
                    reasons=reasons
                    if reasons is not None
                    else [{"code": "abuse_score", "score": 0.61, "threshold": 0.5}],
                    model_version=model_version,
                    policy_version="policy-test",
                )
            ],
        )
    if at is not None:
        factories.backdate(svc.repo, cid, at)
    return cid


_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def page_csrf(html: str) -> str:
    m = _META_CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client, email: str, password: str = PASSWORD) -> str:
    """Log in through the desk's form; returns the session's CSRF token."""
    token = page_csrf(client.get("/moderation/login").get_data(as_text=True))
    resp = client.post(
        "/moderation/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    return page_csrf(client.get("/moderation/").get_data(as_text=True))


# --- unit tests of pure helpers ----------------------------------------------------------------
@pytest.mark.parametrize(
    "url, safe",
    [
        ("https://example.org/a?b=1", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("https://exa mple.org", False),
        ('https://example.org/"onmouseover="x', False),
        ("https://example.org/\u202egnp.exe", False),
        ("//example.org", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_url_only_accepts_plain_http_links(url, safe):
    assert (safe_url(url) is not None) is safe


def test_inert_shows_direction_controls_as_visible_codes():
    assert inert("abc\u202edcba\u2066x\u2069") == "abc⟦U+202E⟧dcba⟦U+2066⟧x⟦U+2069⟧"
    assert inert(None) == ""
    assert inert("<script>") == "<script>"  # escaping is Jinja's job, tested on rendered pages


def test_mask_email_and_spans():
    from mizan.service.desk.usecase import mask_email, reason_spans, segments

    assert mask_email("salem@example.org") == "s•••@e•••.org"
    assert "salem" not in mask_email("salem@example.org")
    spans = reason_spans(
        [
            {"code": "word", "span": [2, 5]},
            {"code": "x", "spans": [[4, 8], [40, 90]]},
            {"code": "bad", "span": ["a", 3]},
            "junk",
        ],
        10,
    )
    assert spans == [{"start": 2, "end": 8, "code": "word"}]
    assert segments("0123456789", spans) == [("01", None), ("234567", "word"), ("89", None)]


def test_near_duplicates_are_grouped_by_folded_text():
    from mizan.service.desk.usecase import near_duplicate_groups

    groups = near_duplicate_groups(
        [
            ("a", "اشترك الآن في قناتنا واربح جوائز قيمة"),
            ("b", "اشترك الان في قناتنا واربح جوائز قيمه!!"),
            ("c", "مقال ممتاز عن أزمة الكهرباء"),
        ]
    )
    assert groups == [["a", "b"]]
