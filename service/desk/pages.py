"""The web desk (/moderation): server-rendered pages in Arabic (RTL) and English.

Pages work without JavaScript (plain forms carrying the session's CSRF token); `desk.js` adds
keyboard shortcuts and acts through the moderation API with the same session and token.
Everything a commenter wrote is rendered as text: Jinja escapes it (also inside attributes),
bidirectional control characters are shown as visible codes, and author links are only made
for http(s) URLs, with rel="nofollow ugc noopener".
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, url_for

from mizan.service.desk.auth import (
    check_csrf,
    client_ip,
    csrf_token,
    current_actor,
    desk,
    login_session,
    logout_session,
    require_page,
)
from mizan.service.desk.usecase import (
    QUEUE_STATUSES,
    REJECT_REASONS,
    SORTS,
    Actor,
    article_groups,
    segments,
)
from mizan.service.desk.words import CATALOGUE, Words, bdi
from mizan.service.errors import MizanError
from mizan.service.http.payload import refuse_unusable, strict_int

bp = Blueprint("desk", __name__, url_prefix="/moderation", template_folder="templates")


@bp.before_request
def _refuse_unusable_form_text() -> None:
    """NUL in a form field would reach PostgreSQL as a database error: 422 instead."""
    if request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        refuse_unusable((v for vs in request.form.lists() for v in vs[1]), "_form")


# Bidirectional controls (embeddings, overrides, isolates, marks) and other invisible format
# characters that could make a comment display differently from what it says.
_BIDI = re.compile(r"[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

# Which buttons make sense in each queue.
QUEUE_ACTIONS = {
    "held": ("approve", "reject", "spam"),
    "reported": ("approve", "reject", "spam", "restore"),
    "spam": ("not_spam", "reject", "restore"),
    "approved": ("reject", "spam", "restore"),
    "rejected": ("approve", "spam", "restore"),
}


def inert(value) -> str:
    """Show invisible direction controls as visible codes; Jinja escapes the rest."""
    if value is None:
        return ""
    return _BIDI.sub(lambda m: f"⟦U+{ord(m.group()):04X}⟧", str(value))


def safe_url(value) -> str | None:
    """The URL if it is a plain http(s) link, else None (then it is shown as text only)."""
    if not value or not isinstance(value, str) or len(value) > 2000:
        return None
    if any(ord(c) < 0x21 or c in "\"'<>`\\" for c in value) or _BIDI.search(value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value


@bp.app_template_filter("inert")
def _inert_filter(value) -> str:
    return inert(value)


def _lang() -> str:
    actor = current_actor()
    if actor is not None:
        return actor.lang
    asked = request.args.get("lang")
    if asked in CATALOGUE:
        return asked
    from mizan.service.http.messages import prefers_arabic

    return "ar" if prefers_arabic(request.headers.get("Accept-Language")) else "en"


def _words() -> Words:
    from zoneinfo import ZoneInfo

    return Words(_lang(), ZoneInfo(desk().conf.timezone))


def _render(template: str, http_status: int = 200, **ctx) -> Response:
    w = _words()
    actor = current_actor()
    html = render_template(
        template,
        backlog=desk().backlog() if actor is not None else None,
        w=w,
        t=w.t,
        bdi=bdi,
        lang=w.lang,
        dir=w.t["dir"],
        actor=actor,
        statuses=QUEUE_STATUSES,
        reject_reasons=REJECT_REASONS,
        safe_url=safe_url,
        **ctx,
    )
    resp = Response(html, status=http_status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


def _local_next(target: str | None) -> str:
    """Only same-site desk paths are followed after login or an action (no open redirect)."""
    if target and target.startswith("/moderation") and "//" not in target and "\\" not in target:
        return target
    return url_for("desk.queue")


# --- login ------------------------------------------------------------------------------------
@bp.get("/login")
def login():
    if current_actor() is not None:
        return redirect(_local_next(request.args.get("next")), 303)
    return _render("desk/login.html", next=request.args.get("next", ""), error=None)


@bp.post("/login")
def login_post():
    form = request.form
    sent = form.get("csrf_token", "")
    import hmac

    if not sent or not hmac.compare_digest(sent, csrf_token()):
        return _render(
            "desk/login.html", http_status=403, next=form.get("next", ""), error="bad_login"
        )
    try:
        actor = desk().authenticate(form.get("email", ""), form.get("password", ""), client_ip())
    except MizanError as exc:
        resp = _render(
            "desk/login.html",
            http_status=exc.status,
            next=form.get("next", ""),
            error="too_many" if exc.status == 429 else "bad_login",
        )
        if exc.retry_after:
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    login_session(actor)
    return redirect(_local_next(form.get("next")), 303)


@bp.post("/logout")
@require_page()
def logout():
    # The cookie is signed, not stored: only a new session epoch makes a copy of it worthless.
    desk().end_sessions(current_actor())
    logout_session()
    return redirect(url_for("desk.login"), 303)


@bp.post("/lang")
@require_page()
def set_lang():
    actor = current_actor()
    desk().set_lang(actor, "en" if actor.lang == "ar" else "ar")
    return redirect(_local_next(request.form.get("back")), 303)


# --- the queue --------------------------------------------------------------------------------
@bp.get("/")
@require_page()
def queue():
    status = request.args.get("status", "held")
    if status not in QUEUE_STATUSES:
        status = "held"
    sort = request.args.get("sort", "oldest")
    page = desk().queue(
        status,
        post_id=request.args.get("post_id") or None,
        q=request.args.get("q") or None,
        sort=sort if sort in SORTS else "oldest",
        cursor=request.args.get("cursor") or None,
        limit=50,
    )
    for item in page["comments"]:
        item["segments"] = segments(item["body"], item["spans"])
    # Grouped by article on demand, within the page, each group in the order asked for.
    group = "article" if request.args.get("group") == "article" else None
    return _render(
        "desk/queue.html",
        page=page,
        status=status,
        sort=sort,
        group=group,
        groups=article_groups(page["comments"]) if group else None,
        q=request.args.get("q", ""),
        post_id=request.args.get("post_id", ""),
        actions=QUEUE_ACTIONS[status],
        sorts=SORTS,
        back=request.full_path.rstrip("?"),
    )


@bp.post("/actions")
@require_page()
def actions():
    """The no-JavaScript path: one item's button, or a bulk button with the ticked boxes."""
    form = request.form
    one = form.get("item_action", "")
    if one:
        action, _, cid = one.partition(":")
        ids, reason = [cid], form.get(f"reason_{cid}") or form.get("reason")
    else:
        action, ids, reason = form.get("action", ""), form.getlist("ids"), form.get("reason")
    if action != "reject":
        reason = None
    if ids:
        desk().act_many(
            current_actor(), ids, action, reason, None, request.environ.get("mizan.request_id")
        )
    return redirect(_local_next(form.get("back")), 303)


