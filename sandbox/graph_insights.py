"""The insights answers of the Graph API sandbox: page insights by metric and day, and an
Instagram account's follower demographics."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sandbox.graph_routes import GraphFailure, PagingLinks, day_end, query_moment, unix_day
from sandbox.graph_schema import (
    BREAKDOWNS,
    GRAPH_METRICS,
    INSIGHTS_HISTORY_DAYS,
    INSIGHTS_MAX_DAYS,
    TIMEFRAMES,
    GraphMetric,
)
from sandbox.scenario import Scenario, ScenarioAccount


class GraphInsights:
    """Insights of a :class:`GraphApi` (its ``scenario`` and ``today``)."""

    scenario: Scenario

    def _metrics(self, params: Mapping[str, str], platform: str) -> list[GraphMetric]:
        raw = params.get("metric", "")
        names = [n.strip() for n in raw.split(",") if n.strip()]
        if not names:
            raise GraphFailure(100, "(#100) The parameter metric is required")
        metrics = []
        for name in names:
            metric = GRAPH_METRICS.get(name)
            if metric is None or metric.platform != platform or not metric.served_on(self.today):
                raise GraphFailure(100, "(#100) The value must be a valid insights metric")
            metrics.append(metric)
        return list(dict.fromkeys(metrics))

    def _page_insights(
        self, account: ScenarioAccount, params: Mapping[str, str], links: PagingLinks
    ) -> dict[str, Any]:
        metrics = self._metrics(params, "facebook")
        period = params.get("period", "day")
        for metric in metrics:
            if period not in metric.periods:
                raise GraphFailure(
                    100, f"(#100) Invalid period '{period}' for metric {metric.name}"
                )
        first, stop = self._insights_range(params)
        days = [first + timedelta(days=i) for i in range((stop - first).days)]
        history_start = self.today - timedelta(days=INSIGHTS_HISTORY_DAYS - 1)
        days = [d for d in days if max(history_start, self.scenario.start_date) <= d <= self.today]
        data = []
        for metric in metrics:
            values = [
                {"value": self._page_value(account, metric.name, period, d), "end_time": day_end(d)}
                for d in days
            ]
            data.append(
                {
                    "name": metric.name,
                    "period": period,
                    "values": values,
                    "title": metric.title,
                    "description": metric.description,
                    "id": f"{account.user_id}/insights/{metric.name}/{period}",
                }
            )
        span = stop - first
        return {
            "data": data,
            "paging": {
                "previous": links.url(
                    since=unix_day(first - span), until=unix_day(first), replace_range=True
                ),
                "next": links.url(
                    since=unix_day(stop), until=unix_day(stop + span), replace_range=True
                ),
            },
        }

    def _insights_range(self, params: Mapping[str, str]) -> tuple[date, date]:
        since = query_moment(params, "since")
        until = query_moment(params, "until")
        if since is None and until is None:
            stop = self.today
            return stop - timedelta(days=2), stop
        if until is None:
            assert since is not None
            first = since.date()
            return first, min(first + timedelta(days=INSIGHTS_MAX_DAYS), self.today)
        if since is None:
            stop = until.date()
            return stop - timedelta(days=2), stop
        first, stop = since.date(), until.date()
        if stop <= first:
            raise GraphFailure(100, "(#100) The since parameter must be before until")
        if (until - since).total_seconds() > INSIGHTS_MAX_DAYS * 86400:
            raise GraphFailure(
                100,
                f"(#100) There cannot be more than {INSIGHTS_MAX_DAYS} days "
                f"({INSIGHTS_MAX_DAYS * 86400} s) between since and until",
            )
        return first, stop

    def _page_value(self, account: ScenarioAccount, metric: str, period: str, day: date) -> Any:
        if metric in ("page_follows_city", "page_fans_city"):
            return dict(self.scenario.city_breakdown(account).cities)
        series = self.scenario.page_metrics(account)
        offset = (day - self.scenario.start_date).days
        width = {"day": 1, "week": 7, "days_28": 28}.get(period, 1)
        lo = max(0, offset - width + 1)

        def total(name: str) -> int:
            return int(series[name][lo : offset + 1].sum())

        if metric in ("page_follows", "page_fans"):
            value = int(series["total_follows"][offset])
            return value if metric == "page_follows" else int(value * 0.88)
        if metric == "page_daily_follows_unique":
            return total("follows")
        if metric == "page_daily_unfollows_unique":
            return total("unfollows")
        if metric == "page_media_view":
            return total("views")
        if metric == "page_total_media_view_unique":
            return total("unique_views")
        if metric == "page_post_engagements":
            return total("engagements")
        if metric == "page_impressions":
            return int(total("views") * 1.2)
        if metric == "page_impressions_unique":
            return int(total("unique_views") * 1.1)
        raise GraphFailure(100, "(#100) The value must be a valid insights metric")

    def _ig_insights(self, account: ScenarioAccount, params: Mapping[str, str]) -> dict[str, Any]:
        metrics = self._metrics(params, "instagram")
        period = params.get("period", "lifetime")
        data = []
        for metric in metrics:
            if period not in metric.periods:
                raise GraphFailure(
                    100,
                    f"(#100) Incompatible period '{period}' for metric {metric.name}: use "
                    f"{', '.join(metric.periods)}",
                )
            if metric.name != "follower_demographics":
                raise GraphFailure(100, "(#100) The value must be a valid insights metric")
            if params.get("metric_type") != "total_value":
                raise GraphFailure(
                    100,
                    "(#100) The following metrics (follower_demographics) should be "
                    "specified with parameter metric_type=total_value",
                )
            timeframe = params.get("timeframe")
            if timeframe is not None and timeframe not in TIMEFRAMES:
                raise GraphFailure(
                    100,
                    f"(#100) timeframe must be one of the following values: "
                    f"{', '.join(TIMEFRAMES)}",
                )
            breakdowns = [b for b in params.get("breakdown", "").split(",") if b]
            if not breakdowns:
                raise GraphFailure(
                    100,
                    "(#100) The following metrics (follower_demographics) should be "
                    "specified with parameter breakdown",
                )
            for breakdown in breakdowns:
                if breakdown not in BREAKDOWNS:
                    raise GraphFailure(
                        100,
                        f"(#100) breakdown[0] must be one of the following values: "
                        f"{', '.join(BREAKDOWNS)}",
                    )
            results = [
                {"dimension_values": [key], "value": value}
                for key, value in self.scenario.audience(account, breakdowns[0])
            ]
            data.append(
                {
                    "name": metric.name,
                    "period": period,
                    "title": metric.title,
                    "description": metric.description,
                    "total_value": {
                        "breakdowns": [{"dimension_keys": [breakdowns[0]], "results": results}]
                    },
                    "id": f"{account.user_id}/insights/{metric.name}/{period}",
                }
            )
        return {"data": data}

    # -- cursors -------------------------------------------------------------------------
