"""The offline HTML report in one file: charts of the marts and the review table
(docs/design.md#1-the-problem).

``write_report(engine, organisation, day, path)`` reads the marts through a SQLAlchemy engine
and writes a single HTML file whose charts are embedded PNGs (no network, no JavaScript).
The chart functions (``socialmetrics.report.charts``) take DataFrames and return PNG bytes.
"""

from __future__ import annotations

from socialmetrics.report.build import ReportData, read_report_data, render_report, write_report

__all__ = ["ReportData", "read_report_data", "render_report", "write_report"]
