"""The moderation API (/api/v1/moderation/...) in the OpenAPI contract.

Bodies are the marshmallow schemas that service/api/moderation.py loads and dumps with, so the
document cannot drift from the code. Every operation needs a moderator's bearer token or the
desk's session cookie (with its CSRF token on POST/PUT/DELETE); word lists and model activation
need an admin account.

Error statuses, as the code answers them:
  401  no or invalid credentials (require_api);
  403  a session request without its CSRF token (state-changing methods only), or an admin
       operation by a moderator;
  400  a body that is not JSON, or JSON that is not an object (_body);
  415  a body that is not application/json (_body);
  413  a body above MIZAN_MAX_REQUEST_BYTES (werkzeug, while reading it);
  422  a field or query parameter that does not validate, or an unknown one;
  404  an unknown comment, ban, word term or model version (and routing misses);
  409  an illegal status transition, a term already listed, an unreadable email or address,
       a model artifact that does not load;
  405  another method on a served path;
  503  the database is unavailable (Retry-After).
"""

from __future__ import annotations

from marshmallow import Schema

from mizan.service.desk.api import (
    ActionIn,
    ActionResultOut,
    AuditOut,
    AuditQuery,
    AuthorViewOut,
    BanIn,
    BanOut,
    BulkActionIn,
    BulkResultOut,
    CommentDetailOut,
    DomainIn,
    DomainOut,
    EraseIn,
    EraseOut,
    MeOut,
    ModelVersionOut,
    PostSettingsIn,
    PostSettingsOut,
    QueueOut,
    QueueQuery,
    ReaderExportOut,
    ReaderIn,
    RevealOut,
    StatsOut,
    StatsQuery,
    WordTermIn,
    WordTermOut,
)
from mizan.service.desk.reports import ReportAcceptedOut, ReportIn
from mizan.service.http.openapi import INTAKE_ERRORS, document, path_param, query_param

PREFIX = "/api/v1/moderation"
TAGS = ["moderation"]
SECURITY = ["moderatorToken", "deskSession"]

# Reading needs credentials only; changing state also needs the CSRF token (sessions) and, for
# the admin operations, an admin account.
READ = (401, 405, 503)
WRITE = (401, 403, 405, 503)
JSON_BODY = (400, 413, 415, 422)
# Ids of rows (bans, word terms); larger numbers are answered 404.
ROW_ID = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}

_QUERY_NOTES = {
    "status": "Which queue (default held).",
    "post_id": "Only the comments of this article.",
    "q": "Only comments whose text contains this.",
    "sort": "oldest (default), newest, or uncertain: scores nearest a threshold first.",
    "cursor": "next_cursor of the previous page.",
    "limit": "Items per page.",
    "comment_id": "Only entries about this comment.",
    "actor_id": "Only entries by this moderator account.",
    "action": "Only entries of this action (approve, ban, word_add, ...).",
    "days": "How many days back (default 30).",
}
_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def _query_params(schema: type[Schema]) -> list[dict]:
    """Query parameters from a query-string schema (unknown parameters are refused with 422)."""
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    # One throwaway converter: it turns each field into its JSON Schema (type, enum, limits).
    plugin = MarshmallowPlugin()
    APISpec("q", "0", "3.0.3", plugins=[plugin])
    params = []
    for name, fld in schema().fields.items():
        prop = plugin.converter.field2property(fld)  # type: ignore[union-attr]
        prop.pop("default", None)
        prop.pop("nullable", None)  # a query parameter is absent or a value, never null
        if prop.get("type") not in _JSON_TYPES:
            prop["type"] = "string"
        params.append(query_param(name, _QUERY_NOTES.get(name, ""), prop))
    return params


def _comment_id(description: str = "The comment's id.") -> dict:
    return path_param("comment_id", description)


