"""reports.data: the data layer, pure pandas/numpy: export frames in, frames (or plain values and sentences)
out; nothing drawn, no file touched. It imports only `reports.load` and its own modules: never
`reports.figures` or `reports.pages` (tests/reports/test_layering.py checks it).

One module per subject, named as in `figures/` and `pages/`:

- `stats`: what every subject shares: MIN_CI, bootstrap and t-based confidence intervals, mean lines with bands.
- `study`: one study's trials and curves (states, best trial, top k, best so far, parallel coordinates).
- `compare`: several studies pooled by group (long frames, the per-group score table).
- `versus`: the user's studies side by side (comparable?, scores per study, verdict, settings that differ).
- `book`: the book's chapter-6 experiments (curves joined to parameters, window, final and gap tables).
- `fair`: the fair optimizer comparison (lr sensitivity, divergence onset, defaults vs tuned).
- `bench`: the search-method benchmark's tables (time to target, fastest per task, final scores, ranks).
- `budget`: a search under a time budget (best so far against wall time and epochs spent).
- `final`: a search's final pick (test scores over its retraining seeds), its warm start and scheduling.
- `narrowing`: a range-narrowing run's record as a table and in words.
"""
