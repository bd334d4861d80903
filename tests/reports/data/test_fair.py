"""reports.data.fair: where each optimizer starts to diverge, and defaults vs tuned on the test split, from
hand-made tuning trials and a test export (conftest's make_book_export)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.data import fair as FR


def test_fair_data_layer(make_book_export):
    sens = pd.DataFrame({"optimizer": ["sgd"] * 4, "lr": [1e-3, 0.1, 3.0, 8.0], "value": [0.2, 0.9, 0.1, 0.1],
                         "diverged": [False, False, True, True]})
    onset = FR.divergence_table(sens).iloc[0]
    assert onset["diverges from lr"] == 3.0 and onset["largest lr not diverged"] == 0.1 and onset["best lr"] == 0.1
    assert onset["its val acc"] == 0.9
    assert onset["diverged"] == 2
    configs = [{"label": "sgd:default", "optimizer": "sgd", "kind": "default", "params": {"lr": 0.01}},
               {"label": "sgd:tuned:0", "optimizer": "sgd", "kind": "tuned", "tuning_seed": 0, "params": {"lr": 0.1}}]
    test = make_book_export({"config": ["sgd:default", "sgd:default", "sgd:tuned:0", "sgd:tuned:0"],
                             "seed": [0, 1, 0, 1]},
                            {}, values=[0.8, 0.9, 0.95, 0.97], meta={"spec": {"settings": {"configs": configs}}})
    summary = FR.default_vs_tuned(FR.test_frame(test), rng=np.random.default_rng(0)).set_index("kind")
    assert summary.loc["default", "mean"] == pytest.approx(0.85) and summary.loc["tuned", "mean"] == pytest.approx(0.96)
    assert summary.loc["tuned", "lr"] == "0.1" and summary.loc["default", "runs"] == 2


def _tuned_runs(per_tuning_seed):
    rows = [{"optimizer": "sgd", "kind": "tuned", "tuning_seed": t, "value": v, "lr": 0.1}
            for t, values in enumerate(per_tuning_seed) for v in values]
    return pd.DataFrame(rows)


def test_a_tuned_interval_counts_tuning_seeds_not_runs():
    # 2 tuning seeds x 2 training seeds: 4 runs, but only 2 independent tunings, so no interval
    two = FR.default_vs_tuned(_tuned_runs([[0.2, 0.3], [0.5, 0.6]]), rng=np.random.default_rng(0)).iloc[0]
    assert two["runs"] == 4 and two["tuning seeds"] == 2 and np.isnan(two["low"]) and np.isnan(two["high"])
    # 3 tuning seeds, each scoring the same on its 4 training seeds: resampling whole tuning seeds, a mean of
    # three draws from {0.5, 0.7, 0.9} is 0.5 with probability 1/27 > 2.5 %: the interval is [0.5, 0.9] by hand,
    # where resampling the 12 runs one by one would claim a much narrower one
    three = FR.default_vs_tuned(_tuned_runs([[0.5] * 4, [0.7] * 4, [0.9] * 4]), rng=np.random.default_rng(1),
                                n_boot=4000).iloc[0]
    assert three["tuning seeds"] == 3 and three["mean"] == pytest.approx(0.7)
    assert three["low"] == pytest.approx(0.5) and three["high"] == pytest.approx(0.9)
    naive = FR.bootstrap_ci(np.repeat([0.5, 0.7, 0.9], 4), rng=np.random.default_rng(1), n_boot=4000)
    assert naive[1] - naive[0] < 0.3


def test_the_largest_lr_that_did_not_diverge_shows_whether_it_learned():
    sens = pd.DataFrame({"optimizer": ["sgd"] * 3, "lr": [1e-3, 0.1, 4.0], "value": [0.3, 0.9, 0.1],
                         "diverged": [False, False, False]})
    row = FR.divergence_table(sens).iloc[0]
    assert row["largest lr not diverged"] == 4.0 and row["its val acc"] == 0.1  # did not diverge, did not learn
    assert np.isnan(row["diverges from lr"]) and row["best lr"] == 0.1
