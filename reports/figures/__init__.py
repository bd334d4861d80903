"""reports.figures: data in, matplotlib Axes out, no file I/O and no pyplot state (pyplot-free `Figure`s).
Figures import `reports.data` and `reports.load`, never `reports.pages` (tests/reports/test_layering.py
checks it).

- `style`: the shared drawing vocabulary and house rules (colours, the diverged marker, legends outside the
  axes, bands under lines, integer ticks, the panel grid, DPI).
- `study`: one study's trial-level figures (history, score vs parameter, lr x wd, parallel coordinates,
  importance, durations); `curves`: its per-epoch figures (learning curves, intermediate values).
- `compare`: several studies' banded best-so-far and curves, score distributions.
- `book`, `fair`, `bench`, `budget`, `narrowing`: the figures of those pages.
"""
