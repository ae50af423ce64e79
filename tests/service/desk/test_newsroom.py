"""The newsroom desk's API and use cases: blocked domains, queue order, the backlog alert, the
author view, stats series and CSV, and readers' data rights (on SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from mizan.service.policy import PolicyRepository
from tests.service.desk.test_support import add_account, build_app, make_comment, token_for


@pytest.fixture
def auth(app):
    email = add_account(app)
    return {"Authorization": f"Bearer {token_for(app, email)}"}


@pytest.fixture
def admin(app):
    email = add_account(app, "editor@newsroom.example", role="admin")
    return {"Authorization": f"Bearer {token_for(app, email)}"}


def post_json(client, url, body, headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def audit_actions(client, headers) -> list[str]:
    resp = client.get("/api/v1/moderation/audit?limit=200", headers=headers)
    return [e["action"] for e in resp.get_json()["entries"]]


# --- blocked domains --------------------------------------------------------------------------
def test_blocked_domains_are_added_counted_and_removed(app, client, auth, admin):
    url = "/api/v1/moderation/domains"
    resp = post_json(client, url, {"domain": "https://WWW.Win-Cash.xyz/offer?x=1"}, admin)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    added = resp.get_json()
    assert added["domain"] == "win-cash.xyz" and added["hits"] == 0
    assert post_json(client, url, {"domain": "win-cash.xyz"}, admin).status_code == 409
    bad = post_json(client, url, {"domain": "not a domain"}, admin)
    assert bad.status_code == 422 and "domain" in bad.get_json()["error"]["fields"]
    assert post_json(client, url, {"domain": "other.example"}, auth).status_code == 403
    # the policy reads what the desk wrote
    policy = PolicyRepository(app.extensions["mizan"].repo.engine)
    assert "win-cash.xyz" in policy.blocked_domains()
    # a hit is a comment the rule sent to spam
    for _ in range(2):
        make_comment(
            app,
            "spam",
            decided_by="rule",
            reasons=[{"code": "blocked_domain", "domain": "win-cash.xyz"}],
        )
    listed = client.get(url, headers=auth).get_json()
    assert [(d["domain"], d["hits"]) for d in listed] == [("win-cash.xyz", 2)]
    assert listed[0]["last_hit_at"]
    assert client.delete(f"{url}/{added['id']}", headers=auth).status_code == 403
    assert client.delete(f"{url}/{added['id']}", headers=admin).status_code == 204
    assert client.delete(f"{url}/{added['id']}", headers=admin).status_code == 404
    assert client.get(url, headers=auth).get_json() == []
    assert {"domain_add", "domain_remove"} <= set(audit_actions(client, admin))


# --- queue order ------------------------------------------------------------------------------
def test_most_uncertain_first_orders_by_distance_to_a_threshold(app, client, auth):
    # Default thresholds: abuse holds from 0.5 and rejects from 0.95, spam from 0.9.
    far = make_comment(app, post_id="order", scores={"spam": 0.1, "abuse": 0.75})
    near = make_comment(app, post_id="order", scores={"spam": 0.1, "abuse": 0.52})
    spam_near = make_comment(app, post_id="order", scores={"spam": 0.87, "abuse": 0.7})
    rule_only = make_comment(app, post_id="order", scores={}, decided_by="rule")
    url = "/api/v1/moderation/comments?post_id=order&sort=uncertain"
    page = client.get(url + "&limit=2", headers=auth).get_json()
    assert [c["id"] for c in page["comments"]] == [near, spam_near]
    rest = client.get(url + f"&limit=2&cursor={page['next_cursor']}", headers=auth).get_json()
    assert [c["id"] for c in rest["comments"]] == [far, rule_only]
    assert rest["next_cursor"] is None
    oldest = client.get("/api/v1/moderation/comments?post_id=order", headers=auth).get_json()
    assert [c["id"] for c in oldest["comments"]] == [far, near, spam_near, rule_only]


# --- the author view --------------------------------------------------------------------------
def test_author_view_and_approve_and_trust(app, client, auth):
    email = "nadia@example.ly"
    held = make_comment(app, "held", email=email, post_id="a-1")
    spam = make_comment(app, "spam", email=email, post_id="a-2")
    rejected = make_comment(app, "rejected", email=email, post_id="a-3")
    other = make_comment(app, "held", email="someone.else@example.ly")
    view = client.get(f"/api/v1/moderation/comments/{held}/author", headers=auth).get_json()
    assert {c["id"] for c in view["comments"]} == {held, spam, rejected}
    assert sorted(view["waiting"]) == sorted([held, spam])
    assert view["author"]["email_masked"] == "n•••@e•••.ly"
    assert email not in json.dumps(view)
    resp = client.post(f"/api/v1/moderation/comments/{held}/author/approve", headers=auth)
    assert resp.status_code == 200
    assert sorted(r["id"] for r in resp.get_json()["results"] if r["ok"]) == sorted([held, spam])
    view = client.get(f"/api/v1/moderation/comments/{held}/author", headers=auth).get_json()
    assert {c["id"]: c["status"] for c in view["comments"]} == {
        held: "approved",
        spam: "approved",
        rejected: "rejected",
    }
    other_status = client.get(f"/api/v1/moderation/comments/{other}", headers=auth).get_json()
    assert other_status["status"] == "held"
    audit = client.get(f"/api/v1/moderation/audit?comment_id={spam}", headers=auth).get_json()
    assert audit["entries"][0]["detail"] == {"note": "approve_and_trust"}
    assert client.get("/api/v1/moderation/comments/nope/author", headers=auth).status_code == 404


# --- stats series and CSV ---------------------------------------------------------------------
def seed_stats(app) -> dict[str, str]:
    """Comments over three days, two automatic decisions reversed, one still-held backlog."""
    from datetime import timedelta

    from mizan.service.db import utcnow

    desk = app.extensions["mizan_desk"]
    now = utcnow()
    ids = {
        "c1": make_comment(app, "approved", at=now - timedelta(days=2)),
        "c2": make_comment(app, "spam", at=now - timedelta(days=2), model_version="model-B"),
        "c3": make_comment(app, "approved", at=now - timedelta(days=1)),
        "c4": make_comment(app, "held", at=now - timedelta(days=1)),
        "c5": make_comment(app, "held", at=now - timedelta(seconds=1)),
    }
    actor = desk.actor(desk.add_user("stats@newsroom.example", "admin", "stats-password-123"))
    desk.act(actor, ids["c1"], "reject", "abusive")
    desk.act(actor, ids["c2"], "approve")
    desk.report(ids["c3"], "abusive", None, "192.0.2.10")
    return ids


def test_stats_series_count_what_happened(app, client, auth):
    seed_stats(app)
    data = app.extensions["mizan_desk"].series(3)
    assert len(data["days"]) == 3
    c = data["comments"]
    assert (c["approved"], c["rejected"], c["held"], c["spam"]) == (
        [1, 1, 0],
        [1, 0, 0],
        [0, 1, 1],
        [0, 0, 0],
    )
    assert data["reports"] == [0, 0, 1]
    assert data["queue"] == [0, 1, 2]
    assert 23.9 <= data["oldest_hours"][2] <= 24.1
    assert data["overturned"] == [
        {"model_version": "model-B", "decisions": 1, "reviewed": 1, "overturned": 1, "rate": 1.0},
        {
            "model_version": "test-model-1",
            "decisions": 4,
            "reviewed": 1,
            "overturned": 1,
            "rate": 1.0,
        },
    ]
    resp = client.get("/moderation/stats.csv", headers=auth)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    lines = resp.get_data(as_text=True).splitlines()
    assert lines[0] == "chart,day,series,value"
    assert f"held_queue,{data['days'][2]},held,2" in lines
    assert "overturned_by_model,model-B,overturned,1" in lines
    assert f"reports_per_day,{data['days'][2]},reports,1" in lines


# --- the backlog alert ------------------------------------------------------------------------
def test_backlog_alert_in_the_desk_and_in_metrics(tmp_path, db_url, sender):
    from datetime import timedelta

    from prometheus_client.parser import text_string_to_metric_families

    from mizan.service.config import DeskSettings
    from mizan.service.db import utcnow
    from tests.service.desk.test_support import login

    app = build_app(tmp_path, db_url, sender, desk=DeskSettings(queue_alert_minutes=30))
    try:
        desk = app.extensions["mizan_desk"]
        add_account(app, "mod@newsroom.example", lang="en")
        client = app.test_client()
        login(client, "mod@newsroom.example")
        make_comment(app, "held", at=utcnow() - timedelta(minutes=10))
        assert desk.backlog()["alert"] is False
        assert 'id="backlog-alert"' not in client.get("/moderation/").get_data(as_text=True)
        make_comment(app, "held", at=utcnow() - timedelta(minutes=45))
        backlog = desk.backlog()
        assert backlog["alert"] is True and 45 <= backlog["oldest_minutes"] < 47
        html = client.get("/moderation/stats").get_data(as_text=True)
        assert 'id="backlog-alert"' in html and "45 minutes ago" in html
        body = client.get("/metrics").get_data(as_text=True)
        samples = {s.name: s.value for f in text_string_to_metric_families(body) for s in f.samples}
        assert samples["mizan_held_comments"] == 2
        assert 45 * 60 <= samples["mizan_oldest_held_comment_age_seconds"] < 47 * 60
        assert samples["mizan_held_queue_alert"] == 1
    finally:
        app.extensions["mizan"].repo.engine.dispose()


# --- readers' data rights ---------------------------------------------------------------------
def test_export_and_erase_everything_stored_for_one_email(app, client, auth, admin):
    from sqlalchemy import func, select

    from mizan.service.tables import AuditEntry, Comment, TrainingExample
    from tests import factories

    repo = app.extensions["mizan"].repo
    desk = app.extensions["mizan_desk"]
    email = "Reader.One@Example.ly"
    answered = make_comment(app, "approved", email=email, body="رأيي في الموضوع", post_id="r-1")
    reply = make_comment(app, "approved", body="أوافقك", post_id="r-1")
    factories.make_reply(repo, reply, answered)
    waiting = make_comment(
        app,
        "held",
        email=email,
        body="تعليق ينتظر",
        post_id="r-2",
        article_url="https://news.example/2026/11/r-2/?utm_source=x",
        article_title="مقال r-2",
    )
    alone = make_comment(app, "approved", email=email, body="تعليق وحيد", post_id="r-3")
    other = make_comment(app, "held", email="someone@example.ly", post_id="r-3")
    actor = desk.actor(desk.add_user("boss@newsroom.example", "admin", "boss-password-123"))
    desk.act(actor, alone, "reject", "abusive")  # a training example from this reader
    desk.ban(actor, "email", comment_id=waiting, days=30)

    url = "/api/v1/moderation/readers/export"
    assert post_json(client, url, {"email": email}, auth).status_code == 403
    resp = post_json(client, url, {"email": " reader.one@example.ly "}, admin)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data = resp.get_json()
    assert {c["id"] for c in data["comments"]} == {answered, waiting, alone}
    by_id = {c["id"]: c for c in data["comments"]}
    assert by_id[waiting]["body"] == "تعليق ينتظر" and by_id[waiting]["ip"] == "203.0.113.7"
    assert by_id[alone]["author_email"] == email and by_id[alone]["decisions"]
    # the URL the reader's browser sent as Referer may be the article URL: it is theirs to see
    assert by_id[waiting]["article_url"] == "https://news.example/2026/11/r-2/?utm_source=x"
    assert by_id[waiting]["article_title"] == "مقال r-2"
    assert [b["kind"] for b in data["bans"]] == ["email"] and data["training_examples"] == 1
    assert "attachment" in resp.headers["Content-Disposition"]

    bad = post_json(client, "/api/v1/moderation/readers/erase", {"email": email}, admin)
    assert bad.status_code == 422 and "mode" in bad.get_json()["error"]["fields"]
    resp = post_json(
        client, "/api/v1/moderation/readers/erase", {"email": email, "mode": "delete"}, admin
    )
    assert resp.get_json() == {"mode": "delete", "removed": 1, "deleted": 2}
    assert (
        factories.get_comment(repo, waiting) is None and factories.get_comment(repo, alone) is None
    )
    kept = factories.get_comment(repo, answered)
    assert kept.body.endswith("removed at its author's request.") and kept.status == "approved"
    assert kept.author_name == "—" and kept.ip_enc is None and kept.author_email_enc == ""
    assert kept.author_email_hash.startswith("erased:")
    assert factories.get_status(repo, other) == "held"  # another reader is untouched
    public = client.get("/api/v1/posts/r-1/comments").get_json()
    assert email.lower() not in json.dumps(public).lower()
    assert "رأيي في الموضوع" not in json.dumps(public, ensure_ascii=False)
    with repo.engine.connect() as conn:
        examples = conn.execute(
            select(func.count())
            .select_from(TrainingExample)
            .where(TrainingExample.comment_id.in_([answered, waiting, alone]))
        ).scalar_one()
        audits = conn.execute(
            select(AuditEntry.action, AuditEntry.detail)
            .where(AuditEntry.action.in_(["data_export", "data_erase"]))
            .order_by(AuditEntry.id)
        ).all()
        left = conn.execute(
            select(func.count())
            .select_from(Comment)
            .where(Comment.author_email_hash.like("erased:%"))
        ).scalar_one()
    assert examples == 0 and left == 1
    assert [a for a, _ in audits] == ["data_export", "data_erase"]
    assert audits[1][1] == {"mode": "delete", "removed": 1, "deleted": 2}
    assert email.lower() not in json.dumps([d for _, d in audits]).lower()
    again = post_json(client, url, {"email": email}, admin).get_json()
    assert again["comments"] == []


def test_erase_keeping_comments_rejects_what_was_waiting(app, client, admin):
    from tests import factories

    repo = app.extensions["mizan"].repo
    email = "two@example.ly"
    published = make_comment(app, "approved", email=email)
    waiting = make_comment(app, "held", email=email)
    resp = post_json(
        client, "/api/v1/moderation/readers/erase", {"email": email, "mode": "remove"}, admin
    )
    assert resp.get_json() == {"mode": "remove", "removed": 2, "deleted": 0}
    assert factories.get_status(repo, published) == "approved"
    assert factories.get_status(repo, waiting) == "rejected"
    detail = client.get(f"/api/v1/moderation/comments/{waiting}", headers=admin).get_json()
    assert detail["decisions"][-1]["reasons"] == [{"code": "erased", "action": "data_erase"}]
    assert detail["author"]["email_masked"] is None
