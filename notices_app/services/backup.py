"""Backups of the database and the stored files (`flask backup create|verify|restore`).

A backup is a folder: `database.sqlite3` (SQLite's online backup API: a consistent copy while
the site runs) or `database.pgdump` (`pg_dump -Fc`, one snapshot transaction), `storage/` with
every stored file (frozen pages, web images, builds, uploaded artwork and photos), and
`manifest.json` with the SHA-256 of each, the Alembic revision and the time. The database is
dumped first and the files copied after: files are only ever added, so every file the dump
refers to is in the copy. The folder is assembled under a temporary name and renamed into
place when complete, so a backup that was interrupted never looks like a backup.

Restore checks the whole backup against its manifest before it touches anything, and only
restores into an empty target (a database without tables, a storage folder without files):
it never merges with or overwrites live data.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import URL

from notices_app.extensions import db
from notices_app.rules.backup_manifest import (
    FileEntry,
    Manifest,
    is_safe_path,
    manifest_from_json,
    problems,
)
from notices_app.rules.messages import Message, RuleError, msg
from notices_app.services import storage
from notices_app.services.crashpoints import crash_point
from notices_app.services.errors import Conflict

MANIFEST = "manifest.json"
FILES_DIR = "storage"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1 << 20


class BackupRefused(Conflict):
    """The backup or the target is not fit: nothing was changed."""


def _refused(message: Message) -> BackupRefused:
    return BackupRefused(message)


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    code_head: str | None  # the newest migration of this code (upgrade if it differs)


# --- helpers ------------------------------------------------------------------------------------


def _url() -> URL:
    return db.engine.url


def _dialect(url: URL) -> str:
    name = url.get_backend_name()
    if name not in DUMP_NAMES:
        raise _refused(
            msg(
                "backup.dialect",
                "不支持备份此类数据库：{name}",
                "Backups support SQLite and PostgreSQL, not {name}",
                name=name,
            )
        )
    return name


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise _refused(
            msg("backup.sqlite_memory", "内存数据库无法备份", "An in-memory database cannot be backed up")
        )
    return Path(url.database).resolve()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for pg_dump/pg_restore; the password goes in the environment
    (PGPASSWORD), not on a command line every user of the machine can read."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str]) -> None:
    tool = shutil.which(args[0])
    if tool is None:
        raise _refused(
            msg(
                "backup.tool_missing",
                "找不到 {tool}：请安装 PostgreSQL 客户端（版本不低于服务器）",
                "{tool} not found: install the PostgreSQL client tools (at least the server's version)",
                tool=args[0],
            )
        )
    done = subprocess.run([tool, *args[1:]], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise _refused(
            msg(
                "backup.tool_failed",
                "{tool} 失败（退出码 {code}）：{stderr}",
                "{tool} failed (exit {code}): {stderr}",
                tool=args[0],
                code=done.returncode,
                stderr=done.stderr.strip()[-2000:],
            )
        )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy(src: Path, dst: Path) -> tuple[str, int]:
    """Copy and sync a file, hashing what was read; (sha256, size)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with src.open("rb") as fin, dst.open("xb") as fout:
        while chunk := fin.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return digest.hexdigest(), size


def _stored_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every stored file under `root` by relative path, without writers' temporary files."""
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if name.startswith(".") and name.endswith(".tmp"):
                continue  # a write in progress (or one a crash interrupted): not stored data
            full = Path(folder) / name
            if full.is_file() and not full.is_symlink():
                yield full.relative_to(root).as_posix(), full


def _revision(conn: sa.Connection) -> str:
    try:
        return str(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() or "")
    except sa.exc.DBAPIError:
        return ""


