"""The modern training recipe: augmentation, label smoothing, weight averaging (EMA), warm-up + cosine; and the
book's runs unchanged when every part is off."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netcore.augment import augment_batch, mirror
from netcore.builders import build_cnn
from netcore.builders import build_mlp
from netcore.ema import WeightAverage
from netcore.functions import cross_entropy, softmax
from netcore.layers import SoftmaxCrossEntropy
from netcore.optim import make_optimizer
from netcore.schedule import lr_factor
from netcore.trainer import TrainConfig, TrainData, train

SIDE = 6  # toy images are 6x6, flat rows of 36 pixels


def _images(n, seed, side=SIDE):
    """Three classes of blob images (flat float32 rows), every pixel value distinct within a batch."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, n)
    yy, xx = np.mgrid[:side, :side]
    centres = [(1, 1), (4, 4), (1, 4)]
    blobs = np.stack([np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 2.0) for cy, cx in centres])
    x = blobs[t] + rng.uniform(0.0, 0.3, (n, side, side))
    return x.reshape(n, -1).astype(np.float32), t


def _data(n_train=30, n_val=20, seed=0):
    xtr, ttr = _images(n_train, seed)
    xva, tva = _images(n_val, seed + 100)
    return TrainData(xtr, ttr, xva, tva)


def _net(seed=0, dtype=np.float32, **kw):
    return build_mlp(SIDE * SIDE, (10,), 3, rng=np.random.default_rng(seed), dtype=dtype, **kw)


# -- augmentation --------------------------------------------------------------------------------------------
def _shifted(img, dy, dx):
    """Naive reference: out[c, y, x] = img[c, y + dy, x + dx], 0 outside the image."""
    c, h, w = img.shape
    out = np.zeros_like(img)
    for y in range(h):
        for x in range(w):
            if 0 <= y + dy < h and 0 <= x + dx < w:
                out[:, y, x] = img[:, y + dy, x + dx]
    return out


def _matches(out, img, shift, flip):
    """The (dy, dx, mirrored) of every candidate the naive reference builds that equals ``out``."""
    found = []
    for dy in range(-shift, shift + 1):
        for dx in range(-shift, shift + 1):
            s = _shifted(img, dy, dx)
            for mirrored in (False, True) if flip else (False,):
                if np.array_equal(out, s[:, :, ::-1] if mirrored else s):
                    found.append((dy, dx, mirrored))
    return found


@pytest.mark.parametrize("shift,flip", [(1, False), (2, True), (0, True)])
def test_each_augmented_image_is_its_input_shifted_in_range_with_zero_fill_or_mirrored(shift, flip):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 1.0, (300, 2, 5, 7)).astype(np.float32)  # distinct values: one candidate matches
    out = augment_batch(x, np.random.default_rng(1), shift=shift, flip=flip)
    assert out.shape == x.shape and out.dtype == x.dtype
    seen = set()
    for k in range(len(x)):
        found = _matches(out[k], x[k], shift, flip)
        assert len(found) == 1, (k, found)
        seen.add(found[0])
    # every offset and both orientations occur over 300 images (each image draws its own)
    expected = {(dy, dx, m) for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)
                for m in ((False, True) if flip else (False,))}
    assert seen == expected


def test_augmentation_follows_the_documented_draws_exactly():
    x = np.random.default_rng(0).normal(size=(40, 3, 6, 6))
    out = augment_batch(x, np.random.default_rng(5), shift=2, flip=True)
    r = np.random.default_rng(5)
    off = r.integers(0, 5, size=(2, 40)) - 2
    mirror = r.random(40) < 0.5
    for k in range(40):
        ref = _shifted(x[k], off[0, k], off[1, k])
        np.testing.assert_array_equal(out[k], ref[:, :, ::-1] if mirror[k] else ref)


