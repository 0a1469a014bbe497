"""Time distributions for service times, compensations and infrastructure delays.

Every time in sagalab is in **seconds**. A distribution is an immutable value
that knows its mean and draws many samples at once from a
``numpy.random.Generator`` (vectorised: the simulator draws a whole block of
sagas' service times in one call).

Where a spec asks for a distribution, a plain non-negative number ``x`` is
accepted and means ``Constant(x)``. Parameters are finite and at most
``MAX_VALUE`` (1e9 seconds, about 32 years; see :mod:`sagalab.model._validate`).

A distribution of your own subclasses :class:`Distribution` and defines
``mean`` and ``sample(rng, size)``. Specs draw from it once when they are
built, and the simulator draws through :func:`checked_sample`, so a sample
that is negative, NaN, infinite or of the wrong shape is refused with the
spec and field it belongs to, never passed on to SimPy.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = ["Distribution", "Constant", "Exponential", "LogNormal", "as_distribution",
           "checked_sample"]


_RANGE = f"in [0, {v.MAX_VALUE:g}] (MAX_VALUE)"
_RANGE_OPEN = f"in (0, {v.MAX_VALUE:g}] (MAX_VALUE)"
TRIAL_DRAWS = 16  # draws a spec takes from a distribution of your own when it is built


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
        object.__setattr__(self, "value", v.real("Constant", "value", self.value,
                                                 high=v.MAX_VALUE, what=_RANGE))

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
        object.__setattr__(self, "mean", v.real("Exponential", "mean", self.mean, low_open=True,
                                                high=v.MAX_VALUE, what=_RANGE_OPEN))

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
        object.__setattr__(self, "mean", v.real("LogNormal", "mean", self.mean, low_open=True,
                                                high=v.MAX_VALUE, what=_RANGE_OPEN))
        object.__setattr__(self, "sigma", v.real("LogNormal", "sigma", self.sigma, high=5.0))

    @property
    def scv(self) -> float:
        return math.expm1(self.sigma ** 2)

    def sample(self, rng, size):
        mu = math.log(self.mean) - self.sigma ** 2 / 2
        return rng.lognormal(mu, self.sigma, size)


def as_distribution(owner: str, field: str, value, *, allow_none: bool = False,
                    low: float = 0.0):
    """Coerce ``value`` (a Distribution or a non-negative number) to a Distribution.

    A distribution of your own must have a finite ``mean`` (>= ``low``, at
    most ``MAX_VALUE``) and give valid draws (see :func:`checked_sample`): a
    few are taken here, from a fixed seed, so a broken one fails at once.
    ``low=-MAX_VALUE`` allows negative values (an attribute, not a time).
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (Constant, Exponential, LogNormal)):
        return value
    if isinstance(value, Distribution):
        mean = getattr(value, "mean", None)
        v.real(owner, f"{field}.mean", mean, low=low, high=v.MAX_VALUE,
               what=f"in [{low:g}, {v.MAX_VALUE:g}] (MAX_VALUE)")
        checked_sample(value, np.random.default_rng(0), TRIAL_DRAWS, owner, field, low=low)
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        allowed = "a Distribution (Constant, Exponential, LogNormal) or a number of seconds"
        if allow_none:
            allowed += " or None"
        raise TypeError(f"{owner}: {field} must be {allowed}, got {v._got(value)}")
    return Constant(v.seconds(owner, field, value))


def checked_sample(dist, rng: np.random.Generator, size: int, owner: str, field: str, *,
                   low: float = 0.0) -> np.ndarray:
    """``size`` draws of ``dist``, checked: finite reals in ``[low, MAX_VALUE]``, shape ``(size,)``.

    The simulator draws every sample through this function, so a
    distribution of your own that returns a negative, NaN or infinite time,
    or an array of the wrong shape, fails with a clear error instead of deep
    inside SimPy. The built-in distributions (and :class:`~sagalab.Choice`)
    are trusted and returned as drawn.

    Parameters
    ----------
    dist : Distribution or Choice
        What to draw from.
    rng : numpy.random.Generator
        The stream to draw with.
    size : int
        How many draws (>= 0).
    owner, field : str
        Who asked, for the message: e.g. ``"Step 'payment'"`` and ``"service_time"``.
    low : float
        Smallest allowed value: 0 for times, ``-MAX_VALUE`` for attributes.

    Returns
    -------
    numpy.ndarray
        Shape ``(size,)``.

    Raises
    ------
    ValueError
        Naming ``owner``, ``field``, the distribution and the first bad value.

    Examples
    --------
    >>> import numpy as np, sagalab as sl
    >>> from sagalab.model.distributions import checked_sample
    >>> class Bad(sl.Distribution):
    ...     mean = 1.0
    ...     def sample(self, rng, size):
    ...         return np.full(size, -1.0)
    >>> checked_sample(Bad(), np.random.default_rng(0), 3, "Step 'pay'", "service_time")
    Traceback (most recent call last):
    ValueError: Step 'pay': service_time: Bad.sample returned -1.0 (draw 0 of 3);
    expected finite numbers in [0, 1e+09] (MAX_VALUE)
    """
    if type(dist) in _TRUSTED:
        return dist.sample(rng, size)
    where = f"{owner}: {field}: {type(dist).__name__}.sample"
    try:
        got = dist.sample(rng, size)
    except Exception as exc:  # the user's code: say whose draw it was
        raise ValueError(f"{where}(rng, {size}) raised {type(exc).__name__}: {exc}") from exc
    x = np.asarray(got)
    if x.shape != (size,):
        raise ValueError(f"{where} returned {v._got(got)} of shape {x.shape}; "
                         f"expected ({size},)")
    if x.dtype.kind in "US" and not isinstance(dist, Distribution):
        return x  # a Choice of text values
    if x.dtype.kind not in "iuf":
        raise ValueError(f"{where} returned {v._got(got)} of dtype {x.dtype}; expected "
                         f"{size} real numbers")
    f = x.astype(float)
    bad = ~np.isfinite(f) | (f < low) | (f > v.MAX_VALUE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{where} returned {float(f[i])!r} (draw {i} of {size}); expected "
                         f"finite numbers in [{low:g}, {v.MAX_VALUE:g}] (MAX_VALUE)")
    return x


_TRUSTED = (Constant, Exponential, LogNormal)  # drawn without checks: valid by construction
