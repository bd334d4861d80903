"""Optimizers on MNIST: the book's loss-curve comparison (book section 6.1.8, Fig 6-9), over several seeds.

A 784-100x4-10 ReLU/He net per optimizer (SGD, Momentum, AdaGrad, Adam at their default hyperparameters;
``--extra`` adds RMSprop and Nesterov), 2000 iterations of batch 128 drawn with replacement from all training
images, the SAME batches for every optimizer within a seed, nets initialised independently (as in the book;
``--shared-init`` for one shared draw). The report shows the book's smoothed loss curves with the mean over
seeds and 95% bootstrap bands, and the mean loss over iterations 100-500 and 1000-1999 with CIs.

Run: python studies/optimizer_curves.py [--dataset mnist-5k|fashion-mnist] [--seeds 5] [--n-jobs 2]
     [--iterations 2000] [--extra] [--shared-init] [--loss-record post|pre] [--dtype float32|float64] [--quick]
Writes runs/optimizer-curves-<dataset>/index.html.
"""

from __future__ import annotations

import sys

from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.optimizer_curves import CurveSettings
from hpsearch.experiments.script import base_parser, run_grid, seeds, study_name
from reports import render_curves

BOOK = ("sgd", "momentum", "adagrad", "adam")


def main(argv: list[str] | None = None) -> int:
    ap = base_parser(__doc__)
    ap.add_argument("--iterations", type=int, default=None, help="updates per net (book: 2000; 40 with --quick)")
    ap.add_argument("--extra", action="store_true", help="add RMSprop and Nesterov (not in the book's figure)")
    ap.add_argument("--shared-init", action="store_true", help="one initial draw per seed for every optimizer")
    ap.add_argument("--loss-record", choices=("post", "pre"), default="post", help="post (book) or pre-update loss")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    args = ap.parse_args(argv)
    iterations = args.iterations or (40 if args.quick else 2000)
    settings = CurveSettings(dataset=args.dataset, epochs=iterations, shared_init=args.shared_init,
                             loss_record=args.loss_record, dtype=args.dtype)
    optimizers = [*BOOK, "rmsprop", "nesterov"] if args.extra else list(BOOK)
    try:
        space = grid_space({"optimizer": optimizers, "init": ["he"], "seed": seeds(args)})
        spec = grid_spec(study_name("optimizer-curves", args), "mnist-curves", settings, space, out_dir=args.out)
        run_grid(spec, n_jobs=args.n_jobs, announce=print, quick=args.quick)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    index = render_curves(spec.run_dir / "export", out_dir=spec.run_dir, semantics=settings.semantics(),
                          group="optimizer", title=f"Optimizers on {args.dataset}", ylim=(0, 1))
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
