"""The routing core stays a pure library (the import-linter contract, checked without it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ["problem", "matrix", "solver", "solution", "validate", "vroom_json"]
# the solver may call its second engine (louise.routing.engines: pyvrp, pure as well)
ALLOWED_LOUISE = {f"louise.routing.{m}" for m in CORE} | {
    "louise.routing.engines",
    "louise.routing.engines.pyvrp_seed",
}
SOLVER = ROOT / "louise" / "routing" / "solver"
CORE_FILES = [f"{m}.py" for m in CORE if m != "solver"] + [
    f"solver/{p.name}" for p in sorted(SOLVER.glob("*.py"))
]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", CORE_FILES)
def test_core_module_imports_only_stdlib_numpy_and_ortools(module: str) -> None:
    for name in imported_modules(ROOT / "louise" / "routing" / module):
        top = name.split(".")[0]
        if top == "louise":
            allowed = name in ALLOWED_LOUISE or name.startswith("louise.routing.solver.")
            assert allowed, f"{module} imports {name}"
        elif top == "ortools":
            assert module.startswith("solver/"), f"only solver/ may import OR-Tools, not {module}"
        else:
            assert top in sys.stdlib_module_names or top in {"numpy"}, f"{module}: {name}"


def test_solve_imports_on_its_own() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from louise.routing import solve, validate; print('ok')"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
