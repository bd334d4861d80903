"""reports.data.compare.hold_best: a study with fewer COMPLETE trials keeps its best to its group's end, so the
group's mean best-so-far does not jump where a study runs out (the fair-comparison budget figure's right edge)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.data.compare import hold_best


def test_a_shorter_study_holds_its_best_and_the_mean_has_no_jump():
    history = pd.DataFrame({
        "group": ["adam"] * 5 + ["sgd"] * 2,
        "study": ["a0", "a0", "a0", "a1", "a1", "s0", "s0"],
        "index": [1, 2, 3, 1, 2, 1, 2],
        "best": [0.5, 0.7, 0.9, 0.6, 0.8, 0.1, 0.2],
    })
    held = hold_best(history)
    a1 = held.loc[held["study"] == "a1"].sort_values("index")
    assert a1["index"].tolist() == [1, 2, 3] and a1["best"].tolist() == [0.6, 0.8, 0.8]
    mean = held.loc[held["group"] == "adam"].groupby("index")["best"].mean()
    assert np.isclose(mean.loc[3], (0.9 + 0.8) / 2)  # without holding: 0.9 alone, a jump up at the end
    assert held.loc[held["group"] == "sgd", "index"].tolist() == [1, 2]  # another group's end is not borrowed
    assert len(hold_best(history.iloc[:0])) == 0
