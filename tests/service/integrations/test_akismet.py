"""The Akismet-compatible API through Flask's test client, on SQLite and PostgreSQL, with the
shipped classifier loaded in the process (as each API process does)."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from mizan.service.config import IntegrationSettings
from mizan.service.policy import PolicyRepository
from mizan.service.tables import Comment, Decision, SiteCheck, TrainingExample
from tests import factories

POLITE = "تغطية ممتازة، بارك الله فيكم"
ABUSIVE = "هذا الخاين يستاهل رصاصة في راسه"
SPAM = "Great post! I made $3000 a week with crypto signals, visit https://crypto-gains.example now"
BLOG = "https://news.example"
EMAIL = "hidden.reader@example.ly"
IP = "198.51.100.23"
THANKS = "Thanks for making the web a better place."


@pytest.fixture
def site_app(make_app):
    """An app with one site; its key; the classifier loaded before the first check."""
    app = make_app(integrations=IntegrationSettings(akismet_timeout=20.0))
    akismet = app.extensions["mizan.akismet"]
    key, _site = akismet.add_site("news", BLOG, "tests")
    akismet.warm()
    assert akismet.decider._ready.wait(60)
    return app, key


def form(**fields) -> dict:
    return {"data": urlencode(fields), "content_type": "application/x-www-form-urlencoded"}


def comment(key: str, text: str, **extra) -> dict:
    return form(
        api_key=key,
        blog=BLOG,
        user_ip=IP,
        user_agent="Mozilla/5.0 (test)",
        referrer="https://news.example/2026/11/power-cuts/?utm=mail&email=x",
        permalink="https://news.example/2026/11/power-cuts/?fbclid=IwAR0reader",
        comment_type="comment",
        comment_author="سالم",
        comment_author_email=EMAIL,
        comment_content=text,
        blog_lang="ar",
        **extra,
    )


def test_verify_key_answers_valid_or_invalid(site_app):
    app, key = site_app
    c = app.test_client()
    r = c.post("/1.1/verify-key", **form(key=key, blog=BLOG))
    assert (r.status_code, r.get_data(as_text=True)) == (200, "valid")
    assert r.mimetype == "text/plain"
    r = c.post("/1.1/verify-key", **form(key="mz" + "0" * 32, blog=BLOG))
    assert r.get_data(as_text=True) == "invalid"
    assert r.headers["X-akismet-debug-help"]
    r = c.post("/1.1/verify-key", **form(key=key, blog="https://other.example"))
    assert r.get_data(as_text=True) == "invalid"
    r = c.post("/1.1/verify-key", **form(key=key))
    assert r.get_data(as_text=True) not in ("valid", "invalid")
    assert r.headers["X-akismet-debug-help"]


def test_comment_check_decides_records_and_answers_as_akismet(site_app):
    app, key = site_app
    c = app.test_client()
    polite = c.post("/1.1/comment-check", **comment(key, POLITE))
    assert polite.get_data(as_text=True) == "false"
    assert polite.headers["X-akismet-guid"]
    assert "X-akismet-pro-tip" not in polite.headers
    abusive = c.post("/1.1/comment-check", **comment(key, ABUSIVE))
    assert abusive.get_data(as_text=True) == "true"
    spam = c.post("/1.1/comment-check", **comment(key, SPAM))
    assert spam.get_data(as_text=True) == "true"
    for r in (polite, abusive, spam):
        text = r.get_data(as_text=True) + str(dict(r.headers))
        assert EMAIL not in text and IP not in text

    engine = app.extensions["mizan"].repo.engine
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Comment.body, Comment.status, Comment.post_id, Comment.referrer, Comment.article_url
            )
            .join(SiteCheck, SiteCheck.comment_id == Comment.id)
            .order_by(Comment.created_at)
        ).all()
        decided = conn.execute(select(Decision.kind, Decision.decided_by)).all()
    assert [(r.body, r.status) for r in rows][0] == (POLITE, "approved")
    assert rows[1].status in ("held", "rejected")
    assert rows[2].status == "spam"
    assert {r.post_id for r in rows} == {"news:/2026/11/power-cuts/"}
    # The query string could identify a reader: only origin and path are kept.
    assert rows[0].referrer == "https://news.example/2026/11/power-cuts/"
    assert all(kind == "automatic" for kind, _by in decided) and len(decided) == 3
    # The desk links the article by Akismet's permalink, without the reader's click id.
    assert {r.article_url for r in rows} == {"https://news.example/2026/11/power-cuts/"}
    assert app.extensions["mizan.akismet"].sites()[0]["checks"] == 3
    assert app.extensions["mizan.akismet"].sites()[0]["spam"] == 2


def test_spam_a_rule_is_sure_of_may_be_discarded(site_app):
    app, key = site_app
    factories.add_blocked_domain(
        PolicyRepository(app.extensions["mizan"].repo.engine), "pills.example"
    )
    r = app.test_client().post(
        "/1.1/comment-check",
        **comment(key, "اشتري الآن من هنا", comment_author_url="https://pills.example/buy"),
    )
    assert r.get_data(as_text=True) == "true"
    assert r.headers["X-akismet-pro-tip"] == "discard"


def test_the_key_may_come_as_the_first_label_of_the_host(site_app):
    app, key = site_app
    data = comment(key, POLITE)
    data["data"] = data["data"].replace(f"api_key={key}&", "")
    r = app.test_client().post(
        "/1.1/comment-check", base_url=f"http://{key}.mizan.news.example", **data
    )
    assert r.get_data(as_text=True) == "false"


def test_errors_are_documented_answers_never_a_decision(site_app):
    app, key = site_app
    c = app.test_client()
    r = c.post("/1.1/comment-check", **form(api_key=key, blog=BLOG, comment_content=POLITE))
    assert r.status_code == 200
    assert r.get_data(as_text=True) == "Missing required field: user_ip."
    assert r.headers["X-akismet-debug-help"] == "Missing required field: user_ip."
    r = c.post("/1.1/comment-check", **comment("mz" + "1" * 32, POLITE))
    assert r.get_data(as_text=True) == "invalid"
    r = c.post(
        "/1.1/comment-check",
        data=b"api_key=%ff%fe",
        content_type="application/x-www-form-urlencoded",
    )
    assert r.status_code == 200 and r.get_data(as_text=True) not in ("true", "false")
    assert r.headers["X-akismet-debug-help"]
    r = c.post("/1.1/comment-check", **comment(key, "a\x00b"))
    assert r.get_data(as_text=True) not in ("true", "false")
    r = c.post("/1.1/comment-check", **comment(key, "x" * 10_001))
    assert r.get_data(as_text=True) not in ("true", "false")
    assert r.headers["X-akismet-debug-help"]


def test_a_revoked_key_is_invalid(site_app):
    app, key = site_app
    app.extensions["mizan.akismet"].revoke_site("news")
    r = app.test_client().post("/1.1/comment-check", **comment(key, POLITE))
    assert r.get_data(as_text=True) == "invalid"


def test_no_decision_in_time_is_the_documented_error_and_the_workers_decide(make_app, sender):
    app = make_app(integrations=IntegrationSettings(akismet_timeout=0.001))
    key, _site = app.extensions["mizan.akismet"].add_site("slow", BLOG, "tests")
    r = app.test_client().post("/1.1/comment-check", **comment(key, POLITE))
    body = r.get_data(as_text=True)
    assert body not in ("true", "false")
    assert r.headers["X-akismet-error"] == "timeout"
    assert r.headers["X-akismet-debug-help"] == body
    engine = app.extensions["mizan"].repo.engine
    with engine.connect() as conn:
        cid, status = conn.execute(select(Comment.id, Comment.status)).one()
    # Stored and queued: a worker decides it (the client holds the comment meanwhile).
    assert status in ("pending", "approved")
    assert [cid] in sender.sent


def test_submit_spam_and_ham_are_moderator_feedback_for_retraining(site_app, tmp_path):
    app, key = site_app
    c = app.test_client()
    polite = c.post("/1.1/comment-check", **comment(key, POLITE))
    assert polite.get_data(as_text=True) == "false"
    r = c.post("/1.1/submit-spam", **comment(key, POLITE))
    assert (r.status_code, r.get_data(as_text=True)) == (200, THANKS)
    spam = c.post("/1.1/comment-check", **comment(key, SPAM))
    assert spam.get_data(as_text=True) == "true"
    r = c.post("/1.1/submit-ham", **comment(key, SPAM, guid=spam.headers["X-akismet-guid"]))
    assert r.get_data(as_text=True) == THANKS
    # A comment this site never checked here is recorded with the verdict.
    r = c.post("/1.1/submit-spam", **comment(key, "Cheap watches at https://watches.example"))
    assert r.get_data(as_text=True) == THANKS

    engine = app.extensions["mizan"].repo.engine
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(Comment.body, Comment.status)).all())
        examples = conn.execute(
            select(TrainingExample.text, TrainingExample.task, TrainingExample.label)
        ).all()
    assert statuses[POLITE] == "spam"
    assert statuses[SPAM] == "approved"
    assert statuses["Cheap watches at https://watches.example"] == "spam"
    assert (POLITE, "spam", 1) in examples
    assert (SPAM, "spam", 0) in examples
    # The same export the desk's decisions feed (`mizan feedback export`).
    out = tmp_path / "feedback.csv"
    app.extensions["mizan_desk"].export_feedback(out)
    with out.open(encoding="utf-8") as fh:
        exported = {(row["text"], row["label"]) for row in csv.DictReader(fh)}
    assert {
        (POLITE, "1"),
        (SPAM, "0"),
        ("Cheap watches at https://watches.example", "1"),
    } <= exported
    audit = app.extensions["mizan_desk"].repo.audit_page(
        comment_id=None, actor_id=None, action=None, before_id=None, limit=50
    )[0]
    assert {e.actor for e in audit} == {"site:news"}


def test_only_form_posts_are_served(site_app):
    app, key = site_app
    c = app.test_client()
    assert c.get("/1.1/comment-check").status_code == 405
    r = c.post("/1.1/comment-check", json={"api_key": key})
    assert r.status_code == 200 and r.headers["X-akismet-debug-help"]
