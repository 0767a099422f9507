"""The simulator is the independent side of the differential tests: it must never reach the evaluator."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import kmspolicy

FORBIDDEN = ("kmspolicy.evaluate", "kmspolicy.conditions", "kmspolicy.catalog")
PACKAGE = Path(kmspolicy.__file__).parent


@cache
def _module_file(name: str) -> Path | None:
    relative = Path(*name.split("."))
    for candidate in (
        PACKAGE.parent / relative.with_suffix(".py"),
        PACKAGE.parent / relative / "__init__.py",
    ):
        if candidate.is_file():
            return candidate
    return None


@cache
def _imports(name: str, path: Path) -> frozenset[str]:
    """Every kmspolicy module a module imports (absolute or relative, at any depth in the file)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # `import a.b.c` also runs a and a.b
    parents = {".".join(n.split(".")[:i]) for n in found for i in range(1, n.count(".") + 1)}
    return frozenset(n for n in found | parents if n.startswith("kmspolicy") and _module_file(n) is not None)


def reachable(start: str) -> dict[str, str]:
    """Every kmspolicy module reachable from `start`, mapped to the module that first imported it."""
    seen = {start: start}
    todo = [start]
    while todo:
        current = todo.pop()
        path = _module_file(current)
        assert path is not None, current
        for name in _imports(current, path):
            if name not in seen:
                seen[name] = current
                todo.append(name)
    return seen


def test_simulator_never_reaches_the_evaluator() -> None:
    modules = ["kmspolicy.simulator"] + [
        "kmspolicy.simulator." + ".".join(p.relative_to(PACKAGE / "simulator").with_suffix("").parts)
        for p in sorted((PACKAGE / "simulator").rglob("*.py"))
        if p.name != "__init__.py"
    ]
    for module in modules:
        found = reachable(module)
        bad = {name: via for name, via in found.items() if name.startswith(FORBIDDEN)}
        assert not bad, f"{module} reaches {bad}"


def test_the_walker_would_notice_a_forbidden_import() -> None:
    """Guard against a walker that finds nothing: a rule module that uses the evaluator reaches it."""
    assert "kmspolicy.evaluate" in reachable("kmspolicy.rules.exposure")
    assert "kmspolicy.model" in reachable("kmspolicy.simulator")
