"""The hpsearch side: markup from a real study stays inert in its report; a storage password
never shows in logs, command output, the database's own attributes, exports, meta or reports; no pickle,
eval or exec anywhere in the packages; folders derived from study names stay inside the output folder.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import optuna
import pytest

from hpsearch import ParamSpec, SearchSpace, StudySpec, export, run
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult
from hpsearch.storages.opener import check_name, check_url, journal_path, open_storage, study_dir
from hpsearch.storages.urls import redact

NASTY = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
SECRET = "Tr0ub4dor-and-3"
ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("netcore", "hpsearch", "reports")


# -- markup in a real study --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MarkupSettings:
    epochs: int = 2

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


def _markup_objective(params, settings, *, seed, on_epoch=None):
    acc = [0.1 * (k + 1) + params["x"] / 10 for k in range(settings.epochs)]
    return TrialResult(value=acc[-1], best_val_acc=max(acc), diverged=False, stopped=False,
                       epochs_run=settings.epochs, samples=0, seconds=0.0,
                       curves={"val_acc": acc, "val_loss": [1.0 - a for a in acc]}, step=list(range(settings.epochs)))


register(Objective("test-markup", MarkupSettings, _markup_objective, ("x", "label")))


@pytest.mark.slow
def test_markup_in_parameters_and_attributes_of_a_real_study_is_inert_in_its_report(tmp_path, monkeypatch):
    from reports import render

    monkeypatch.setattr("hpsearch.execution.worker.worker_id", lambda: NASTY)  # the trial user attribute "worker"
    space = SearchSpace((ParamSpec("x", low=0.0, high=1.0),
                         ParamSpec("label", kind="categorical", choices=("<b>x", "plain"))))
    spec = StudySpec(name="markup", space=space, objective="test-markup", settings=MarkupSettings(), n_trials=5,
                     out_dir=str(tmp_path / "runs"))
    study = run(spec, n_jobs=1, progress=False)
    runs = study.user_attrs["runs"]
    runs[-1]["machine"] = {**runs[-1]["machine"], "cpu": NASTY}  # a study user attribute shown on the page
    study.set_user_attr("runs", runs)
    tables = export(study)
    assert set(tables.trials["worker"]) == {NASTY}
    assert tables.meta["machine"]["cpu"] == NASTY
    page = render(spec.run_dir / "export").read_text(encoding="utf-8")
    assert NASTY not in page and "<b>x" not in page
    assert page.count("<script") == 1 and "onerror=" not in page.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the machine card, as text
    assert "&lt;b&gt;x" in page  # the parameter value in the top-k table


# -- passwords ---------------------------------------------------------------------------------------------------
def _with_password(url: str) -> str:
    head, _, rest = url.partition("://")
    user, _, host = rest.partition("@")
    return f"{head}://{user}:{SECRET}@{host}"


def _in_query(url: str) -> str:  # a bare postgresql:// (issue 15, item 3) with ?password= (item 4)
    return url.replace("postgresql+psycopg2://", "postgresql://") + f"?password={SECRET}&application_name=hp"


def _encoded_and_query(url: str) -> str:  # a percent-encoded '@' in the password, and a secret query value
    head, _, rest = url.partition("://")
    user, _, host = rest.partition("@")
    return f"{head}://{user}:{SECRET}%40x@{host}?sslpassword={SECRET}"


URL_FORMS = {"user:pw@": _with_password, "?password=": _in_query, "%40 and ?sslpassword=": _encoded_and_query}


def _files_with_secret(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()]


def test_redact_hides_every_form_of_password():
    assert SECRET not in redact(f"postgresql+psycopg2://u:{SECRET}@h:5432/db?sslmode=require")
    assert redact(f"postgresql://u:{SECRET}@h/db") == "postgresql://u:***@h/db"
    assert SECRET not in redact(f"postgresql://u:{SECRET}@[::1/db")  # unparsable: redacted by hand
    assert redact("runs/x/journal.log") == "runs/x/journal.log"
    with pytest.raises(ValueError, match="not a valid database URL") as info:  # one line, no password
        check_url(f"postgresql://u:{SECRET}@host:port/db")
    assert SECRET not in str(info.value)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("form", list(URL_FORMS))
def test_a_storage_password_never_leaks(form, postgres_url, tmp_path, tiny_settings, caplog):
    import logging

    url = URL_FORMS[form](postgres_url)
    spec = StudySpec(name=f"secret-study-{list(URL_FORMS).index(form)}", settings=tiny_settings, n_trials=4,
                     storage=url, out_dir=str(tmp_path / "runs"))
    (tmp_path / "spec.json").write_text(json.dumps({**spec.to_dict(), "storage": None}))
    outputs = []
    for argv in (["-v", "run", "spec.json", "--storage", url, "--n-jobs", "2", "--no-progress"],
                 ["-v", "status", "--storage", url, "--study", spec.name],
                 ["-v", "export", "--storage", url, "--study", spec.name, "--out", "exported"],
                 ["-v", "report", "--storage", url, "--study", spec.name, "--out", "report"]):
        proc = subprocess.run([sys.executable, "-m", "hpsearch", *argv], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout + proc.stderr)
    assert "INFO" in outputs[0] and "postgres" in outputs[1] and "***" in outputs[1]  # status names the URL
    assert not [o for o in outputs if SECRET in o]
    assert (tmp_path / "exported" / "meta.json").is_file() and (tmp_path / "report" / "index.html").is_file()
    assert _files_with_secret(tmp_path) == []

    with caplog.at_level(logging.DEBUG):  # the API, every logger at DEBUG (SQLAlchemy's SQL included)
        study = optuna.load_study(study_name=spec.name, storage=open_storage(url))
        tables = export(study, url, tmp_path / "api-export")
    assert SECRET not in caplog.text
    assert SECRET not in json.dumps(tables.meta, default=str)
    assert SECRET not in json.dumps(study.user_attrs, default=str)  # the database does not keep it either

    import psycopg2

    conn = psycopg2.connect(postgres_url.replace("postgresql+psycopg2", "postgresql"))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
            for (table,) in cur.fetchall():
                cur.execute(f'SELECT t::text FROM "{table}" t')
                assert not [row for (row,) in cur.fetchall() if SECRET in row], table
    finally:
        conn.close()


# -- no pickle, eval or exec -------------------------------------------------------------------------------------
UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve", "copyreg"}
UNSAFE_BUILTINS = {"eval", "exec", "compile", "__import__", "execfile"}
UNSAFE_ATTRIBUTES = {"read_pickle", "unsafe_load", "full_load"}  # pandas.read_pickle, yaml's unsafe loaders


def unsafe_calls(source: str) -> list[str]:
    """What in ``source`` could run code from data: pickle-like imports, eval/exec/compile, pickle loaders
    (``joblib.load``, ``pd.read_pickle``, ``yaml.load``), ``np.load(..., allow_pickle=True)``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in UNSAFE_MODULES:
            found.append(node.module)
        elif isinstance(node, ast.Call):
            fn = node.func
            if isinstance(fn, ast.Name) and fn.id in UNSAFE_BUILTINS:
                found.append(fn.id)
            elif isinstance(fn, ast.Attribute):
                owner = fn.value.id if isinstance(fn.value, ast.Name) else ""
                if fn.attr in UNSAFE_ATTRIBUTES or (owner == "builtins" and fn.attr in UNSAFE_BUILTINS):
                    found.append(fn.attr)
                elif fn.attr in ("load", "loads") and owner in {"joblib", "yaml", *UNSAFE_MODULES}:
                    found.append(f"{owner}.{fn.attr}")
            for kw in node.keywords:
                if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    found.append("allow_pickle")
    return found


