"""Database URLs as documented work on a fresh install, a missing driver is named as
such, and a password is redacted in every form a URL can hold it (``user:pw@``, an unencoded ``@`` in the
password, ``?password=``, other secret query values), in every place hpsearch shows or stores a URL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import unquote

import pytest

from hpsearch import StudySpec
from hpsearch.cli.commands import main
from hpsearch.storages.opener import check_url, open_storage
from hpsearch.storages.urls import driver_url, redact, scrub, secrets

SECRET = "Zq7-sEcReT-w0rd"

# (url, what redact must show): every form a password takes in a URL
FORMS = {
    "user:pw@": (f"postgresql://u:{SECRET}@h:5432/db", "postgresql://u:***@h:5432/db"),
    "unencoded @ in the password": (f"postgresql://u:a@{SECRET}@h/db", "postgresql://u:***@h/db"),
    "unencoded / and ? in the password": (f"postgresql://u:x/{SECRET}?@h/db", "postgresql://u:***@h/db"),
    "percent-encoded @": (f"postgresql://u:a%40{SECRET}@h/db", "postgresql://u:***@h/db"),
    "?password=": (f"postgresql://u@h/db?password={SECRET}&sslmode=require",
                   "postgresql://u@h/db?password=***&sslmode=require"),
    "user and password in the query": (f"postgresql://h/db?user=u&password={SECRET}",
                                       "postgresql://h/db?user=u&password=***"),
    "other secret query values": (f"postgresql+psycopg2://u@h/db?sslpassword={SECRET}&token={SECRET}x&PWD=1",
                                  "postgresql+psycopg2://u@h/db?sslpassword=***&token=***&PWD=***"),
    "both at once, with an @ in a plain query value": (
        f"postgresql://u:{SECRET}@h/db?application_name=a@b&password={SECRET}",
        "postgresql://u:***@h/db?application_name=a@b&password=***"),
    "unparsable URL": (f"postgresql://u:{SECRET}@[::1/db", "postgresql://u:***@[::1/db"),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_redact_hides_the_password_in_every_form(form):
    url, shown = FORMS[form]
    assert redact(url) == shown
    assert SECRET in "".join(secrets(url))
    message = f"connection to {url} failed (as the driver saw it: {unquote(url)})"
    assert SECRET not in scrub(message, url)


@pytest.mark.parametrize("url", ["runs/x/journal.log", "sqlite:////tmp/a@b.db", "postgresql://u@h/db?sslmode=x"])
def test_redact_leaves_urls_without_secrets_alone(url):
    assert redact(url) == url and secrets(url) == []


def _one_line_error(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("hpsearch: error: "), err
    return err


def test_an_unencoded_at_in_a_password_is_refused_without_leaking_its_tail(tmp_path, monkeypatch, capsys):
    """Before: SQLAlchemy took ``dor-tail@127.0.0.1`` for the host and the error printed it."""
    monkeypatch.chdir(tmp_path)
    url = f"postgresql+psycopg2://u:Tr0ub@{SECRET}@127.0.0.1:1/db"
    err = _one_line_error(["status", "--storage", url, "--study", "x"], capsys)
    assert SECRET not in err and "Tr0ub" not in err
    assert "%40" in err and "u:***@127.0.0.1:1/db" in err
    with pytest.raises(ValueError, match="percent-encoded"):
        StudySpec(name="x", storage=url)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_driver_is_named_instead_of_the_host_or_credentials(tmp_path, monkeypatch, capsys):
    """``postgresql+psycopg://`` asks for psycopg 3, which hpsearch does not install (``sys.modules[name] =
    None`` makes its import fail even where it happens to be installed)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "psycopg", None)
    url = f"postgresql+psycopg://u:{SECRET}@127.0.0.1:1/db"
    err = _one_line_error(["run", "--storage", url, "--n-jobs", "0"], capsys)
    assert "driver 'psycopg'" in err and "not installed" in err and "postgresql+psycopg2://" in err
    assert "credentials" not in err and SECRET not in err
    with pytest.raises(ValueError, match="unknown database driver"):
        check_url("postgresql+nosuchdriver://u@h/db")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_mysql_driver_says_pip_install_pymysql(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "pymysql", None)
    url = f"mysql+pymysql://u:{SECRET}@127.0.0.1:1/db"
    err = _one_line_error(["run", "--storage", url, "--n-jobs", "0"], capsys)
    assert "driver 'pymysql'" in err and "pip install pymysql" in err and SECRET not in err
    assert list(tmp_path.iterdir()) == []


def test_a_bare_postgresql_scheme_means_psycopg2():
    assert driver_url("postgresql://u@h/db") == "postgresql+psycopg2://u@h/db"
    for url in ("postgresql+psycopg2://u@h/db", "sqlite:///x.db", "runs/x/journal.log"):
        assert driver_url(url) == url


def _bare(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://")


@pytest.mark.slow
@pytest.mark.postgres
def test_a_bare_postgresql_url_works_end_to_end_on_a_fresh_install(postgres_url, tmp_path):
    """The documented ``postgresql://...`` through the real CLI, in fresh processes: psycopg 3 is not a
    dependency (and is blocked in the API part below), psycopg2 serves the URL."""
    url = _bare(postgres_url)
    spec = {"name": "bare-url", "n_trials": 2,
            "settings": {"n_samples": 150, "hidden": [8], "epochs": 1, "batch_size": 50}}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    for argv in (["run", "spec.json", "--storage", url, "--n-jobs", "1", "--no-progress"],
                 ["status", "--storage", url, "--study", "bare-url"]):
        proc = subprocess.run([sys.executable, "-m", "hpsearch", *argv], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
    assert "2/2 finished" in proc.stdout


@pytest.mark.postgres
def test_the_api_opens_a_bare_postgresql_url_without_psycopg3(postgres_url, monkeypatch):
    import optuna

    monkeypatch.setitem(sys.modules, "psycopg", None)
    storage = open_storage(_bare(postgres_url))
    study = optuna.create_study(study_name="bare-api", storage=storage, load_if_exists=True)
    assert study.study_name in [s.study_name for s in optuna.get_all_study_summaries(storage)]

