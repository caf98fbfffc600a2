"""The shell scripts behind the README's commands (``make demo``, ``make test``).

Under ``set -o pipefail`` a pipeline fails when any stage dies of SIGPIPE (exit 141). A stage
that stops reading early (``head``, ``grep -q``, ``grep -m``) makes the stage before it die
whenever that one writes more than the pipe takes at once: ``make demo`` then failed at random
with ``Error 141`` before the server started.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scripts" / "demo.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _bash(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script, "bash", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_lists_the_first_files_of_a_big_folder_every_time(tmp_path: Path) -> None:
    """The demo prints a few mail files; with thousands of them the listing must not die of
    SIGPIPE (it did in ~2 of 5 runs with 40 mails; with 3000 nearly always)."""
    mail = tmp_path / "mail"
    mail.mkdir()
    for n in range(1, 3001):
        (mail / f"{n}-confirmation.eml").write_text("")
    (mail / "notes.txt").write_text("")
    # `source` defines the functions only (the demo itself does not start).
    result = _bash(
        'source "$1"; for run in $(seq 30); do list_files "$2" 3 -name "*.eml" > "$3"; done',
        str(DEMO),
        str(mail),
        str(tmp_path / "out.txt"),
    )
    assert result.returncode == 0, result.stderr
    listed = (tmp_path / "out.txt").read_text().splitlines()
    assert listed == [
        f"    {mail}/1-confirmation.eml",
        f"    {mail}/2-confirmation.eml",
        f"    {mail}/3-confirmation.eml",
    ]


def test_demo_lists_nothing_for_an_empty_folder(tmp_path: Path) -> None:
    result = _bash('source "$1"; list_files "$2" 3', str(DEMO), str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


EARLY_EXIT = re.compile(r"^(head|grep\s+(-\w*[qm]|--quiet|--max-count)|sed\s+(-n\s+)?'?\d*q)")


def _early_exit_pipelines(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        code = line.split(" #", 1)[0].strip()
        if code.startswith("#"):
            continue
        stages = [s.strip() for s in re.split(r"(?<!\|)\|(?!\|)", code)]
        if any(EARLY_EXIT.match(stage) for stage in stages[1:]):
            found.append(line.strip())
    return found


def _pipefail_scripts() -> list[Path]:
    candidates = [*sorted((ROOT / "scripts").glob("*.sh")), ROOT / ".ci" / "run"]
    return [p for p in candidates if p.exists() and "pipefail" in p.read_text()]


def test_no_script_under_pipefail_feeds_a_reader_that_stops_early() -> None:
    scripts = _pipefail_scripts()
    assert DEMO in scripts
    offending = {
        str(p.relative_to(ROOT)): lines
        for p in scripts
        if (lines := _early_exit_pipelines(p.read_text()))
    }
    assert offending == {}


def test_the_pipeline_check_recognises_early_readers() -> None:
    assert _early_exit_pipelines("find . | sort -V | head -n 3 | sed 's/^/ /'") != []
    assert _early_exit_pipelines("ps ax | grep -q gunicorn") != []
    assert _early_exit_pipelines("find . | sort | sed -n '1,3p'") == []
    assert _early_exit_pipelines("a || b | wc -l") == []
