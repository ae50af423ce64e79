"""The installed package must carry everything the tracked source tree ships: `pip install .`
then `mizan up` works on a machine with no checkout (templates, static files, migrations,
the shipped model)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("service", "worker", "models", "migrations")
CODE = (*PACKAGES, "tests", "bench")


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [f for f in out.stdout.splitlines() if f and (ROOT / f).exists()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [built] = out.glob("mizan-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_every_tracked_package_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = ["mizan/" + f for f in tracked_files() if not f.endswith((".md",)) or "/eval/" in f]
    missing = sorted(f for f in wanted if f not in names)
    assert missing == []
    assert any(n.startswith("mizan-") and n.endswith("entry_points.txt") for n in names)


@pytest.mark.slow
def test_wheel_installs_only_the_mizan_namespace(wheel):
    tops = {n.split("/")[0] for n in zipfile.ZipFile(wheel).namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"mizan"}
    assert [t.split("-")[0] for t in dist_info] == ["mizan"]


@pytest.mark.slow
def test_wheel_works_in_a_fresh_venv_outside_the_checkout(wheel, tmp_path):
    """`pip install` the wheel into a new venv, then `mizan --help` away from the checkout."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel],
        check=True,
        capture_output=True,
        env=env,
    )
    purelib = subprocess.run(
        [bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()
    installed = sorted(p.name for p in Path(purelib).iterdir() if "mizan" in p.name)
    assert installed == ["mizan", f"{wheel.name.split('-py')[0]}.dist-info"]
    # The dependencies come from the test environment; a path added by a .pth file is not a
    # site directory, so the checkout's editable install there is not picked up.
    deps = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "test-deps.pth").write_text(deps + "\n")
    done = subprocess.run(
        [bin_dir / "mizan", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "Mizan" in done.stdout
    where = subprocess.run(
        [
            bin_dir / "python",
            "-c",
            "import mizan.models, mizan.service; "
            "print(mizan.models.__file__); print(mizan.service.__file__)",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(w.startswith(purelib) for w in where), where


def test_dependency_direction():
    """models imports none of the others; service never imports worker (the CLI included)."""
    forbidden = {
        "models": {"mizan.service", "mizan.worker", "flask", "celery", "sqlalchemy"},
        "service": {"mizan.worker"},
    }
    bad = []
    for package, banned in forbidden.items():
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                for name in names:
                    if any(name == b or name.startswith(b + ".") for b in banned):
                        bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


def test_nothing_imports_the_bare_top_level_names():
    """Installed, the code lives under `mizan.`; a bare `import service` works only by accident
    of the working directory and would load a second copy of every module."""
    bad = []
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            if ".venv" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                bad += [
                    f"{path.relative_to(ROOT)} imports {n}"
                    for n in names
                    if n.split(".")[0] in PACKAGES
                ]
    assert bad == []