@pytest.mark.parametrize("path", sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_can_run_code_read_from_a_file_or_storage(path):
    assert unsafe_calls(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("source", [
    "import pickle", "from pickle import loads", "import marshal", "import dill.source", "eval(text)",
    "exec(code)", "compile(src, 'f', 'exec')", "builtins.eval(x)", "joblib.load(path)", "pd.read_pickle(p)",
    "yaml.load(fh)", "np.load(p, allow_pickle=True)", "np.load(p, allow_pickle=flag)", "__import__(name)",
])
def test_the_scan_catches_each_unsafe_form(source):
    assert unsafe_calls(source)


def test_the_scan_allows_safe_reading():
    safe = "import json\njson.loads(s)\nnp.load(p)\nnp.load(p, allow_pickle=False)\nre.compile('x')\n"
    assert unsafe_calls(safe + "importlib.import_module('reports')\nnp.frombuffer(raw)\n") == []


# -- folders derived from study names ----------------------------------------------------------------------------
BAD_NAMES = ["../up", "..", ".", "a/b", "a\\b", "/abs", "~user", "", " x", "x\n", "<b>", ".hidden", "a b", "é"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_study_name_cannot_leave_the_output_folder(name, tmp_path):
    for fn in (check_name, lambda n: study_dir(tmp_path, n), lambda n: journal_path(tmp_path, n),
               lambda n: StudySpec(name=n, out_dir=str(tmp_path))):
        with pytest.raises(ValueError, match="invalid"):
            fn(name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["book", "a.b", "run-2_x", "A1..b", "x" * 100])
def test_every_valid_name_stays_inside(name, tmp_path):
    out = tmp_path / "runs"
    for path in (study_dir(out, name), journal_path(out, name).parent, StudySpec(name=name, out_dir=str(out)).run_dir):
        assert path.resolve().parent == out.resolve()
