"""reports.data.bench: the benchmark page's tables from hand-made export tables (conftest's bench_tables):
intervals as text, ranks, a verdict only from a CI that excludes 1, none from fewer than three seeds."""

from __future__ import annotations

from reports.data.bench import NEVER, degenerate_note, final_table, rank_table, task_summary, time_table


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


def test_a_method_that_never_reached_the_target_has_no_speed_up(bench_tables):
    ttt = bench_tables["time_to_target"]
    tpe = ttt["method"] == "tpe"
    never = ttt.assign(**{c: ttt[c].where(~tpe, 0.0) for c in ("success", "speedup", "speedup_low", "speedup_high")})
    table = time_table(never, "epochs")
    tpe = table.loc[table["method"] == "tpe"]
    assert (tpe["speed-up [95% CI]"] == NEVER).all() and (tpe["verdict"] == NEVER).all()
    assert not table["speed-up [95% CI]"].str.contains("0.00").any()
    assert "tpe" not in set(task_summary(never)["fastest"])  # never the "fastest" method


def test_zero_width_intervals_are_flagged_with_a_note(bench_tables):
    final = bench_tables["final"]
    flat = final.assign(val_iqm=0.217, val_iqm_low=0.217, val_iqm_high=0.217, val_n=3)
    table = final_table(flat)
    cell = table["validation IQM [95% CI]"].iloc[0]
    assert cell.startswith("0.217 (no spread") and "[0.217, 0.217]" not in cell
    assert table["test IQM [95% CI]"].iloc[0] == "0.600 [0.500, 0.700]"  # a real interval stays as it is
    note = degenerate_note(table)
    assert note is not None and "every seed" in note and "same points" in note
    assert degenerate_note(final_table(final)) is None


def test_the_reference_row_says_it_is_the_reference_not_an_interval_of_itself(bench_tables):
    ttt = bench_tables["time_to_target"]
    table = time_table(ttt, "epochs", "random")
    ref = table.loc[table["method"] == "random"]
    assert (ref["speed-up [95% CI]"] == "1 (the reference)").all() and (ref["verdict"] == "the reference").all()
    assert table.loc[table["method"] == "tpe", "speed-up [95% CI]"].iloc[0] == "2.00 [0.50, inf]"
