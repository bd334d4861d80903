"""Benchmark metrics on hand-made frames whose expected values are computed by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hpsearch.benchmark import metrics as M


def _trials(rows: list[tuple]) -> pd.DataFrame:
    """rows: (task, method, seed, order, state, value, epochs, seconds)."""
    df = pd.DataFrame(rows, columns=["task", "method", "seed", "order", "state", "value", "epochs", "seconds"])
    return M.add_traces(df)


def _runs(trials: pd.DataFrame, budget_epochs: float) -> pd.DataFrame:
    g = trials.groupby(M.RUN, sort=False)
    runs = g.agg(seconds_used=("cum_seconds", "max")).reset_index()
    runs["budget_epochs"] = budget_epochs
    return runs


# run A (random, seed 0): epochs 4, 1 (pruned at 0.9), 4, 4 -> cum 4, 5, 9, 13; seconds 1, .5, 1, 1 -> 1, 1.5, 2.5, 3.5
RUN_A = [("t", "random", 0, 1, "COMPLETE", 0.5, 4, 1.0), ("t", "random", 0, 2, "PRUNED", 0.9, 1, 0.5),
         ("t", "random", 0, 3, "COMPLETE", 0.7, 4, 1.0), ("t", "random", 0, 4, "COMPLETE", 0.6, 4, 1.0)]
# run B (random, seed 1): never above 0.55
RUN_B = [("t", "random", 1, 1, "COMPLETE", 0.4, 4, 2.0), ("t", "random", 1, 2, "COMPLETE", 0.55, 4, 2.0),
         ("t", "random", 1, 3, "COMPLETE", 0.3, 4, 2.0)]


def test_iqm_cuts_a_quarter_at_each_end():
    assert M.iqm(np.arange(1, 9)) == pytest.approx(4.5)  # 1..8: cut 1,2 and 7,8 -> mean(3,4,5,6)
    assert M.iqm([1.0, 2.0, 3.0]) == pytest.approx(2.0)  # n=3: nothing cut
    assert M.iqm([1.0, 2.0, 3.0, 100.0]) == pytest.approx(2.5)  # cut 1 and 100
    np.testing.assert_allclose(M.iqm(np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [100.0, 0.0]])), [2.5, 15.0])


def test_bootstrap_is_reproducible_and_exact_on_constants():
    lo, hi = M.bootstrap(np.full(7, 0.3), M.iqm, rng=np.random.default_rng(1), n_boot=200)
    assert lo == pytest.approx(0.3) and hi == pytest.approx(0.3)
    x = np.random.default_rng(5).normal(size=20)
    a = M.bootstrap(x, M.iqm, rng=np.random.default_rng(3), n_boot=300)
    b = M.bootstrap(x, M.iqm, rng=np.random.default_rng(3), n_boot=300)
    assert a == b and a[0] < M.iqm(x) < a[1]


def test_aggregate_median_quartiles_and_nan():
    agg = M.aggregate([0.1, 0.2, np.nan, 0.3, 0.4, 0.5], rng=np.random.default_rng(0), n_boot=100)
    assert agg["n"] == 5 and agg["median"] == pytest.approx(0.3)
    assert agg["q25"] == pytest.approx(0.2) and agg["q75"] == pytest.approx(0.4)
    assert agg["iqm"] == pytest.approx(0.3)  # n=5: cut 1 each side -> mean(0.2, 0.3, 0.4)
    assert M.aggregate([np.nan], rng=np.random.default_rng(0))["n"] == 0


def test_traces_count_epochs_seconds_and_best_of_complete_trials_only():
    t = _trials(RUN_A)
    assert t["cum_epochs"].tolist() == [4, 5, 9, 13]
    assert t["cum_seconds"].tolist() == [1.0, 1.5, 2.5, 3.5]
    assert t["best"].tolist() == [0.5, 0.5, 0.7, 0.7]  # the pruned 0.9 is not a final score


def test_best_so_far_on_a_budget_grid():
    t = _trials(RUN_A)
    bsf = M.best_so_far(t, _runs(t, 12.0), axis="epochs", points=4)  # x = 0, 4, 8, 12
    assert bsf["x"].tolist() == [0, 4, 8, 12]
    got = bsf["best"].tolist()
    assert math.isnan(got[0]) and got[1:] == [0.5, 0.5, 0.7]  # cum 13 > 12: the last trial is past the budget
    sec = M.best_so_far(t, _runs(t, 12.0), axis="seconds", points=3)  # limit = 3.5 s: x = 0, 1.75, 3.5
    assert sec["best"].tolist()[1:] == [0.5, 0.7]


def test_curve_summary_starts_when_every_seed_has_a_score():
    curves = pd.DataFrame({"task": "t", "method": "m", "seed": [0, 0, 1, 1], "x": [1.0, 2.0, 1.0, 2.0],
                           "best": [0.5, 0.6, np.nan, 0.8]})
    s = M.curve_summary(curves, rng=np.random.default_rng(0), n_boot=50)
    assert s["n"].tolist() == [1, 2]
    assert math.isnan(s["iqm"].iloc[0]) and s["iqm"].iloc[1] == pytest.approx(0.7)
    assert s["median"].iloc[1] == pytest.approx(0.7)


def test_targets_are_the_lower_median_of_the_reference():
    runs = pd.DataFrame({"task": "t", "method": ["random"] * 4 + ["tpe"],
                         "best_value": [0.5, 0.8, 0.6, 0.7, 0.99]})
    assert M.targets(runs) == {"t": 0.6}  # sorted 0.5 0.6 0.7 0.8: lower median 0.6 (3 of 4 reach it)
    assert M.targets(runs, reference="absent") == {"t": 0.7}  # all five: 0.5 0.6 0.7 0.8 0.99


def test_budget_to_target_first_complete_success_within_the_limit():
    t = _trials(RUN_A + RUN_B)
    runs = _runs(t, 12.0)
    b = M.budget_to_target(t, runs, {"t": 0.6}, axis="epochs")
    assert b["budget"].tolist() == [9.0, math.inf]  # A: 0.7 at cum 9 (the pruned 0.9 does not count); B: never
    assert b["limit"].tolist() == [12.0, 12.0]
    # seconds: limit = least seconds any run spent = 3.5 (A); A hits at 2.5 s
    s = M.budget_to_target(t, runs, {"t": 0.6}, axis="seconds")
    assert s["budget"].tolist() == [2.5, math.inf] and s["limit"].iloc[0] == 3.5


def test_ert_and_speedup():
    assert M.ert([10.0, math.inf, 20.0], 40.0) == pytest.approx(35.0)  # (10 + 40 + 20) / 2
    assert math.isinf(M.ert([math.inf, math.inf], 40.0))
    sp = M.speedup(np.array([10.0, 20.0]), np.array([5.0, 10.0]), 40.0, rng=np.random.default_rng(0), n_boot=500)
    assert sp["speedup"] == pytest.approx(2.0)  # ERT 15 / 7.5
    assert 1.0 <= sp["low"] <= 2.0 <= sp["high"] <= 4.0  # resampled ERTs: ref 10..20, other 5..10


def test_time_to_target_table():
    b2t = pd.DataFrame({"task": "t", "method": ["random"] * 3 + ["tpe"] * 3, "seed": [0, 1, 2] * 2,
                        "target": 0.6, "budget": [10.0, 30.0, math.inf, 5.0, 10.0, 15.0], "limit": 40.0})
    ttt = M.time_to_target(b2t, rng=np.random.default_rng(0), n_boot=200).set_index("method")
    assert ttt.loc["random", "success"] == pytest.approx(2 / 3)
    assert ttt.loc["random", "ert"] == pytest.approx(40.0)  # (10 + 30 + 40) / 2
    assert ttt.loc["tpe", "ert"] == pytest.approx(10.0)
    assert ttt.loc["tpe", "median"] == 10.0 and ttt.loc["random", "median"] == 30.0
    assert ttt.loc["tpe", "speedup"] == pytest.approx(4.0) and ttt.loc["random", "speedup"] == pytest.approx(1.0)
    assert ttt.loc["tpe", "speedup_low"] <= 4.0 <= ttt.loc["tpe", "speedup_high"]


def test_performance_profile_and_ranking():
    ttt = pd.DataFrame({"task": ["A", "A", "A", "B", "B", "B"], "method": ["m1", "m2", "m3"] * 2,
                        "ert": [10.0, 20.0, math.inf, 30.0, 15.0, 15.0]})
    prof = M.performance_profile(ttt, taus=[1.0, 1.5, 2.0])
    frac = prof.pivot_table(index="method", columns="tau", values="fraction")
    # ratios to the best: m1 (1, 2), m2 (2, 1), m3 (inf, 1)
    assert frac.loc["m1"].tolist() == [0.5, 0.5, 1.0]
    assert frac.loc["m2"].tolist() == [0.5, 0.5, 1.0]
    assert frac.loc["m3"].tolist() == [0.5, 0.5, 0.5]
    final = pd.DataFrame({"task": ["A", "A", "A"], "method": ["m1", "m2", "m3"], "val_iqm": [0.9, 0.8, 0.9]})
    ranks = M.ranking(final, ttt.loc[ttt["task"] == "A"])
    by_score = ranks.loc[ranks["criterion"].str.startswith("final")].set_index("method")["rank"]
    assert by_score.to_dict() == {"m1": 1.5, "m2": 3.0, "m3": 1.5}  # ties averaged
    by_time = ranks.loc[ranks["criterion"].str.startswith("time")].set_index("method")["rank"]
    assert by_time.to_dict() == {"m1": 1.0, "m2": 2.0, "m3": 3.0}


def _ttt(low: float, high: float, runs: int) -> pd.DataFrame:
    rows = [{"task": "book", "method": m, "axis": a, "target": 0.9, "runs": runs, "success": 0.5, "ert": e,
             "speedup": s, "speedup_low": lo, "speedup_high": hi}
            for a in ("epochs", "seconds")
            for m, e, s, lo, hi in (("random", 300.0, 1.0, 1.0, 1.0), ("tpe-hyperband", 80.0, 3.75, low, high),
                                    ("tpe", 150.0, 2.0, 0.8, 4.0))]
    return pd.DataFrame(rows)


def test_the_headline_names_a_winner_only_when_its_ci_excludes_1():
    from hpsearch.benchmark.export import headline

    spans = headline(_ttt(0.54, math.inf, 10), task="book")
    assert spans["method"] == "tpe-hyperband" and spans["verdict"] == "no clear winner" and spans["winner"] is None
    assert spans["text"].startswith("No clear winner on book:") and "spans 1" in spans["text"]
    assert "faster" not in spans["text"]
    above = headline(_ttt(1.2, 8.0, 10), task="book")
    assert above["verdict"] == "faster" and above["winner"] == "tpe-hyperband"
    assert "3.75x faster in epochs (95% CI 1.20-8.00, above 1: a clear winner" in above["text"]
    few = headline(_ttt(1.2, 8.0, 2), task="book")  # a "CI" from 2 seeds is no interval
    assert few["verdict"] == "no CI" and few["winner"] is None
    assert few["text"].startswith("No clear winner on book: with 2 seed(s) per method (fewer than 3)")
    assert "95% CI" not in few["text"]
    below = headline(_ttt(0.2, 0.9, 10).assign(speedup=lambda f: f["speedup"].where(f["method"] == "random", 0.5)),
                     task="book")
    assert below["verdict"] in ("slower", "no clear winner") and below["winner"] is None
