"""The time budget's one check and one clock (Deadline), and what asks a worker to stop (StopToken)."""

from __future__ import annotations

import math
import os
import time

import pytest

from hpsearch.execution.stopping import Deadline, StopToken, check_time_budget


@pytest.mark.parametrize("budget", [0, -5, math.nan, math.inf, 1e9, True, "60", [60]])
def test_a_bad_budget_is_one_line_naming_it(budget):
    with pytest.raises(ValueError, match=r"^time_budget .* is invalid; give seconds > 0, e\.g\. 3600") as err:
        check_time_budget(budget)
    assert "\n" not in str(err.value)


def test_a_budget_is_seconds_as_a_float_and_none_is_no_budget():
    assert check_time_budget(None) is None
    assert check_time_budget(90) == 90.0 and isinstance(check_time_budget(90), float)


def test_a_deadline_lies_the_budget_ahead_and_passes():
    before = time.time()
    deadline = Deadline.after(30)
    assert before + 30 <= deadline.at <= time.time() + 30
    assert not deadline.passed() and 29 < deadline.remaining() <= 30
    assert Deadline(time.time() - 1).passed() and Deadline(time.time() - 1).remaining() == 0.0
    never = Deadline.after(None)
    assert never.at is None and not never.passed() and never.remaining() == math.inf
    with pytest.raises(ValueError, match="time_budget -1 is invalid"):
        Deadline.after(-1)


def test_a_stop_token_is_set_here_through_its_file_or_by_a_dead_launcher(tmp_path):
    path = tmp_path / "stop"
    token = StopToken(str(path))
    assert not token.is_set()
    token.set()
    assert token.is_set() and path.exists()  # the file tells the other workers
    assert StopToken(str(path)).is_set()  # a worker that only sees the file stops too
    assert not StopToken(str(tmp_path / "other")).is_set()
    gone = StopToken(parent=2**22 + 12345)  # no such process: the launcher is gone
    assert gone.orphaned() and gone.is_set()
    assert not StopToken(parent=os.getpid()).is_set()


def test_the_budget_is_named_as_the_user_wrote_it():
    with pytest.raises(ValueError, match="^--time-budget -2 is invalid"):
        check_time_budget(-2, "--time-budget")
    with pytest.raises(ValueError, match="^--time-budget 0 is invalid"):
        Deadline.after(0, "--time-budget")
