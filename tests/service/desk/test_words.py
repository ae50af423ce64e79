"""The desk's words: one catalogue in two languages, times in the site's zone, reasons in plain
words with their values isolated."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mizan.service.config import ConfigError, DeskSettings
from mizan.service.desk.words import CATALOGUE, Words, relative, zone_label

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
SERVICE = Path(__file__).resolve().parents[3] / "service"


def test_both_languages_have_every_word():
    assert set(CATALOGUE["ar"]) == set(CATALOGUE["en"])
    for key, text in CATALOGUE["ar"].items():
        assert set(re.findall(r"{(\w+)}", text)) == set(
            re.findall(r"{(\w+)}", CATALOGUE["en"][key])
        ), key


def test_every_reason_code_the_service_records_has_words():
    """Grep the policy, rules, intake, worker and desk for reason codes: each one is named."""
    codes = set()
    for path in [*SERVICE.rglob("*.py"), *(SERVICE.parent / "worker").rglob("*.py")]:
        if path.parent.name == "http":  # error envelopes, not reasons
            continue
        codes |= set(re.findall(r'"code": "([a-z_]+)"', path.read_text()))
    codes -= {"moderator"}  # a moderator's decision is written as its action
    assert codes, "no reason codes found"
    for lang in ("ar", "en"):
        missing = [c for c in codes if f"reason.{c}" not in CATALOGUE[lang]]
        assert not missing, (lang, missing)


@pytest.mark.parametrize(
    "seconds, ar, en",
    [
        (20, "الآن", "just now"),
        (60, "منذ دقيقة", "1 minute ago"),
        (120, "منذ دقيقتين", "2 minutes ago"),
        (300, "منذ 5 دقائق", "5 minutes ago"),
        (11 * 60, "منذ 11 دقيقة", "11 minutes ago"),
        (3 * 3600, "منذ 3 ساعات", "3 hours ago"),
        (2 * 86400, "منذ يومين", "2 days ago"),
        (8 * 86400, None, None),
    ],
)
def test_relative_times_count_like_arabic_does(seconds, ar, en):
    then = NOW - timedelta(seconds=seconds)
    assert relative("ar", then, NOW) == ar
    assert relative("en", then, NOW) == en


def test_times_are_shown_in_the_zone_with_its_label():
    w = Words("ar", ZoneInfo("Africa/Tripoli"), now=NOW)
    html = str(w.at("2026-11-30T08:05:00+00:00"))
    assert "2026-11-30 10:05 UTC+2" in html and 'datetime="2026-11-30T10:05:00+02:00"' in html
    assert zone_label(ZoneInfo("UTC"), NOW) == "UTC"
    assert zone_label(ZoneInfo("Asia/Kolkata"), NOW) == "UTC+5:30"
    rel = str(w.when(NOW - timedelta(minutes=5)))
    assert ">منذ 5 دقائق</time>" in rel and 'title="2026-11-30 11:55 UTC+2"' in rel


def test_timezone_setting_is_validated_at_start():
    assert DeskSettings.from_env({}).timezone == "UTC"
    assert DeskSettings.from_env({"MIZAN_TIMEZONE": "Africa/Tripoli"}).timezone == "Africa/Tripoli"
    with pytest.raises(ConfigError, match="MIZAN_TIMEZONE"):
        DeskSettings.from_env({"MIZAN_TIMEZONE": "Mars/Olympus"})


def test_reasons_in_plain_words_with_isolated_values():
    w = Words("ar", ZoneInfo("UTC"), now=NOW)
    text = str(w.why({"code": "abuse_score", "score": 0.71, "threshold": 0.45}, "held"))
    assert text == (
        'يرى النموذج أنه مسيء (<bdi dir="ltr">0.71</bdi>، والحجز من <bdi dir="ltr">0.45</bdi>).'
    )
    term = str(w.why({"code": "blocked_term", "term": "<b>x</b>"}))
    assert "&lt;b&gt;x&lt;/b&gt;" in term and "<b>" not in term
    en = Words("en", ZoneInfo("UTC"), now=NOW)
    assert "a link, a phone number" in str(
        en.why({"code": "spam_signal", "score": 0.6, "signals": ["link", "phone"]})
    )
    assert "(ban <bdi" in str(en.why({"code": "banned_author", "by": "ip", "ban_id": 3}))
    assert "mystery_code" in str(en.why({"code": "mystery_code"}))
    assert str(en.status("held")) == "Held" and str(w.status("held")) == "محجوزة"


def test_a_threat_phrase_is_named_in_the_reason():
    reason = {"code": "threat_phrase", "score": 0.02}
    ar = str(Words("ar", ZoneInfo("UTC"), now=NOW).why(reason, "held"))
    en = str(Words("en", ZoneInfo("UTC"), now=NOW).why(reason, "held"))
    assert "عبارة تهديد" in ar and "threat" in en


def test_a_dehumanising_phrase_is_named_in_the_reason():
    reason = {"code": "dehumanising_phrase", "score": 0.02}
    ar = str(Words("ar", ZoneInfo("UTC"), now=NOW).why(reason, "held"))
    en = str(Words("en", ZoneInfo("UTC"), now=NOW).why(reason, "held"))
    assert "الحيوانات" in ar and "vermin" in en
    assert "كراهية تجاه جماعة" in str(
        Words("ar", ZoneInfo("UTC"), now=NOW).reason_label("dehumanising_phrase")
    )
