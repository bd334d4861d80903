"""netcore.functions: softmax, cross entropy (book 1e-7 delta), accuracy (NumPy NaN semantics), sigmoid."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netcore.functions import accuracy, cross_entropy, labels_to_indices, sigmoid, softmax


def test_softmax_matches_definition_and_sums_to_one() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 5))
    y = softmax(x)
    expected = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(y, expected, rtol=1e-14)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_subtracts_row_max_so_large_logits_do_not_overflow() -> None:
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    y = softmax(x)  # overflow would raise: pytest turns RuntimeWarning into errors
    np.testing.assert_allclose(y[0], softmax(np.array([0.0, 1.0, 2.0])), rtol=1e-15)
    np.testing.assert_allclose(y[1], [1 / 3] * 3, rtol=1e-15)


def test_softmax_works_on_the_last_axis_and_keeps_float32() -> None:
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    y = softmax(x)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y[1, 2], softmax(x[1, 2].astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(softmax(np.array([1.0, 2.0, 3.0])).sum(), 1.0)


def test_softmax_many_rows_integers_and_nan_rows() -> None:
    # softmax works on the transposed rows internally: check a large batch, both dtypes, C-ordered output
    rng = np.random.default_rng(1)
    x = 5 * rng.standard_normal((2000, 10))
    for dtype, rtol in ((np.float64, 1e-14), (np.float32, 2e-6)):
        xd = x.astype(dtype)
        y = softmax(xd)
        assert y.dtype == dtype and y.flags.c_contiguous
        e = np.exp(xd.astype(np.float64))
        np.testing.assert_allclose(y, e / e.sum(axis=1, keepdims=True), rtol=rtol)
    y = softmax(np.array([[1, 2, 3], [0, 0, 0]]))  # integers become float64
    assert y.dtype == np.float64
    np.testing.assert_allclose(y[1], [1 / 3] * 3, rtol=1e-15)
    x = np.array([[1.0, np.nan, 0.0], [1.0, 2.0, 3.0]])
    y = softmax(x)  # a NaN spoils its own row only (NaN propagates through the row max)
    assert np.isnan(y[0]).all()
    np.testing.assert_allclose(y[1], softmax(np.array([1.0, 2.0, 3.0])), rtol=1e-15)


def test_cross_entropy_hand_computed_with_delta() -> None:
    y = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    t = np.array([1, 2])
    expected = -(math.log(0.7 + 1e-7) + math.log(0.25 + 1e-7)) / 2
    assert cross_entropy(y, t) == pytest.approx(expected, rel=1e-15)
    # a zero probability at the label gives -log(1e-7), not inf
    assert cross_entropy(np.array([[1.0, 0.0]]), np.array([1])) == pytest.approx(-math.log(1e-7), rel=1e-15)


def test_cross_entropy_one_hot_and_1d_promotion() -> None:
    y = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    one_hot = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert cross_entropy(y, one_hot) == cross_entropy(y, np.array([1, 2]))
    assert cross_entropy(y, np.array([[1], [2]])) == cross_entropy(y, np.array([1, 2]))
    # 1-D y is a batch of one, with an index label or a 1-D one-hot label
    assert cross_entropy(y[0], 1) == pytest.approx(-math.log(0.7 + 1e-7), rel=1e-15)
    assert cross_entropy(y[0], one_hot[0]) == cross_entropy(y[0], 1)


def test_cross_entropy_rejects_mismatched_labels() -> None:
    with pytest.raises(ValueError, match="do not match"):
        cross_entropy(np.full((2, 3), 1 / 3), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="integers"):
        labels_to_indices(np.array([0.0, 1.0]), 2, 3)


def test_accuracy_with_indices_and_one_hot() -> None:
    scores = np.array([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 3.0], [1.0, 5.0, 0.0]])
    t = np.array([1, 0, 1, 1])
    assert accuracy(scores, t) == 0.75
    assert accuracy(scores, np.eye(3)[t]) == 0.75


def test_accuracy_nan_rows_predict_class_zero() -> None:
    nan = np.nan
    scores = np.full((4, 3), nan)
    assert accuracy(scores, np.array([0, 0, 0, 0])) == 1.0
    assert accuracy(scores, np.array([1, 2, 0, 1])) == 0.25
    # a NaN counts as the maximum: the first NaN's index is predicted
    mixed = np.array([[0.1, nan, 5.0, nan], [9.0, 1.0, 2.0, 3.0]])
    assert accuracy(mixed, np.array([1, 0])) == 1.0
    assert accuracy(mixed, np.array([2, 0])) == 0.5


def test_sigmoid_matches_definition_and_saturates_without_overflow() -> None:
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(x), 1.0 / (1.0 + np.exp(-x)), rtol=1e-14)
    y = sigmoid(np.array([-1000.0, 0.0, 1000.0]))  # exp(1000) would warn (an error under pytest)
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])
    assert sigmoid(np.ones(3, dtype=np.float32)).dtype == np.float32
