"""The final pick of a search: chosen on validation, trained once more, scored on the test split exactly once.

The one implementation, used by the range narrowing (over all its rounds' studies) and by the full-size
searches (one study). In the objective's direction (maximize or minimize; diverged trials never win):

1. the ``top`` best distinct configurations among the finished trials of every given study are the
   candidates (ties: the earlier study, then the earlier trial);
2. with more than one candidate asked for (``top`` > 1), each is trained again on the split the search
   used, once per seed (the runs shared out among ``n_jobs`` worker processes), and the best mean
   validation score wins (ties: the better search score);
   with ``top=1`` the best trial is the pick;
3. optionally (``longer=factor``), a length check decides how long the pick is retrained: on the split the
   search used, the pick is trained with one seed for its trial's epochs, for twice as many, doubling while
   under ``factor`` times as many, and for ``factor`` times as many (factor 2: two runs; 4: three), side by
   side; the shortest length whose validation score is within ``min_gain`` of the best length's is kept
   (default 0.002: 20 of 10,000 validation images, about the spread between retraining seeds), so a longer
   run must beat every shorter one by the margin. Paired comparisons on validation, not a significance test;
   the test split is not read;
4. the pick is trained once per seed on the training split (``retrain="train"``) or on training +
   validation (``retrain="train+val"``: more data, the validation split then no longer held out), for the
   epochs step 3 chose (else its trial's), and each net is scored once on the dataset's test split, which
   no selection step ever saw. The test score is the mean over the seeds, with their spread.

Seeds: ``seeds=None`` trains with the chosen trial's own seed (``retrain="train"`` then rebuilds the very net
the trial trained), else once per given seed. The record is stored in the first study (user attribute
``final``) with the names of the studies it was chosen from; called again on the same studies it is
returned unchanged, without training or reading the test split again: a search's test score is measured
once.
"""

from hpsearch.final.length import MIN_GAIN, chosen_length, lengths_for
from hpsearch.final.pick import RETRAIN, final_pick, full_params
from hpsearch.final.sharing import makespan

__all__ = ["MIN_GAIN", "RETRAIN", "chosen_length", "final_pick", "full_params", "lengths_for", "makespan"]
