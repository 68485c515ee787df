"""Extracting a long interval in one run takes as few API calls as paging allows: one lookup
per 100 accounts and, per account, one timeline page per 100 posts."""

import math
from datetime import date, datetime

from socialmetrics.landing import read_landing
from socialmetrics.platforms.x.extract import XCredentials, extract_x_batch
from socialmetrics.window import RunWindow


def test_a_year_in_one_run_costs_one_call_per_hundred_posts(sandbox, scenario, tmp_path):
    start, end = datetime(2025, 4, 1), datetime(2026, 4, 1)
    window = RunWindow.of("year", start, end)
    accounts = [a for a in scenario.accounts if a.platform == "x"][:8]
    batch = {
        "batch": "x-00",
        "connector": "x",
        "accounts": [
            {
                "account_key": f"x:{a.username.lower()}",
                "account_ref": a.username,
                "platform": "x",
                "since": start.isoformat(),
                "history": False,
                "sample_followers": False,
            }
            for a in accounts
        ],
    }
    credentials = XCredentials(sandbox.base_url, sandbox.token)
    summary = extract_x_batch(
        batch, window, credentials, tmp_path / "x-00.jsonl", follower_sample_size=1000
    )
    posts_in_year = [
        scenario.post_count(a, until=date(2026, 3, 31)) - scenario.post_count(a, date(2025, 3, 31))
        for a in accounts
    ]
    pages = sum(max(1, math.ceil(n / 100)) for n in posts_in_year)
    assert summary["calls"] == {"/2/users/by": 1, "/2/users/:id/tweets": pages}
    landed = list(read_landing(tmp_path / "x-00.jsonl"))
    assert len(landed) == 1 + pages
    assert sum(posts_in_year) > 1000
