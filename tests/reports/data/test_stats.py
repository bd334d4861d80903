"""reports.data.stats: bootstrap confidence intervals of one sample and mean lines with bands over replicates
(no interval from fewer than MIN_CI values)."""

from __future__ import annotations

import numpy as np
import pytest

from reports.data.book import curve_frame
from reports.data.stats import bootstrap_ci, mean_bands


def test_bootstrap_ci_contains_the_mean_and_is_reproducible():
    x = np.random.default_rng(3).normal(10.0, 2.0, size=200)
    low, high = bootstrap_ci(x, rng=np.random.default_rng(0))
    assert low < x.mean() < high
    assert high - low < 1.0  # about 2 * 1.96 * 2 / sqrt(200) = 0.55
    assert (low, high) == bootstrap_ci(x, rng=np.random.default_rng(0))
    med_low, med_high = bootstrap_ci(x, rng=np.random.default_rng(0), stat=np.median)
    assert med_low < np.median(x) < med_high
    for few in ([4.0], [4.0, 5.0], [4.0, 5.0, np.nan]):  # fewer than 3 values: no interval, not [4, 4]
        assert all(np.isnan(bootstrap_ci(np.array(few), rng=np.random.default_rng(0))))
    assert all(np.isfinite(bootstrap_ci(np.array([4.0, 5.0, 6.0]), rng=np.random.default_rng(0))))
    assert all(np.isnan(bootstrap_ci(np.array([np.nan]), rng=np.random.default_rng(0))))


def test_mean_bands_average_replicates_and_bracket_the_mean(make_book_export):
    exp = make_book_export({"optimizer": ["sgd", "sgd", "sgd", "adam"], "seed": [0, 1, 2, 0]},
                           {0: {"loss": [1.0, 2.0]}, 1: {"loss": [3.0, 2.0]}, 2: {"loss": [5.0, 2.0]},
                            3: {"loss": [0.5, 0.4]}})
    bands = mean_bands(curve_frame(exp, "loss"), "optimizer", rng=np.random.default_rng(0), n_boot=200)
    sgd = bands[bands["optimizer"] == "sgd"].set_index("epoch")
    assert sgd["mean"].tolist() == [3.0, 2.0] and sgd["n"].tolist() == [3, 3]
    assert sgd.loc[0, "low"] < 3.0 < sgd.loc[0, "high"] and 1.0 <= sgd.loc[0, "low"]
    assert sgd.loc[1, "low"] == sgd.loc[1, "high"] == 2.0  # no spread, no band
    adam = bands[bands["optimizer"] == "adam"]
    assert adam["low"].isna().all() and adam["high"].isna().all()  # one replicate: no band at all


def test_bands_of_diverged_runs_are_nan_where_no_replicate_reached(make_book_export):
    exp = make_book_export({"optimizer": ["sgd", "sgd"], "seed": [0, 1]},
                           {0: {"loss": [1.0, float("nan")]}, 1: {"loss": [2.0, float("nan")]}})
    bands = mean_bands(curve_frame(exp, "loss"), "optimizer", rng=np.random.default_rng(0), n_boot=50)
    assert bands["mean"].iloc[0] == 1.5 and np.isnan(bands["mean"].iloc[1]) and bands["n"].tolist() == [2, 0]


def test_t_quantile_matches_scipy_and_t_interval_is_mean_plus_minus_t_se():
    from scipy import stats as reference

    from reports.data.stats import t_interval, t_quantile

    for df in (1, 2, 3, 4, 7, 12, 30, 200):
        assert t_quantile(0.95, df) == pytest.approx(reference.t.ppf(0.975, df), rel=1e-9)
        assert t_quantile(0.8, df) == pytest.approx(reference.t.ppf(0.9, df), rel=1e-9)
    x = np.array([0.901, 0.897, 0.905, 0.899])
    low, high = t_interval(x)
    want = reference.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=reference.sem(x))
    assert (low, high) == pytest.approx(want, rel=1e-9)
    for few in ([0.9], [0.9, 0.91], [0.9, 0.91, np.nan]):  # fewer than 3 finite values: no interval
        assert all(np.isnan(t_interval(few)))
    with pytest.raises(ValueError, match="level=1.5"):
        t_quantile(1.5, 3)
