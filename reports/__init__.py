"""reports: exported study data (hpsearch's export schema) -> seaborn/matplotlib PNGs and one
self-contained HTML page per study or comparison. Reads exported files/DataFrames only: never imports
netcore, hpsearch or optuna (tests/reports/test_layering.py checks it)."""

from reports.compare import ComparisonData, comparison_data, render_comparison
from reports.load import ExportError, StudyExport, load_export, write_export
from reports.narrowing import render_narrowing
from reports.render import render
from reports.synthetic import synthetic_export

__all__ = [
    "ComparisonData",
    "ExportError",
    "StudyExport",
    "comparison_data",
    "load_export",
    "render",
    "render_comparison",
    "render_narrowing",
    "synthetic_export",
    "write_export",
]
