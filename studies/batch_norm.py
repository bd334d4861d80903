"""Batch normalization against the init scale: the book's 4x4 grid (book section 6.3.2, Figs 6-18, 6-19), over seeds.

For each of the 16 weight stds w = logspace(0, -4, 16), a 784-100x5-10 ReLU net with BN (between Affine and
ReLU) and one without, SGD lr 0.01, batch 100 drawn with replacement from the first 1000 training images
(the same batches for every net of a seed), an evaluation every 10 updates starting after the first, 20
evaluations (191 updates). The report shows training accuracy (inference mode) in the 4x4 grid, BN solid and
without dashed, mean over seeds with 95% bootstrap bands.

Run: python studies/batch_norm.py [--dataset mnist-5k|fashion-mnist] [--seeds 5] [--n-jobs 2]
     [--evaluations 20] [--shared-init] [--quick]
Writes runs/batch-norm-<dataset>/index.html.
"""

from __future__ import annotations

import sys

from hpsearch.experiments.batch_norm import NORMS, SCALES, BatchNormSettings
from hpsearch.experiments.common import book_eval_every
from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.script import base_parser, run_grid, seeds, study_name
from reports import render_batch_norm


def main(argv: list[str] | None = None) -> int:
    ap = base_parser(__doc__, quick_seeds=1)
    ap.add_argument("--evaluations", type=int, default=None, help="evaluations per net (book: 20; 3 with --quick)")
    ap.add_argument("--shared-init", action="store_true", help="one initial draw per seed for every net")
    args = ap.parse_args(argv)
    settings = BatchNormSettings(dataset=args.dataset, epochs=args.evaluations or (3 if args.quick else 20),
                                 n_train=200 if args.quick else 1000, shared_init=args.shared_init)
    try:
        space = grid_space({"w_index": list(range(len(SCALES))), "norm": list(NORMS), "seed": seeds(args)})
        spec = grid_spec(study_name("batch-norm", args), "batch-norm", settings, space, out_dir=args.out)
        run_grid(spec, n_jobs=args.n_jobs, announce=print, quick=args.quick)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    index = render_batch_norm(spec.run_dir / "export", out_dir=spec.run_dir, semantics=settings.semantics(),
                              every=book_eval_every(settings.n_train, settings.batch_size))
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
