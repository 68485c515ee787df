"""The offline HTML report: charts of the marts and the review table of SPEC §1 in one file.

``write_report(engine, organisation, day, path)`` reads the marts through a SQLAlchemy engine
and writes a single HTML file whose charts are embedded PNGs (no network, no JavaScript).
The chart functions (``socialmetrics.report.charts``) take DataFrames and return PNG bytes.
"""

from __future__ import annotations

from socialmetrics.report.build import ReportData, read_report_data, render_report, write_report

__all__ = ["ReportData", "read_report_data", "render_report", "write_report"]