def test_augmentation_is_deterministic_per_seed_and_differs_across_seeds():
    x = np.random.default_rng(0).random((50, 1, 8, 8)).astype(np.float32)
    a = augment_batch(x, np.random.default_rng(3), shift=2, flip=True)
    b = augment_batch(x, np.random.default_rng(3), shift=2, flip=True)
    c = augment_batch(x, np.random.default_rng(4), shift=2, flip=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flat_mlp_rows_are_square_images_and_the_input_is_never_written(dtype):
    x = np.random.default_rng(0).random((20, 64)).astype(dtype)
    x.setflags(write=False)  # as a read-only memmap
    before = x.copy()
    flat = augment_batch(x, np.random.default_rng(2), shift=1, flip=True)
    images = augment_batch(x.reshape(20, 1, 8, 8), np.random.default_rng(2), shift=1, flip=True)
    assert flat.shape == (20, 64) and flat.dtype == dtype and flat.flags.writeable
    np.testing.assert_array_equal(flat, images.reshape(20, 64))
    np.testing.assert_array_equal(x, before)
    same = augment_batch(x, np.random.default_rng(2))  # nothing asked: a copy, never the input itself
    assert same is not x and np.array_equal(same, x)


def test_non_square_flat_rows_need_an_image_shape():
    x = np.random.default_rng(0).random((4, 2 * 3 * 5)).astype(np.float32)
    with pytest.raises(ValueError, match="image_shape"):
        augment_batch(x, np.random.default_rng(0), shift=1)
    out = augment_batch(x, np.random.default_rng(0), shift=1, image_shape=(2, 3, 5))
    ref = augment_batch(x.reshape(4, 2, 3, 5), np.random.default_rng(0), shift=1)
    np.testing.assert_array_equal(out, ref.reshape(4, -1))
    with pytest.raises(ValueError, match="shift"):
        augment_batch(x, np.random.default_rng(0), shift=-1, image_shape=(2, 3, 5))


def _recording(net):
    """Wrap ``net.gradient`` to record the (x, t) of every training step."""
    seen = []
    inner = net.gradient

    def gradient(x, t):
        seen.append((x.copy(), np.array(t)))
        return inner(x, t)

    net.gradient = gradient
    return seen


def test_training_batches_are_augmented_from_their_own_generator_with_their_labels_kept():
    data = _data(n_train=30)
    net = _net()
    seen = _recording(net)
    cfg = TrainConfig(epochs=3, batch_size=10, augment_shift=1, augment_flip=True)
    train(net, make_optimizer("sgd", lr=0.1), data, cfg, rng=np.random.default_rng(7))
    r = np.random.default_rng(7)
    aug = np.random.default_rng(r.integers(2**63))  # the one draw the trainer makes for augmentation
    assert len(seen) == 9
    for x, t in seen:
        idx = r.integers(0, 30, size=10)  # the book's draws follow
        np.testing.assert_array_equal(t, data.t_train[idx])
        np.testing.assert_array_equal(x, augment_batch(data.x_train[idx], aug, shift=1, flip=True))
        assert not np.array_equal(x, data.x_train[idx])


def test_evaluation_is_never_augmented():
    data = _data(n_train=10)  # batch = training set: an evaluation after every update
    net = _net()
    h = train(net, make_optimizer("sgd", lr=0.1), data, TrainConfig(epochs=3, batch_size=10, augment_shift=2),
              rng=np.random.default_rng(0))
    assert h.train_acc[-1] == net.evaluate(data.x_train, data.t_train)[0]
    assert h.val_loss[-1] == net.evaluate(data.x_val, data.t_val)[1]


# -- test-time flip averaging -------------------------------------------------------------------------------
def _mirror_loop(x):
    """Naive reference: out[n, y, x] = img[n, y, W - 1 - x], one pixel at a time, on flat square rows."""
    imgs = x.reshape(len(x), SIDE, SIDE)
    out = np.empty_like(imgs)
    for n in range(len(x)):
        for y in range(SIDE):
            for c in range(SIDE):
                out[n, y, c] = imgs[n, y, SIDE - 1 - c]
    return out.reshape(x.shape)


def test_mirror_reverses_every_row_of_every_image_and_keeps_the_input():
    x, _ = _images(5, 3)
    before = x.copy()
    np.testing.assert_array_equal(mirror(x), _mirror_loop(x))
    np.testing.assert_array_equal(mirror(x.reshape(5, 1, SIDE, SIDE)), _mirror_loop(x).reshape(5, 1, SIDE, SIDE))
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(mirror(mirror(x)), x)


@pytest.mark.parametrize("flat", [True, False])
def test_flip_average_scores_the_mean_probabilities_of_each_image_and_its_mirror(flat):
    x, t = _images(40, 5)
    net = _net() if flat else build_cnn((1, SIDE, SIDE), filters=(4,), dense=8, output_size=3,
                                        rng=np.random.default_rng(1))
    x = x if flat else x.reshape(-1, 1, SIDE, SIDE)
    plain = net.evaluate(x, t, batch_size=16)
    net.flip_average = True
    acc, loss = net.evaluate(x, t, batch_size=16)
    # the float64 reference: the mean of the two softmaxes, from the net's own logits
    def probs(z):
        z = z.astype(np.float64)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    flipped = _mirror_loop(x.reshape(len(x), -1)).reshape(x.shape)
    p = 0.5 * (probs(net.predict(x)) + probs(net.predict(flipped)))
    assert acc == pytest.approx(np.mean(p.argmax(axis=1) == t), abs=1e-12)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(len(t)), t] + 1e-7)), rel=1e-5)
    # symmetric: the mirrored set scores the same; the plain scores are the book's evaluation
    assert net.evaluate(flipped, t, batch_size=16)[0] == acc
    net.flip_average = False
    assert net.evaluate(x, t, batch_size=16) == plain
    assert plain[0] == np.mean(net.predict(x).argmax(axis=1) == t)


