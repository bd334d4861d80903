"""hpsearch: hyperparameter searches over netcore networks with Optuna.

    from hpsearch import StudySpec, ObjectiveSettings, book_space, run, export
    spec = StudySpec(name="book", space=book_space(), settings=ObjectiveSettings(), n_trials=100)
    study = run(spec, n_jobs=2)          # journal file runs/book/journal.log; resumes if it exists
    tables = export(study)               # runs/book/export/{trials,curves}.{csv,parquet}, meta.json

See docs/hpsearch.md for parallel and multi-machine use and the export schema, and docs/architecture.md for
the map of the subpackages: objectives/ (what a trial trains), samplers/, storages/, execution/ (workers),
narrowing/, cli/, benchmark/, experiments/.
"""

from hpsearch.execution import fail_stale, run, run_worker
from hpsearch.export import Tables, export
from hpsearch.objectives import OBJECTIVES, Objective, ObjectiveSettings, TrialResult, evaluate, get_objective, register
from hpsearch.samplers import PRUNERS, SAMPLERS, make_pruner, make_sampler, plan, train_seed
from hpsearch.space import ParamSpec, SearchSpace, book_space, suggest, wide_space
from hpsearch.spec import StudySpec
from hpsearch.storages import open_storage, redact
from hpsearch.study import create_study, load_spec

__all__ = [
    "OBJECTIVES",
    "Objective",
    "get_objective",
    "register",
    "PRUNERS",
    "SAMPLERS",
    "ObjectiveSettings",
    "ParamSpec",
    "SearchSpace",
    "StudySpec",
    "Tables",
    "TrialResult",
    "book_space",
    "create_study",
    "evaluate",
    "export",
    "fail_stale",
    "load_spec",
    "make_pruner",
    "make_sampler",
    "open_storage",
    "plan",
    "redact",
    "run",
    "run_worker",
    "suggest",
    "train_seed",
    "wide_space",
]
