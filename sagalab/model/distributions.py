"""Time distributions for service times, compensations and infrastructure delays.

Every time in sagalab is in **seconds**. A distribution is an immutable value
that knows its mean and draws many samples at once from a
``numpy.random.Generator`` (vectorised: the simulator draws a whole block of
sagas' service times in one call).

Where a spec asks for a distribution, a plain non-negative number ``x`` is
accepted and means ``Constant(x)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = ["Distribution", "Constant", "Exponential", "LogNormal", "as_distribution"]


class Distribution:
    """Base class: subclasses define ``mean`` and ``sample(rng, size)``."""

    mean: float

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    @property
    def is_zero(self) -> bool:
        """True when every draw is exactly 0 (the simulator then skips the delay)."""
        return False

    @property
    def scv(self) -> float:  # pragma: no cover - overridden
        """Squared coefficient of variation (variance / mean**2)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Constant(Distribution):
    """Always ``value`` seconds.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.Constant(0.5).mean
    0.5
    """

    value: float

    def __post_init__(self):
        object.__setattr__(self, "value", v.real("Constant", "value", self.value))

    @property
    def mean(self) -> float:
        return self.value

    @property
    def scv(self) -> float:
        return 0.0

    @property
    def is_zero(self) -> bool:
        return self.value == 0.0

    def sample(self, rng, size):
        return np.full(size, self.value)


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponentially distributed with the given ``mean`` (memoryless: M in M/M/c).

    Examples
    --------
    >>> import numpy as np, sagalab as sl
    >>> x = sl.Exponential(2.0).sample(np.random.default_rng(0), 100_000)
    >>> round(float(x.mean()), 1)
    2.0
    """

    mean: float

    def __post_init__(self):
        object.__setattr__(self, "mean", v.real("Exponential", "mean", self.mean, low_open=True))

    @property
    def scv(self) -> float:
        return 1.0

    def sample(self, rng, size):
        return rng.exponential(self.mean, size)


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Log-normal with the given ``mean`` (seconds) and shape ``sigma``.

    ``sigma`` is the standard deviation of the underlying normal; the
    location is chosen so that the distribution's mean is ``mean``. Real
    service times are often right-skewed like this: most calls are quick,
    a few are slow (the tail that drives p99).

    Examples
    --------
    >>> import numpy as np, sagalab as sl
    >>> x = sl.LogNormal(0.05, 0.5).sample(np.random.default_rng(1), 200_000)
    >>> round(float(x.mean()), 3)
    0.05
    """

    mean: float
    sigma: float = 0.5

    def __post_init__(self):
        object.__setattr__(self, "mean", v.real("LogNormal", "mean", self.mean, low_open=True))
        object.__setattr__(self, "sigma", v.real("LogNormal", "sigma", self.sigma, high=5.0))

    @property
    def scv(self) -> float:
        return math.expm1(self.sigma ** 2)

    def sample(self, rng, size):
        mu = math.log(self.mean) - self.sigma ** 2 / 2
        return rng.lognormal(mu, self.sigma, size)


def as_distribution(owner: str, field: str, value, *, allow_none: bool = False):
    """Coerce ``value`` (a Distribution or a non-negative number) to a Distribution."""
    if value is None and allow_none:
        return None
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        allowed = "a Distribution (Constant, Exponential, LogNormal) or a number of seconds"
        if allow_none:
            allowed += " or None"
        raise TypeError(f"{owner}: {field} must be {allowed}, got {type(value).__name__} {value!r}")
    return Constant(v.real(owner, field, value, what="a time >= 0 seconds"))
