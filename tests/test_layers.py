"""The packages point one way: billing <- storage <- payments <- services <- views <- handlers and
scheduler <- bot, with no view or handler reading storage itself. import-linter checks the
contracts in pyproject.toml over every import, those inside functions included."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def lint(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LINT, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(folder), "PATH": str(Path(sys.executable).parent)},
        timeout=120,
    )


def test_the_packages_keep_their_layers() -> None:
    checked = lint(ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 kept, 0 broken" in checked.stdout


def test_the_check_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    """The contracts catch what `bot/runtime.py` once hid: a cycle made by an import inside a
    function (here the domain reaching up to storage, which imports the domain)."""
    for package in (
        "billing",
        "storage",
        "payments",
        "services",
        "views",
        "handlers",
        "scheduler",
        "bot",
    ):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "storage" / "store.py").write_text("import billing.rules\n")
    (tmp_path / "billing" / "rules.py").write_text(
        textwrap.dedent(
            """
            def late() -> None:
                from storage import store  # hidden in a function
            """
        )
    )
    checked = lint(tmp_path)
    assert checked.returncode != 0, checked.stdout
    assert "billing.rules -> storage.store" in checked.stdout
