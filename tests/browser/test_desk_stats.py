"""The stats page in a real Chromium: server-drawn SVG charts carry the seeded numbers, in
Arabic, and the CSV export has the same. Its own server: the numbers must be only these."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, serve
from tests.browser.test_newsroom_desk import log_in
from tests.service.desk.test_newsroom import seed_stats
from tests.service.desk.test_support import add_account

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("stats"), MIZAN_TIMEZONE="Africa/Tripoli") as app:
        add_account(app, "huda@newsroom.example", role="admin", lang="ar")
        seed_stats(app)
        yield app


def values(page, chart: str, series: str) -> dict[str, str]:
    marks = page.locator(f'#{chart} [data-series="{series}"]').all()
    return {m.get_attribute("data-label"): m.get_attribute("data-value") for m in marks}


def test_charts_show_the_seeded_numbers_in_arabic(site, page):
    base = site.config["BASE_URL"]
    log_in(page, base, "huda@newsroom.example", "/moderation/stats")
    days = site.extensions["mizan_desk"].series(30)["days"]
    d2, d1, d0 = (d[5:] for d in days[-3:])
    assert page.locator("svg.chart").count() == 5
    assert values(page, "chart-comments", "approved") == {d2: "1", d1: "1"}
    assert values(page, "chart-comments", "rejected") == {d2: "1"}
    assert values(page, "chart-comments", "held") == {d1: "1", d0: "1"}
    queue = values(page, "chart-queue", "queue")
    assert (queue[d2], queue[d1], queue[d0]) == ("0", "1", "2")
    assert values(page, "chart-reports", "reports") == {d0: "1"}
    assert values(page, "chart-overturned", "overturned") == {"model-B": "1", "test-model-1": "1"}
    assert "التعليقات في اليوم" in page.locator("figcaption").first.inner_text()
    assert "عُكس 1 من 1 مراجَعة" in page.locator('li[data-model="model-B"]').inner_text()
    screenshot(page, "desk-stats-ar", docs=True)
    csv = page.request.get(base + page.get_attribute("#stats-csv", "href"))
    assert csv.ok and f"held_queue,{days[-1]},held,2" in csv.text()
    assert page.js_errors == []
