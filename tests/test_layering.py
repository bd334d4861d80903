"""The import direction of docs/architecture.md and DESIGN.md: netcore <- hpsearch <- studies; reports reads files.

Parses every module's imports with ast (nothing is imported) and fails on a forbidden edge.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)

# package -> (allowed third-party/project top-level imports, modules exempt from the rule)
RULES = {
    "safefiles": set(),  # the one atomic file writer: standard library only, under both hpsearch and reports
    "netcore": {"numpy"},
    "hpsearch": {"numpy", "netcore", "optuna", "joblib", "threadpoolctl", "pandas", "pyarrow", "tqdm", "scipy",
                 "sqlalchemy", "psycopg2", "hpsearch", "safefiles"},
    "reports": {"numpy", "pandas", "pyarrow", "matplotlib", "seaborn", "jinja2", "reports", "safefiles"},
}
EXEMPT = {("hpsearch", "cli.py"): {"reports"}}  # the CLI may call reports (lazily)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _modules():
    for package in RULES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield package, path


@pytest.mark.parametrize(("package", "path"), list(_modules()), ids=lambda v: getattr(v, "name", v))
def test_module_imports_respect_the_layering(package, path):
    allowed = RULES[package] | EXEMPT.get((package, path.name), set()) | {package}
    bad = {m for m in _imports(path) if m not in STDLIB and m not in allowed}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}: not allowed in {package}"


def test_the_rule_catches_a_forbidden_edge(tmp_path):
    bad = tmp_path / "m.py"
    bad.write_text("import os\nfrom optuna import trial\nimport numpy as np\n")
    assert _imports(bad) - STDLIB == {"optuna", "numpy"}
