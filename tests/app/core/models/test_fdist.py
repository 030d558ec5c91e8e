"""The F distribution's upper tail in nats: exact against reference values, fast table close."""

import math

import numpy as np
import pytest

from app.core.models.fdist import f_log_sf, f_tail_nats, f_tail_nats_one

# -ln P(F(d1, d2) >= f), reference values from an independent implementation (SciPy 1.17).
REFERENCE = [
    (3.0, 4, 10, 2.626610007915414),
    (0.5, 8, 6, 0.197475804565632),
    (16.0, 8, 6, 6.4247433836525625),
    (1000.0, 8, 6, 18.594515583558664),
    (1e6, 2, 6, 38.15070380787499),
    (43.0, 1, 6, 7.414916535281512),
    (0.01, 8, 6, 4.4019745776211384e-07),
    (200.0, 12, 10, 21.91187117126845),
]


@pytest.mark.parametrize(("f", "d1", "d2", "nats"), REFERENCE)
def test_exact_tail_matches_reference_values(f, d1, d2, nats):
    assert -f_log_sf(f, d1, d2) == pytest.approx(nats, rel=1e-9, abs=1e-12)


def test_no_evidence_at_or_below_zero():
    assert f_log_sf(0.0, 3, 6) == 0.0
    assert f_log_sf(-1.0, 3, 6) == 0.0
    assert f_tail_nats(np.array([0.0, -2.0]), 3, 6.0).tolist() == [0.0, 0.0]


def test_table_is_within_a_thousandth_of_a_nat_and_monotone():
    rng = np.random.default_rng(1)
    f = np.exp(rng.uniform(-6.0, 14.0, 400))
    table = f_tail_nats(f, 8, 6.0)
    exact = np.array([-f_log_sf(v, 8, 6.0) for v in f.tolist()])
    assert np.max(np.abs(table - exact)) < 1e-3
    grid = np.exp(np.linspace(-6.0, 14.0, 200))
    assert np.all(np.diff(f_tail_nats(grid, 8, 6.0)) >= 0.0)


def test_heavier_tail_with_fewer_degrees_of_freedom():
    light = -f_log_sf(20.0, 4, 100)
    heavy = -f_log_sf(20.0, 4, 6)
    assert heavy < light
    assert math.isfinite(heavy)


def test_one_value_path_equals_the_vectorised_table():
    values = np.concatenate([[0.0, -1.0, 1e-5, 1e12], np.exp(np.linspace(-9.0, 26.0, 301))])
    batch = f_tail_nats(values, 6, 10.0)
    one = [f_tail_nats_one(v, 6, 10.0) for v in values.tolist()]
    assert np.allclose(one, batch, rtol=1e-12, atol=1e-12)
