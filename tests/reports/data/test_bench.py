"""reports.data.bench: the benchmark page's tables from hand-made export tables (conftest's bench_tables):
intervals as text, ranks, a verdict only from a CI that excludes 1, none from fewer than three seeds."""

from __future__ import annotations

from reports.data.bench import final_table, rank_table, task_summary, time_table


def test_tables_format_intervals_and_ranks(bench_tables):
    t = bench_tables
    table = time_table(t["time_to_target"], "epochs")
    assert table["speed-up [95% CI]"].iloc[1] == "2.00 [0.50, inf]"
    ranks = rank_table(t["ranking"], "ERT")
    assert ranks["method"].tolist() == ["tpe", "random"] and ranks["mean rank"].tolist() == [1.0, 2.0]
    summary = task_summary(t["time_to_target"])
    assert summary["fastest"].tolist() == ["tpe", "tpe"]
    assert summary["verdict"].iloc[0] == "no clear winner (CI spans 1)"  # 2.00 [0.50, inf]
    faster = t["time_to_target"].assign(speedup_low=1.5)
    assert task_summary(faster)["verdict"].iloc[0] == "faster (CI above 1)"
    assert table["verdict"].iloc[1] == "no clear winner (CI spans 1)"


def test_no_interval_and_no_winner_from_fewer_than_three_seeds(bench_tables):
    t = bench_tables
    two = t["time_to_target"].assign(runs=2, speedup_low=1.5)  # a CI above 1, but from 2 seeds
    assert time_table(two, "epochs")["speed-up [95% CI]"].iloc[1] == "2.00 (no CI: 2 seeds < 3)"
    assert task_summary(two)["verdict"].iloc[0] == "no CI (fewer than 3 seeds): no clear winner"
    final = final_table(t["final"].assign(val_n=2))
    assert final["validation IQM [95% CI]"].iloc[0] == "0.600 (no CI: 2 seeds < 3)"
    assert final["test IQM [95% CI]"].iloc[0] == "0.600 [0.500, 0.700]"
