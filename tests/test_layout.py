"""The house: imports run down the pipeline's layers, never up, and no module imports itself
back through another (no cycles)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "sim"

# Lowest first: a module may import its own layer and those below it.
LAYERS = [
    ("sim.errors", "sim.defaults"),
    ("sim.core",),
    ("sim.calibration",),
    ("sim.scenario",),
    ("sim.engine",),
    ("sim.analysis",),
    ("sim.report",),
    ("sim.session", "sim.results"),
    ("sim.api", "sim.reporting"),
    ("sim.cli", "sim.__main__"),
]


def layer(module: str) -> int:
    for number, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return number
    raise AssertionError(f"{module} is in no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[str]:
    """Every sim module ``path`` imports, at the top or inside functions."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            found += [n if _is_module(n) else node.module for n in names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("sim")]
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (SRC / relative).with_suffix(".py").exists() or (SRC / relative).is_dir()


def test_imports_run_down_the_layers():
    upward = []
    for path in SRC.rglob("*.py"):
        here = module_name(path)
        if here == "sim":  # the package re-exports the API lazily
            continue
        for imported in imports(path):
            if imported == "sim":  # ``from sim import __version__``
                continue
            if layer(imported) > layer(here):
                upward.append(f"{here} imports {imported}")
    assert upward == []


def test_the_engine_never_sees_the_scenario_format():
    for path in (SRC / "engine").rglob("*.py"):
        assert not [i for i in imports(path) if i.startswith("sim.scenario")], path
