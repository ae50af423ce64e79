"""Webhooks without a worker: signatures, which status change is which event, what a payload
may carry, URL rules, dispatch from the decisions table on both databases, the admin API and
the desk's page."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from mizan.service.errors import ValidationFailed
from mizan.service.integrations import webhooks as wh
from mizan.service.integrations.repository import BacklogCrossing, DecisionEvent
from tests.service.desk.test_support import (
    PASSWORD,
    add_account,
    make_comment,
    page_csrf,
    token_for,
)

SECRET = "whsec_test"


def test_a_signature_verifies_only_the_same_body_secret_and_recent_time():
    body = b'{"event":"comment.published"}'
    now = int(time.time())
    header = wh.sign(SECRET, now, body)
    assert header.startswith(f"t={now},v1=")
    assert wh.verify(SECRET, header, body)
    assert not wh.verify(SECRET, header, body + b" ")
    assert not wh.verify("whsec_other", header, body)
    assert not wh.verify(SECRET, wh.sign(SECRET, now - 3600, body), body)
    assert not wh.verify(SECRET, "garbage", body)
    assert not wh.verify(SECRET, f"t={now}", body)


def event(frm, to, applied=True, reasons=()):
    now = datetime.now(UTC)
    return DecisionEvent(
        decision_id=1,
        comment_id="c1",
        kind="automatic",
        outcome=to,
        from_status=frm,
        applied=applied,
        reasons=list(reasons),
        created_at=now,
        post_id="p1",
        parent_id=None,
        permalink=None,
        author_name="سالم",
        author_url=None,
        body="نص",
        comment_created_at=now,
    )


@pytest.mark.parametrize(
    ("frm", "to", "expected"),
    [
        ("pending", "approved", "comment.published"),
        ("pending", "held", "comment.held"),
        ("pending", "spam", None),
        ("pending", "rejected", None),
        ("held", "approved", "comment.published"),
        ("spam", "approved", "comment.published"),
        ("approved", "reported", "comment.reported"),
        ("approved", "rejected", "comment.removed"),
        ("approved", "spam", "comment.removed"),
        ("reported", "rejected", "comment.removed"),
        ("reported", "approved", "comment.published"),
        ("held", "rejected", None),
        ("held", "spam", None),
        ("approved", "held", "comment.held"),
    ],
)
def test_which_status_change_is_which_event(frm, to, expected):
    assert wh.event_of(event(frm, to)) == expected


def test_shadow_mode_events_follow_the_status_the_comment_got():
    shadow = event(
        "pending", "spam", applied=False, reasons=[{"code": "shadow_mode", "status": "held"}]
    )
    assert wh.event_of(shadow) == "comment.held"


def test_payloads_carry_public_fields_only():
    published = wh.payload(event("pending", "approved"), "comment.published", "1-1")
    assert set(published) == {"id", "event", "occurred_at", "comment"}
    assert set(published["comment"]) == {
        "id", "post_id", "parent_id", "status", "permalink", "created_at",
        "author_name", "author_url", "body",
    }  # fmt: skip
    held = wh.payload(event("pending", "held"), "comment.held", "1-2")
    # Text that is not public is not sent either.
    assert "body" not in held["comment"] and "author_name" not in held["comment"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://news.example/hook",
        "javascript:alert(1)",
        "https://user:pass@news.example/hook",
        "http:///nohost",
        "https://news.example/a b",
        "https://news.example/a\x1db",
        "https://news.example/تعليقات",
        "https://news.example:99999/",
        "",
        "https://" + "a" * 2000 + ".example",
    ],
)
def test_only_http_and_https_urls_with_a_host(url):
    with pytest.raises(ValidationFailed):
        wh.check_url(url)


def test_events_must_be_known():
    with pytest.raises(ValidationFailed):
        wh.check_events(["comment.deleted"])
    with pytest.raises(ValidationFailed):
        wh.check_events([])
    assert wh.check_events(["comment.held", "comment.held "]) == ["comment.held"]


def test_backoff_doubles_with_jitter_and_stays_capped():
    delays = [wh.backoff(n, 10.0) for n in range(1, 20)]
    assert all(5.0 <= d <= wh.MAX_BACKOFF for d in delays)
    assert len({round(d, 6) for d in delays}) > 10  # jitter
    assert max(wh.backoff(1, 10.0) for _ in range(50)) <= 10.0


def test_redirects_are_not_followed():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        ok, code, error = wh.send(url, b"{}", SECRET, "comment.held", 1, 2.0, allow_private=True)
    finally:
        server.shutdown()
        server.server_close()
    assert (ok, code) == (False, 302)
    assert "not followed" in error
    assert hits == ["/hook"]


def _numbers(value):
    """Every number anywhere in a parsed JSON document."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def test_dispatch_turns_committed_decisions_into_one_delivery_each(make_app, monkeypatch):
    monkeypatch.setattr(wh, "DISPATCH_LAG", timedelta(0))
    app = make_app()
    hooks = app.extensions["mizan.webhooks"]
    desk = app.extensions["mizan_desk"]
    _secret, all_id = hooks.add("https://news.example/hooks/all", list(wh.EVENTS), "tests")
    _secret, pub_id = hooks.add("https://news.example/hooks/pub", ["comment.published"], "tests")
    hooks.dispatch()  # earlier decisions of the shared database are not replayed
    published = make_comment(app, "approved", email="secret.person@example.ly", ip="203.0.113.99")
    held = make_comment(app, "held")
    make_comment(app, "spam")
    actor = desk.actor(desk.add_user("admin@newsroom.example", "admin", PASSWORD))
    desk.act(actor, published, "reject", "abusive")
    ids, _more = hooks.dispatch()
    assert hooks.dispatch()[0] == []  # exactly once
    by_endpoint: dict[int, list] = {}
    for e in hooks.endpoints():
        by_endpoint[e["id"]] = [
            (d["event"], d["comment_id"]) for d in hooks.get(e["id"])["deliveries"]
        ]
    assert sorted(by_endpoint[all_id]) == sorted(
        [
            ("comment.published", published),
            ("comment.held", held),
            ("comment.removed", published),
        ]
    )
    assert by_endpoint[pub_id] == [("comment.published", published)]
    assert len(ids) == 4
    repo = hooks.repo
    for delivery_id in ids:
        d, _e = repo.delivery(delivery_id)
        assert "secret.person" not in d.payload and "203.0.113.99" not in d.payload
        assert "score" not in d.payload
        body = json.loads(d.payload)
        # the stored scores (0.42 spam, 0.61 abuse) are nowhere among the values; a
        # substring check would trip on a timestamp's fraction of a second
        assert not {0.42, 0.61} & set(_numbers(body))
        assert body["id"] == f"{d.endpoint_id}-{d.decision_id}"


