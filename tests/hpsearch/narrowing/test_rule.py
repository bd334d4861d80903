"""Range narrowing: the book's own top 5, hand-checked cases and hypothesis properties (inside the parent box
without widening, inside hard limits, non-empty, contains the best trial, widens at a pressed bound)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpsearch.narrowing.rule import NarrowRule, Outcome, box_width, narrow, widen_past
from hpsearch.space import ParamSpec, SearchSpace, book_space


def _outcome(lr, wd, value, diverged=False):
    return Outcome({"lr": lr, "weight_decay": wd}, value, diverged)


# The book's printed top 5 of its 100-trial run (section 6.5.3): (val acc, lr, weight decay). From them the book
# read off lr 0.001 to 0.01 (and weight decay 1e-8 to 1e-6, although two of these five lie above 1e-6).
BOOK_TOP5 = [(0.83, 0.0092, 3.86e-7), (0.78, 0.00956, 6.04e-7), (0.77, 0.00571, 1.27e-6),
             (0.74, 0.00626, 1.43e-5), (0.73, 0.0052, 8.97e-6)]


def test_the_books_top_5_narrow_lr_to_the_books_range_and_press_its_upper_bound():
    outs = [_outcome(lr, wd, v) for v, lr, wd in BOOK_TOP5]
    new, rec = narrow(book_space(), outs, NarrowRule(top_k=5))
    assert (new["lr"].low, new["lr"].high) == (pytest.approx(1e-3), pytest.approx(1e-2))
    assert rec["params"]["lr"]["pressed"] == ["high"] and rec["params"]["lr"]["widened"] == []
    # whole decades holding all five weight decays: as close to the book's reading as its own top 5 allow
    assert (new["weight_decay"].low, new["weight_decay"].high) == (pytest.approx(1e-7), pytest.approx(1e-4))
    assert rec["params"]["weight_decay"]["pressed"] == []
    widened, rec = narrow(book_space(), outs, NarrowRule(top_k=5, widen=0.25))  # hpsearch's step beyond the book
    assert widened["lr"].high == pytest.approx(1e-1) and rec["params"]["lr"]["widened"] == ["high"]


def test_without_widening_the_padded_box_stays_inside_its_parent():
    space = book_space()  # lr 1e-6..1e-2
    outs = [_outcome(1.1e-6, 1e-6, 0.9), _outcome(1.2e-6, 1e-6, 0.8)]  # pressed against the low bound
    for snap in (0, 4):
        new, rec = narrow(space, outs, NarrowRule(top_k=2, padding=1.0, min_pad=0.2, snap=snap))
        assert new["lr"].low == pytest.approx(1e-6) and rec["params"]["lr"]["pressed"] == ["low"]


def test_widen_past_moves_only_the_pressed_sides_by_a_fraction_of_the_reference_box():
    box = book_space(lr=(10**-2.5, 1e-2), weight_decay=(1e-7, 1e-5))
    new, rec = widen_past(box, {"lr": ["high"]}, book_space(), widen=0.25, hard_limits={"lr": (1e-8, 0.05)})
    assert new["lr"].low == pytest.approx(10**-2.5) and new["lr"].high == pytest.approx(0.05)  # 1e-1, capped
    assert new["weight_decay"] == box["weight_decay"] and rec == {
        "lr": {"old": [box["lr"].low, 1e-2], "new": [new["lr"].low, new["lr"].high], "widened": ["high"]}}
    free, _ = widen_past(box, {"lr": ["low", "high"]}, book_space(), widen=0.25)
    assert free["lr"].low == pytest.approx(10**-3.5) and free["lr"].high == pytest.approx(1e-1)
    with pytest.raises(ValueError, match="widen=0"):
        widen_past(box, {"lr": ["high"]}, book_space(), widen=0)


def test_a_minimizing_study_narrows_around_its_lowest_values():
    outs = [_outcome(1e-3, 1e-6, 0.1), _outcome(1e-5, 1e-6, 5.0)]
    new, rec = narrow(book_space(), outs, NarrowRule(top_k=1, snap=0), direction="minimize")
    assert rec["best_params"]["lr"] == 1e-3 and new["lr"].low > 1e-4


def test_box_spans_the_top_k_with_padding_in_log_space():
    space = book_space()  # lr 1e-6..1e-2, wd 1e-8..1e-4
    outs = [_outcome(1e-4, 1e-6, 0.9), _outcome(1e-3, 1e-7, 0.85), _outcome(3e-6, 3e-5, 0.1)]
    new, rec = narrow(space, outs, NarrowRule(top_k=2, padding=0.5, min_pad=0.01, snap=0))
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
    assert new["lr"].high <= 1e-3
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
                      widen=draw(st.sampled_from([0.0, 0.01, 0.3, 1.0])), press=draw(st.floats(0, 0.3)),
                      snap=draw(st.integers(0, 8)),
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
    if rule.widen == 0:  # the book's procedure: never outside the parent box, padding and snapping included
        assert old.low * (1 - 1e-12) <= p.low and p.high <= old.high * (1 + 1e-12)
        return
    for side in rec["params"]["lr"]["pressed"]:  # a pressed side moves past the old bound unless capped
        if side == "low":
            assert p.low < old.low or math.isclose(p.low, hard_lo)
        else:
            assert p.high > old.high or math.isclose(p.high, hard_hi)