def describe() -> None:
    document(
        f"{PREFIX}/me",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="The account behind this token or session.",
        responses={200: MeOut},
        errors=READ,
        operation_id="moderation_me",
    )
    document(
        f"{PREFIX}/comments",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="A page of a moderation queue, with scores, reasons, spans, author "
        "history (email masked), reports and near-duplicate groups.",
        parameters=_query_params(QueueQuery),
        responses={200: QueueOut},
        errors=(*READ, 422),
        operation_id="moderation_queue",
    )
    document(
        f"{PREFIX}/comments/{{comment_id}}",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="One comment with its decisions, reader reports and audit entries.",
        parameters=[_comment_id()],
        responses={200: CommentDetailOut},
        errors=(*READ, 404),
        operation_id="moderation_comment",
    )
    document(
        f"{PREFIX}/comments/{{comment_id}}/actions",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Approve, reject, mark as spam or not spam, or restore one comment.",
        description="reason is required for reject. 409 when the comment's status does not "
        "allow the action (its fields.status says which status it has).",
        parameters=[_comment_id()],
        body=ActionIn,
        responses={200: (ActionResultOut, "Done; the comment's previous and new status.")},
        errors=(*WRITE, *JSON_BODY, 404, 409),
        operation_id="moderation_act",
    )
    document(
        f"{PREFIX}/actions",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="One action on many comments, each in its own transaction.",
        description="Always 200 once the body validates: each result says ok or carries "
        "the error (not_found, conflict) of that comment.",
        body=BulkActionIn,
        responses={200: (BulkResultOut, "Each comment's outcome and the new queue counts.")},
        errors=(*WRITE, *JSON_BODY),
        operation_id="moderation_act_many",
    )
    document(
        f"{PREFIX}/comments/{{comment_id}}/author",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="The comment's author: their comments (same email, matched by its keyed hash, "
        "newest first, at most 200) with decisions; the email stays masked.",
        parameters=[_comment_id()],
        responses={200: AuthorViewOut},
        errors=(*READ, 404),
        operation_id="moderation_author",
    )
    document(
        f"{PREFIX}/comments/{{comment_id}}/author/approve",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Approve and trust: approve every held, spam or reported comment of the author.",
        description="Each comment in its own transaction, audited as approve with the note "
        "approve_and_trust. With enough approved comments the author's later comments from the "
        "same browser pass as a trusted author's (MIZAN_TRUSTED_MIN_APPROVED).",
        parameters=[_comment_id()],
        responses={200: (BulkResultOut, "Each comment's outcome and the new queue counts.")},
        errors=(*WRITE, 404),
        operation_id="moderation_approve_author",
    )
    document(
        f"{PREFIX}/comments/{{comment_id}}/reveal",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="The author's email in clear (audited).",
        parameters=[_comment_id()],
        responses={200: RevealOut},
        errors=(*WRITE, 404, 409),
        operation_id="moderation_reveal",
    )
    document(
        f"{PREFIX}/audit",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="The audit log, newest first.",
        parameters=_query_params(AuditQuery),
        responses={200: AuditOut},
        errors=(*READ, 422),
        operation_id="moderation_audit",
    )
    document(
        f"{PREFIX}/bans",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="Active bans (no banned address or email is ever shown).",
        responses={200: BanOut(many=True)},
        errors=READ,
        operation_id="moderation_bans",
    )
    document(
        f"{PREFIX}/bans",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Ban an author's email, IP or network, from a comment or a given value.",
        description="Give exactly one of comment_id and value; days sets an expiry.",
        body=BanIn,
        responses={201: (BanOut, "The ban.")},
        errors=(*WRITE, *JSON_BODY, 404, 409),
        operation_id="moderation_ban",
    )
    document(
        f"{PREFIX}/bans/{{ban_id}}",
        "delete",
        tags=TAGS,
        security=SECURITY,
        summary="Lift a ban.",
        parameters=[path_param("ban_id", "The ban's id.", ROW_ID)],
        responses={204: None},
        errors=(*WRITE, 404),
        operation_id="moderation_lift_ban",
    )
    post_id = path_param("post_id", "The site's article id.")
    document(
        f"{PREFIX}/posts/{{post_id}}",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="Whether an article's comments are closed or pre-moderated.",
        parameters=[post_id],
        responses={200: PostSettingsOut},
        errors=READ,
        operation_id="moderation_post_settings",
    )
    document(
        f"{PREFIX}/posts/{{post_id}}",
        "put",
        tags=TAGS,
        security=SECURITY,
        summary="Close an article's comments or switch its pre-moderation.",
        description="Give comments_closed, premoderation or both (true or false; a missing "
        "field is left as it is).",
        parameters=[post_id],
        body=PostSettingsIn,
        responses={200: PostSettingsOut},
        errors=(*WRITE, *JSON_BODY),
        operation_id="moderation_set_post_settings",
    )
    document(
        f"{PREFIX}/wordlists",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="The blocked and watched word lists.",
        responses={200: WordTermOut(many=True)},
        errors=READ,
        operation_id="moderation_word_terms",
    )
    document(
        f"{PREFIX}/wordlists",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Add a term to a word list (admins).",
        description="blocked terms reject (default) or mark spam; watched terms hold. "
        "409 when the term is already listed.",
        body=WordTermIn,
        responses={201: (WordTermOut, "The term.")},
        errors=(*WRITE, *JSON_BODY, 409),
        operation_id="moderation_add_word_term",
    )
    document(
        f"{PREFIX}/wordlists/{{term_id}}",
        "delete",
        tags=TAGS,
        security=SECURITY,
        summary="Remove a term from its word list (admins).",
        parameters=[path_param("term_id", "The term's id.", ROW_ID)],
        responses={204: None},
        errors=(*WRITE, 404),
        operation_id="moderation_remove_word_term",
    )
    document(
        f"{PREFIX}/domains",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="Blocked domains, with the comments each sent to spam in the last 30 days.",
        responses={200: DomainOut(many=True)},
        errors=READ,
        operation_id="moderation_domains",
    )
    document(
        f"{PREFIX}/domains",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Block a domain and its subdomains (admins): links to it make a comment spam.",
        description="409 when the domain is already blocked.",
        body=DomainIn,
        responses={201: (DomainOut, "The blocked domain.")},
        errors=(*WRITE, *JSON_BODY, 409),
        operation_id="moderation_add_domain",
    )
    document(
        f"{PREFIX}/domains/{{domain_id}}",
        "delete",
        tags=TAGS,
        security=SECURITY,
        summary="Unblock a domain (admins).",
        parameters=[path_param("domain_id", "The blocked domain's id.", ROW_ID)],
        responses={204: None},
        errors=(*WRITE, 404),
        operation_id="moderation_remove_domain",
    )
    document(
        f"{PREFIX}/readers/export",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Export everything stored for one reader's email address (admins, audited).",
        description="The address is matched as intake stored it (trimmed, lower-case): every "
        "comment with its text, article, name, website, IP and user agent while still kept, its "
        "decisions and report count, and bans on the address. The audit entry records how many "
        "comments, never the address.",
        body=ReaderIn,
        responses={200: (ReaderExportOut, "The reader's data as JSON.")},
        errors=(*WRITE, *JSON_BODY),
        operation_id="moderation_export_reader",
    )
    document(
        f"{PREFIX}/readers/erase",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Erase everything stored for one reader's email address (admins, audited).",
        description="mode remove keeps each comment as removed by request (text replaced, every "
        "personal field wiped, a waiting comment rejected); mode delete deletes them, except "
        "those others' replies hang on, which are removed instead. Training examples made from "
        "them are deleted either way.",
        body=EraseIn,
        responses={200: (EraseOut, "How many comments were removed and deleted.")},
        errors=(*WRITE, *JSON_BODY),
        operation_id="moderation_erase_reader",
    )
    document(
        f"{PREFIX}/stats",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="Automatic outcomes per model version and day, and how often moderators "
        "agreed with them.",
        parameters=_query_params(StatsQuery),
        responses={200: StatsOut},
        errors=(*READ, 422),
        operation_id="moderation_stats",
    )
    document(
        f"{PREFIX}/models",
        "get",
        tags=TAGS,
        security=SECURITY,
        summary="Classifier versions found on disk or registered, and the active one.",
        responses={200: ModelVersionOut(many=True)},
        errors=READ,
        operation_id="moderation_models",
    )
    document(
        f"{PREFIX}/models/{{version}}/activate",
        "post",
        tags=TAGS,
        security=SECURITY,
        summary="Make a classifier version the active one (admins); workers pick it up.",
        description="404 when the version is not on this machine, 409 when it does not "
        "load or its artifact names another version.",
        parameters=[path_param("version", "The model version.")],
        responses={200: ModelVersionOut},
        errors=(*WRITE, 404, 409),
        operation_id="moderation_activate_model",
    )


describe()


# --- reader reports (public) -----------------------------------------------------------------
document(
    "/api/v1/comments/{comment_id}/reports",
    "post",
    tags=["public"],
    summary="Report a published comment to the moderators.",
    parameters=[path_param("comment_id")],
    body=ReportIn,
    body_types=("application/json", "application/x-www-form-urlencoded"),
    responses={202: ReportAcceptedOut},
    errors=INTAKE_ERRORS,
    operation_id="report_comment",
)
