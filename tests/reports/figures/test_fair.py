"""reports.figures.fair: the learning-rate sensitivity panels and defaults vs tuned, on hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.data.fair import divergence_table
from reports.figures import fair as FF


def test_fair_figures():
    sens = pd.DataFrame({"optimizer": ["sgd"] * 4, "lr": [1e-3, 0.1, 3.0, 8.0], "value": [0.2, 0.9, 0.1, 0.1],
                         "diverged": [False, False, True, True]})
    ax = FF.plot_sensitivity(sens, order=["sgd"], onset=divergence_table(sens))
    assert ax.get_xscale() == "log"
    vline = [line for line in ax.lines if line.get_label() == "divergence starts"]
    assert vline and vline[0].get_xdata()[0] == 3.0
    # as default_vs_tuned gives it for two runs each (no CI from fewer than 3): data/test_fair.py
    summary = pd.DataFrame({"optimizer": "sgd", "kind": ["default", "tuned"], "runs": 2, "mean": [0.85, 0.96],
                            "low": np.nan, "high": np.nan, "lr": ["0.01", "0.1"]})
    dax = FF.plot_default_vs_tuned(summary, order=["sgd"])
    assert len(dax.containers) == 2