@bp.get("/comments/<comment_id>")
@require_page()
def comment(comment_id: str):
    item = desk().comment_detail(comment_id)
    item["segments"] = segments(item["body"], item["spans"])
    return _render(
        "desk/comment.html",
        c=item,
        email=None,
        actions=QUEUE_ACTIONS.get(item["status"], ()),
        back=url_for("desk.comment", comment_id=comment_id),
    )


@bp.get("/comments/<comment_id>/author")
@require_page()
def author(comment_id: str):
    view = desk().author(comment_id)
    for item in view["comments"]:
        item["segments"] = segments(item["body"], item["spans"])
    return _render(
        "desk/author.html",
        view=view,
        back=url_for("desk.author", comment_id=comment_id),
    )


@bp.post("/comments/<comment_id>/author/approve")
@require_page()
def author_approve(comment_id: str):
    desk().approve_author(_me(), comment_id, _rid())
    return redirect(url_for("desk.author", comment_id=comment_id), 303)


@bp.post("/comments/<comment_id>/reveal")
@require_page()
def reveal(comment_id: str):
    email = desk().reveal_email(
        current_actor(),  # type: ignore[arg-type]
        comment_id,
        request.environ.get("mizan.request_id"),
    )
    item = desk().comment_detail(comment_id)
    item["segments"] = segments(item["body"], item["spans"])
    return _render(
        "desk/comment.html",
        c=item,
        email=email,
        actions=QUEUE_ACTIONS.get(item["status"], ()),
        back=url_for("desk.comment", comment_id=comment_id),
    )