# -- label smoothing -----------------------------------------------------------------------------------------
def _smoothed_reference(scores, t, eps):
    """float64 by hand: q = (1 - eps) onehot + eps / K; loss -mean sum q log(p + 1e-7); grad (p - q) / N."""
    s = scores.astype(np.float64)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n, k = s.shape
    q = np.full((n, k), eps / k)
    q[np.arange(n), t] += 1.0 - eps
    return -np.sum(q * np.log(p + 1e-7)) / n, (p - q) / n


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_smoothed_loss_and_gradient_match_a_float64_reference(eps):
    rng = np.random.default_rng(0)
    scores, t = rng.normal(0, 2, (7, 5)), rng.integers(0, 5, 7)
    layer = SoftmaxCrossEntropy(label_smoothing=eps)
    loss = layer.forward(scores, t)
    grad = layer.backward()
    ref_loss, ref_grad = _smoothed_reference(scores, t, eps)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-15)
    onehot = np.eye(5)[t]  # one-hot labels give the same
    assert SoftmaxCrossEntropy(label_smoothing=eps).forward(scores, onehot) == loss


def test_smoothed_gradient_matches_central_differences():
    rng = np.random.default_rng(1)
    scores, t = rng.normal(0, 1, (4, 6)), rng.integers(0, 6, 4)
    layer = SoftmaxCrossEntropy(label_smoothing=0.2)
    layer.forward(scores, t)
    grad = layer.backward()
    h = 1e-6
    num = np.zeros_like(scores)
    for i in np.ndindex(scores.shape):
        up, down = scores.copy(), scores.copy()
        up[i] += h
        down[i] -= h
        num[i] = (layer.forward(up, t) - layer.forward(down, t)) / (2 * h)
    np.testing.assert_allclose(grad, num, rtol=1e-4, atol=1e-8)  # the 1e-7 inside the log is ignored, as the book


def test_no_smoothing_is_the_book_loss_bit_for_bit():
    rng = np.random.default_rng(2)
    scores, t = rng.normal(0, 3, (50, 10)).astype(np.float32), rng.integers(0, 10, 50)
    book = SoftmaxCrossEntropy()
    loss = book.forward(scores, t)
    assert loss == cross_entropy(softmax(scores), t)
    grad = book.backward()
    toggled = SoftmaxCrossEntropy(label_smoothing=0.3)
    toggled.label_smoothing = 0.0
    assert toggled.forward(scores, t) == loss
    np.testing.assert_array_equal(toggled.backward(), grad)
    np.testing.assert_array_equal(grad, (softmax(scores) - np.eye(10, dtype=np.float32)[t]) / 50)


def test_the_trainer_smooths_the_training_loss_for_the_run_only():
    data = _data()
    net = _net()
    cfg = TrainConfig(epochs=2, batch_size=10, label_smoothing=0.1)
    seen = _recording(net)
    h = train(net, make_optimizer("sgd", lr=0.1), data, cfg, rng=np.random.default_rng(0))
    assert net.loss_layer.label_smoothing == 0.0  # restored
    base = train(_net(), make_optimizer("sgd", lr=0.1), data, TrainConfig(epochs=2, batch_size=10),
                 rng=np.random.default_rng(0))
    assert h.step_loss != base.step_loss
    net.loss_layer.label_smoothing = 0.1  # the recorded step loss is the smoothed one (loss_record="post")
    x, t = seen[-1]
    assert h.step_loss[-1] == pytest.approx(net.loss(x, t), rel=1e-6)
    net.loss_layer.label_smoothing = 0.0
    assert h.val_loss[-1] != h.step_loss[-1]


