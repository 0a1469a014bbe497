"""Confidence intervals for replicated experiments (Student t, no SciPy needed).

A replicated experiment runs the same configuration ``R`` times on
independent random streams; each run gives one value of a metric (say the
mean latency). Their mean estimates the metric, and

    mean +- t_{(1 + confidence) / 2, R - 1} * std / sqrt(R)

is the usual confidence interval: over many experiments it covers the true
value with probability ``confidence`` (when the per-run values are about
normal, which run means of long enough runs are).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["t_quantile", "mean_ci"]

_PANELS = 4000  # Simpson panels for the t density integral (error far below 1e-9)


def _t_cdf_upper_half(x: float, df: float) -> float:
    """P(0 <= T <= x) for Student t with ``df`` degrees of freedom, by Simpson's rule."""
    logc = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    t = np.linspace(0.0, x, _PANELS + 1)
    f = np.exp(logc - (df + 1) / 2 * np.log1p(t * t / df))
    h = x / _PANELS
    return float(h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum()))


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t distribution with ``df`` degrees of freedom.

    Parameters
    ----------
    p : float
        Probability in (0, 1).
    df : float
        Degrees of freedom (> 0).

    Examples
    --------
    >>> round(t_quantile(0.975, 10), 3)
    2.228
    >>> round(t_quantile(0.025, 4), 3)
    -2.776
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"t_quantile: p must be in (0, 1), got {p!r}")
    if not df > 0:
        raise ValueError(f"t_quantile: df must be > 0, got {df!r}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    target = p - 0.5
    lo, hi = 0.0, 1.0
    while _t_cdf_upper_half(hi, df) < target:  # the tail is heavy for small df
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _t_cdf_upper_half(mid, df) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean, standard deviation and confidence half-width of independent ``values``.

    NaN values are ignored; fewer than two values give a NaN half-width.

    Examples
    --------
    >>> m, s, h = mean_ci([1.0, 2.0, 3.0])
    >>> m, s, round(h, 3)
    (2.0, 1.0, 2.484)
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"mean_ci: confidence must be in (0, 1), got {confidence!r}")
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    s = float(x.std(ddof=1))
    return m, s, t_quantile((1 + confidence) / 2, len(x) - 1) * s / math.sqrt(len(x))
