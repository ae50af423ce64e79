"""The desk's integrations page (/moderation/integrations, admins only): Akismet sites and keys,
webhook endpoints with their recent deliveries. Plain forms with the session's CSRF token; a new
key or secret is shown once, on the page that created it."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from mizan.service.desk import LANGS, current_actor, render_page, require_page, words_with_prefix
from mizan.service.errors import MizanError
from mizan.service.integrations.akismet import Akismet
from mizan.service.integrations.webhooks import EVENTS, Webhooks

bp = Blueprint(
    "integrations_pages",
    __name__,
    url_prefix="/moderation/integrations",
    template_folder="templates",
)


def _akismet() -> Akismet:
    return current_app.extensions["mizan.akismet"]


def _webhooks() -> Webhooks:
    return current_app.extensions["mizan.webhooks"]


def _page(http_status: int = 200, **ctx):
    actor = current_actor()
    lang = actor.lang if actor and actor.lang in LANGS else "ar"
    hooks = _webhooks()
    endpoints = [hooks.get(e["id"]) for e in hooks.endpoints()]
    return render_page(
        "integrations/page.html",
        http_status,
        it=words_with_prefix(lang, "int."),
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