def test_label_smoothing_needs_a_loss_layer_that_has_it():
    net = _net()
    net.loss_layer = object()
    with pytest.raises(ValueError, match="label_smoothing"):
        train(net, make_optimizer("sgd"), _data(), TrainConfig(epochs=1, label_smoothing=0.1),
              rng=np.random.default_rng(0))


# -- weight averaging ----------------------------------------------------------------------------------------
class _RecordingSGD:
    """SGD that keeps a copy of the live parameters (and BN statistics) after every update, and each lr."""

    def __init__(self, net, lr=0.1):
        self.inner = make_optimizer("sgd", lr=lr)
        self.net = net
        self.params: list[np.ndarray] = []
        self.stats: list[list[np.ndarray]] = []
        self.lrs: list[float] = []

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = value

    def update(self, params, grads, **kw):
        self.lrs.append(self.inner.lr)
        self.inner.update(params, grads, **kw)
        self.params.append(params.copy())
        bns = [layer for layer in self.net.layers if hasattr(layer, "running_mean")]
        self.stats.append([s.copy() for b in bns for s in (b.running_mean, b.running_var)])


def test_ema_after_k_updates_is_the_float64_recursion_and_training_is_unchanged():
    data = _data()
    d = 0.8
    net = _net(dtype=np.float64, batch_norm=True)
    p0 = net.params.copy()
    opt = _RecordingSGD(net)
    cfg = TrainConfig(epochs=3, batch_size=10, ema_decay=d)
    h = train(net, opt, data, cfg, rng=np.random.default_rng(0))
    def dn(n):  # the decay's warm-up: min(d, (1 + n) / (10 + n)) at update n (0-based)
        return min(d, (1 + n) / (10 + n))

    assert [dn(n) for n in (0, 1, 30, 35, 36)] == [0.1, 2 / 11, 31 / 40, 0.8, 0.8]
    shadow = p0.copy()
    for n, p in enumerate(opt.params):
        shadow = dn(n) * shadow + (1 - dn(n)) * p
    np.testing.assert_allclose(net.params, shadow, rtol=1e-13, atol=1e-15)  # the net returned holds the EMA
    stats = [s.copy() for s in opt.stats[0]]  # BN shadows start at the statistics after the first update
    for n, step in enumerate(opt.stats[1:], start=1):
        stats = [dn(n) * a + (1 - dn(n)) * b for a, b in zip(stats, step, strict=True)]
    bns = [layer for layer in net.layers if hasattr(layer, "running_mean")]
    got = [s for b in bns for s in (b.running_mean, b.running_var)]
    for a, b in zip(got, stats, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    # the live trajectory is the run without averaging, update for update
    net2 = _net(dtype=np.float64, batch_norm=True)
    opt2 = _RecordingSGD(net2)
    h2 = train(net2, opt2, data, TrainConfig(epochs=3, batch_size=10), rng=np.random.default_rng(0))
    assert h.step_loss == h2.step_loss
    for a, b in zip(opt.params, opt2.params, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(net2.params, opt.params[-1])
    assert h.val_loss != h2.val_loss


def test_evaluations_use_the_averaged_weights():
    data = _data(n_train=10)  # an evaluation after every update
    net = _net()
    opt = _RecordingSGD(net)
    h = train(net, opt, data, TrainConfig(epochs=4, batch_size=10, ema_decay=0.9), rng=np.random.default_rng(0))
    acc, loss = net.evaluate(data.x_val, data.t_val)  # the net now holds the average
    assert h.val_loss[-1] == loss and h.val_acc[-1] == acc
    live = _net()
    live.params[:] = opt.params[-1]
    assert live.evaluate(data.x_val, data.t_val)[1] != loss


def test_swap_twice_restores_the_live_values_bit_for_bit():
    net = _net(batch_norm=True)
    net.gradient(*_images(8, 0))  # creates the BN statistics
    ema = WeightAverage(net, 0.5)
    net.params[:] += 1.0
    net.gradient(*_images(8, 1))
    ema.update()
    live = net.params.copy()
    ema.swap()
    assert not np.array_equal(net.params, live)
    ema.swap()
    np.testing.assert_array_equal(net.params, live)
    with pytest.raises(ValueError, match="ema_decay"):
        WeightAverage(net, 1.0)


# -- warm-up + cosine ----------------------------------------------------------------------------------------
def test_warmup_cosine_factors_by_hand():
    f = lambda i: lr_factor("warmup-cosine", i, 100, warmup=0.1)  # noqa: E731  W = 10 warm-up updates
    assert [f(0), f(4), f(9)] == pytest.approx([0.1, 0.5, 1.0])
    assert f(10) == pytest.approx(1.0)
    assert f(55) == pytest.approx(0.5)  # halfway through the 90 cosine updates
    assert f(99) == pytest.approx(0.5 * (1 + math.cos(math.pi * 89 / 90)))
    assert lr_factor("warmup-cosine", 0, 1000) == pytest.approx(1 / 50)  # default warm-up 0.05
    assert all(lr_factor("warmup-cosine", i, 40, warmup=0.0) == lr_factor("cosine", i, 40) for i in range(40))


def test_the_older_schedules_are_unchanged():
    assert lr_factor("constant", 7, 10) == 1.0
    assert [lr_factor("step", i, 100) for i in (0, 49, 50, 74, 75, 99)] == [1.0, 1.0, 0.1, 0.1, 0.01, 0.01]
    assert lr_factor("cosine", 0, 10) == 1.0
    assert lr_factor("cosine", 5, 10) == pytest.approx(0.5)
    assert lr_factor("cosine", 3, 10) == 0.5 * (1.0 + math.cos(math.pi * 0.3))


def test_the_trainer_follows_warmup_cosine_and_restores_the_rate():
    net = _net()
    opt = _RecordingSGD(net, lr=0.2)
    cfg = TrainConfig(epochs=5, batch_size=10, lr_schedule="warmup-cosine", warmup=0.2)  # 15 updates, W = 3
    train(net, opt, _data(), cfg, rng=np.random.default_rng(0))
    assert opt.lrs == pytest.approx([0.2 * lr_factor("warmup-cosine", i, 15, warmup=0.2) for i in range(15)])
    assert opt.lrs[:3] == pytest.approx([0.2 / 3, 0.4 / 3, 0.2])
    assert opt.lr == 0.2


# -- configuration, and the book's runs unchanged ------------------------------------------------------------
@pytest.mark.parametrize("bad,match", [
    ({"augment_shift": -1}, "augment_shift"), ({"augment_shift": 1.5}, "augment_shift"),
    ({"augment_flip": 1}, "augment_flip"), ({"label_smoothing": 1.0}, "label_smoothing"),
    ({"label_smoothing": -0.1}, "label_smoothing"), ({"ema_decay": 1.0}, "ema_decay"),
    ({"ema_decay": float("nan")}, "ema_decay"), ({"warmup": 0.1}, "warmup-cosine"),
    ({"warmup": 1.0, "lr_schedule": "warmup-cosine"}, "warmup"),
])
def test_config_refuses_bad_recipe_values(bad, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(epochs=1, **bad)


OFF = {"augment_shift": 0, "augment_flip": False, "label_smoothing": 0.0, "ema_decay": 0.0, "warmup": None}


@pytest.mark.parametrize("mode", ["book", "shuffle"])
def test_every_option_off_draws_exactly_the_books_random_numbers(mode):
    data = _data(n_train=25)
    rng = np.random.default_rng(11)
    h = train(_net(dropout=0.3), make_optimizer("adam"), data, TrainConfig(epochs=3, batch_size=10, mode=mode, **OFF),
              rng=rng)
    replica = np.random.default_rng(11)
    for _ in range(3):  # the book's batch draws, or one permutation per epoch; dropout draws from the net's own rng
        if mode == "book":
            for _ in range(25 // 10):
                replica.integers(0, 25, size=10)
        else:
            replica.permutation(25)
    assert rng.bit_generator.state == replica.bit_generator.state
    again = train(_net(dropout=0.3), make_optimizer("adam"), data, TrainConfig(epochs=3, batch_size=10, mode=mode),
                  rng=np.random.default_rng(11))
    assert (h.step_loss, h.val_acc, h.val_loss, h.train_acc) == (
        again.step_loss, again.val_acc, again.val_loss, again.train_acc)


@pytest.mark.parametrize("option", [
    {"augment_shift": 1}, {"augment_flip": True}, {"label_smoothing": 0.1}, {"ema_decay": 0.9},
    {"lr_schedule": "warmup-cosine"}, {"lr_schedule": "warmup-cosine", "warmup": 0.3},
])
def test_each_option_changes_the_run(option):
    data = _data()

    def run(**kw):
        h = train(_net(), make_optimizer("momentum", lr=0.05), data, TrainConfig(epochs=4, batch_size=10, **kw),
                  rng=np.random.default_rng(3))
        return h.step_loss, h.val_loss

    base = run()
    assert run(**option) != base
    if option.get("warmup"):
        assert run(**option) != run(lr_schedule="warmup-cosine")