def code_head() -> str | None:
    """The newest migration this code knows."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(current_app.root_path) / "migrations"))
    return ScriptDirectory.from_config(cfg).get_current_head()


# --- create -------------------------------------------------------------------------------------


def create(dest: Path) -> Manifest:
    """Back up the database and the stored files into the new folder `dest`.

    Refuses a `dest` that exists and is not empty. Returns the manifest written.
    """
    dest = dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise _refused(
            msg(
                "backup.dest_exists",
                "目标 {path} 已存在且不为空，请换一个新目录",
                "{path} already exists and is not empty: choose a new folder",
                path=str(dest),
            )
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".partial"))
    try:
        manifest = _write_backup(work)
        if dest.exists():
            dest.rmdir()
        os.replace(work, dest)
        _fsync(dest.parent)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _write_backup(work: Path) -> Manifest:
    url = _url()
    dialect = _dialect(url)
    dump = work / DUMP_NAMES[dialect]
    if dialect == "sqlite":
        db.session.remove()  # no transaction of ours holds the file while it is copied
        src = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
        dst = sqlite3.connect(dump)
        try:
            src.backup(dst)  # an online, consistent copy page by page
        finally:
            dst.close()
            src.close()
        snapshot = sa.create_engine(f"sqlite:///{dump}")
        with snapshot.connect() as conn:
            revision = _revision(conn)
        snapshot.dispose()
    else:
        with db.engine.connect() as conn:
            revision = _revision(conn)
        conninfo, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", conninfo], env)
    _fsync(dump)
    db_sha, db_size = _hash_file(dump)
    entries = []
    root = storage.root()
    for relative, full in _stored_files(root):
        sha, size = _copy(full, work / FILES_DIR / relative)
        readonly = not full.stat().st_mode & 0o222
        entries.append(FileEntry(relative, sha, size, readonly))
    manifest = Manifest(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        dialect=dialect,
        alembic_revision=revision,
        database=FileEntry(dump.name, db_sha, db_size),
        files=tuple(entries),
    )
    crash_point("backup.before_manifest")
    storage.write_atomic(work / MANIFEST, manifest.to_json())
    for folder, _dirs, _names in os.walk(work, topdown=False):
        _fsync(Path(folder))
    return manifest


# --- verify -------------------------------------------------------------------------------------


def verify(src: Path) -> Manifest:
    """Check every file of the backup `src` against its manifest; BackupRefused if any differs."""
    src = src.resolve()
    manifest_path = src / MANIFEST
    if not manifest_path.is_file():
        raise _refused(
            msg(
                "backup.not_a_backup",
                "{path} 不是备份目录（没有 manifest.json）",
                "{path} is not a backup (no manifest.json)",
                path=str(src),
            )
        )
    try:
        manifest = manifest_from_json(manifest_path.read_bytes())
    except RuleError as err:
        raise _refused(err.message) from None
    if manifest.database.path != DUMP_NAMES[manifest.dialect]:
        raise _refused(
            msg(
                "backup.manifest_malformed",
                "备份清单中的数据库文件名不符：{path}",
                "The manifest names an unexpected database file: {path}",
                path=manifest.database.path,
            )
        )
    dump = src / manifest.database.path
    database = _hash_file(dump) if dump.is_file() else None
    files_root = src / FILES_DIR
    found: dict[str, tuple[str, int]] = {}
    for folder, _dirs, names in os.walk(files_root):
        for name in names:
            full = Path(folder) / name
            relative = full.relative_to(files_root).as_posix()
            regular = full.is_file() and not full.is_symlink()
            found[relative] = _hash_file(full) if regular else ("", -1)
    wrong = problems(manifest, database, found)
    if wrong:
        raise _refused(
            msg(
                "backup.tampered",
                "备份 {path} 未通过校验，拒绝恢复，未做任何改动：\n{list_zh}",
                "The backup {path} failed verification; restore refused and nothing was changed:\n{list_en}",
                path=str(src),
                list_zh="\n".join(f"  - {m.render('zh')}" for m in wrong),
                list_en="\n".join(f"  - {m.render('en')}" for m in wrong),
            )
        )
    return manifest


# --- restore ------------------------------------------------------------------------------------


def _target_problems(dialect: str) -> list[Message]:
    out = []
    url = _url()
    here = _dialect(url)
    if here != dialect:
        out.append(
            msg(
                "backup.dialect_mismatch",
                "备份来自 {backup} 数据库，目标是 {target}：不能恢复到不同类型的数据库",
                "The backup is of a {backup} database and the target is {target}: they must match",
                backup=dialect,
                target=here,
            )
        )
    db.session.remove()
    tables = sa.inspect(db.engine).get_table_names()
    if tables:
        out.append(
            msg(
                "backup.target_not_empty",
                "目标数据库不是空的（已有 {n} 张表，例如 {example}）：请恢复到一个新的空数据库",
                "The target database is not empty ({n} tables, e.g. {example}): restore into a new, "
                "empty database",
                n=len(tables),
                example=sorted(tables)[0],
            )
        )
    root = storage.root()
    existing = next(_stored_files(root), None)
    if existing is not None:
        out.append(
            msg(
                "backup.storage_not_empty",
                "目标文件目录 {root} 不是空的（例如 {example}）：请恢复到一个空目录",
                "The target storage folder {root} is not empty (e.g. {example}): restore into an empty folder",
                root=str(root),
                example=existing[0],
            )
        )
    return out


def restore(src: Path) -> Restored:
    """Restore the backup `src` into this app's (empty) database and storage folder.

    Verifies the backup against its manifest and checks that the target is empty before
    anything is written; BackupRefused otherwise. Files go first and the database last, so a
    database that is there always finds its files.
    """
    src = src.resolve()
    manifest = verify(src)
    wrong = _target_problems(manifest.dialect)
    if wrong:
        raise _refused(wrong[0])
    for entry in manifest.files:
        if not is_safe_path(entry.path):  # verify() checked this; the storage root is at stake
            raise _refused(msg("backup.unsafe", "不安全的路径 {p}", "Unsafe path {p}", p=entry.path))
        data = (src / FILES_DIR / entry.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:  # changed since verify()
            raise _refused(
                msg(
                    "backup.file_changed",
                    "文件 {path} 在恢复时被改动，恢复中止",
                    "File {path} changed during the restore: stopped",
                    path=entry.path,
                )
            )
        target = storage.path_of(entry.path)
        storage.write_atomic(target, data)
        if entry.readonly:
            os.chmod(target, 0o444)
    dump = src / manifest.database.path
    url = _url()
    db.session.remove()
    db.engine.dispose()
    if manifest.dialect == "sqlite":
        src_conn = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        dst_conn = sqlite3.connect(_sqlite_path(url))
        try:
            src_conn.backup(dst_conn)
        finally:
            dst_conn.close()
            src_conn.close()
    else:
        conninfo, env = _libpq(url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                f"--dbname={conninfo}",
                str(dump),
            ],
            env,
        )
    with db.engine.connect() as conn:
        revision = _revision(conn)
    if revision != manifest.alembic_revision:
        raise _refused(
            msg(
                "backup.revision_mismatch",
                "恢复后的数据库版本 {found} 与备份清单 {expected} 不符",
                "The restored database is at revision {found}, the manifest says {expected}",
                found=revision or "-",
                expected=manifest.alembic_revision or "-",
            )
        )
    return Restored(manifest, code_head())
