"""Statistics every subject of the data layer shares: `MIN_CI` (no interval from fewer values), the
percentile-bootstrap confidence interval of one sample, the t-based confidence interval of a mean over a few
seeds, and mean lines with bootstrap bands over replicates (seeds, or the studies of a group). Pure
numpy/pandas; nothing drawn."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

MIN_CI = 3  # no confidence interval from fewer values (seeds, studies, trials): the page says why instead


def bootstrap_ci(
    values: np.ndarray,
    *,
    rng: np.random.Generator,
    stat: Callable[..., np.ndarray] = np.mean,
    n_boot: int = 1000,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap CI of `stat` (called as stat(samples, axis=1)); (nan, nan) from fewer than
    MIN_CI finite values (a bootstrap of one or two values is no interval)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < MIN_CI:
        return float("nan"), float("nan")
    samples = x[rng.integers(0, x.size, size=(int(n_boot), x.size))]
    stats = stat(samples, axis=1)
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)


def _t_two_sided(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with an integer number of degrees of freedom ``df`` >= 1, in closed form
    (the finite cosine series of the integer-df distribution, theta = atan(t / sqrt(df)))."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    if df % 2 == 1:
        term, total = math.cos(theta), 0.0
        for k in range(1, (df - 1) // 2 + 1):  # cos + 2/3 cos^3 + (2*4)/(3*5) cos^5 + ... up to cos^(df-2)
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        return 2.0 / math.pi * (theta + math.sin(theta) * total)
    term, total = 1.0, 0.0
    for k in range(1, df // 2 + 1):  # 1 + 1/2 cos^2 + (1*3)/(2*4) cos^4 + ... up to cos^(df-2)
        total += term
        term *= c2 * (2 * k - 1) / (2 * k)
    return math.sin(theta) * total


def t_quantile(level: float, df: int) -> float:
    """The t with P(|T| <= t) = ``level`` for Student's t with ``df`` degrees of freedom (bisection on the
    closed-form distribution; e.g. 4.303 for level 0.95 and df 2)."""
    if not 0.0 < level < 1.0 or df < 1:
        raise ValueError(f"t_quantile: level={level!r} must be in (0, 1) and df={df!r} at least 1")
    low, high = 0.0, 1.0
    while _t_two_sided(high, df) < level:
        high *= 2.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if _t_two_sided(mid, df) < level else (low, mid)
    return 0.5 * (low + high)


def t_interval(values: Sequence[float], *, level: float = 0.95) -> tuple[float, float]:
    """The t-based confidence interval of the mean of ``values`` (mean +- t * s / sqrt(n), n - 1 degrees of
    freedom, s the sample standard deviation); (nan, nan) from fewer than MIN_CI finite values."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < MIN_CI:
        return float("nan"), float("nan")
    half = t_quantile(level, int(x.size) - 1) * float(np.std(x, ddof=1)) / math.sqrt(x.size)
    mean = float(np.mean(x))
    return mean - half, mean + half


def mean_bands(frame: pd.DataFrame, group: str | Sequence[str], *, rng: np.random.Generator, n_boot: int = 1000,
               level: float = 0.95, x: str = "epoch", y: str = "value") -> pd.DataFrame:
    """Per group and ``x``: the mean over the group's trials (replicates) of ``y`` and a percentile-bootstrap
    band (resampling whole trials; NaN where fewer than MIN_CI replicates have a value: no band from one or
    two seeds). Columns: <group...>, x, mean, low, high, n."""
    keys = [group] if isinstance(group, str) else list(group)
    parts = []
    for key, sub in frame.groupby(keys, sort=False):
        wide = sub.pivot_table(index="number", columns=x, values=y, aggfunc="last", dropna=False)
        values = wide.to_numpy(dtype=float)
        with warnings.catch_warnings():  # an epoch no replicate reached (diverged runs) is NaN, not a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(values, axis=0) if len(values) else np.array([])
            if len(values) > 1:
                idx = rng.integers(0, len(values), size=(int(n_boot), len(values)))
                boots = np.nanmean(values[idx], axis=1)
                low, high = np.nanquantile(boots, [(1 - level) / 2, 1 - (1 - level) / 2], axis=0)
            else:
                low = high = mean
        n = np.isfinite(values).sum(axis=0)
        low, high = np.where(n >= MIN_CI, low, np.nan), np.where(n >= MIN_CI, high, np.nan)
        part = pd.DataFrame({x: wide.columns.to_numpy(), "mean": mean, "low": low, "high": high, "n": n})
        for k, v in zip(keys, key if isinstance(key, tuple) else (key,), strict=True):
            part.insert(0, k, v)
        parts.append(part)
    columns = [*keys, x, "mean", "low", "high", "n"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)
