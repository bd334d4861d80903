"""netcore.optim: the book's update rules, in place, with lazy state and a registry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netcore import optim, optim_base
from netcore.optim import (
    OPTIMIZERS,
    SGD,
    AdaGrad,
    Adam,
    Momentum,
    Nesterov,
    RMSprop,
    make_optimizer,
    optimizer_hyperparams,
)
from netcore.optim_base import _flush_subnormals

# ---------------------------------------------------------------- hand-computed steps (scalars)


def _run(opt, w0: float, grads: list[float]) -> list[float]:
    w = np.array([w0])
    out = []
    for g in grads:
        opt.update(w, np.array([g]))
        out.append(float(w[0]))
    return out


def test_sgd_by_hand() -> None:
    w = np.array([1.0, -2.0])
    SGD(lr=0.1).update(w, np.array([0.5, 1.0]))
    np.testing.assert_allclose(w, [0.95, -2.1], rtol=0, atol=1e-15)


def test_momentum_by_hand() -> None:
    # v1 = -0.1, v2 = 0.9*-0.1 - 0.1 = -0.19, v3 = 0.9*-0.19 - 0.1 = -0.271; W accumulates v.
    got = _run(Momentum(lr=0.1, momentum=0.9), 0.0, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(got, [-0.1, -0.29, -0.561], atol=1e-14)


def test_nesterov_by_hand_uses_old_velocity() -> None:
    # W += 0.81*v_old - 1.9*0.1*g, then v = 0.9*v - 0.1*g.
    # step 1: W = 0 + 0 - 0.19 = -0.19;              v = -0.1
    # step 2: W = -0.19 - 0.081 - 0.19 = -0.461;     v = -0.19
    # step 3: W = -0.461 - 0.1539 - 0.19 = -0.8049;  v = -0.271
    opt = Nesterov(lr=0.1, momentum=0.9)
    got = _run(opt, 0.0, [1.0, 1.0, 1.0])
    np.testing.assert_allclose(got, [-0.19, -0.461, -0.8049], atol=1e-14)
    np.testing.assert_allclose(opt.state["v"], [-0.271], atol=1e-14)


def test_nesterov_pre_2021_order_would_differ() -> None:
    # The old (buggy) order updated v first: step 1 would give -0.19 + 0.81*(-0.1) = -0.271.
    got = _run(Nesterov(lr=0.1, momentum=0.9), 0.0, [1.0])
    assert got[0] == pytest.approx(-0.19, abs=1e-14)


def test_adagrad_by_hand() -> None:
    # h = 9 -> W -= 0.5*3/(3 + 1e-7); h = 18 -> W -= 1.5/(sqrt(18) + 1e-7)
    got = _run(AdaGrad(lr=0.5), 0.0, [3.0, 3.0])
    s1 = 1.5 / (3.0 + 1e-7)
    s2 = 1.5 / (math.sqrt(18.0) + 1e-7)
    np.testing.assert_allclose(got, [-s1, -s1 - s2], rtol=1e-15)
    assert got[1] == pytest.approx(-(0.5 + 0.5 / math.sqrt(2.0)), abs=1e-6)


def test_rmsprop_by_hand() -> None:
    # rho 0.5, g = 2: h = 2, 3, 3.5; each step lr*g/sqrt(h) = 0.2/sqrt(h)
    got = _run(RMSprop(lr=0.1, decay_rate=0.5), 0.0, [2.0, 2.0, 2.0])
    steps = [0.2 / (math.sqrt(h) + 1e-7) for h in (2.0, 3.0, 3.5)]
    np.testing.assert_allclose(got, -np.cumsum(steps), rtol=1e-15)


def test_adam_by_hand_first_steps_move_about_lr() -> None:
    # g = 1: m1 = 0.1, v1 = 0.001, lr_t = 0.1*sqrt(0.001)/0.1; step = lr_t*m/(sqrt(v)+1e-7) ~ lr
    opt = Adam(lr=0.1)
    got = _run(opt, 0.0, [1.0, 1.0])
    lr1 = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9)
    s1 = lr1 * 0.1 / (math.sqrt(0.001) + 1e-7)
    m2, v2 = 0.1 + 0.1 * (1 - 0.1), 0.001 + 0.001 * (1 - 0.001)
    lr2 = 0.1 * math.sqrt(1 - 0.999**2) / (1 - 0.9**2)
    s2 = lr2 * m2 / (math.sqrt(v2) + 1e-7)
    np.testing.assert_allclose(got, [-s1, -s1 - s2], rtol=1e-14)
    assert s1 == pytest.approx(0.1, rel=1e-5)  # the book: the first step is ~ lr*sign(g)
    assert opt.t == 2
    m_got, v_got = opt.moments()
    np.testing.assert_allclose(m_got, [m2], rtol=1e-15)
    np.testing.assert_allclose(v_got, [v2], rtol=1e-14)


# ---------------------------------------------------------------- naive reference over many steps


def _naive(name: str, hp: dict[str, float], w0: list[float], grads: list[list[float]]) -> list[float]:
    """Element-by-element Python floats, written straight from the book's table."""
    w = list(w0)
    s1 = [0.0] * len(w)
    s2 = [0.0] * len(w)
    for t, g_vec in enumerate(grads, start=1):
        for i, g in enumerate(g_vec):
            lr = hp["lr"]
            if name == "sgd":
                w[i] -= lr * g
            elif name == "momentum":
                s1[i] = hp["momentum"] * s1[i] - lr * g
                w[i] += s1[i]
            elif name == "nesterov":
                a = hp["momentum"]
                w[i] += a * a * s1[i]
                w[i] -= (1 + a) * lr * g
                s1[i] = a * s1[i] - lr * g
            elif name == "adagrad":
                s1[i] += g * g
                w[i] -= lr * g / (math.sqrt(s1[i]) + 1e-7)
            elif name == "rmsprop":
                rho = hp["decay_rate"]
                s1[i] = rho * s1[i] + (1 - rho) * g * g
                w[i] -= lr * g / (math.sqrt(s1[i]) + 1e-7)
            elif name == "adam":
                b1, b2 = hp["beta1"], hp["beta2"]
                lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
                s1[i] += (1 - b1) * (g - s1[i])
                s2[i] += (1 - b2) * (g * g - s2[i])
                w[i] -= lr_t * s1[i] / (math.sqrt(s2[i]) + 1e-7)
    return w


CASES = {
    "sgd": {"lr": 0.3},
    "momentum": {"lr": 0.05, "momentum": 0.8},
    "nesterov": {"lr": 0.05, "momentum": 0.7},
    "adagrad": {"lr": 0.2},
    "rmsprop": {"lr": 0.02, "decay_rate": 0.9},
    "adam": {"lr": 0.01, "beta1": 0.8, "beta2": 0.99},
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_matches_naive_reference_over_many_steps(name: str) -> None:
    rng = np.random.default_rng(7)
    grads = rng.standard_normal((25, 3)).tolist()
    w0 = [0.5, -1.5, 2.0]
    want = _naive(name, CASES[name], w0, grads)
    w = np.array(w0)
    opt = make_optimizer(name, **CASES[name])
    for g in grads:
        opt.update(w, np.array(g))
    if name == "adam":  # the same rule evaluated in another order (see netcore.optim.Adam)
        np.testing.assert_allclose(w, want, rtol=1e-13, atol=0)
    else:  # the book's expressions in the book's order: float64 bit for bit
        np.testing.assert_array_equal(w, want)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_float32_stays_float32_and_tracks_float64(name: str) -> None:
    rng = np.random.default_rng(3)
    w64 = rng.standard_normal(50)
    w32 = w64.astype(np.float32)
    o64, o32 = make_optimizer(name), make_optimizer(name)
    for _ in range(10):
        g = rng.standard_normal(50)
        o64.update(w64, g)
        o32.update(w32, g.astype(np.float32))
    assert w32.dtype == np.float32
    assert all(s.dtype == np.float32 for s in o32.state.values())
    np.testing.assert_allclose(w32, w64, rtol=1e-4, atol=1e-5)


def test_adam_equals_book_expressions_in_float64_and_exposes_the_books_moments() -> None:
    rng = np.random.default_rng(11)
    w_ref = rng.standard_normal(100)
    w = w_ref.copy()
    m, v = np.zeros(100), np.zeros(100)
    opt = Adam()
    for t in range(1, 200):
        g = rng.standard_normal(100) * 10.0 ** rng.uniform(-6, 2)
        lr_t = 0.001 * np.sqrt(1.0 - 0.999**t) / (1.0 - 0.9**t)
        m += (1 - 0.9) * (g - m)
        v += (1 - 0.999) * (g**2 - v)
        w_ref -= lr_t * m / (np.sqrt(v) + 1e-7)
        opt.update(w, g)
    np.testing.assert_allclose(w, w_ref, rtol=1e-14, atol=0)  # the same rule, evaluated in another order
    m_got, v_got = opt.moments()
    np.testing.assert_allclose(m_got, m, rtol=1e-13)
    np.testing.assert_allclose(v_got, v, rtol=1e-13)


def test_adam_moments_before_the_first_update_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="call update"):
        Adam().moments()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_overwrite_grads_gives_bit_identical_params_and_state(name: str, dtype) -> None:
    rng = np.random.default_rng(4)
    w_keep = rng.standard_normal(64).astype(dtype)
    w_over = w_keep.copy()
    keep, over = make_optimizer(name), make_optimizer(name)
    for _ in range(40):  # past a flush step
        g = rng.standard_normal(64).astype(dtype)
        g_keep = g.copy()
        keep.update(w_keep, g_keep)
        np.testing.assert_array_equal(g_keep, g)  # without the flag the gradient is left alone
        over.update(w_over, g.copy(), overwrite_grads=True)
    np.testing.assert_array_equal(w_over, w_keep)
    for k in keep.state:
        np.testing.assert_array_equal(over.state[k], keep.state[k])


