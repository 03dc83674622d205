"""Files the system keeps (edition PDFs, page images, uploads) under one storage root.

Every write is atomic: a temporary file in the same folder, fsync, rename, then fsync of the
folder, so a crash leaves either the old file or the new one, never half of one. Paths handed
around and stored in the database are relative to the root; `path_of` refuses anything that
would escape it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import current_app


def root() -> Path:
    configured = current_app.config.get("STORAGE_DIR") or os.path.join(current_app.instance_path, "storage")
    path = Path(configured).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(relative: str) -> Path:
    """The absolute path of a stored file; ValueError for a path outside the storage root."""
    base = root()
    full = (base / relative).resolve()
    if full != base and base not in full.parents:
        raise ValueError(f"not a storage path: {relative!r}")
    return full


def _fsync_dir(path: Path) -> None:
    dir_fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def make_dirs(path: Path) -> None:
    """`mkdir -p` whose new folders survive a power cut: each new one is synced into its parent."""
    if path.is_dir():
        return
    make_dirs(path.parent)
    try:
        path.mkdir()
    except FileExistsError:
        return  # another writer made it (and synced it)
    _fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old content or the new, never a torn file."""
    make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def store(relative: str, data: bytes) -> str:
    """Write a file under the storage root atomically and return its SHA-256 (hex)."""
    write_atomic(path_of(relative), data)
    return hashlib.sha256(data).hexdigest()


def read(relative: str) -> bytes:
    return path_of(relative).read_bytes()
