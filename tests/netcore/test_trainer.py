"""Trainer: the book's protocol, shuffled epochs, divergence, callbacks, reproducibility, real learning."""

from __future__ import annotations

import numpy as np
import pytest

from netcore.builders import build_mlp
from netcore.data import load_dataset
from netcore.optim import make_optimizer
from netcore.trainer import TrainConfig, TrainData, take_rows, train


def _toy(n_train=40, n_val=20, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 2, (3, dim))
    def make(n):
        t = rng.integers(0, 3, n)
        return (centers[t] + rng.normal(0, 0.5, (n, dim))).astype(np.float32), t
    xtr, ttr = make(n_train)
    xva, tva = make(n_val)
    return TrainData(xtr, ttr, xva, tva)


def _net(seed=0, dim=6, **kw):
    return build_mlp(dim, (8,), 3, rng=np.random.default_rng(seed), **kw)


def test_book_mode_schedule_counts_and_evaluation_steps():
    data = _toy(n_train=40)
    cfg = TrainConfig(epochs=5, batch_size=10)  # iter_per_epoch = 4
    h = train(_net(), make_optimizer("sgd", lr=0.1), data, cfg, rng=np.random.default_rng(1))
    assert h.updates == 20 and len(h.step_loss) == 20 and h.samples == 200
    assert h.epoch == [0, 1, 2, 3, 4]
    assert h.step == [0, 4, 8, 12, 16]  # after the first update, then every iter_per_epoch
    assert len(h.train_acc) == len(h.val_acc) == len(h.val_loss) == len(h.train_loss) == 5
    assert not h.diverged and not h.stopped
    assert h.train_loss[0] == h.step_loss[0]
    assert h.train_loss[1] == pytest.approx(np.mean(h.step_loss[1:5]))


def test_book_mode_records_the_post_update_loss_of_the_drawn_batch():
    data = _toy(n_train=10)
    net = _net(1)
    train(net, make_optimizer("sgd", lr=0.5), data, TrainConfig(epochs=1, batch_size=10),
          rng=np.random.default_rng(2))
    idx = np.random.default_rng(2).integers(0, 10, size=10)  # the same draw, with replacement
    h_loss = net.loss(data.x_train[idx], data.t_train[idx], train=False)
    net2 = _net(1)
    h = train(net2, make_optimizer("sgd", lr=0.5), data, TrainConfig(epochs=1, batch_size=10),
              rng=np.random.default_rng(2))
    assert h.step_loss == [pytest.approx(h_loss, rel=1e-6)]
    pre = train(_net(1), make_optimizer("sgd", lr=0.5), data,
                TrainConfig(epochs=1, batch_size=10, loss_record="pre"), rng=np.random.default_rng(2))
    fresh = _net(1)
    assert pre.step_loss[0] == pytest.approx(fresh.loss(data.x_train[idx], data.t_train[idx], train=True), rel=1e-6)


def test_shuffle_mode_visits_every_example_once_per_epoch():
    data = _toy(n_train=25)
    h = train(_net(), make_optimizer("sgd"), data, TrainConfig(epochs=3, batch_size=10, mode="shuffle"),
              rng=np.random.default_rng(3))
    assert h.updates == 9 and h.samples == 75
    assert h.step == [2, 5, 8]


def test_same_generator_seed_reproduces_history_exactly():
    data = _toy()
    runs = [train(_net(4, dropout=0.2), make_optimizer("adam"), data, TrainConfig(epochs=3, batch_size=8),
                  rng=np.random.default_rng(5)) for _ in range(2)]
    assert runs[0].step_loss == runs[1].step_loss
    assert runs[0].val_acc == runs[1].val_acc


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"])
def test_divergence_is_a_result_not_an_exception(name):
    data = _toy()
    net = build_mlp(6, (8,) * 5, 3, init_scale=30.0, rng=np.random.default_rng(6))
    h = train(net, make_optimizer(name, lr=1e8), data, TrainConfig(epochs=50, batch_size=10),
              rng=np.random.default_rng(7))
    assert h.diverged
    assert h.diverged_step is not None and h.step[-1] == h.diverged_step
    assert h.updates < 200
    assert all(np.isfinite(h.val_acc)) and all(np.isfinite(h.train_acc))


def test_callback_stops_training_after_the_epoch_it_returns_true():
    seen = []

    def cb(epoch, hist):
        seen.append((epoch, hist.val_acc[-1]))
        return epoch == 2

    h = train(_net(), make_optimizer("sgd"), _toy(), TrainConfig(epochs=10, batch_size=10),
              rng=np.random.default_rng(8), callbacks=[cb])
    assert h.stopped and h.epoch == [0, 1, 2] and [e for e, _ in seen] == [0, 1, 2]
    assert h.updates == 2 * 4 + 1


