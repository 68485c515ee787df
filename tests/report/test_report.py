"""The offline HTML report, written from real marts (hand-made core rows -> build_marts)
on both warehouses: self-contained, charts that are real PNGs, the review
table of docs/design.md#1-the-problem, "not available" where a statistical mart is missing or
empty, and a page that a browser actually renders."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from PIL import Image, ImageStat

from socialmetrics.report import ReportData, render_report, write_report
from socialmetrics.review import Review
from socialmetrics.transform.build import StatOptions, build_marts
from socialmetrics.transform.publish import published_schema

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "warehouse"))
from core_rows import (  # noqa: E402
    AREA,
    AS_OF,
    ORGANISATION,
    add_account,
    add_consolidation,
    add_daily_posts,
    add_follower_sample,
    add_loaded_days,
    add_places,
    add_snapshot,
)

FIRST = date(2024, 2, 1)
EVENT = date(2024, 5, 15)
ODD_NAME = 'Suffolk & "Essex" <Constabulary>'
CHROMIUM = "/usr/bin/chromium"

EXPECTED_REVIEW = [
    ("officer accounts reviewed", "3"),
    ("of those, not posting content for at least a month", "2"),
    ("district accounts", "2"),
    ("followers living in the area, district accounts", "75%"),
    ("followers living in the area, officer accounts", "50%"),
]
NATIONAL_FACTS = (
    "national finding: organisations that reduced accounts saw more engagement, not less",
    "national finding: no correlation between number of accounts and engagement",
)


def _days(first: date, last: date, every: int = 1) -> list[date]:
    return [first + timedelta(days=n) for n in range(0, (last - first).days + 1, every)]


def _build_state(engine) -> None:
    """Norfolk (force, 2 districts, 3 officers of which 2 dormant, 2 departments closed by
    a consolidation on EVENT) and two organisations that never consolidate; then the SQL
    models. Follower samples: districts 3 in area of 4 known, officers 1 of 2."""
    with engine.begin() as conn:
        add_loaded_days(conn, AS_OF)
        add_places(conn, AREA, ["Norwich", "Great Yarmouth", "Gt Yarmouth"])
        days = _days(FIRST, AS_OF)
        force = add_account(conn, "norfolkpolice", kind="force", opened_on=FIRST)
        add_daily_posts(conn, force, {d: 40 + d.day % 5 for d in days})
        for ref in ("norwichpolice", "yarmouthpolice"):
            district = add_account(conn, ref, kind="district", opened_on=FIRST)
            add_daily_posts(conn, district, {d: 20 + d.day % 7 + 15 * (d >= EVENT) for d in days})
            add_snapshot(conn, district, AS_OF, 5000)
            add_follower_sample(
                conn, district, AS_OF, ["Norwich", "Gt Yarmouth", "Great Yarmouth", "Leeds", ""]
            )
        officers = {"pcactive": AS_OF, "pcquiet": AS_OF - timedelta(40), "sgtgone": EVENT}
        for ref, last in officers.items():
            officer = add_account(conn, ref, kind="officer", opened_on=FIRST)
            add_daily_posts(conn, officer, {d: 5 for d in _days(FIRST, last, every=3)})
            add_follower_sample(conn, officer, AS_OF, ["Norwich", "London", None])
        for ref in ("roadspolicing", "ruralcrime"):
            department = add_account(conn, ref, kind="department", opened_on=FIRST, closed_on=EVENT)
            add_daily_posts(conn, department, {d: 8 for d in _days(FIRST, EVENT - timedelta(1))})
        add_consolidation(conn, EVENT, description="departments closed into districts")
        for organisation, accounts, likes in ((ODD_NAME, 3, 30), ("Essex Police", 5, 12)):
            for n in range(accounts):
                key = add_account(
                    conn, f"{organisation[:5].lower()}{n}", organisation=organisation,
                    kind="district", area="Elsewhere", opened_on=FIRST,
                )  # fmt: skip
                add_daily_posts(conn, key, {d: likes + (d.day + n) % 4 for d in days})
    build_marts(engine, StatOptions(n_resamples=99))


class _Page(HTMLParser):
    """The <img> sources, every src/href value, and the rows of the review table."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self.review: list[tuple[str, str]] = []
        self._in_review = False
        self._cell: list[str] | None = None
        self._row: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        values = dict(attrs)
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]
        if tag == "img":
            self.images.append(values.get("src") or "")
        if tag == "table" and "review" in (values.get("class") or ""):
            self._in_review = True
        if self._in_review and tag == "tr":
            self._row = []
        if self._in_review and tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if self._in_review and tag == "tr" and self._row:
            self.review.append(tuple(self._row))
        if tag == "table":
            self._in_review = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _read(path: Path) -> tuple[str, _Page]:
    html = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    return html, page


