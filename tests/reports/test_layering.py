"""reports reads exported files and DataFrames only: it never imports netcore, hpsearch or optuna (the
process that ran the study), and draws on pyplot-free Figures (no global figure state, thread-safe).

Inside the package, the layout of docs/architecture.md: `load` (the only input) <- `data` (pure pandas,
nothing drawn) <- `figures` (Axes, no file written) <- `pages` (one module per page). A page imports no other
page module, only the shared machinery (`pages.common`, `pages.html`); the one page another page renders is
the study page, through its entry point `render` only. No import cycle. Parses the imports with ast; nothing
is imported."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parents[2] / "reports"
FORBIDDEN = {"netcore", "hpsearch", "optuna", "matplotlib.pyplot"}
LAYERS = ("data", "figures", "pages")
# layer -> the layers of reports it may import ("api" is reports/__init__.py: the public API, imported by none)
MAY_IMPORT = {
    "load": set(),
    "synthetic": {"load"},
    "data": {"load", "data"},
    "figures": {"load", "data", "figures"},
    "pages": {"load", "data", "figures", "pages"},
    "api": {"load", "synthetic", "data", "figures", "pages"},
}
NOT_IN_LAYER = {"data": {"matplotlib", "seaborn", "safefiles"}, "figures": {"safefiles"}}  # nothing drawn / written
SHARED_PAGE_MODULES = {"reports.pages.common", "reports.pages.html"}
# (page, page it renders) -> the names it may import from it: the page's entry point, never a helper
LINKED_PAGES = {("reports.pages.narrowing", "reports.pages.study"): {"render"}}


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


def module_name(path: Path) -> str:
    parts = path.relative_to(REPORTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_sources() -> dict[str, str]:
    """reports' modules by dotted name (a package's __init__ under the package's name) -> source."""
    return {module_name(p): p.read_text(encoding="utf-8") for p in sorted(REPORTS.rglob("*.py"))}


def reports_imports(name: str, source: str, modules: set[str]) -> dict[str, set[str]]:
    """The reports modules that module `name` imports -> the names it takes from each ("*": the module itself).
    `from reports.pages import study` imports the module reports.pages.study; relative imports are resolved."""
    is_package = any(m.startswith(f"{name}.") for m in modules)
    package = name if is_package else name.rpartition(".")[0]
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "reports":
                    found.setdefault(alias.name, set()).add("*")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if base.split(".")[0] != "reports":
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                target, what = (sub, "*") if sub in modules else (base, alias.name)
                found.setdefault(target, set()).add(what)
    found.pop(name, None)
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return "api" if len(parts) == 1 else parts[1]


def direction_errors(sources: dict[str, str], modules: set[str] | None = None) -> list[str]:
    """Every import of one reports module by another that breaks the direction rule, as 'a -> b: why'."""
    modules = set(sources) | (modules or set())
    errors = []
    for name, source in sources.items():
        for target, names in reports_imports(name, source, modules).items():
            here, there = layer(name), layer(target)
            if there not in MAY_IMPORT.get(here, set()):
                errors.append(f"{name} -> {target}: {here} may not import {there}")
            elif here == there == "pages" and target not in SHARED_PAGE_MODULES:
                allowed = LINKED_PAGES.get((name, target))
                if allowed is None or not names <= allowed:
                    errors.append(f"{name} -> {target} ({', '.join(sorted(names))}): a page imports no other page "
                                  "module but the shared machinery (pages.common, pages.html)")
        for package in imported_modules(source) & NOT_IN_LAYER.get(layer(name), set()):
            errors.append(f"{name} -> {package}: not in the {layer(name)} layer")
    return errors


def import_cycle(sources: dict[str, str], modules: set[str] | None = None) -> list[str]:
    """One import cycle among the modules (empty if none)."""
    modules = set(sources) | (modules or set())
    graph = {name: set(reports_imports(name, source, modules)) for name, source in sources.items()}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        return list(error.args[1])
    return []


@pytest.mark.parametrize("path", sorted(REPORTS.rglob("*.py")), ids=lambda p: str(p.relative_to(REPORTS)))
def test_reports_module_has_no_forbidden_import(path):
    bad = forbidden_imports(path.read_text(encoding="utf-8"))
    assert not bad, f"reports/{path.relative_to(REPORTS)} imports {sorted(bad)}"


