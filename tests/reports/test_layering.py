"""reports reads exported files and DataFrames only: it never imports netcore, hpsearch or optuna (the
process that ran the study), and draws on pyplot-free Figures (no global figure state, thread-safe).
Parses the imports with ast; nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parents[2] / "reports"
FORBIDDEN = {"netcore", "hpsearch", "optuna", "matplotlib.pyplot"}


def imported_modules(source: str) -> set[str]:
    """Every absolute module an import statement names, with each of its parents (a.b.c -> a, a.b, a.b.c),
    plus `a.b` for `from a import b` (b may be a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            found |= {".".join(parts[: i + 1]) for i in range(len(parts))}
    return found


def forbidden_imports(source: str) -> set[str]:
    return imported_modules(source) & FORBIDDEN


@pytest.mark.parametrize("path", sorted(REPORTS.rglob("*.py")), ids=lambda p: p.name)
def test_reports_module_has_no_forbidden_import(path):
    bad = forbidden_imports(path.read_text(encoding="utf-8"))
    assert not bad, f"reports/{path.name} imports {sorted(bad)}"


def test_the_package_is_not_empty():
    assert {p.name for p in REPORTS.glob("*.py")} >= {"__init__.py", "load.py", "summaries.py", "render.py"}


@pytest.mark.parametrize("source", [
    "import optuna", "import hpsearch.export as e", "from netcore import network", "from hpsearch.cli import main",
    "from matplotlib import pyplot as plt", "import matplotlib.pyplot", "def f():\n    import optuna\n",
])
def test_the_check_catches_each_forbidden_form(source):
    assert forbidden_imports(source)


def test_the_check_allows_what_reports_needs():
    allowed = "import numpy\nimport pandas as pd\nfrom matplotlib.figure import Figure\nimport seaborn as sns\n"
    assert not forbidden_imports(allowed + "from reports import load\nfrom . import html\n")