def _check_offline(html: str, page: _Page, images: int, blank_ok: bool = False) -> None:
    """No external resource, no script; every image a sensible embedded PNG."""
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", html, re.IGNORECASE)
    assert "@import" not in html and "url(" not in html
    assert not {"script", "link", "iframe", "object", "embed"} & page.tags
    assert all(link.startswith("data:image/png;base64,") for link in page.links)
    assert len(page.images) == images
    for src in page.images:
        png = base64.b64decode(src.removeprefix("data:image/png;base64,"), validate=True)
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG"
            width, height = image.size
            assert 1000 <= width <= 2000 and 500 <= height <= 4000, image.size
            assert blank_ok or ImageStat.Stat(image.convert("L")).stddev[0] > 10  # not blank


def test_report_is_offline_with_charts_and_review_numbers(warehouse, tmp_path):
    _build_state(warehouse)

    html, page = _read(write_report(warehouse, ORGANISATION, AS_OF, tmp_path / "b.html"))
    _check_offline(html, page, images=4)
    assert page.review[:5] == EXPECTED_REVIEW
    consolidation, correlation = (value for _, value in page.review[5:])
    assert re.match(
        r"Norfolk Constabulary, 15 May 2024: \+\d+% engagement per day \(95% CI", consolidation
    )
    assert re.match(r"Spearman ρ = [+−]\d\.\d\d, p [=<] [\d.]+ across 3 organisations", correlation)
    assert "not available" not in html
    assert "<td>engagement per day</td>" in html and "before 15 February 2024" in html

    # Empty statistical marts say so too; the other charts are still drawn.
    with warehouse.begin() as conn:  # the marts are views of the published release
        release = published_schema(conn)
        conn.execute(sa.text(f"delete from {release}.consolidation_impact"))
        conn.execute(sa.text(f"delete from {release}.accounts_vs_engagement"))
    html, page = _read(write_report(warehouse, ORGANISATION, AS_OF, tmp_path / "c.html"))
    _check_offline(html, page, images=3)
    assert "marts.consolidation_impact has no row for this organisation" in html
    assert "marts.accounts_vs_engagement is empty" in html
    assert page.review[5:] == [(fact, "not available") for fact in NATIONAL_FACTS]


def test_report_of_nothing_escapes_names_and_says_no_data(tmp_path):
    """No warehouse at all: empty data still gives four drawn charts (each saying there is no
    data), and names from the registry are escaped, never markup."""
    empty = pd.DataFrame(columns=["kind", "day", "engagement", "posts", "dormant", "open"])
    review = Review(ODD_NAME, AS_OF, accounts={}, dormant={}, in_area_share={})
    national = pd.DataFrame(
        [{"row_type": "organisation", "organisation": f"<b>{ODD_NAME}</b>",
          "period_start": FIRST, "period_end": AS_OF, "active_accounts": 2.0,
          "engagement_per_day": 10.0}]
    )  # fmt: skip
    data = ReportData(
        organisation=ODD_NAME,
        day=AS_OF,
        since=FIRST,
        engagement=empty,
        dormant=empty,
        dormant_after_days=[],
        locality=pd.DataFrame(),
        events=pd.DataFrame(columns=["event_date", "description"]),
        review=review,
        impact=None,
        all_impact=None,
        national=national,
    )
    path = tmp_path / "nothing.html"
    path.write_text(render_report(data), encoding="utf-8")
    html, page = _read(path)
    _check_offline(html, page, images=4, blank_ok=True)
    assert "Suffolk &amp; &#34;Essex&#34; &lt;Constabulary&gt;" in html
    assert "<Constabulary>" not in html and "<b>" not in html
    assert page.review[:5] == [
        ("officer accounts reviewed", "0"),
        ("of those, not posting content for at least a month", "0"),
        ("district accounts", "0"),
        ("followers living in the area, district accounts", "n/a"),
        ("followers living in the area, officer accounts", "n/a"),
    ]
    assert "Consolidation impact: not available." in html
    assert page.review[6][1] == (
        "not available (the correlation needs at least 3 organisations that differ; "
        "the mart has 1 organisation)"
    )


@pytest.mark.parametrize("warehouse_url", ["duckdb"], indirect=True)
def test_report_renders_in_a_browser(warehouse, tmp_path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the browser tests need {CHROMIUM} under CI (.ci/run installs it)")
        pytest.skip(f"{CHROMIUM} is not installed (.ci/run installs Debian's chromium)")
    _build_state(warehouse)
    report = write_report(warehouse, ORGANISATION, AS_OF, tmp_path / "report.html")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1000,3000",
            report.as_uri(),
        ],
        env={**os.environ, "HOME": str(tmp_path)},
        capture_output=True,
        timeout=60,
        check=True,
    )
    with Image.open(shot) as image:
        assert image.size == (1000, 3000)
        grey = image.convert("L")
        assert ImageStat.Stat(grey).stddev[0] > 20  # text and charts, not a blank page
        dark = sum(grey.histogram()[:128]) / (grey.size[0] * grey.size[1])
        assert dark > 0.005
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is None or len(colours) > 500  # the charts' colours are there
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
