"""Student t quantiles and mean confidence intervals."""
import math

import numpy as np
import pytest

from sagalab.analysis.stats import mean_ci, t_quantile

# Reference values from statistical tables (two-sided 95 %, 99 %).
TABLE = [(0.975, 1, 12.706), (0.975, 2, 4.303), (0.975, 5, 2.571), (0.975, 30, 2.042),
         (0.995, 10, 3.169), (0.95, 20, 1.725)]


@pytest.mark.parametrize("p, df, q", TABLE)
def test_t_quantile_matches_tables(p, df, q):
    assert t_quantile(p, df) == pytest.approx(q, abs=1e-3)
    assert t_quantile(1 - p, df) == pytest.approx(-q, abs=1e-3)


def test_t_quantile_tends_to_normal():
    assert t_quantile(0.975, 10_000) == pytest.approx(1.95996, abs=1e-3)


def test_mean_ci_formula_and_edge_cases():
    x = np.array([2.0, 4.0, 9.0, 1.0])
    m, s, h = mean_ci(x, 0.9)
    assert m == x.mean() and s == pytest.approx(x.std(ddof=1))
    assert h == pytest.approx(t_quantile(0.95, 3) * s / 2)
    assert all(math.isnan(v) for v in mean_ci([])[0:1])
    assert math.isnan(mean_ci([3.0])[2]) and mean_ci([3.0])[0] == 3.0
    assert mean_ci([1.0, np.nan, 3.0])[0] == 2.0


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5])
def test_bad_levels_are_refused(bad):
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1.0, 2.0], bad)
    with pytest.raises(ValueError, match="p must be"):
        t_quantile(bad, 3)
