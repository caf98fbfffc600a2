"""Password hashing with argon2id at (or above) OWASP's minimum cost.

OWASP's minimum for argon2id: m=19 MiB, t=2, p=1. Configuration may raise, never lower it.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

OWASP_MIN_TIME_COST = 2
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_PARALLELISM = 1

_hasher = PasswordHasher(
    time_cost=OWASP_MIN_TIME_COST,
    memory_cost=OWASP_MIN_MEMORY_KIB,
    parallelism=OWASP_MIN_PARALLELISM,
    type=Type.ID,
)


def configure(time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set the cost; values below OWASP's minimum are raised to it."""
    global _hasher
    _hasher = PasswordHasher(
        time_cost=max(time_cost, OWASP_MIN_TIME_COST),
        memory_cost=max(memory_kib, OWASP_MIN_MEMORY_KIB),
        parallelism=max(parallelism, OWASP_MIN_PARALLELISM),
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# Verified against when the account does not exist, so that a miss costs as much as a hit.
_DUMMY_HASH = _hasher.hash("louise-dummy-password")


def burn_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)
