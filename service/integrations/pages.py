"""The desk's integrations page (/moderation/integrations, admins only): Akismet sites and keys,
webhook endpoints with their recent deliveries. Plain forms with the session's CSRF token; a new
key or secret is shown once, on the page that created it."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from mizan.service.desk import current_actor, render_page, require_page
from mizan.service.errors import MizanError
from mizan.service.integrations.akismet import Akismet
from mizan.service.integrations.webhooks import EVENTS, Webhooks

bp = Blueprint(
    "integrations_pages",
    __name__,
    url_prefix="/moderation/integrations",
    template_folder="templates",
)

T = {
    "en": {
        "heading": "Integrations",
        "sites": "Sites using the Akismet-compatible API",
        "name": "Name",
        "origin": "Origin",
        "key": "Key",
        "checks": "Checked",
        "spam": "Answered spam",
        "last_used": "Last used",
        "state": "State",
        "live": "live",
        "revoked": "revoked",
        "revoke": "Revoke",
        "add_site": "Add a site",
        "new_key": "The site's API key (shown only now; copy it into the site's Akismet settings):",
        "webhooks": "Webhooks",
        "url": "URL",
        "events": "Events",
        "enabled": "enabled",
        "disabled": "disabled",
        "failures": "Failures in a row",
        "last_error": "Last error",
        "last_success": "Last success",
        "enable": "Enable",
        "disable": "Disable",
        "delete": "Delete",
        "add_webhook": "Add a webhook",
        "new_secret": (
            "The signing secret (shown only now; the receiver verifies X-Mizan-Signature with it):"
        ),
        "deliveries": "Recent deliveries",
        "event": "Event",
        "comment": "Comment",
        "status": "Status",
        "attempts": "Attempts",
        "code": "HTTP",
        "when": "Created",
        "none": "None yet.",
        "error": "Not done:",
    },
    "ar": {
        "heading": "التكاملات",
        "sites": "المواقع التي تستخدم واجهة Akismet المتوافقة",
        "name": "الاسم",
        "origin": "الأصل",
        "key": "المفتاح",
        "checks": "المفحوص",
        "spam": "أجيب بأنه مزعج",
        "last_used": "آخر استخدام",
        "state": "الحالة",
        "live": "فعّال",
        "revoked": "ملغى",
        "revoke": "إلغاء",
        "add_site": "إضافة موقع",
        "new_key": "مفتاح الموقع (يظهر الآن فقط؛ انسخه إلى إعدادات Akismet في الموقع):",
        "webhooks": "الخطافات (Webhooks)",
        "url": "الرابط",
        "events": "الأحداث",
        "enabled": "مفعّل",
        "disabled": "معطّل",
        "failures": "إخفاقات متتالية",
        "last_error": "آخر خطأ",
        "last_success": "آخر نجاح",
        "enable": "تفعيل",
        "disable": "تعطيل",
        "delete": "حذف",
        "add_webhook": "إضافة خطاف",
        "new_secret": "سر التوقيع (يظهر الآن فقط؛ يتحقق المستقبِل به من X-Mizan-Signature):",
        "deliveries": "آخر الإرسالات",
        "event": "الحدث",
        "comment": "التعليق",
        "status": "الحالة",
        "attempts": "المحاولات",
        "code": "HTTP",
        "when": "أنشئ",
        "none": "لا شيء بعد.",
        "error": "لم يتم:",
    },
}


def _akismet() -> Akismet:
    return current_app.extensions["mizan.akismet"]


def _webhooks() -> Webhooks:
    return current_app.extensions["mizan.webhooks"]


def _page(http_status: int = 200, **ctx):
    actor = current_actor()
    lang = actor.lang if actor and actor.lang in T else "ar"
    hooks = _webhooks()
    endpoints = [hooks.get(e["id"]) for e in hooks.endpoints()]
    return render_page(
        "integrations/page.html",
        http_status,
        it=T[lang],
        sites=_akismet().sites(),
        endpoints=endpoints,
        all_events=EVENTS,
        **ctx,
    )


@bp.get("", provide_automatic_options=False)
@require_page(admin=True)
def page():
    return _page()


@bp.post("", provide_automatic_options=False)
@require_page(admin=True)
def act():
    form = request.form
    what = form.get("do", "")
    actor = current_actor()
    who = actor.email if actor else None
    try:
        if what == "add_site":
            key, _site = _akismet().add_site(form.get("name", ""), form.get("origin", ""), who)
            return _page(201, new_key=key)
        if what == "revoke_site":
            _akismet().revoke_site(form.get("name", ""))
        elif what == "add_webhook":
            secret, _id = _webhooks().add(form.get("url", ""), form.getlist("events"), who)
            return _page(201, new_secret=secret)
        elif what in ("enable", "disable", "delete"):
            raw = form.get("endpoint_id", "")
            endpoint_id = int(raw) if raw.isdigit() and len(raw) < 18 else -1
            if what == "delete":
                _webhooks().remove(endpoint_id)
            else:
                _webhooks().set_enabled(endpoint_id, what == "enable")
        else:
            return _page(422, error="?")
    except MizanError as exc:
        detail = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in (exc.fields or {}).items())
        return _page(exc.status, error=exc.message + (f" ({detail})" if detail else ""))
    return _page()