# --- audit, word lists, bans, posts, stats ----------------------------------------------------
@bp.get("/audit")
@require_page()
def audit():
    page = desk().audit(
        comment_id=request.args.get("comment_id") or None,
        action=request.args.get("action") or None,
        cursor=request.args.get("cursor") or None,
        limit=100,
    )
    return _render("desk/audit.html", page=page)


@bp.get("/wordlists")
@require_page()
def wordlists():
    return _render("desk/wordlists.html", terms=desk().word_terms())


@bp.post("/wordlists")
@require_page(admin=True)
def wordlists_add():
    f = request.form
    desk().add_term(
        current_actor(),
        f.get("term", ""),
        f.get("list", ""),
        f.get("action") or None,
        request.environ.get("mizan.request_id"),
    )
    return redirect(url_for("desk.wordlists"), 303)


@bp.post("/wordlists/<int:term_id>/delete")
@require_page(admin=True)
def wordlists_remove(term_id: int):
    desk().remove_term(current_actor(), term_id, request.environ.get("mizan.request_id"))  # type: ignore[arg-type]
    return redirect(url_for("desk.wordlists"), 303)


@bp.get("/bans")
@require_page()
def bans():
    return _render("desk/bans.html", bans=desk().bans())


@bp.post("/bans")
@require_page()
def bans_add():
    f = request.form
    days = f.get("days", "").strip()
    desk().ban(
        current_actor(),
        f.get("kind", ""),
        comment_id=f.get("comment_id") or None,
        value=f.get("value") or None,
        days=strict_int(days, 0, 99_999),
        note=f.get("note") or None,
        request_id=request.environ.get("mizan.request_id"),
    )
    return redirect(_local_next(f.get("back") or url_for("desk.bans")), 303)


@bp.post("/bans/<int:ban_id>/lift")
@require_page()
def bans_lift(ban_id: int):
    desk().lift_ban(current_actor(), ban_id, request.environ.get("mizan.request_id"))  # type: ignore[arg-type]
    return redirect(url_for("desk.bans"), 303)


@bp.get("/posts")
@require_page()
def posts():
    post_id = request.args.get("post_id", "").strip()[:200]
    setting = desk().post_settings(post_id) if post_id else None
    return _render("desk/posts.html", post_id=post_id, setting=setting)


@bp.post("/posts")
@require_page()
def posts_save():
    f = request.form
    post_id = f.get("post_id", "").strip()[:200]
    desk().set_post(
        current_actor(),
        post_id,
        comments_closed=f.get("comments_closed") == "on",
        premoderation=f.get("premoderation") == "on",
        request_id=request.environ.get("mizan.request_id"),
    )
    return redirect(url_for("desk.posts", post_id=post_id), 303)


# --- blocked domains ---------------------------------------------------------------------------
@bp.get("/domains")
@require_page()
def domains():
    return _render("desk/domains.html", domains=desk().domains())


@bp.post("/domains")
@require_page(admin=True)
def domains_add():
    try:
        desk().add_domain(_me(), request.form.get("domain", ""), _rid())
    except MizanError as exc:
        key = "dom.exists" if exc.status == 409 else "dom.invalid"
        return _render(
            "desk/domains.html", http_status=exc.status, domains=desk().domains(), error=key
        )
    return redirect(url_for("desk.domains"), 303)


@bp.post("/domains/<int:domain_id>/delete")
@require_page(admin=True)
def domains_remove(domain_id: int):
    desk().remove_domain(_me(), domain_id, _rid())
    return redirect(url_for("desk.domains"), 303)


# --- readers' data rights (admins) ------------------------------------------------------------
@bp.get("/readers")
@require_page(admin=True)
def readers():
    return _render("desk/readers.html", result=None, error=None)


@bp.post("/readers/export")
@require_page(admin=True)
def readers_export():
    import json

    try:
        data = desk().export_reader(_me(), request.form.get("email", ""), _rid())
    except MizanError as exc:
        return _render("desk/readers.html", http_status=exc.status, result=None, error="bad")
    resp = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    resp.headers["Content-Disposition"] = 'attachment; filename="mizan-reader-data.json"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/readers/erase")
@require_page(admin=True)
def readers_erase():
    f = request.form
    if f.get("confirm") != "on":
        return _render("desk/readers.html", http_status=422, result=None, error="confirm")
    try:
        result = desk().erase_reader(_me(), f.get("email", ""), f.get("mode", ""), _rid())
    except MizanError as exc:
        return _render("desk/readers.html", http_status=exc.status, result=None, error="bad")
    return _render("desk/readers.html", result=result, error=None)


