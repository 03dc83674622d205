"""Throwaway installations of the app for tests that run the real CLI in subprocesses: a database
of its own (an SQLite file, or a fresh PostgreSQL database when NOTICES_TEST_DATABASE_URL names
a server) and a storage folder of its own (a unique module name: test folders share one import
path)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"
# Long enough for a 2-page build on a busy 2-core machine; a hang fails instead of blocking CI.
TIMEOUT = 300


def pg_base() -> str:
    url = os.environ.get("NOTICES_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else ""


def _pg_admin(sql: str) -> None:
    engine = sa.create_engine(pg_base(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


@dataclass
class Site:
    """One installation: database URL, storage folder, and the environment its CLI runs with."""

    folder: Path
    url: str
    pg_name: str | None = None
    env_extra: dict[str, str] = field(default_factory=dict)
    _app: Flask | None = None

    @property
    def storage(self) -> Path:
        return self.folder / "storage"

    def env(self, crash_at: str | None = None, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NOTICES_")}
        env.update(
            FLASK_APP="wsgi",
            NOTICES_DATABASE_URL=self.url,
            NOTICES_STORAGE_DIR=str(self.storage),
            NOTICES_SECRET_KEY="cli-test-secret-0123456789abcdef0123456789abcdef",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env_extra)
        env.update(extra)
        if crash_at:
            env["NOTICES_CRASH_AT"] = crash_at
        return env

    def flask(
        self, *args: str, crash_at: str | None = None, check: bool = True, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """Run `flask ARGS` for this site; with `check`, fail the test on a non-zero exit."""
        done = subprocess.run(
            [str(FLASK), *args],
            cwd=ROOT,
            env=self.env(crash_at, **extra),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"flask {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def spawn(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(FLASK), *args],
            cwd=ROOT,
            env=self.env(None, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @contextmanager
    def context(self) -> Iterator[None]:
        """An app context on this site's database, in this process, for looking at the state.

        Everything is read fresh, and the connections are closed on leaving so the next
        subprocess finds no lock of ours (SQLite) and the database can be dropped (PostgreSQL).
        """
        from notices_app import create_app
        from notices_app.config import env_overrides
        from notices_app.extensions import db

        if self._app is None:
            self._app = create_app(
                {
                    "TESTING": True,
                    "SQLALCHEMY_DATABASE_URI": self.url,
                    "STORAGE_DIR": str(self.storage),
                    "SECRET_KEY": "cli-test-secret-0123456789abcdef0123456789abcdef",
                    **env_overrides(self.env_extra),
                }
            )
        with self._app.app_context():
            try:
                yield
            finally:
                db.session.remove()
                db.engine.dispose()

    def clone(self, folder: Path) -> Site:
        """A copy of this site (database and files) in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        if self.storage.exists():
            shutil.copytree(self.storage, folder / "storage")
        if self.pg_name:
            name = f"notices_cli_{uuid.uuid4().hex[:10]}"
            _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_name}"')
            url = pg_base().rsplit("/", 1)[0] + "/" + name
            return Site(folder, url, name, dict(self.env_extra))
        shutil.copyfile(self.folder / "site.sqlite3", folder / "site.sqlite3")
        return Site(folder, f"sqlite:///{folder / 'site.sqlite3'}", None, dict(self.env_extra))

    def drop(self) -> None:
        if self.pg_name:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


def new_site(folder: Path, **env_extra: str) -> Site:
    """An empty site: a new database (no tables) and no files."""
    folder.mkdir(parents=True, exist_ok=True)
    if pg_base():
        name = f"notices_cli_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        return Site(folder, pg_base().rsplit("/", 1)[0] + "/" + name, name, env_extra)
    return Site(folder, f"sqlite:///{folder / 'site.sqlite3'}", None, env_extra)


def table_rows(site: Site) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key (for comparing two databases)."""
    from notices_app.extensions import db
    from notices_app.models import Base

    out: dict[str, list[tuple[Any, ...]]] = {}
    with site.context():
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in db.session.execute(sa.select(table).order_by(*order))]
    return out


def file_hashes(root: Path) -> dict[str, str]:
    import hashlib

    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