def test_sgd_and_adam_take_the_offer_to_overwrite_grads() -> None:
    for name in ("sgd", "adam"):
        g = np.ones(5)
        make_optimizer(name).update(np.zeros(5), g, overwrite_grads=True)
        assert not np.array_equal(g, np.ones(5)), name  # grads were the scratch buffer


# ---------------------------------------------------------------- float32: subnormal state is flushed

TINY32 = float(np.finfo(np.float32).tiny)


def _subnormal(a: np.ndarray) -> np.ndarray:
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


def test_flush_subnormals_keeps_normal_numbers_nan_and_inf() -> None:
    a = np.array([np.nan, np.inf, -np.inf, 1e-40, -1e-40, 0.0, 1.0, TINY32, -TINY32, 3e-39], np.float32)
    _flush_subnormals(a, scratch=np.empty_like(a))
    np.testing.assert_array_equal(a, [np.nan, np.inf, -np.inf, 0, 0, 0, 1, TINY32, -TINY32, 0])


def _dead_unit_run(name: str, dtype: type, *, scale: float, zero_steps: int) -> tuple[np.ndarray, optim.Optimizer]:
    """Five small gradients, then exact zeros (a dead ReLU unit): the state decays towards 0."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal(20).astype(dtype)
    opt = make_optimizer(name)
    for _ in range(5):
        opt.update(w, (scale * rng.standard_normal(20)).astype(dtype))
    for _ in range(zero_steps):
        opt.update(w, np.zeros(20, dtype))
    return w, opt


def test_without_the_flush_float32_adam_stalls_in_subnormals(monkeypatch) -> None:
    monkeypatch.setattr(optim_base, "_FLUSH_EVERY", 10**9)
    w, opt = _dead_unit_run("adam", np.float32, scale=1e-12, zero_steps=1000)
    s = opt.state["s"].copy()
    assert _subnormal(s).all()
    opt.update(w, np.zeros(20, np.float32))
    np.testing.assert_array_equal(opt.state["s"], s)  # 0.9 * s rounds back to s: stuck for good


@pytest.mark.parametrize("name", ["momentum", "nesterov", "rmsprop", "adam"])
def test_float32_subnormal_state_is_flushed_without_changing_the_params(name, monkeypatch) -> None:
    zero_steps = 4096 - 5  # the last update is a flush step
    with monkeypatch.context() as mp:
        mp.setattr(optim_base, "_FLUSH_EVERY", 10**9)
        w_ref, ref = _dead_unit_run(name, np.float32, scale=1e-12, zero_steps=zero_steps)
    w, opt = _dead_unit_run(name, np.float32, scale=1e-12, zero_steps=zero_steps)
    sub = {k: _subnormal(s) for k, s in ref.state.items()}
    assert any(m.any() for m in sub.values())
    np.testing.assert_array_equal(w, w_ref)  # the flush is below float32 rounding of the weights
    for k, s in opt.state.items():
        assert not _subnormal(s).any()
        np.testing.assert_array_equal(s[sub[k]], 0.0)
        np.testing.assert_array_equal(s[~sub[k]], ref.state[k][~sub[k]])


def test_flush_happens_every_16_updates_only() -> None:
    w, opt = _dead_unit_run("momentum", np.float32, scale=1e-12, zero_steps=1024 - 5)
    assert opt.n_updates == 1024 and not _subnormal(opt.state["v"]).any()
    opt.state["v"][:] = 1e-40
    for _ in range(15):
        opt.update(w, np.zeros(20, np.float32))
    assert _subnormal(opt.state["v"]).all()
    opt.update(w, np.zeros(20, np.float32))
    assert not opt.state["v"].any()


def test_float64_state_is_never_flushed() -> None:
    # float64 keeps the book's arithmetic, subnormals included
    _, opt = _dead_unit_run("momentum", np.float64, scale=1e-290, zero_steps=1019)
    assert _subnormal(opt.state["v"]).all()


# ---------------------------------------------------------------- contract: in place, lazy state


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_update_is_in_place_on_views(name: str) -> None:
    flat = np.ones(6)
    view = flat[2:5]  # a layer's parameter is a view into the network's flat vector
    opt = make_optimizer(name)
    assert opt.state == {}
    result = opt.update(view, np.full(3, 0.5))
    assert result is None
    assert np.all(flat[2:5] < 1.0) and flat[0] == 1.0 and flat[5] == 1.0
    assert all(s.shape == (3,) for s in opt.state.values())


def test_lazy_state_names() -> None:
    expected = {"sgd": set(), "momentum": {"v"}, "nesterov": {"v"}, "adagrad": {"h"},
                "rmsprop": {"h"}, "adam": {"s", "r"}}
    for name, keys in expected.items():
        opt = make_optimizer(name)
        opt.update(np.zeros(2, np.float32), np.ones(2, np.float32))
        assert set(opt.state) == keys


def test_shape_errors() -> None:
    opt = Adam()
    with pytest.raises(ValueError, match=r"params shape \(2,\) != grads shape \(3,\)"):
        opt.update(np.zeros(2), np.zeros(3))
    opt.update(np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match="one optimizer per parameter array"):
        opt.update(np.zeros(4), np.zeros(4))


# ---------------------------------------------------------------- validation and registry


@pytest.mark.parametrize(
    ("cls", "kwargs", "pattern"),
    [
        (SGD, {"lr": 0.0}, "lr=0.0"),
        (SGD, {"lr": -0.1}, r"lr=-0\.1"),
        (Adam, {"lr": float("nan")}, "lr=nan"),
        (Momentum, {"lr": float("inf")}, "lr=inf"),
        (SGD, {"lr": "0.1"}, "lr='0.1'"),
        (SGD, {"lr": True}, "lr=True"),
        (Momentum, {"momentum": 1.0}, r"momentum=1\.0 .*\[0, 1\)"),
        (Nesterov, {"momentum": -0.5}, r"momentum=-0\.5"),
        (RMSprop, {"decay_rate": 1.5}, r"decay_rate=1\.5"),
        (Adam, {"beta1": 1.0}, r"beta1=1\.0"),
        (Adam, {"beta2": float("nan")}, "beta2=nan"),
    ],
)
def test_validation_names_the_bad_value(cls, kwargs, pattern) -> None:
    with pytest.raises(ValueError, match=pattern) as info:
        cls(**kwargs)
    assert "\n" not in str(info.value)


def test_registry_names_and_defaults() -> None:
    assert list(OPTIMIZERS) == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
    assert optimizer_hyperparams("sgd") == {"lr": 0.01}
    assert optimizer_hyperparams("momentum") == {"lr": 0.01, "momentum": 0.9}
    assert optimizer_hyperparams("nesterov") == {"lr": 0.01, "momentum": 0.9}
    assert optimizer_hyperparams("adagrad") == {"lr": 0.01}
    assert optimizer_hyperparams("rmsprop") == {"lr": 0.01, "decay_rate": 0.99}
    assert optimizer_hyperparams("adam") == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}


def test_make_optimizer() -> None:
    opt = make_optimizer("Adam", lr=0.3)
    assert isinstance(opt, Adam) and opt.lr == 0.3 and opt.beta2 == 0.999
    assert type(make_optimizer("nesterov")) is Nesterov
    assert repr(make_optimizer("rmsprop")) == "RMSprop(lr=0.01, decay_rate=0.99)"
    with pytest.raises(ValueError, match="unknown optimizer 'adamw': choose one of sgd, momentum, .*adam"):
        make_optimizer("adamw")
    with pytest.raises(ValueError, match="no hyperparameter momentum: allowed are lr"):
        make_optimizer("sgd", momentum=0.9)
