"""socialmetrics.settings: the statistics' Variables (windows, settling period, resamples)."""

import pytest

from socialmetrics.errors import ConfigurationError
from socialmetrics.settings import load_settings


def test_statistics_settings_default_to_90_day_windows_and_1999_resamples():
    settings = load_settings()
    assert (settings.impact_window_days, settings.impact_settling_days) == (90, 0)
    assert (settings.national_period_days, settings.stat_resamples) == (90, 1999)


def test_statistics_settings_are_read_from_variables(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_IMPACT_WINDOW_DAYS", "120")
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_IMPACT_SETTLING_DAYS", "14")
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_NATIONAL_PERIOD_DAYS", "60")
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALMETRICS_STAT_RESAMPLES", "999")
    settings = load_settings()
    assert (settings.impact_window_days, settings.impact_settling_days) == (120, 14)
    assert (settings.national_period_days, settings.stat_resamples) == (60, 999)


@pytest.mark.parametrize(
    "variable, value",
    [("impact_window_days", "0"), ("impact_settling_days", "-1"), ("stat_resamples", "ten")],
)
def test_a_bad_statistics_setting_names_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(f"AIRFLOW_VAR_SOCIALMETRICS_{variable.upper()}", value)
    with pytest.raises(ConfigurationError, match=f"socialmetrics_{variable}"):
        load_settings()
