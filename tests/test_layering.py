"""The import direction of docs/architecture.md: safefiles, netcore <- hpsearch <- studies; reports reads files.

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


# -- inside hpsearch: the subpackages in layers (docs/architecture.md) -------------------------------------------
# a module may import modules of its own unit or of a lower layer, never of a higher one
HPSEARCH_LAYERS = (
    ("errors", "registry", "checks", "environment"),
    ("space",),
    ("samplers", "storages"),
    ("objectives",),
    ("spec",),
    ("study",),
    ("export", "execution", "final"),
    ("narrowing",),
    ("benchmark", "experiments"),
    ("cli",),
    ("__init__", "__main__"),
)
LAYER = {unit: rank for rank, units in enumerate(HPSEARCH_LAYERS) for unit in units}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _hpsearch_edges(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the hpsearch modules it imports (``from pkg import submodule`` counts as the submodule)."""
    modules = {_module_name(p, root): p for p in (root / "hpsearch").rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = edges.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                targets = subs + ([node.module] if not all(t in modules for t in subs) else [])
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            found |= {t for t in targets if t in modules and t != name}
    return edges


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _upward(edges: dict[str, set[str]]) -> list[str]:
    return [f"{a} -> {b}" for a, bs in edges.items() for b in bs
            if _unit(a) != _unit(b) and LAYER[_unit(a)] <= LAYER[_unit(b)]]


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle among the modules (empty if none)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> list[str]:
        state[m] = 1
        path.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return path[path.index(n):] + [n]
            if n not in state and (found := visit(n)):
                return found
        state[m] = 2
        path.pop()
        return []

    for m in sorted(edges):
        if m not in state and (found := visit(m)):
            return found
    return []


def test_every_hpsearch_unit_has_a_layer():
    units = {_unit(m) for m in _hpsearch_edges()}
    assert units <= set(LAYER), f"give {sorted(units - set(LAYER))} a layer in HPSEARCH_LAYERS"


def test_hpsearch_imports_only_downward_and_has_no_cycle():
    edges = _hpsearch_edges()
    assert not _upward(edges), "upward imports: " + "; ".join(_upward(edges))
    assert not _cycle(edges), "import cycle: " + " -> ".join(_cycle(edges))


def test_the_hpsearch_rules_catch_an_upward_import_and_a_cycle(tmp_path):
    pkg = tmp_path / "hpsearch"
    (pkg / "storages").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "storages" / "__init__.py").write_text("")
    (pkg / "storages" / "a.py").write_text("from hpsearch.study import x\n")  # storages below study: upward
    (pkg / "study.py").write_text("from hpsearch.storages import a\n")
    edges = _hpsearch_edges(tmp_path)
    assert _upward(edges) == ["hpsearch.storages.a -> hpsearch.study"]
    assert _cycle(edges) in (["hpsearch.storages.a", "hpsearch.study", "hpsearch.storages.a"],
                             ["hpsearch.study", "hpsearch.storages.a", "hpsearch.study"])



# -- the map: a folder per concept (docs/architecture.md) --------------------------------------------------------
TOP_LEVEL_LIMIT = {"hpsearch": 12, "reports": 6}  # modules beside the subpackages, __init__ included


def _folders(packages=("hpsearch", "reports", "netcore", "safefiles")):
    for package in packages:
        for init in sorted((ROOT / package).rglob("__init__.py")):
            yield init.parent


def _stems(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "__main__"))


def _twins(stems: list[str]) -> list[tuple[str, str]]:
    """Names that differ only by a suffix or a plural (``figures`` / ``figures_bench``, ``objective`` /
    ``objectives``, ``narrow`` / ``narrowing``): the name should say the role instead."""
    return [(a, b) for a in stems for b in stems if a != b and b.startswith(a)]


@pytest.mark.parametrize("package", sorted(TOP_LEVEL_LIMIT))
def test_the_top_level_of_a_package_stays_small(package):
    modules = sorted((ROOT / package).glob("*.py"))
    assert len(modules) <= TOP_LEVEL_LIMIT[package], (
        f"{package}/ has {len(modules)} modules beside its subpackages: put a concept's modules in a folder")


@pytest.mark.parametrize("folder", list(_folders(("hpsearch", "reports"))), ids=lambda f: str(f.relative_to(ROOT)))
def test_no_two_modules_differ_only_by_a_suffix_or_a_plural(folder):
    assert not _twins(_stems(folder)), f"{folder.relative_to(ROOT)}: {_twins(_stems(folder))}"


@pytest.mark.parametrize("folder", [f for f in _folders() if f.parent != ROOT], ids=lambda f: str(f.relative_to(ROOT)))
def test_every_subpackage_says_what_lives_there(folder):
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 40, f"{folder.relative_to(ROOT)}/__init__.py needs a docstring saying what lives there"


def test_the_twin_rule_catches_suffixes_and_plurals():
    assert _twins(["figures", "figures_bench", "objective", "objectives", "narrow", "narrowing", "rule"]) == [
        ("figures", "figures_bench"), ("objective", "objectives"), ("narrow", "narrowing")]
