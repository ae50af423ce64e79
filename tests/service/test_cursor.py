"""Page cursors: every string the OpenAPI pattern allows is a cursor; earlier cursors still work."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mizan.service.db import CURSOR_PATTERN, decode_cursor, encode_cursor

IDS = st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z")


# Seventeen digits of microseconds reach the year 5138: comments are stamped when stored.
@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(5000, 1, 1), timezones=st.just(UTC)
    ),
    IDS,
)
def test_round_trip_and_the_pattern_describes_it(when, cid):
    cursor = encode_cursor(when, cid)
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    assert decode_cursor(cursor) == (when, cid)


@given(st.from_regex(r"\A[0-9]{1,17}\.[A-Za-z0-9_-]{1,64}\Z"))
def test_every_string_of_the_documented_shape_is_a_cursor(cursor):
    decoded = decode_cursor(cursor)
    assert decoded is not None and decoded[0] >= datetime(1970, 1, 1, tzinfo=UTC)


def test_cursors_of_the_earlier_form_still_work_and_bad_ones_do_not():
    when = datetime(2026, 11, 30, 4, 11, tzinfo=UTC) + timedelta(microseconds=7)
    legacy = base64.urlsafe_b64encode(json.dumps([when.isoformat(), "abc"]).encode()).decode()
    assert decode_cursor(legacy.rstrip("=")) == (when, "abc")
    for bad in ("", "12.", ".abc", "12.a b", "12.abc\n", "1" * 18 + ".abc", "12.\x00"):
        assert decode_cursor(bad) is None, bad
