"""Untrusted text in: JSON bodies parsed with a depth limit, text with NUL or surrogates refused.

PostgreSQL cannot store or compare text holding NUL, and a lone surrogate cannot be encoded at
all, so either would surface as a database or encoding error (a 500, or a 503 that reports bad
input as an outage). They are refused here, at the door, with 422, before any SQL sees them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from mizan.service.errors import BadRequest, ValidationFailed

MAX_DEPTH = 32
MSG_FIELDS = "The comment could not be accepted: see the fields."
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


def unusable(text: str) -> bool:
    """True when the text holds NUL or a lone surrogate (nothing a database can store)."""
    return _FORBIDDEN.search(text) is not None


def refuse_unusable(values: Iterable[str], field: str = "_body") -> None:
    """Raise 422 when any of the strings holds NUL or a lone surrogate."""
    if any(unusable(v) for v in values):
        raise ValidationFailed(
            MSG_FIELDS, fields={field: ["Contains characters that are not allowed."]}
        )


def parse_json(text: str) -> Any:
    """Parse a JSON body: 400 when it is not JSON or nests too deep, 422 for unusable text."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadRequest("The request body is not valid JSON.") from None
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None
    _check(data)
    return data


def _check(data: Any) -> None:
    # Iterative, so a deep document cannot exhaust the stack here either. A problem is reported
    # under the top-level key it sits in, the way a schema would name the field.
    stack: list[tuple[Any, int, str]] = [(data, 1, "_body")]
    while stack:
        node, depth, field = stack.pop()
        if isinstance(node, str):
            refuse_unusable((node,), field)
        elif isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                raise BadRequest("The request body is not valid JSON.")
            if isinstance(node, dict):
                refuse_unusable(node.keys(), field)
                stack.extend((v, depth + 1, k if depth == 1 else field) for k, v in node.items())
            else:
                stack.extend((v, depth + 1, field) for v in node)


def strict_int(raw: str, lo: int, hi: int) -> int | None:
    """ASCII digits only, within [lo, hi]; None otherwise (no `²`, no sign, no 5,000 digits)."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(hi)):
        return None
    value = int(raw)
    return value if lo <= value <= hi else None
