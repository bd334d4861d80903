"""reports: exported study data (hpsearch's export schema) -> seaborn/matplotlib PNGs and one
self-contained HTML page per study or comparison. Reads exported files/DataFrames only: never imports
netcore, hpsearch or optuna (tests/reports/test_layering.py checks it).

Layout, as Optuna lays out its visualization: `load` (the only input) -> `data` (pure pandas) -> `figures`
(matplotlib Axes) -> `pages` (one module per page, on the shared machinery of `pages.common` and the HTML
writer `pages.html`); `synthetic` builds test data. This module is the public API.
"""

from reports.data.compare import ComparisonData, comparison_data
from reports.load import BenchmarkExport, ExportError, StudyExport, load_benchmark, load_export, write_export
from reports.pages.bench import render_benchmark
from reports.pages.book import (
    render_batch_norm,
    render_curves,
    render_overfitting,
    render_trajectories,
    render_weight_init,
)
from reports.pages.compare import render_comparison
from reports.pages.fair import render_fair
from reports.pages.html import is_study_page
from reports.pages.narrowing import render_narrowing
from reports.pages.study import render
from reports.pages.versus import render_study_comparison
from reports.synthetic import synthetic_export

__all__ = [
    "BenchmarkExport",
    "ComparisonData",
    "ExportError",
    "StudyExport",
    "comparison_data",
    "is_study_page",
    "load_benchmark",
    "load_export",
    "render",
    "render_batch_norm",
    "render_benchmark",
    "render_comparison",
    "render_curves",
    "render_fair",
    "render_narrowing",
    "render_overfitting",
    "render_study_comparison",
    "render_trajectories",
    "render_weight_init",
    "synthetic_export",
    "write_export",
]