def test_evaluation_on_a_fixed_prefix():
    data = _toy(n_val=20)
    h = train(_net(), make_optimizer("sgd"), data, TrainConfig(epochs=2, batch_size=10, eval_val_n=4),
              rng=np.random.default_rng(9))
    assert all(round(v * 4) == v * 4 for v in h.val_acc)


def test_bad_config_and_data_are_clear_errors():
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="mode"):
        TrainConfig(epochs=1, mode="random")
    with pytest.raises(ValueError, match="differ in count"):
        TrainData(np.zeros((3, 2)), np.zeros(2), np.zeros((1, 2)), np.zeros(1))


def test_float64_network_trains_in_float64():
    data = _toy()
    net = _net(dtype=np.float64)
    h = train(net, make_optimizer("adam"), data, TrainConfig(epochs=2, batch_size=10), rng=np.random.default_rng(0))
    assert net.params.dtype == np.float64 and h.updates == 8


def test_book_network_learns_real_digits():
    ds = load_dataset("mnist-5k")
    data = TrainData(ds.x_train[:1000], ds.t_train[:1000], ds.x_test[:500], ds.t_test[:500])
    net = build_mlp(784, (100, 100), 10, rng=np.random.default_rng(0))
    h = train(net, make_optimizer("adam"), data, TrainConfig(epochs=8, batch_size=100),
              rng=np.random.default_rng(1))
    assert h.val_acc[0] < 0.6 < 0.8 < h.val_acc[-1]
    assert h.train_acc[-1] > 0.9


def test_take_rows_equals_fancy_indexing_and_reuses_its_buffer():
    rng = np.random.default_rng(8)
    x = rng.random((50, 1, 4, 3)).astype(np.float32)
    buf = None
    for n in (7, 7, 3, 7):  # a short last batch (shuffle mode) needs a buffer of its own shape
        idx = rng.integers(0, len(x), n)
        idx[0] = idx[-1]  # drawn with replacement: repeats
        got = take_rows(x, idx, buf)
        np.testing.assert_array_equal(got, x[idx])
        assert got is buf or buf is None or buf.shape[0] != n
        buf = got
    assert take_rows(x.astype(np.float64), idx, buf).dtype == np.float64  # a buffer of another dtype is not used


def test_several_evaluations_per_epoch_in_shuffle_mode():
    data = _toy(n_train=40)
    cfg = TrainConfig(epochs=2, batch_size=10, mode="shuffle", evals_per_epoch=2)  # 4 steps per epoch
    h = train(_net(), make_optimizer("sgd", lr=0.1), data, cfg, rng=np.random.default_rng(1))
    assert h.step == [1, 3, 5, 7]  # after every second update: mid-epoch and at each epoch's end
    assert h.epoch == [0, 1, 2, 3] and h.updates == 8
    odd = TrainConfig(epochs=1, batch_size=10, mode="shuffle", evals_per_epoch=3)  # ceil(4/3) = 2
    h = train(_net(), make_optimizer("sgd", lr=0.1), data, odd, rng=np.random.default_rng(1))
    assert h.step == [1, 3]
    with pytest.raises(ValueError, match="mode='shuffle'"):
        TrainConfig(epochs=1, evals_per_epoch=2)


def test_one_evaluation_per_epoch_is_the_old_shuffle_protocol():
    data = _toy(n_train=40)
    runs = [
        train(_net(), make_optimizer("sgd", lr=0.1), data, TrainConfig(epochs=3, batch_size=10, mode="shuffle", **kw),
              rng=np.random.default_rng(4))
        for kw in ({}, {"evals_per_epoch": 1, "lr_schedule": "constant"})
    ]
    assert runs[0].step == runs[1].step == [3, 7, 11]
    assert runs[0].step_loss == runs[1].step_loss


class _RecordingSGD:
    """SGD that records the learning rate it was asked to use at each update."""

    def __init__(self, lr):
        self.lr, self.seen = lr, []

    def update(self, params, grads, *, overwrite_grads=False):
        self.seen.append(self.lr)
        params -= self.lr * grads


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine"])
def test_lr_schedule_sets_the_rate_before_each_update_and_restores_it(schedule):
    data = _toy(n_train=40)
    opt = _RecordingSGD(0.2)
    cfg = TrainConfig(epochs=2, batch_size=10, mode="shuffle", lr_schedule=schedule)  # 8 updates
    train(_net(), opt, data, cfg, rng=np.random.default_rng(0))
    expected = {
        "constant": [0.2] * 8,
        "step": [0.2] * 4 + [0.02] * 2 + [0.002] * 2,  # /10 after half, again after three quarters
        "cosine": [0.2 * 0.5 * (1 + np.cos(np.pi * i / 8)) for i in range(8)],
    }[schedule]
    assert opt.seen == pytest.approx(expected, rel=1e-12)
    assert opt.lr == 0.2
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(epochs=1, lr_schedule="linear")
