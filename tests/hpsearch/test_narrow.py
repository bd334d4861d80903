"""Range narrowing: hand-checked cases and hypothesis properties (inside hard limits, non-empty, contains the
best trial, widens at a pressed bound)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpsearch.narrow import NarrowRule, Outcome, box_width, narrow
from hpsearch.space import ParamSpec, SearchSpace, book_space


def _outcome(lr, wd, value, diverged=False):
    return Outcome({"lr": lr, "weight_decay": wd}, value, diverged)


def test_box_spans_the_top_k_with_padding_in_log_space():
    space = book_space()  # lr 1e-6..1e-2, wd 1e-8..1e-4
    outs = [_outcome(1e-4, 1e-6, 0.9), _outcome(1e-3, 1e-7, 0.85), _outcome(3e-6, 3e-5, 0.1)]
    new, rec = narrow(space, outs, NarrowRule(top_k=2, padding=0.5, min_pad=0.01))
    # lr top span: log10 -4 .. -3 (1 decade) -> padded by 0.5 each side: 10^-4.5 .. 10^-2.5
    assert new["lr"].low == pytest.approx(10**-4.5)
    assert new["lr"].high == pytest.approx(10**-2.5)
    assert new["weight_decay"].low == pytest.approx(10**-7.5)
    assert new["weight_decay"].high == pytest.approx(10**-5.5)
    assert rec["n_top"] == 2 and rec["best_params"] == {"lr": 1e-4, "weight_decay": 1e-6}
    assert rec["params"]["lr"]["pressed"] == []
    assert box_width(new, "lr") == pytest.approx(2.0)


def test_diverged_trials_never_define_the_box():
    space = book_space()
    outs = [_outcome(1e-2, 1e-6, 0.95, diverged=True), _outcome(1e-4, 1e-6, 0.5)]
    new, rec = narrow(space, outs, NarrowRule(top_k=1))
    assert rec["best_params"]["lr"] == 1e-4
    assert new["lr"].high < 1e-3
    with pytest.raises(ValueError, match="did not diverge"):
        narrow(space, [_outcome(1e-2, 1e-6, 0.1, diverged=True)])


def test_pressed_bound_widens_past_it_within_hard_limits():
    space = book_space()
    outs = [_outcome(1e-2, 1e-6, 0.9), _outcome(9e-3, 2e-6, 0.88)]
    new, rec = narrow(space, outs, NarrowRule(top_k=2, widen=0.5))
    assert new["lr"].high == pytest.approx(10 ** (-2 + 0.5 * 4))
    assert rec["params"]["lr"]["pressed"] == ["high"]
    capped, _ = narrow(space, outs, NarrowRule(top_k=2, widen=0.5, hard_limits={"lr": (1e-7, 0.05)}))
    assert capped["lr"].high == pytest.approx(0.05)


def test_categorical_choices_reduce_to_those_in_the_top_k():
    space = SearchSpace((ParamSpec("optimizer", kind="categorical", choices=("sgd", "momentum", "adam")),
                         ParamSpec("lr", low=1e-5, high=1e-1, log=True)))
    outs = [Outcome({"optimizer": "adam", "lr": 1e-3}, 0.9), Outcome({"optimizer": "sgd", "lr": 1e-2}, 0.8),
            Outcome({"optimizer": "momentum", "lr": 1e-4}, 0.2)]
    new, _ = narrow(space, outs, NarrowRule(top_k=2))
    assert new["optimizer"].choices == ("sgd", "adam")


def test_rule_validation_is_one_clear_line():
    with pytest.raises(ValueError, match="top_k"):
        NarrowRule(top_k=0)
    with pytest.raises(ValueError, match="exactly one"):
        NarrowRule(top_k=3, top_fraction=0.1)
    with pytest.raises(ValueError, match="contain the current box"):
        narrow(book_space(), [_outcome(1e-4, 1e-6, 0.5)], NarrowRule(hard_limits={"lr": (1e-5, 1e-3)}))
    assert NarrowRule.from_dict(NarrowRule(top_k=3, hard_limits={"lr": (1e-9, 1.0)}).to_dict()).top_k == 3


_log_value = st.floats(min_value=0.0, max_value=1.0)


@st.composite
def _trials(draw):
    lo = draw(st.floats(min_value=-8, max_value=-3))
    width = draw(st.floats(min_value=0.5, max_value=5))
    space = SearchSpace((ParamSpec("lr", low=10**lo, high=10 ** (lo + width), log=True),))
    n = draw(st.integers(min_value=1, max_value=30))
    fracs = draw(st.lists(_log_value, min_size=n, max_size=n))
    scores = draw(st.lists(st.floats(min_value=0, max_value=1), min_size=n, max_size=n))
    div = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    div[0] = False
    outs = [Outcome({"lr": 10 ** (lo + f * width)}, s, d) for f, s, d in zip(fracs, scores, div, strict=True)]
    hard_extra = draw(st.floats(min_value=0, max_value=3))
    rule = NarrowRule(top_k=draw(st.integers(1, 10)), padding=draw(st.floats(0, 1)),
                      widen=draw(st.floats(0.01, 1)), press=draw(st.floats(0, 0.3)),
                      hard_limits={"lr": (10 ** (lo - hard_extra), 10 ** (lo + width + hard_extra))})
    return space, outs, rule


@settings(max_examples=200, deadline=None)
@given(_trials())
def test_narrow_properties(case):
    space, outs, rule = case
    new, rec = narrow(space, outs, rule)
    p, old = new["lr"], space["lr"]
    hard_lo, hard_hi = rule.hard_limits["lr"]
    assert hard_lo * (1 - 1e-12) <= p.low < p.high <= hard_hi * (1 + 1e-12)  # inside limits, non-empty
    best = max((o for o in outs if not o.diverged), key=lambda o: o.value)
    assert p.low <= best.params["lr"] <= p.high  # contains the best trial
    for side in rec["params"]["lr"]["pressed"]:  # a pressed side moves past the old bound unless capped
        if side == "low":
            assert p.low < old.low or math.isclose(p.low, hard_lo)
        else:
            assert p.high > old.high or math.isclose(p.high, hard_hi)
