"""A quiet, model-agnostic trainer with the book's protocol and a shuffled-epochs alternative.

Book mode (``mode="book"``), as the book's Trainer:
  * every step draws ``batch_size`` indices uniformly WITH replacement;
  * an "epoch" is ``iter_per_epoch = max(N // batch_size, 1)`` steps (the book divides as floats; with a
    non-integer N/B its float modulo fires only at exact multiples — we use integer division and say so);
  * an evaluation happens after update ``i`` whenever ``i % iter_per_epoch == 0`` (so after the very first
    update), ``epochs`` evaluations in all over ``epochs * iter_per_epoch`` updates;
  * the recorded step loss is the post-update minibatch loss in inference mode, weight-decay term included
    (``loss_record="pre"`` records the training-mode loss of the gradient pass instead: no extra forward,
    shifted by one update).
Shuffle mode (``mode="shuffle"``): each epoch walks one permutation in batches (the last may be smaller) and
evaluates at the end of the epoch. This is a protocol change from the book, recorded as such in the config.
``evals_per_epoch=k`` (shuffle mode) evaluates k times per epoch, after every ``ceil(steps/k)`` updates and at
the epoch's end, so a pruner can stop a run within its first fraction of an epoch on large data.
``lr_schedule`` (``netcore.schedule``: constant as the book, step, cosine or warmup-cosine, whose warm-up
fraction is ``warmup``) sets ``optimizer.lr`` to the base rate times the schedule's factor before each update;
the base rate is restored when training ends.

A modern training recipe, each part off by default (the defaults run the book's code and draw the same random
numbers, so its runs stay bit-identical), and recorded in the config:
  * ``augment_shift=s`` / ``augment_flip`` (``netcore.augment``; random crops of zero-padded images and
    horizontal flips, the CIFAR protocol of He et al. 2016): each training batch, never an evaluation, is
    shifted by up to s pixels and/or mirrored, its labels kept. The augmentation draws from its own
    Generator, ``np.random.default_rng(rng.integers(2**63))``, made at the start of ``train`` only when an
    augmentation is on (then that one draw shifts the batch draws that follow it).
  * ``label_smoothing=eps`` (Szegedy et al. 2016): ``net.loss_layer.label_smoothing`` is set to eps for the
    run and restored at its end, so the step losses are the smoothed loss; ``val_loss`` stays the plain
    cross-entropy of ``Network.evaluate``.
  * ``ema_decay=d`` (``netcore.ema``; Polyak & Juditsky 1992): an exponential moving average of the weights
    and batch-norm statistics, warm-started at the initial weights, updated after each update. Evaluations
    (train/val accuracy and val loss) use the averaged weights, swapped in and back out; step losses,
    callbacks and the divergence check see the live ones; when ``train`` returns the net holds the average.
  * ``lr_schedule="warmup-cosine"`` (Goyal et al. 2017; Loshchilov & Hutter 2017), above.

Divergence — a non-finite loss or parameter — stops training, is evaluated once more (a NaN network predicts
class 0, so the accuracy stays finite) and is reported in the history, never raised.

The optimizer may use ``net.grads`` as scratch (``update(..., overwrite_grads=True)``), so after a step, and in
a callback, ``net.grads`` holds no gradient: a callback that needs one calls ``net.gradient`` itself.
"""

from netcore.trainer.config import Callback, History, TrainConfig, TrainData
from netcore.trainer.loop import _Run, take_rows, train

__all__ = ["Callback", "History", "TrainConfig", "TrainData", "_Run", "take_rows", "train"]
