"""The book's chapter-6 experiments as registered hpsearch objectives (one small module each).

=====================  ===================================  =================================================
objective              module                               book section (shared/book-procedures.md)
=====================  ===================================  =================================================
``surface2d``          ``hpsearch.experiments.surface2d``   2.1 optimizer paths on f(x, y) = x^2/20 + y^2
``mnist-curves``       ``hpsearch.experiments.optimizer_curves``  2.2 optimizer and 2.4 init loss curves
``activation-hist``    ``hpsearch.experiments.weight_init`` 2.3 activation histograms per layer
``batch-norm``         ``hpsearch.experiments.batch_norm``  2.5 the 16 init scales, with and without BN
``overfit``            ``hpsearch.experiments.overfit``     2.7-2.8 no regulariser / weight decay / dropout
``mlp-test``           ``hpsearch.experiments.fair``        fair comparison: configurations scored on test
=====================  ===================================  =================================================

Each module defines a frozen settings dataclass (``to_dict``/``from_dict``, ``epochs`` = curve points,
``semantics()`` = what the report states) and ``evaluate(params, settings, *, seed, on_epoch=None)``. The
method and the replicate ``seed`` are parameters of a grid study; see ``hpsearch.experiments.common`` for how
seeds are derived. Modules are imported lazily (``hpsearch.objectives.registry.lazy``) by the processes that need them.
"""
