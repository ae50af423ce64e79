"""Property tests for the intake schema that the OpenAPI document is generated from."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from mizan.service.intake.schemas import CommentIn

FIELDS = list(CommentIn().fields)
values = st.one_of(
    st.none(),
    st.text(max_size=300),
    st.integers(),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*FIELDS, "extra", "author", "comment"]), values))
def test_load_either_returns_clean_data_or_field_errors(data):
    """Any JSON object: a clean comment, or a ValidationError keyed by field; nothing else."""
    schema = CommentIn(allowed_origins=("https://news.example",), max_body_chars=1000)
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        messages = exc.normalized_messages()
        assert messages and set(messages) <= {*FIELDS, "extra", "author", "comment", "_schema"}
        assert all(isinstance(m, list | dict) for m in messages.values())
        return
    assert set(loaded) <= set(FIELDS)
    for key in ("post_id", "author_name", "author_email", "body"):
        value = loaded[key]
        assert isinstance(value, str) and value == value.strip() and value
        assert not any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value)
    assert len(loaded["body"]) <= 1000


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip()))
def test_valid_comments_round_trip_their_text(text):
    clean = (
        "".join(
            ch
            for ch in text
            if ord(ch) >= 32 and not 0xD800 <= ord(ch) <= 0xDFFF and ord(ch) != 0x7F
        ).strip()
        or "x"
    )
    data = {
        "post_id": "p-1",
        "author_name": "Reader",
        "author_email": "reader@example.org",
        "body": f"  {clean}\r\n",
    }
    loaded = CommentIn().load(data)
    assert loaded["body"] == clean
