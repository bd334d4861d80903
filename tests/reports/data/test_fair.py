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
    assert onset["diverges from lr"] == 3.0 and onset["largest stable lr"] == 0.1 and onset["best lr"] == 0.1
    assert onset["diverged"] == 2
    configs = [{"label": "sgd:default", "optimizer": "sgd", "kind": "default", "params": {"lr": 0.01}},
               {"label": "sgd:tuned:0", "optimizer": "sgd", "kind": "tuned", "tuning_seed": 0, "params": {"lr": 0.1}}]
    test = make_book_export({"config": ["sgd:default", "sgd:default", "sgd:tuned:0", "sgd:tuned:0"],
                             "seed": [0, 1, 0, 1]},
                            {}, values=[0.8, 0.9, 0.95, 0.97], meta={"spec": {"settings": {"configs": configs}}})
    summary = FR.default_vs_tuned(FR.test_frame(test), rng=np.random.default_rng(0)).set_index("kind")
    assert summary.loc["default", "mean"] == pytest.approx(0.85) and summary.loc["tuned", "mean"] == pytest.approx(0.96)
    assert summary.loc["tuned", "lr"] == "0.1" and summary.loc["default", "runs"] == 2