@pytest.mark.parametrize("source", [
    "import optuna", "import hpsearch.export as e", "from netcore import network", "from hpsearch.cli import main",
    "from matplotlib import pyplot as plt", "import matplotlib.pyplot", "def f():\n    import optuna\n",
])
def test_the_check_catches_each_forbidden_form(source):
    assert forbidden_imports(source)


def test_the_check_allows_what_reports_needs():
    allowed = "import numpy\nimport pandas as pd\nfrom matplotlib.figure import Figure\nimport seaborn as sns\n"
    assert not forbidden_imports(allowed + "from reports import load\nfrom . import html\n")


def test_the_package_is_laid_out_in_data_figures_and_pages():
    top = {p.name for p in REPORTS.glob("*.py")}
    assert {"__init__.py", "load.py", "synthetic.py"} <= top and len(top) <= 6, sorted(top)
    for folder in LAYERS:
        assert (REPORTS / folder / "__init__.py").is_file(), folder
    assert {"common", "html", "study"} <= {p.stem for p in (REPORTS / "pages").glob("*.py")}


@pytest.mark.parametrize("path", sorted(REPORTS.rglob("*.py")), ids=lambda p: str(p.relative_to(REPORTS)))
def test_every_module_says_what_it_holds(path):
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), f"reports/{path.relative_to(REPORTS)}"


def similar_names(stems: set[str]) -> list[tuple[str, str]]:
    """Pairs of module names in one folder that differ only by a suffix or a plural (figures, figures_bench)."""
    return sorted((a, b) for a in stems for b in stems
                  if a != b and (b.startswith(f"{a}_") or b in (f"{a}s", f"{a}es")))


def test_no_two_modules_of_a_folder_differ_only_by_a_suffix_or_a_plural():
    for folder in [REPORTS, *(REPORTS / f for f in LAYERS)]:
        stems = {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if p.is_dir()}
        assert not similar_names(stems - {"__pycache__"}), (folder.name, similar_names(stems))
    assert similar_names({"figures", "figures_bench", "page", "pages", "study"}) == [
        ("figures", "figures_bench"), ("page", "pages")]


def test_imports_go_from_pages_to_figures_to_data_and_no_page_uses_another_pages_helpers():
    assert direction_errors(package_sources()) == []


def test_there_is_no_import_cycle():
    assert import_cycle(package_sources()) == []


@pytest.mark.parametrize(("name", "source"), [
    ("reports.data.x", "from reports.figures.style import DPI"),
    ("reports.data.x", "from reports.pages import html"),
    ("reports.data.x", "import matplotlib.figure"),
    ("reports.figures.x", "from reports.pages.common import FigurePlan"),
    ("reports.figures.x", "from safefiles import write_file"),
    ("reports.figures.x", "from reports.synthetic import synthetic_export"),
    ("reports.load", "from reports.data import study"),
    ("reports.pages.x", "from reports import render"),
    ("reports.pages.x", "from reports.pages.study import missing_notes"),
    ("reports.pages.x", "from reports.pages import book"),
    ("reports.pages.x", "from . import study"),
    ("reports.pages.narrowing", "from reports.pages.study import _summary, render"),
    ("reports.pages.narrowing", "from reports.pages import study"),
])
def test_the_direction_rule_catches_each_wrong_edge(name, source):
    modules = set(package_sources())
    assert direction_errors({name: source}, modules), (name, source)


def test_the_direction_rule_allows_the_machinery_and_the_linked_study_page():
    modules = set(package_sources())
    page = ("from reports.pages import html as H\nfrom reports.pages.common import FigurePlan, slug\n"
            "from reports.figures import study as F\nfrom reports.data.study import top_k\nfrom reports.load import "
            "StudyExport\nfrom . import common\n")
    assert direction_errors({"reports.pages.x": page}, modules) == []
    assert direction_errors({"reports.pages.narrowing": "from reports.pages.study import render"}, modules) == []
    assert direction_errors({"reports.figures.x": "from reports.data import study\nimport seaborn"}, modules) == []


def test_the_cycle_check_catches_a_cycle():
    sources = {"reports.data.a": "from reports.data import b\n", "reports.data.b": "from reports.data.a import f\n"}
    assert set(import_cycle(sources)) == {"reports.data.a", "reports.data.b"}
    assert import_cycle({"reports.data.a": "from reports.data import b\n", "reports.data.b": ""}) == []
