"""Use cases of the moderation desk: accounts, the queue, actions, audit, reports, feedback, stats.

No Flask here: the API and the web desk call these, and they raise the typed errors of
`mizan.service.errors` (plus `Unauthorized`), which only the API layer turns into responses.
Each part lives in its own module (accounts, queue, actions, lists, insight); `Desk` is all of
them over one repository.
"""

from __future__ import annotations

from mizan.service.config import DeskSettings
from mizan.service.desk.accounts import Accounts
from mizan.service.desk.actions import Actions
from mizan.service.desk.common import (
    ACTIONS,
    LANGS,
    MSG_AUTH,
    MSG_FIELDS,
    MSG_LOGIN,
    QUEUE_STATUSES,
    REJECT_REASONS,
    REPORT_REASONS,
    ROLES,
    SORTS,
    TRANSITIONS,
    Actor,
    Unauthorized,
    article_groups,
    audit_dict,
    guess_lang,
    hash_token,
    log,
    mask_email,
    near_duplicate_groups,
    reason_spans,
    segments,
)
from mizan.service.desk.insight import Insight
from mizan.service.desk.lists import Lists
from mizan.service.desk.queue import Queue
from mizan.service.desk.rights import Rights


class Desk(Accounts, Queue, Actions, Lists, Insight, Rights):
    """The moderation desk's use cases over the desk repository and the service's keys."""


__all__ = [
    "ACTIONS",
    "Actor",
    "DeskSettings",
    "LANGS",
    "MSG_AUTH",
    "MSG_FIELDS",
    "MSG_LOGIN",
    "QUEUE_STATUSES",
    "REJECT_REASONS",
    "REPORT_REASONS",
    "ROLES",
    "SORTS",
    "TRANSITIONS",
    "Unauthorized",
    "article_groups",
    "audit_dict",
    "guess_lang",
    "hash_token",
    "log",
    "mask_email",
    "near_duplicate_groups",
    "reason_spans",
    "segments",
    "Desk",
]
