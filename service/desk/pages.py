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
    segments,
)
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

T = {
    "en": {
        "dir": "ltr",
        "title": "Moderation desk",
        "login": "Log in",
        "logout": "Log out",
        "email": "Email",
        "password": "Password",
        "bad_login": "Wrong email or password.",
        "too_many": "Too many failed logins; try again later.",
        "queue": "Queue",
        "audit": "Audit log",
        "wordlists": "Word lists",
        "bans": "Bans",
        "posts": "Posts",
        "stats": "Statistics",
        "integrations": "Integrations",
        "held": "Held",
        "spam": "Spam",
        "reported": "Reported",
        "approved": "Approved",
        "rejected": "Rejected",
        "approve": "Approve",
        "reject": "Reject",
        "mark_spam": "Spam",
        "not_spam": "Not spam",
        "restore": "Restore",
        "select": "Select",
        "selected": "With selected:",
        "reason": "Reason",
        "abusive": "Abusive",
        "hate": "Hate",
        "off_topic": "Off-topic",
        "personal_data": "Personal data",
        "other": "Other",
        "scores": "Scores",
        "reasons": "Reasons",
        "history": "Author history",
        "reveal": "Reveal email",
        "post": "Post",
        "reports": "Reader reports",
        "duplicates": "Near-duplicates",
        "empty": "The queue is clear.",
        "next": "Next page",
        "search": "Search",
        "sort": "Sort",
        "oldest": "Oldest first",
        "newest": "Newest first",
        "filter": "Filter",
        "keys": "Keys: j/k move · a approve · r reject · s spam · x select",
        "when": "When",
        "who": "Who",
        "what": "What",
        "from": "From",
        "to": "To",
        "comment": "Comment",
        "details": "Details",
        "decisions": "Decisions",
        "term": "Term",
        "list": "List",
        "action": "Action",
        "add": "Add",
        "remove": "Remove",
        "blocked": "Blocked",
        "watched": "Watched",
        "hold": "Hold",
        "kind": "Kind",
        "value": "Value",
        "days": "Days (empty: permanent)",
        "note": "Note",
        "expires": "Expires",
        "never": "never",
        "lift": "Lift",
        "ban_author": "Ban author",
        "ban_email": "Email",
        "ban_ip": "IP",
        "ban_network": "Network",
        "comments_closed": "Comments closed",
        "premoderation": "Pre-moderation",
        "save": "Save",
        "language": "العربية",
        "by": "by",
        "model": "Model",
        "open": "Open",
        "done": "Done",
        "failed": "Failed",
    },
    "ar": {
        "dir": "rtl",
        "title": "مكتب الإشراف",
        "login": "تسجيل الدخول",
        "logout": "خروج",
        "email": "البريد الإلكتروني",
        "password": "كلمة المرور",
        "bad_login": "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
        "too_many": "محاولات دخول فاشلة كثيرة؛ حاول لاحقًا.",
        "queue": "الطابور",
        "audit": "سجل التدقيق",
        "wordlists": "قوائم الكلمات",
        "bans": "الحظر",
        "posts": "المقالات",
        "stats": "إحصاءات",
        "integrations": "التكاملات",
        "held": "محجوزة",
        "spam": "مزعجة",
        "reported": "مُبلَّغ عنها",
        "approved": "منشورة",
        "rejected": "مرفوضة",
        "approve": "نشر",
        "reject": "رفض",
        "mark_spam": "مزعج",
        "not_spam": "ليس مزعجًا",
        "restore": "استعادة",
        "select": "تحديد",
        "selected": "للمحدد:",
        "reason": "السبب",
        "abusive": "مسيء",
        "hate": "كراهية",
        "off_topic": "خارج الموضوع",
        "personal_data": "بيانات شخصية",
        "other": "آخر",
        "scores": "الدرجات",
        "reasons": "الأسباب",
        "history": "سجل الكاتب",
        "reveal": "إظهار البريد",
        "post": "المقال",
        "reports": "بلاغات القراء",
        "duplicates": "تعليقات شبه مكررة",
        "empty": "لا شيء في الطابور.",
        "next": "الصفحة التالية",
        "search": "بحث",
        "sort": "الترتيب",
        "oldest": "الأقدم أولًا",
        "newest": "الأحدث أولًا",
        "filter": "تصفية",
        "keys": "المفاتيح: j/k تنقّل · a نشر · r رفض · s مزعج · x تحديد",
        "when": "الوقت",
        "who": "من",
        "what": "الإجراء",
        "from": "من حالة",
        "to": "إلى حالة",
        "comment": "التعليق",
        "details": "تفاصيل",
        "decisions": "القرارات",
        "term": "الكلمة",
        "list": "القائمة",
        "action": "الإجراء",
        "add": "إضافة",
        "remove": "حذف",
        "blocked": "محظورة",
        "watched": "مراقبة",
        "hold": "حجز",
        "kind": "النوع",
        "value": "القيمة",
        "days": "أيام (فارغ: دائم)",
        "note": "ملاحظة",
        "expires": "ينتهي",
        "never": "أبدًا",
        "lift": "رفع",
        "ban_author": "حظر الكاتب",
        "ban_email": "البريد",
        "ban_ip": "العنوان",
        "ban_network": "الشبكة",
        "comments_closed": "التعليقات مغلقة",
        "premoderation": "مراجعة مسبقة",
        "save": "حفظ",
        "language": "English",
        "by": "بواسطة",
        "model": "النموذج",
        "open": "فتح",
        "done": "تم",
        "failed": "تعذّر",
    },
}

ACTION_LABEL = {
    "approve": "approve",
    "reject": "reject",
    "spam": "mark_spam",
    "not_spam": "not_spam",
    "restore": "restore",
}
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
    if asked in T:
        return asked
    from mizan.service.http.messages import prefers_arabic

    return "ar" if prefers_arabic(request.headers.get("Accept-Language")) else "en"


def _render(template: str, http_status: int = 200, **ctx) -> Response:
    lang = _lang()
    html = render_template(
        template,
        t=T[lang],
        lang=lang,
        dir=T[lang]["dir"],
        actor=current_actor(),
        statuses=QUEUE_STATUSES,
        reject_reasons=REJECT_REASONS,
        action_label=ACTION_LABEL,
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
        sort=sort if sort in ("oldest", "newest") else "oldest",
        cursor=request.args.get("cursor") or None,
        limit=50,
    )
    for item in page["comments"]:
        item["segments"] = segments(item["body"], item["spans"])
    return _render(
        "desk/queue.html",
        page=page,
        status=status,
        sort=sort,
        q=request.args.get("q", ""),
        post_id=request.args.get("post_id", ""),
        actions=QUEUE_ACTIONS[status],
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


@bp.get("/stats")
@require_page()
def stats():
    return _render("desk/stats.html", stats=desk().stats(30))


__all__ = ["bp", "check_csrf", "inert", "safe_url"]
