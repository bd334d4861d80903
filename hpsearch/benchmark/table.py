"""The tabular benchmark: full learning curves of every grid cell, computed once, stored compactly, looked up.

``build_table(defn, out_dir=..., n_jobs=k)`` runs one ``grid`` study per replicate (study seed = replicate
index, so replicate r of slot k trains with ``train_seed(r, k)``; study names carry a fingerprint of the
grid) through :func:`hpsearch.run` on k parallel workers, with the definition's objective (``table-mlp`` or
``table-cnn``, :mod:`hpsearch.benchmark.scoring`: the registered trial, then one score on the TEST split).
The exports become arrays saved in one ``.npz`` (no pickle; the definition and provenance as JSON text, with
``format`` 2), indexed [axis 1, ..., axis n, replicate(, evaluation)] in the definition's axis order:

* ``val_acc`` float32 [..., evaluation]: the score at each evaluation (NaN after divergence or the end),
* ``eval_seconds`` float32 [..., evaluation]: the seconds the trial had spent at each evaluation,
* ``value`` float32: the trial's score (its last evaluation, or the whole validation split when the
  evaluations used a subsample),
* ``test_acc``, ``seconds`` float32, ``epochs_run`` int16 (evaluations run), ``diverged`` bool, ``seed`` int64.

Format 1 files (the book grids before the axes became data: no ``format``, no ``value``, no
``eval_seconds``) load with ``value`` = the last evaluation and the seconds spread evenly over the
evaluations, which is what their replays read; any other format is refused in one line.

Off-grid rule (:meth:`Table.cell`): each axis snaps as :meth:`hpsearch.benchmark.grid.Axis.snap` says (log
axes in log10 units, linear axes in plain units, categorical values exactly); a parameter the space does not
have takes the definition's default, which must then be on the grid; a fixed parameter must equal the
table's value.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hpsearch.benchmark.grid import TableDef
from hpsearch.environment import machine, versions

__all__ = ["FORMAT", "Table", "build_table", "grid_specs", "load_or_build", "table_path", "time_cells"]

FORMAT = 2
CELL_ARRAYS = ("value", "test_acc", "seconds", "epochs_run", "diverged", "seed")
CURVE_ARRAYS = ("val_acc", "eval_seconds")


@dataclass(frozen=True)
class Table:
    """A built grid: ``defn`` (axes, settings, replicates), the arrays, and ``meta`` (provenance)."""

    defn: TableDef
    val_acc: np.ndarray
    eval_seconds: np.ndarray
    value: np.ndarray
    test_acc: np.ndarray
    seconds: np.ndarray
    epochs_run: np.ndarray
    diverged: np.ndarray
    seed: np.ndarray
    meta: dict[str, Any]

    @property
    def epochs(self) -> int:
        """Evaluations of a full trial (epochs times evaluations per epoch)."""
        return int(self.val_acc.shape[-1])

    @property
    def replicates(self) -> int:
        return int(self.val_acc.shape[-2])

    def cell(self, params: Mapping[str, Any]) -> tuple[int, ...]:
        """Grid indices (in axis order) of ``params`` under the off-grid rule."""
        defn = self.defn
        for name, want in defn.fixed.items():
            if name in params and not _same(params[name], want):
                raise ValueError(f"table {defn.name}: {name}={params[name]!r} but the table fixes it to {want!r}")
        index = []
        for axis in defn.axes:
            value = params.get(axis.name, defn.defaults.get(axis.name))
            if value is None:
                raise ValueError(f"table {defn.name}: no value for {axis.name!r}; put it in the task's space")
            index.append(axis.snap(value, f"table {defn.name}"))
        return tuple(index)

    def cell_params(self, cell: tuple[int, ...]) -> dict[str, Any]:
        return {a.name: a.values[i] for a, i in zip(self.defn.axes, cell, strict=True)}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = json.dumps({"format": FORMAT, "defn": self.defn.to_dict(), "meta": self.meta}, default=str)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, header=np.array(header), **{k: getattr(self, k) for k in (*CURVE_ARRAYS,
                                                                                            *CELL_ARRAYS)})
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Table:
        with np.load(Path(path), allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            arrays = {k: z[k] for k in z.files if k != "header"}
        version = header.get("format", 1)
        if version == 1:
            arrays = _from_format_1(arrays)
        elif version != FORMAT:
            raise ValueError(f"{path}: table format {version!r} is not readable here (format {FORMAT}); "
                             "delete the file to rebuild it")
        return cls(defn=TableDef.from_dict(header["defn"]), meta=header["meta"], **arrays)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    return a == b


def _from_format_1(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Format 1 arrays completed: the score is the last evaluation, the seconds are spread evenly."""
    val, n = arrays["val_acc"], arrays["epochs_run"].astype(int)
    last = np.take_along_axis(val, np.maximum(n - 1, 0)[..., None], axis=-1)[..., 0]
    steps = np.arange(1, val.shape[-1] + 1, dtype=np.float64)
    # float64 and in the order (seconds x evaluations) / evaluations run: the replay's arithmetic of format 1
    spent = arrays["seconds"].astype(np.float64)[..., None] * steps / np.maximum(n, 1)[..., None]
    spent = np.where(steps <= n[..., None], spent, np.nan)
    return {**arrays, "value": last, "eval_seconds": spent}