def test_erasing_a_reader_takes_their_words_out_of_webhook_bodies(make_app, monkeypatch):
    # a delivery keeps the exact body it sends; a published event's body holds the text and
    # the name, which an erasure request must reach too (and a body not yet sent never goes)
    monkeypatch.setattr(wh, "DISPATCH_LAG", timedelta(0))
    app = make_app()
    hooks = app.extensions["mizan.webhooks"]
    desk = app.extensions["mizan_desk"]
    for e in hooks.endpoints():  # the shared database may hold other tests' endpoints
        hooks.set_enabled(e["id"], False)
    _s, endpoint_id = hooks.add("https://news.example/hooks/erase", ["comment.published"], "tests")
    hooks.dispatch()
    email = "erase.me@example.ly"
    name = "ناصر الفرجاني"
    sent = make_comment(app, "approved", email=email, author_name=name, body="اول كلام القارئ")
    later = make_comment(app, "approved", email=email, author_name=name, body="ثاني كلام القارئ")
    other = make_comment(app, "approved", author_name="سالم", body="تعليق قارئ آخر")
    hooks.dispatch()
    ids = {d["comment_id"]: d["id"] for d in hooks.get(endpoint_id)["deliveries"]}
    assert set(ids) == {sent, later, other}
    repo = hooks.repo
    repo.record_attempt(  # the first one went out before the request
        ids[sent], ok=True, status_code=200, error=None, retry_at=None, disable_after=5
    )
    assert "القارئ" in repo.delivery(ids[later])[0].payload  # (the check below can fail)

    actor = desk.actor(desk.add_user("admin@newsroom.example", "admin", PASSWORD))
    assert desk.erase_reader(actor, email, "remove")["removed"] == 2
    for cid in (sent, later):
        d, _ep = repo.delivery(ids[cid])
        assert "القارئ" not in d.payload and "الفرجاني" not in d.payload
        comment = json.loads(d.payload)["comment"]
        assert comment["erased"] is True and comment["id"] == cid
        assert not {"body", "author_name", "author_url"} & set(comment)
    assert repo.delivery(ids[sent])[0].status == "delivered"
    unsent = repo.delivery(ids[later])[0]
    assert (unsent.status, unsent.last_error) == ("failed", "erased")
    assert hooks.deliver(ids[later]) is None  # never sent
    kept = repo.delivery(ids[other])[0]  # another reader's event is untouched
    assert kept.status == "pending" and "تعليق قارئ آخر" in kept.payload


