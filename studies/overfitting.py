"""Overfitting and its remedies: no regulariser vs weight decay vs dropout (book sections 6.4.1-6.4.3,
Figs 6-20, 6-21, 6-23), over several seeds.

The book's 7-layer 784-100x6-10 ReLU/He net on the first 300 training images, SGD lr 0.01, batch 100 drawn
with replacement (the same batches for every regulariser of a seed), an evaluation every 3 updates starting
after the first, 201 evaluations (601 updates) of train accuracy (the 300 images) and test accuracy (the
test set). Regularisers: none, weight decay 0.1, and the book's non-inverted dropout at both 0.2 (its code)
and 0.15 (its figure caption). The report shows train vs test accuracy with bands and the gap table.

Run: python studies/overfitting.py [--dataset mnist-5k|fashion-mnist] [--seeds 5] [--n-jobs 2]
     [--evaluations 201] [--inverted-dropout] [--quick]
Writes runs/overfitting-<dataset>/index.html.
"""

from __future__ import annotations

import sys

from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.overfit import REGULARIZERS, OverfitSettings
from hpsearch.experiments.script import base_parser, run_grid, seeds, study_name
from reports import render_overfitting


def main(argv: list[str] | None = None) -> int:
    ap = base_parser(__doc__)
    ap.add_argument("--evaluations", type=int, default=None,
                    help="evaluations per net (book: 201 for weight decay, 301 for its dropout figure; 6 with --quick)")
    ap.add_argument("--inverted-dropout", action="store_true", help="inverted dropout (book: non-inverted)")
    args = ap.parse_args(argv)
    settings = OverfitSettings(dataset=args.dataset, epochs=args.evaluations or (6 if args.quick else 201),
                               dropout_inverted=args.inverted_dropout, eval_test_n=500 if args.quick else None)
    try:
        space = grid_space({"regularizer": list(REGULARIZERS), "seed": seeds(args)},
                           conditional={"weight_decay": ("regularizer", ["weight_decay"], [0.1]),
                                        "dropout": ("regularizer", ["dropout"], [0.2, 0.15])})
        spec = grid_spec(study_name("overfitting", args), "overfit", settings, space, out_dir=args.out)
        run_grid(spec, n_jobs=args.n_jobs, announce=print, quick=args.quick)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    index = render_overfitting(spec.run_dir / "export", out_dir=spec.run_dir, semantics=settings.semantics())
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