def fingerprint(defn: TableDef) -> str:
    """8 hex digits of the definition's SHA-256: a changed grid never resumes another grid's studies."""
    text = json.dumps(defn.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def table_path(defn: TableDef, out_dir: str | Path) -> Path:
    return Path(out_dir) / f"table-{defn.name}.npz"


def _fill(defn: TableDef, r: int, trials: Any, curves: Any, arrays: dict[str, np.ndarray]) -> None:
    lookup = {a.name: {_key(v): i for i, v in enumerate(a.values)} for a in defn.axes}
    by_metric = {m: {n: g.sort_values("epoch")["value"].to_numpy() for n, g in frame.groupby("number")}
                 for m, frame in curves.groupby("metric") if m in ("val_acc", "seconds", "test_acc")}
    done = trials.loc[trials["state"] == "COMPLETE"]
    for row in done.itertuples(index=False):
        cell = tuple(lookup[a.name][_key(getattr(row, f"param_{a.name}"))] for a in defn.axes) + (r,)
        curve = by_metric.get("val_acc", {}).get(row.number, np.empty(0))
        n = len(curve)
        spent = by_metric.get("seconds", {}).get(row.number, np.empty(0))[:n].astype(np.float64)
        if len(spent) != n:  # no cost curve: the seconds spread evenly over the evaluations
            spent = row.seconds * np.arange(1, n + 1) / max(n, 1)
        elif n:  # the last evaluation's spend is the whole trial (a final full-validation score included)
            spent[-1] = max(spent[-1], row.seconds)
        test = by_metric.get("test_acc", {}).get(row.number, np.empty(0))
        arrays["val_acc"][cell + (slice(0, n),)] = curve
        arrays["eval_seconds"][cell + (slice(0, n),)] = spent
        arrays["value"][cell] = row.value
        arrays["test_acc"][cell] = test[-1] if len(test) else np.nan
        arrays["seconds"][cell] = spent[-1] if n else row.seconds  # the worker's clock may read a little more
        arrays["epochs_run"][cell] = row.epochs_run
        arrays["diverged"][cell] = row.diverged
        arrays["seed"][cell] = row.seed


def _key(value: Any) -> Any:
    """A grid value as the export gives it back (a categorical boolean may come back as text)."""
    return str(bool(value)) if isinstance(value, bool | np.bool_) else value


def grid_specs(defn: TableDef, *, out_dir: str | Path) -> list[Any]:
    """The grid studies that build ``defn``: one :class:`hpsearch.spec.StudySpec` per replicate."""
    from hpsearch.spec import StudySpec

    return [StudySpec(name=f"table-{defn.name}-{fingerprint(defn)}-r{r}", space=defn.grid_space(),
                      objective=defn.objective, settings=defn.settings, n_trials=defn.n_cells, sampler="grid",
                      seed=r, out_dir=str(out_dir)) for r in range(defn.replicates)]


def time_cells(defn: TableDef, *, probes: int = 8, seed: int = 0) -> float:
    """Seconds a full trial of ``defn`` takes on one worker here: the mean over ``probes`` cells drawn at random
    (seeded; cells of another architecture cost another time) of one evaluation each, on one BLAS thread as a
    build worker trains, times the evaluations of a trial. The data is loaded first and not counted."""
    import time

    from threadpoolctl import threadpool_limits

    from hpsearch.objectives.data import load_data
    from hpsearch.objectives.registry import get_objective
    from hpsearch.samplers.planned import plan

    evaluate = get_objective(defn.objective).evaluate
    evals = getattr(defn.settings, "n_evals", defn.settings.epochs)
    cells = [dict(c) for c in {tuple(sorted(p.items(), key=str)) for p in
                               plan(defn.grid_space(), "random", seed=seed, n=probes)}]
    spent = []
    with threadpool_limits(limits=1):
        load_data(defn.settings)
        for params in sorted(cells, key=str):
            t0 = time.perf_counter()
            evaluate(params, defn.settings, seed=0, on_epoch=lambda epoch, value: True)  # stop at the first
            spent.append(time.perf_counter() - t0)
    return float(np.mean(spent)) * evals


def build_table(defn: TableDef, *, out_dir: str | Path, n_jobs: int | None = None, progress: bool = False
                ) -> Table:
    """Run the grid (one study per replicate, resumable) and collect it into a :class:`Table`, saved to
    :func:`table_path`. The studies' journals live in ``out_dir/table-<name>-<fingerprint>-r<replicate>/``."""
    from hpsearch.execution.launch import run
    from hpsearch.export import export

    shape = (*defn.shape, defn.replicates)
    evals = getattr(defn.settings, "n_evals", defn.settings.epochs)
    arrays = {
        "val_acc": np.full((*shape, evals), np.nan, dtype=np.float32),
        "eval_seconds": np.full((*shape, evals), np.nan, dtype=np.float32),
        "value": np.full(shape, np.nan, dtype=np.float32),
        "test_acc": np.full(shape, np.nan, dtype=np.float32),
        "seconds": np.full(shape, np.nan, dtype=np.float32),
        "epochs_run": np.zeros(shape, dtype=np.int16),
        "diverged": np.zeros(shape, dtype=bool),
        "seed": np.full(shape, -1, dtype=np.int64),
    }
    wall = 0.0
    studies = []
    load_start = os.getloadavg()
    for r, spec in enumerate(grid_specs(defn, out_dir=out_dir)):
        study = run(spec, n_jobs=n_jobs, progress=progress)
        tables = export(study, out_dir=False)
        _fill(defn, r, tables.trials, tables.curves, arrays)
        wall += float(tables.meta.get("wall_seconds") or 0.0)
        studies.append(spec.name)
    missing = int((arrays["epochs_run"] == 0).sum())
    if missing:
        raise RuntimeError(f"table {defn.name}: {missing} cell(s) have no finished trial; run it again to resume")
    meta = {
        "studies": studies, "wall_seconds": wall, "trials": int(np.prod(shape)),
        "best_value": float(np.nanmax(arrays["value"])),
        "built": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), "machine": machine(),
        "versions": versions(), "n_jobs": n_jobs,
        "load_average": {"start": list(load_start), "end": list(os.getloadavg())},
        "seed_rule": "replicate r = grid study of seed r: slot k trains with SeedSequence([r, 0, k])",
        "off_grid_rule": "log axes snap to the nearest grid value in log10 units, linear axes in plain units "
                         "(outside the grid: its edge; exact ties: the lower value); categorical values match "
                         "exactly; fixed parameters must equal the table's",
    }
    table = Table(defn=defn, meta=meta, **arrays)
    table.save(table_path(defn, out_dir))
    return table


def load_or_build(defn: TableDef, *, out_dir: str | Path, n_jobs: int | None = None, progress: bool = False
                  ) -> Table:
    """The cached table of ``defn`` under ``out_dir`` if it was built from the same definition; else build it."""
    path = table_path(defn, out_dir)
    if path.is_file():
        table = Table.load(path)
        if table.defn == defn:
            return table
    return build_table(defn, out_dir=out_dir, n_jobs=n_jobs, progress=progress)
