"""The layout's rules, kept by tests (see README, "How it fits together").

- Features (service/<feature>/) import each other only through the feature package itself,
  `from mizan.service.<feature> import name`, and only names in its `__all__`: the package's
  __init__ is its public interface. http/ and the core modules import no feature (readiness
  asks the classifier registry, through its package).
- Nothing imports mizan.worker except the worker itself (its entry points are celery -A and
  the `mizan worker` command, which name it as a string).
- No import cycles between modules (lazy imports inside functions count too).
- Only repositories (modules named repository.py) and db.py run SQL.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"service": "mizan.service", "worker": "mizan.worker", "models": "mizan.models"}
FEATURES = ("intake", "publishing", "policy", "desk", "classifier", "integrations")
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func", "and_", "or_"}


def modules() -> dict[str, Path]:
    out = {}
    for folder, prefix in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join([prefix, *parts])] = path
    return out


MODULES = modules()


def imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every absolute or relative import in the file, lazy ones included."""
    name = next(m for m, p in MODULES.items() if p == path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            out.append((base, [a.name for a in node.names]))
    return out


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["mizan", "service"] and len(parts) > 2 and parts[2] in FEATURES:
        return parts[2]
    return None


def test_features_import_each_other_only_through_their_package():
    bad = []
    for name, path in MODULES.items():
        if not name.startswith("mizan."):
            continue
        mine = feature_of(name)
        for target, names in imports(path):
            theirs = feature_of(target)
            if theirs is None or theirs == mine:
                continue
            where = f"{path.relative_to(ROOT)} imports {target} {names}"
            if target != f"mizan.service.{theirs}":
                bad.append(where + ": not the package")
                continue
            public = set(importlib.import_module(target).__all__)
            if not set(names) <= public:
                bad.append(where + f": not in __all__ {sorted(set(names) - public)}")
            if mine is None and name.startswith("mizan.service.http.") and theirs != "classifier":
                bad.append(where + ": http imports no feature")
    assert bad == []


def test_nothing_imports_the_worker_but_the_worker():
    bad = []
    for folder in ("service", "models", "migrations", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for target, _ in imports(path) if path in MODULES.values() else _plain(path):
                if target == "mizan.worker" or target.startswith("mizan.worker."):
                    bad.append(f"{path.relative_to(ROOT)} imports {target}")
    assert bad == []


def _plain(path: Path) -> list[tuple[str, list[str]]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [a.name for a in node.names]))
    return out


def test_no_import_cycles():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for target, names in imports(path):
            for candidate in [f"{target}.{n}" for n in names] + [target]:
                if candidate in MODULES and candidate != name:
                    # Importing a package's submodule runs the package's __init__ first, which
                    # is the submodule's own parent: that edge is structure, not a cycle.
                    if not name.startswith(candidate + "."):
                        graph[name].add(candidate)
                    break
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt) :] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(MODULES):
        if node not in state:
            visit(node, [])
    assert cycles == []


def test_only_repositories_run_sql():
    allowed = {"repository.py", "db.py", "tables.py"}  # tables: server defaults only
    bad = []
    for name, path in MODULES.items():
        if not name.startswith(("mizan.service", "mizan.worker")) or path.name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                used = SQL_NAMES & {a.name for a in node.names}
                if used:
                    bad.append(f"{path.relative_to(ROOT)} imports {sorted(used)}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "scalars", "scalar")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("conn", "connection", "session", "engine")
            ):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} calls .{node.func.attr}()")
    assert bad == []