def test_a_new_webhook_hears_what_happens_from_now_on_not_the_history(make_app, monkeypatch):
    monkeypatch.setattr(wh, "DISPATCH_LAG", timedelta(0))
    app = make_app()
    hooks = app.extensions["mizan.webhooks"]
    for e in hooks.endpoints():  # the shared database may hold other tests' endpoints
        hooks.set_enabled(e["id"], False)
    before = make_comment(app, "approved")
    _s, endpoint_id = hooks.add("https://news.example/hooks/new", list(wh.EVENTS), "tests")
    after = make_comment(app, "held")
    hooks.dispatch()
    got = [(d["event"], d["comment_id"]) for d in hooks.get(endpoint_id)["deliveries"]]
    assert got == [("comment.held", after)]
    assert before not in {c for _e, c in got}


def test_a_disabled_endpoint_gets_no_new_deliveries(make_app, monkeypatch):
    monkeypatch.setattr(wh, "DISPATCH_LAG", timedelta(0))
    app = make_app()
    hooks = app.extensions["mizan.webhooks"]
    _s, endpoint_id = hooks.add("https://news.example/hooks", ["comment.held"], "tests")
    hooks.dispatch()
    hooks.set_enabled(endpoint_id, False)
    make_comment(app, "held")
    assert hooks.dispatch()[0] == []


# --- the admin API -------------------------------------------------------------------------------
@pytest.fixture
def admin_app(make_app):
    app = make_app()
    add_account(app, "admin@newsroom.example", "admin")
    add_account(app, "mod@newsroom.example", "moderator")
    return app, token_for(app, "admin@newsroom.example"), token_for(app, "mod@newsroom.example")


def test_admins_register_webhooks_and_see_the_secret_once(admin_app):
    app, admin, mod = admin_app
    c = app.test_client()
    auth = {"Authorization": f"Bearer {admin}"}
    r = c.post(
        "/api/v1/moderation/webhooks",
        json={"url": "https://news.example/hooks/mizan", "events": ["comment.published"]},
        headers=auth,
    )
    assert r.status_code == 201, r.json
    created = r.json
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    listed = c.get("/api/v1/moderation/webhooks", headers=auth).json
    assert [h["url"] for h in listed] == ["https://news.example/hooks/mizan"]
    assert "secret" not in listed[0] and "secret_enc" not in json.dumps(listed)
    detail = c.get(f"/api/v1/moderation/webhooks/{created['id']}", headers=auth).json
    assert detail["deliveries"] == [] and "secret" not in detail
    r = c.post(f"/api/v1/moderation/webhooks/{created['id']}/disable", headers=auth)
    assert r.json["enabled"] is False
    r = c.post(f"/api/v1/moderation/webhooks/{created['id']}/enable", headers=auth)
    assert r.json["enabled"] is True
    assert c.delete(f"/api/v1/moderation/webhooks/{created['id']}", headers=auth).status_code == 204
    assert c.get(f"/api/v1/moderation/webhooks/{created['id']}", headers=auth).status_code == 404
    assert c.get(f"/api/v1/moderation/webhooks/{2**70}", headers=auth).status_code == 404
    # Not for moderators, not without credentials; bad input is the documented 422.
    mod_auth = {"Authorization": f"Bearer {mod}"}
    assert c.get("/api/v1/moderation/webhooks", headers=mod_auth).status_code == 403
    assert c.get("/api/v1/moderation/webhooks").status_code == 401
    r = c.post("/api/v1/moderation/webhooks", json={"url": "file:///etc/passwd"}, headers=auth)
    assert r.status_code == 422 and "url" in r.json["error"]["fields"]
    r = c.post(
        "/api/v1/moderation/webhooks",
        json={"url": "https://news.example/h", "events": ["comment.deleted"]},
        headers=auth,
    )
    assert r.status_code == 422


