"""marts.consolidation_effect_pooled on the sandbox scenario's consolidations.

Every organisation of the default scenario goes into the warehouse as one account carrying
the engagement the sandbox generates for it each day (scenario.daily_engagement, the same
posts the API serves), with its consolidation events; the marts are then built as the
pipeline builds them. Twelve events with planted effects from -20% to +40% (seven of them
none): the pooled interval must cover their average.
"""

import math
from datetime import date

import pytest
from core_rows import add_account, add_consolidation, add_daily_posts, add_loaded_days, fetch

from sandbox.scenario import planted_consolidation_effects
from socialmetrics.transform.build import StatOptions, build_marts

pytestmark = pytest.mark.slow

FIRST_DAY = date(2024, 11, 1)  # 90 days before the earliest event's before window


@pytest.fixture(scope="module")
def daily_engagement(scenario):
    return {
        o.name: scenario.daily_engagement(o.name, FIRST_DAY, scenario.end_date)
        for o in scenario.organisations
    }


def test_pooled_change_covers_the_average_planted_effect(warehouse, scenario, daily_engagement):
    with warehouse.begin() as conn:
        add_loaded_days(conn, scenario.end_date)
        for org in scenario.organisations:
            key = add_account(
                conn, org.name.split()[0].lower(), organisation=org.name, area=org.area,
                opened_on=FIRST_DAY,
            )  # fmt: skip
            add_daily_posts(conn, key, {d: int(n) for d, n in daily_engagement[org.name].items()})
            if org.consolidation_date:
                add_consolidation(conn, org.consolidation_date, organisation=org.name)
    # 299 >= the 252 splits of 5 + 5 blocks: the tests and intervals are exact.
    build_marts(warehouse, StatOptions(n_resamples=299))
    effects = planted_consolidation_effects()
    # The random-effects mean is an average on the log scale: the geometric mean of effects.
    average = math.expm1(sum(map(math.log, effects.values())) / len(effects))
    rows = {
        row["basis"]: row
        for row in fetch(warehouse, "select * from marts.consolidation_effect_pooled")
    }
    for basis, row in rows.items():
        assert row["events"] == row["events_in_warehouse"] == len(effects) == 12, basis
        assert row["ci_low"] < average < row["ci_high"], (basis, average, row)
        assert row["smallest_event_change"] < 0 < row["largest_event_change"], basis
    assert set(rows) == {"before_after", "difference_in_differences"}