# --- accounts (admins) ------------------------------------------------------------------------
def _rid() -> str | None:
    return request.environ.get("mizan.request_id")


def _me() -> Actor:
    """The account of a request that passed require_page."""
    actor = current_actor()
    assert actor is not None
    return actor


def _accounts_page(http_status: int = 200, **ctx) -> Response:
    return _render("desk/accounts.html", http_status=http_status, accounts=desk().accounts(), **ctx)


@bp.get("/accounts")
@require_page(admin=True)
def accounts():
    return _accounts_page()


@bp.post("/accounts")
@require_page(admin=True)
def accounts_add():
    f = request.form
    try:
        desk().create_account(
            _me(),
            f.get("email", ""),
            f.get("role", "moderator"),
            f.get("lang", "ar"),
            f.get("password", ""),
            _rid(),
        )
    except MizanError as exc:
        return _accounts_page(
            exc.status, error="acc.exists" if exc.status == 409 else "acc.invalid"
        )
    return redirect(url_for("desk.accounts"), 303)


@bp.post("/accounts/<int:account_id>")
@require_page(admin=True)
def accounts_update(account_id: int):
    f = request.form
    active = {"on": True, "off": False}.get(f.get("active", ""))
    try:
        desk().update_account(
            _me(),
            account_id,
            role=f.get("role") or None,
            active=active,
            request_id=_rid(),
        )
    except MizanError as exc:
        return _accounts_page(exc.status, error="acc.self" if exc.status == 409 else "acc.invalid")
    return redirect(url_for("desk.accounts"), 303)


@bp.post("/accounts/<int:account_id>/password")
@require_page(admin=True)
def accounts_password(account_id: int):
    password = desk().reset_password(_me(), account_id, _rid())
    return _accounts_page(new_password={"account_id": account_id, "password": password})


@bp.post("/tokens/<int:token_id>/revoke")
@require_page(admin=True)
def tokens_revoke(token_id: int):
    desk().revoke_token_id(_me(), token_id, _rid())
    return redirect(url_for("desk.accounts"), 303)


def _charts(w: Words, data: dict) -> list:
    """The stats page's charts, drawn on the server."""
    from mizan.service.desk import charts

    labels = [d[5:] for d in data["days"]]  # MM-DD: the year is in the table below
    days = len(labels)
    out = [
        charts.stacked_bars(
            "chart-comments",
            w("chart.comments"),
            w("chart.comments_desc", days=days),
            labels,
            [(s, str(w.status(s)), v) for s, v in data["comments"].items() if any(v)],
        ),
        charts.line(
            "chart-queue",
            w("chart.queue"),
            w("chart.queue_desc"),
            labels,
            "queue",
            w("chart.held_now"),
            data["queue"],
        ),
        charts.line(
            "chart-age",
            w("chart.age"),
            w("chart.age_desc"),
            labels,
            "age",
            w("chart.hours"),
            data["oldest_hours"],
            counts=False,
        ),
        charts.stacked_bars(
            "chart-reports",
            w("chart.reports"),
            w("chart.reports_desc"),
            labels,
            [("reports", w("chart.reports_n"), data["reports"])],
        ),
    ]
    rows = data["overturned"]
    if rows:
        versions = [r["model_version"] for r in rows]
        out.insert(
            1,
            charts.stacked_bars(
                "chart-overturned",
                w("chart.overturned"),
                w("chart.overturned_desc"),
                versions,
                [
                    ("overturned", w("chart.overturned_n"), [r["overturned"] for r in rows]),
                    (
                        "reviewed",
                        w("chart.reviewed"),
                        [r["reviewed"] - r["overturned"] for r in rows],
                    ),
                ],
            ),
        )
    return out


@bp.get("/stats")
@require_page()
def stats():
    data = desk().series(30)
    return _render(
        "desk/stats.html", stats=desk().stats(30), series=data, charts=_charts(_words(), data)
    )


@bp.get("/stats.csv")
@require_page()
def stats_csv():
    resp = Response(desk().series_csv(30), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="mizan-stats.csv"'
    resp.headers["Cache-Control"] = "no-store"
    return resp


__all__ = ["bp", "check_csrf", "inert", "safe_url"]
