"""reports: exported study data (hpsearch's export schema) -> seaborn/matplotlib PNGs and one
self-contained HTML page per study or comparison. Reads exported files/DataFrames only: never imports
netcore, hpsearch or optuna (tests/reports/test_layering.py checks it)."""

from reports.bench import BenchmarkExport, load_benchmark, render_benchmark
from reports.book_pages import (
    render_batch_norm,
    render_curves,
    render_overfitting,
    render_trajectories,
    render_weight_init,
)
from reports.compare import ComparisonData, comparison_data, render_comparison
from reports.compare_studies import render_study_comparison
from reports.fair_report import render_fair
from reports.load import ExportError, StudyExport, load_export, write_export
from reports.narrowing import render_narrowing
from reports.render import render
from reports.synthetic import synthetic_export

__all__ = [
    "BenchmarkExport",
    "ComparisonData",
    "ExportError",
    "StudyExport",
    "comparison_data",
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
