"""Statistics of the consolidation and national marts (docs/design.md#8-consolidation-impact):
scipy, statsmodels, arch.

Pure functions on numpy arrays: ``consolidation`` compares a window of days before a
consolidation event with one after it (relative change with whole-week block permutation
tests and their inverted intervals, difference in differences with a parallel-trends
placebo, segmented regression with HAC errors); ``blocks`` and ``log_contrast`` hold the
time-respecting machinery; ``synthetic_control`` and ``pooled`` (random-effects
meta-analysis over events) the comparisons across organisations; ``national`` summarises
organisations over a period and correlates account counts with engagement (Spearman).
socialmetrics.warehouse.stat_marts feeds them from the warehouse and writes the marts.
"""

from socialmetrics.stats.consolidation import (
    DailySeries,
    DidResult,
    ItsResult,
    WindowComparison,
    compare_windows,
    difference_in_differences,
    segmented_regression,
)
from socialmetrics.stats.national import Correlation, spearman_correlation

__all__ = [
    "Correlation",
    "DailySeries",
    "DidResult",
    "ItsResult",
    "WindowComparison",
    "compare_windows",
    "difference_in_differences",
    "segmented_regression",
    "spearman_correlation",
]
