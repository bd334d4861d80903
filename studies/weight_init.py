"""Weight initialisation: activation histograms and the std=0.01 / Xavier / He training comparison
(book sections 6.2.2-6.2.4, Figs 6-10 to 6-15), over several seeds.

1. Histograms (no training): 1000 x 100 standard normals through 5 layers of 100 units without biases, for
   sigmoid / tanh / ReLU x weight std 1 / 0.01 / Xavier sqrt(1/100) / He sqrt(2/100); 30 bins over (0, 1)
   per layer (``--tanh-symmetric``: tanh over (-1, 1)).
2. Training: a 784-100x4-10 ReLU net per init (std 0.01, Xavier, He), SGD lr 0.01, 2000 iterations of batch
   128 drawn with replacement, the same batches for every init within a seed; smoothed loss curves with bands.

Run: python studies/weight_init.py [--dataset mnist-5k|fashion-mnist] [--seeds 5] [--n-jobs 2]
     [--iterations 2000] [--tanh-symmetric] [--quick]
Writes runs/weight-init-<dataset>/index.html.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.optimizer_curves import INITS, CurveSettings
from hpsearch.experiments.script import base_parser, run_grid, seeds, study_name
from hpsearch.experiments.weight_init import ACTIVATIONS, SCALES, HistSettings
from reports import render_weight_init


def main(argv: list[str] | None = None) -> int:
    ap = base_parser(__doc__)
    ap.add_argument("--iterations", type=int, default=None, help="updates per net (book: 2000; 40 with --quick)")
    ap.add_argument("--tanh-symmetric", action="store_true", help="tanh histograms over (-1, 1) (book: (0, 1))")
    args = ap.parse_args(argv)
    reps = seeds(args)
    base = study_name("weight-init", args)
    hist_settings = HistSettings(n_inputs=200 if args.quick else 1000, tanh_symmetric=args.tanh_symmetric)
    curve_settings = CurveSettings(dataset=args.dataset, epochs=args.iterations or (40 if args.quick else 2000),
                                   lr=0.01)
    try:
        hist = grid_spec(f"{base}-hist", "activation-hist", hist_settings,
                         grid_space({"activation": list(ACTIVATIONS), "init": list(SCALES), "seed": reps}),
                         out_dir=args.out)
        curves = grid_spec(f"{base}-sgd", "mnist-curves", curve_settings,
                           grid_space({"optimizer": ["sgd"], "init": list(INITS), "seed": reps}), out_dir=args.out)
        for k, spec in enumerate((hist, curves), start=1):
            print(f"study {k}/2: {spec.name} ({spec.n_trials} trials)", flush=True)
            run_grid(spec, n_jobs=args.n_jobs, part_of=base if spec is hist else None, announce=print,
                     quick=args.quick if k == 1 else None)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    semantics = [*hist_settings.semantics(), *curve_settings.semantics()]
    print("writing the report", flush=True)
    index = render_weight_init(hist.run_dir / "export", curves.run_dir / "export", out_dir=Path(args.out) / base,
                               semantics=semantics)
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
