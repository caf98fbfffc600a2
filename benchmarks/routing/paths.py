"""Where the benchmarks find ../shared (read-only data kept out of the repository)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_dir() -> Path:
    """``$LOUISE_SHARED``, else the first ``shared`` folder next to the repository or above it.

    The repository may be a git worktree a level deeper than the main checkout, so the parents
    of the repository are searched in turn; the first existing ``shared`` wins.
    """
    env = os.environ.get("LOUISE_SHARED")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2]
    for parent in repo.parents:
        candidate = parent / "shared"
        if candidate.is_dir():
            return candidate
    return repo.parent / "shared"