def test_admins_add_and_revoke_sites_through_the_api(admin_app):
    app, admin, _mod = admin_app
    c = app.test_client()
    auth = {"Authorization": f"Bearer {admin}"}
    r = c.post(
        "/api/v1/moderation/sites",
        json={"name": "news", "origin": "https://news.example/"},
        headers=auth,
    )
    assert r.status_code == 201, r.json
    key = r.json["key"]
    assert r.json["origin"] == "https://news.example" and key.startswith(r.json["key_prefix"])
    listed = c.get("/api/v1/moderation/sites", headers=auth).json
    assert key not in json.dumps(listed)
    r = c.post(
        "/api/v1/moderation/sites",
        json={"name": "news", "origin": "https://x.example"},
        headers=auth,
    )
    assert r.status_code == 409
    r = c.post(
        "/api/v1/moderation/sites", json={"name": "bad name", "origin": "ftp://x"}, headers=auth
    )
    assert r.status_code == 422
    assert c.post("/api/v1/moderation/sites/news/revoke", headers=auth).json["revoked"] is True
    assert c.post("/api/v1/moderation/sites/news/revoke", headers=auth).status_code == 404


def login(app, email: str):
    c = app.test_client()
    csrf = page_csrf(c.get("/moderation/login").get_data(as_text=True))
    r = c.post("/moderation/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 303, r.status_code
    return c


def test_the_desk_page_lists_sites_and_webhooks_for_admins(admin_app):
    app, _admin, _mod = admin_app
    c = login(app, "admin@newsroom.example")
    page = c.get("/moderation/integrations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    csrf = html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    r = c.post(
        "/moderation/integrations",
        data={
            "csrf_token": csrf,
            "do": "add_webhook",
            "url": "https://news.example/hook",
            "events": "comment.held",
        },
    )
    assert r.status_code == 201
    html = r.get_data(as_text=True)
    assert 'id="new-secret"' in html and "https://news.example/hook" in html
    r = c.post(
        "/moderation/integrations",
        data={
            "csrf_token": csrf,
            "do": "add_site",
            "name": "news",
            "origin": "https://news.example",
        },
    )
    assert r.status_code == 201 and 'id="new-key"' in r.get_data(as_text=True)
    r = c.post(
        "/moderation/integrations",
        data={"do": "add_site", "name": "x", "origin": "https://x.example"},
    )
    assert r.status_code == 403  # no CSRF token
    r = c.post(
        "/moderation/integrations",
        data={
            "csrf_token": csrf,
            "do": "add_webhook",
            "url": "gopher://x",
            "events": "comment.held",
        },
    )
    assert r.status_code == 422
    # A moderator has no such page, nor the link.
    c2 = login(app, "mod@newsroom.example")
    assert c2.get("/moderation/integrations").status_code == 403
    assert "/moderation/integrations" not in c2.get("/moderation/").get_data(as_text=True)
    assert "/moderation/integrations" in c.get("/moderation/").get_data(as_text=True)


def _json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema."""
    if isinstance(node, dict):
        out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable"):
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_json_schema(v) for v in node]
    return node


def test_payloads_match_the_webhook_event_in_the_openapi_document(make_app):
    import jsonschema

    app = make_app()
    spec = app.test_client().get("/api/openapi.json").json
    schema = _json_schema(spec["components"]["schemas"]["WebhookEvent"])
    callbacks = spec["paths"]["/api/v1/moderation/webhooks"]["post"]["callbacks"]
    assert "{$request.body#/url}" in callbacks["commentEvent"]
    for frm, to in (("pending", "approved"), ("pending", "held"), ("approved", "spam")):
        e = event(frm, to)
        name = wh.event_of(e)
        jsonschema.validate(json.loads(json.dumps(wh.payload(e, name, "1-1"))), schema)
    crossing = BacklogCrossing(
        held=3, oldest_age_seconds=3700, crossing=1, occurred_at=datetime.now(UTC)
    )
    body = json.loads(json.dumps(wh.backlog_payload(crossing, 60, "1-backlog-1")))
    jsonschema.validate(body, schema)
    # Each shape is one of the two: a comment event's body is not a backlog's, and back.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "event": "comment.held"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**body, "comment": {}}, schema)


def test_a_backlog_delivery_reaches_a_receiver_signed_and_is_retried(make_app):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append({"headers": dict(self.headers), "body": body})
            self.send_response(503 if len(seen) == 1 else 204)  # fails once
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        from mizan.service.config import IntegrationSettings

        app = make_app(integrations=IntegrationSettings(webhook_allow_private=True))
        hooks = app.extensions["mizan.webhooks"]
        url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
        secret, endpoint_id = hooks.add(url, ["queue.backlog", "comment.held"], "tests")
        make_comment(app, "held", at=datetime.now(UTC) - timedelta(hours=2))
        [delivery_id] = hooks.check_backlog()
        assert hooks.deliver(delivery_id) is not None  # 503: a retry is due later
        assert hooks.deliver(delivery_id) is None  # delivered
    finally:
        server.shutdown()
        server.server_close()
    assert len(seen) == 2
    first, second = seen
    for r in seen:
        assert r["headers"]["X-Mizan-Event"] == "queue.backlog"
        assert verify_header(secret, r)
    assert first["headers"]["X-Mizan-Delivery"] == second["headers"]["X-Mizan-Delivery"]
    assert json.loads(second["body"])["queue"]["held"] == 1
    [d] = hooks.get(endpoint_id)["deliveries"]
    assert (d["event"], d["comment_id"], d["status"], d["attempts"]) == (
        "queue.backlog",
        None,
        "delivered",
        2,
    )


def verify_header(secret: str, request: dict) -> bool:
    return wh.verify(secret, request["headers"][wh.SIGNATURE_HEADER], request["body"])


# --- queue.backlog ------------------------------------------------------------------------------
def _backlog_deliveries(hooks, endpoint_id):
    return [d for d in hooks.get(endpoint_id)["deliveries"] if d["event"] == "queue.backlog"]


def test_the_backlog_event_goes_out_once_per_crossing_and_again_after_recovery(make_app):
    app = make_app()  # MIZAN_QUEUE_ALERT_MINUTES: 60
    assert app.extensions["mizan"].settings.desk.queue_alert_minutes == 60
    hooks = app.extensions["mizan.webhooks"]
    desk = app.extensions["mizan_desk"]
    actor = desk.actor(desk.add_user("admin@newsroom.example", "admin", PASSWORD))
    _s, alert_id = hooks.add("https://news.example/hooks/alert", ["queue.backlog"], "tests")
    _s, held_id = hooks.add("https://news.example/hooks/held", ["comment.held"], "tests")
    assert hooks.check_backlog() == []  # nothing held
    make_comment(app, "held", at=datetime.now(UTC) - timedelta(minutes=50))
    assert hooks.check_backlog() == []  # held, but younger than the alert age

    old = make_comment(
        app, "held", email="secret.person@example.ly", at=datetime.now(UTC) - timedelta(hours=2)
    )
    ids = hooks.check_backlog()
    assert len(ids) == 1
    d, ep = hooks.repo.delivery(ids[0])
    assert ep.id == alert_id and d.event == "queue.backlog"
    assert d.decision_id is None and d.comment_id is None
    body = json.loads(d.payload)
    assert body["event"] == "queue.backlog" and body["id"] == f"{alert_id}-backlog-1"
    assert body["queue"]["held"] == 2 and body["queue"]["alert_minutes"] == 60
    assert 7200 <= body["queue"]["oldest_age_seconds"] < 7300
    assert old not in d.payload and "secret.person" not in d.payload and "الكهرباء" not in d.payload
    assert _backlog_deliveries(hooks, held_id) == []  # not asked for

    # Still over the limit, and worse: not sent again.
    older = make_comment(app, "held", at=datetime.now(UTC) - timedelta(hours=3))
    assert hooks.check_backlog() == []
    assert hooks.check_backlog() == []
    assert len(_backlog_deliveries(hooks, alert_id)) == 1

    # Moderators clear the old ones: the queue has recovered (nothing sent for that)...
    desk.act(actor, old, "approve")
    assert hooks.check_backlog() == []  # the 3-hour-old one still waits
    desk.act(actor, older, "reject", "abusive")
    assert hooks.check_backlog() == []  # recovered: only the 50-minute-old one is held
    assert len(_backlog_deliveries(hooks, alert_id)) == 1

    # ...and the next crossing is a new event, with a new key.
    make_comment(app, "held", at=datetime.now(UTC) - timedelta(minutes=61))
    ids = hooks.check_backlog()
    assert len(ids) == 1
    d, _ep = hooks.repo.delivery(ids[0])
    assert json.loads(d.payload)["id"] == f"{alert_id}-backlog-2"
    assert json.loads(d.payload)["queue"]["held"] == 2  # with the 50-minute-old one
    assert hooks.check_backlog() == []


def test_the_backlog_event_is_off_when_the_alert_is(make_app):
    from mizan.service.config import DeskSettings

    app = make_app(desk=DeskSettings(queue_alert_minutes=0))
    hooks = app.extensions["mizan.webhooks"]
    hooks.add("https://news.example/hooks/alert", ["queue.backlog"], "tests")
    make_comment(app, "held", at=datetime.now(UTC) - timedelta(days=3))
    assert hooks.check_backlog() == []


# --- targets: public addresses only, unless the site allows its own network ---------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.20/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/latest",  # NAT64 of 169.254.169.254
        "http://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
        # forms a resolver reads as 127.0.0.1 though they are not dotted quads
        "http://2130706433/hook",
        "http://0x7f.1/hook",
        "http://0177.0.0.1/hook",
        "http://127.1/hook",
    ],
)
def test_non_public_endpoints_are_refused_unless_allowed(url):
    with pytest.raises(ValidationFailed) as err:
        wh.check_url(url)
    assert "MIZAN_WEBHOOK_ALLOW_PRIVATE" in err.value.fields["url"][0]
    assert wh.check_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:93.184.216.34", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("100.64.1.1", False),
        ("224.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::5db8:d822", True),
        ("64:ff9b::a9fe:a9fe", False),
        ("2002:5db8:d822::1", True),
        ("2002:a9fe:a9fe::1", False),
        ("::a00:1", False),
        ("::", False),
        ("fe80::1%eth0", False),
        ("not an address", False),
    ],
)
def test_public_address(address, public):
    assert wh.public_address(address) is public


def test_a_name_that_resolves_to_a_private_address_is_not_sent_to(monkeypatch):
    """A public-looking name (or one re-pointed after it was added) is checked at each attempt;
    a name with any non-public address is refused, and nothing connects."""
    import socket

    answers = {
        "hooks.example": ["93.184.216.34"],
        "rebind.example": ["127.0.0.1"],
        "mixed.example": ["93.184.216.34", "10.0.0.7"],
    }

    def fake_getaddrinfo(host, port, *a, **k):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers[host]]

    connected = []

    def fake_connect(address, *a, **k):
        connected.append(address)
        raise ConnectionRefusedError

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", fake_connect)
    for host in ("rebind.example", "mixed.example"):
        ok, code, error = wh.send(f"http://{host}/hook", b"{}", SECRET, "comment.held", 1, 1.0)
        assert (ok, code, error) == (False, None, "blocked address: not a public address")
    assert connected == []
    # A public name: the connection goes to the address that was checked.
    ok, _code, error = wh.send("https://hooks.example/h", b"{}", SECRET, "comment.held", 1, 1.0)
    assert not ok and error == "ConnectionRefusedError"
    assert connected == [("93.184.216.34", 443)]


def test_a_blocked_delivery_is_a_failed_attempt(make_app, monkeypatch):
    import socket

    def private_answer(host, port, *a, **k):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.9", port))]

    monkeypatch.setattr(socket, "getaddrinfo", private_answer)
    monkeypatch.setattr(wh, "DISPATCH_LAG", timedelta(0))
    app = make_app()
    hooks = app.extensions["mizan.webhooks"]
    for e in hooks.endpoints():  # the shared database may hold other tests' endpoints
        hooks.set_enabled(e["id"], False)
    _secret, endpoint_id = hooks.add("https://cms.news.example/hook", ["comment.held"], "tests")
    hooks.dispatch()  # earlier decisions of the shared database are not replayed
    make_comment(app, "held")
    [delivery_id] = hooks.dispatch()[0]
    assert hooks.deliver(delivery_id) is not None  # retried later, like any failure
    shown = hooks.get(endpoint_id)
    assert "blocked address" in json.dumps(shown, default=str)


def test_a_dual_stack_endpoint_is_reached_over_its_next_checked_address(monkeypatch):
    """Every checked address is tried in the resolver's order, as a plain connection would."""
    import socket

    def fake_getaddrinfo(host, port, *a, **k):
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700:4700::1111", port, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
        ]

    tried = []

    def fake_connect(address, *a, **k):
        tried.append(address)
        raise (OSError("network unreachable") if ":" in address[0] else ConnectionRefusedError())

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", fake_connect)
    ok, _code, error = wh.send("http://hooks.example/h", b"{}", SECRET, "comment.held", 1, 1.0)
    assert not ok and error == "ConnectionRefusedError"
    assert tried == [("2606:4700:4700::1111", 80), ("93.184.216.34", 80)]
