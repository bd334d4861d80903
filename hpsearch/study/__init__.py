"""A study and its slots: creation (idempotent), loading by workers, claiming and re-queuing trials.

Every study of ``n_trials`` has exactly ``n_trials`` *slots*; slot k has user attrs ``slot`` and ``seed`` (its
training seed) and, for the planned samplers (random, qmc, grid) and a warm start's prior configurations,
fixed parameters that depend on k alone. A slot's trial is created when a worker claims it
(:func:`claim`): under the study lock of :mod:`hpsearch.storages.locks`, the lowest slot that has no trial
yet, or a WAITING trial of a lower slot (a re-queued one, or a slot of a study created before slots were
made lazily), becomes a RUNNING trial. The storage thus holds only trials that started (and re-queued
ones), so Optuna's own tools (``load_study(...).trials``, optuna-dashboard's timeline) show what ran; the
number of finished trials can never exceed ``n_trials``, whatever the number of workers, machines or
launchers, and slot k always gets the same parameters and seed. A trial that fails (a crashed worker
detected as stale) is re-queued once, by the one process whose FAIL transition succeeded, with the same
slot, seed and parameters. Every storage hpsearch opens has a study lock (journal file, PostgreSQL, MySQL,
SQLite file); a storage without one (an in-memory SQLite database) keeps the earlier way: every slot is
enqueued as a WAITING trial when the study is created, and workers only claim.

A module per concept: :mod:`.lifecycle` (create, check, resume, open) and :mod:`.slots` (slot parameters and
seeds, claiming, re-queuing).
"""

from hpsearch.study.lifecycle import check_resume, create_study, load_spec, open_study
from hpsearch.study.slots import FINISHED, claim, requeue, state_counts

PART_OF = "part_of"  # user attribute: the experiment a helper study serves (its page is that experiment's)

__all__ = ["check_resume", "create_study", "load_spec", "open_study", "claim", "requeue", "state_counts", "FINISHED",
           "PART_OF"]
