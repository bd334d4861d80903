"""Shared by the study-script tests: `hpsearch report` on every study a script's quick run left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpsearch.cli.commands import main


@pytest.fixture
def report_every_study(tmp_path, capsys):
    """report_every_study(runs_dir) runs `hpsearch report <runs_dir>/<study> --out ...` on every study folder
    holding a journal and checks each exits 0 with its page written; returns the study names."""

    def report(runs_dir: Path) -> list[str]:
        studies = sorted(p.parent for p in Path(runs_dir).glob("*/journal.log"))
        assert studies, f"no study journal under {runs_dir}"
        for study in studies:
            out = tmp_path / "cli-reports" / study.name
            capsys.readouterr()
            code = main(["report", str(study), "--out", str(out)])
            printed = capsys.readouterr()
            assert code == 0, f"hpsearch report {study}: {printed.err}"
            page = (out / "index.html").read_text(encoding="utf-8")
            assert study.name in page and "<img" in page
        return [s.name for s in studies]

    return report
