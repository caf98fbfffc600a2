"""Proof-of-delivery files: photos and signature images, stored outside the database.

Rules:
- a file is accepted only if its *content* is a JPEG (``FF D8 FF``) or a PNG
  (``89 50 4E 47 0D 0A 1A 0A``); the client's content type and file name are not trusted;
- at most ``max_bytes`` (``LOUISE_MAX_UPLOAD_BYTES``, 5 MB) — larger is 413;
- the client's file name is never used to store the file, but a name with a path in it
  (``/``, ``\\``, ``..``) or a NUL byte is refused with 400 naming the field: such a name
  is an attack or a broken client, and either deserves an answer rather than silence;
- the file gets a random server-side name under ``<upload_dir>/proofs/``; the database
  keeps only that relative name (``PlanStop.proof_ref``).

No Flask here: the view reads the upload and hands over bytes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from louise.errors import BadRequest, DomainError, ValidationFailed

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PROOF_SUBDIR = "proofs"
_FORBIDDEN_IN_NAMES = ("/", "\\", "..", "\x00")


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class UnsupportedImage(DomainError):
    status, code = 415, "unsupported_media_type"


@dataclass(frozen=True)
class StoredProof:
    ref: str  # relative to the upload directory, e.g. "proofs/3f…a1.jpg"
    content_type: str
    size: int


def _files_error(field: str, message: str) -> dict[str, dict[str, list[str]]]:
    return {"files": {field: [message]}}


def check_filename(field: str, filename: str | None) -> None:
    """Refuse client file names that carry a path or a NUL byte (400 naming ``field``)."""
    if filename and any(part in filename for part in _FORBIDDEN_IN_NAMES):
        raise BadRequest(
            f"The file name of {field!r} must not contain a path.",
            fields=_files_error(field, "File name must not contain '/', '\\', '..' or NUL."),
        )


def sniff(data: bytes) -> tuple[str, str] | None:
    """``(content type, extension)`` of a JPEG or PNG by its first bytes, else None."""
    if data.startswith(JPEG_MAGIC):
        return "image/jpeg", "jpg"
    if data.startswith(PNG_MAGIC):
        return "image/png", "png"
    return None


def store_image(
    upload_dir: Path, field: str, filename: str | None, data: bytes, max_bytes: int
) -> StoredProof:
    """Check and store one uploaded image; returns where it went (relative path)."""
    check_filename(field, filename)
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"{field!r} is larger than {max_bytes} bytes.",
            fields=_files_error(field, f"At most {max_bytes} bytes."),
        )
    if not data:
        raise ValidationFailed(f"{field!r} is empty.", fields=_files_error(field, "Empty file."))
    kind = sniff(data)
    if kind is None:
        raise UnsupportedImage(
            f"{field!r} is not a JPEG or PNG image.",
            fields=_files_error(field, "Must be a JPEG or PNG image."),
        )
    content_type, extension = kind
    folder = upload_dir / PROOF_SUBDIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{extension}"
    # Write to a temporary file first: a crash never leaves half an image under a real name.
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o640)
        os.replace(tmp, folder / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return StoredProof(ref=f"{PROOF_SUBDIR}/{name}", content_type=content_type, size=len(data))


def remove(upload_dir: Path, ref: str) -> None:
    """Delete a stored proof (used when the change it belonged to is rolled back)."""
    with contextlib.suppress(FileNotFoundError):
        (upload_dir / ref).unlink()
