"""The manifest of a backup and the check of a backup against it (pure: no files are read here).

A backup folder holds the database dump, a copy of the stored files under `storage/`, and
`manifest.json` listing the SHA-256 and size of each. `problems()` compares what the services
found on disk with the manifest; restore refuses a backup with any problem before it touches
the target. The hashes catch a damaged or edited backup; they are not a signature (whoever
can rewrite the manifest can rewrite the hashes), so backups are kept where only operators write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from notices_app.rules.messages import Message, RuleError, msg

FORMAT = 1
DIALECTS = ("sqlite", "postgresql")
# More problems than this are summed up: a wrong folder would otherwise list every file.
MAX_LISTED = 10


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative, "/"-separated
    sha256: str
    size: int
    readonly: bool = False  # frozen pages are restored read-only, as publishing left them


@dataclass(frozen=True)
class Manifest:
    created_at: str  # ISO 8601, UTC
    dialect: str
    alembic_revision: str
    database: FileEntry
    files: tuple[FileEntry, ...]
    format: int = FORMAT

    def to_json(self) -> bytes:
        data = {
            "format": self.format,
            "created_at": self.created_at,
            "dialect": self.dialect,
            "alembic_revision": self.alembic_revision,
            "database": _entry_data(self.database),
            "files": [_entry_data(f) for f in sorted(self.files, key=lambda f: f.path)],
        }
        return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    @property
    def total_bytes(self) -> int:
        return self.database.size + sum(f.size for f in self.files)


def _entry_data(entry: FileEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"path": entry.path, "sha256": entry.sha256, "size": entry.size}
    if entry.readonly:
        out["readonly"] = True
    return out


def _malformed(detail: str) -> RuleError:
    return RuleError(
        msg(
            "backup.manifest_malformed",
            "备份清单 manifest.json 无法读取（{detail}），拒绝恢复",
            "The backup manifest manifest.json cannot be read ({detail}): restore refused",
            detail=detail,
        )
    )


def is_safe_path(path: str) -> bool:
    """A relative path that stays inside the folder it is joined to."""
    p = PurePosixPath(path)
    return (
        bool(path) and not p.is_absolute() and ".." not in p.parts and "\\" not in path and "\0" not in path
    )


def _entry(raw: Any) -> FileEntry:
    if not isinstance(raw, dict):
        raise _malformed("entry is not an object")
    path, sha, size = raw.get("path"), raw.get("sha256"), raw.get("size")
    if not isinstance(path, str) or not is_safe_path(path):
        raise _malformed(f"unsafe path {path!r}")
    if not isinstance(sha, str) or len(sha) != 64:
        raise _malformed(f"bad sha256 for {path}")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _malformed(f"bad size for {path}")
    return FileEntry(path, sha, size, bool(raw.get("readonly", False)))


def manifest_from_json(data: bytes) -> Manifest:
    """Parse a manifest; RuleError when it is not one this code can restore."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise _malformed(f"not JSON: {err}") from None
    if not isinstance(raw, dict):
        raise _malformed("not an object")
    if raw.get("format") != FORMAT:
        raise _malformed(f"format {raw.get('format')!r}, this version reads {FORMAT}")
    if raw.get("dialect") not in DIALECTS:
        raise _malformed(f"unknown database {raw.get('dialect')!r}")
    created, revision, files = raw.get("created_at"), raw.get("alembic_revision"), raw.get("files")
    if not isinstance(created, str) or not isinstance(revision, str) or not isinstance(files, list):
        raise _malformed("created_at, alembic_revision or files missing")
    entries = tuple(_entry(f) for f in files)
    if len({e.path for e in entries}) != len(entries):
        raise _malformed("a file is listed twice")
    return Manifest(created, str(raw["dialect"]), revision, _entry(raw.get("database")), entries)


def problems(
    manifest: Manifest, database: tuple[str, int] | None, found: Mapping[str, tuple[str, int]]
) -> list[Message]:
    """What differs between the manifest and the backup as found: (sha256, size) of the dump
    (None: missing) and of every file under storage/ by relative path. Empty when intact."""
    out: list[Message] = []
    if database is None:
        out.append(
            msg(
                "backup.database_missing",
                "备份中缺少数据库文件 {path}",
                "The database dump {path} is missing from the backup",
                path=manifest.database.path,
            )
        )
    elif database != (manifest.database.sha256, manifest.database.size):
        out.append(
            msg(
                "backup.database_changed",
                "数据库文件 {path} 与清单不符（SHA-256 或大小不同），备份已损坏或被改动",
                "The database dump {path} does not match the manifest (SHA-256 or size): "
                "the backup is damaged or was altered",
                path=manifest.database.path,
            )
        )
    listed = {f.path: f for f in manifest.files}
    for path in sorted(listed.keys() - found.keys()):
        out.append(
            msg(
                "backup.file_missing",
                "备份中缺少文件 {path}",
                "File {path} is missing from the backup",
                path=path,
            )
        )
    for path in sorted(listed.keys() & found.keys()):
        entry = listed[path]
        if found[path] != (entry.sha256, entry.size):
            out.append(
                msg(
                    "backup.file_changed",
                    "文件 {path} 与清单不符（SHA-256 或大小不同），备份已损坏或被改动",
                    "File {path} does not match the manifest (SHA-256 or size): the backup is "
                    "damaged or was altered",
                    path=path,
                )
            )
    for path in sorted(found.keys() - listed.keys()):
        out.append(
            msg(
                "backup.file_extra",
                "备份中有清单未列出的文件 {path}",
                "File {path} is in the backup but not in its manifest",
                path=path,
            )
        )
    if len(out) > MAX_LISTED:
        more = len(out) - MAX_LISTED
        out = [
            *out[:MAX_LISTED],
            msg("backup.more_problems", "另有 {n} 处不符", "and {n} more problems", n=more),
        ]
    return out
