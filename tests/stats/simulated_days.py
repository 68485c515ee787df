"""Simulated daily engagement that looks like reality, for the calibration tests.

Each organisation's expected engagement per day is a base level times a weekly rhythm times
exp(x_t), x an AR(1) process on the log scale (today's level carries over into tomorrow's:
phi is the carry-over), optionally times a factor shared by every organisation (the season,
the platform's reach). The day's count is negative binomial around it (a gamma-Poisson
mixture: overdispersed, as real engagement is). Everything is vectorised over runs and
drawn from the generator it is given, so a fixed seed gives the same days.
"""

from __future__ import annotations

import numpy as np

# Monday .. Sunday: busier in the week, quiet at the weekend.
WEEKLY_RHYTHM = np.array([1.05, 1.10, 1.15, 1.10, 1.00, 0.70, 0.65])
LOG_SD = 0.25  # standard deviation of the log level around its mean
COMMON_LOG_SD = 0.15  # the same for the factor shared by organisations
DISPERSION = 20.0  # negative binomial size: variance = mean + mean^2 / 20


def ar1(
    rng: np.random.Generator, shape: tuple[int, ...], days: int, phi: float, sd: float = LOG_SD
) -> np.ndarray:
    """Stationary AR(1) paths with standard deviation ``sd`` along the last axis."""
    shocks = rng.normal(0.0, sd * np.sqrt(1 - phi**2), (*shape, days))
    paths = np.empty((*shape, days))
    paths[..., 0] = rng.normal(0.0, sd, shape)
    for day in range(1, days):
        paths[..., day] = phi * paths[..., day - 1] + shocks[..., day]
    return paths


def counts(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Negative binomial counts around ``mean`` (any shape)."""
    return rng.poisson(mean * rng.gamma(DISPERSION, 1 / DISPERSION, mean.shape)).astype(float)


def engagement(
    rng: np.random.Generator,
    runs: int,
    days: int,
    phi: float,
    *,
    base: float | np.ndarray = 200.0,
    step: np.ndarray | None = None,
    organisations: int | None = None,
    common_phi: float | None = None,
) -> np.ndarray:
    """Daily engagement, runs x days (or runs x organisations x days).

    ``step`` multiplies the expected engagement day by day (a planted effect, broadcast over
    runs and organisations); ``common_phi`` adds a log-scale AR(1) factor shared by the
    organisations of a run.
    """
    shape = (runs,) if organisations is None else (runs, organisations)
    level = np.log(np.broadcast_to(np.asarray(base, float), shape))[..., None]
    rhythm = np.log(WEEKLY_RHYTHM[np.arange(days) % 7])
    log_mean = level + rhythm + ar1(rng, shape, days, phi)
    if common_phi is not None:
        log_mean = log_mean + ar1(rng, (runs,), days, common_phi, COMMON_LOG_SD).reshape(
            (runs,) + (1,) * (len(shape) - 1) + (days,)
        )
    mean = np.exp(log_mean)
    if step is not None:
        mean = mean * step
    return counts(rng, mean)
