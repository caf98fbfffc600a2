"""Run VROOM (pyvroom, the ``bench`` extra) on the same VROOM JSON our solver reads."""

from __future__ import annotations

import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from louise.routing import Problem, Solution


def vroom_available() -> bool:
    try:
        import vroom  # noqa: F401
    except ImportError:
        return False
    return True


def solve_with_vroom(
    problem: Problem,
    *,
    exploration_level: int = 5,
    threads: int = 1,
    timeout: float | None = None,
) -> tuple[Solution, float]:
    """VROOM's answer as a louise Solution, and its wall time in seconds."""
    import vroom

    data: dict[str, Any] = problem.to_vroom()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "problem.json"
        path.write_text(json.dumps(data))
        t0 = time.monotonic()
        inp = vroom.Input.from_json(path)
        limit = timedelta(seconds=timeout) if timeout is not None else None
        result = inp.solve(exploration_level=exploration_level, nb_threads=threads, timeout=limit)
        wall = time.monotonic() - t0
    return Solution.from_vroom(result.to_dict()), wall
