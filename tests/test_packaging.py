"""The installed package must carry everything the tracked source tree ships: `pip install .`
then `mizan up` works on a machine with no checkout (templates, static files, migrations,
the shipped model)."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("service", "worker", "models", "migrations")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in out.stdout.splitlines() if f and (ROOT / f).exists()]


@pytest.mark.slow
def test_wheel_contains_every_tracked_package_file(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("mizan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = [f for f in tracked_files() if not f.endswith((".md",)) or "/eval/" in f]
    missing = sorted(f for f in wanted if f not in names)
    assert missing == []
    assert any(n.startswith("mizan-") and n.endswith("entry_points.txt") for n in names)


def test_dependency_direction():
    """models imports none of the others; service never imports worker."""
    forbidden = {
        "models": {"service", "worker", "flask", "celery", "sqlalchemy"},
        "service": {"worker"},
    }
    bad = []
    for package, banned in forbidden.items():
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "service" / "cli.py":  # the command line is the entry point of all
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    if name.split(".")[0] in banned:
                        bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []
