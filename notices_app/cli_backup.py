"""`flask backup create|verify|restore`: the database and the stored files, with a manifest."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from notices_app.rules.messages import Message

BACKUP_HELP = """Back up and restore the database and the stored files (PDFs, page images, uploads).

\b
  flask backup create /backups/notices-2026-11-26     # a new folder, complete or absent
  flask backup verify /backups/notices-2026-11-26     # check every file against the manifest
  flask backup restore /backups/notices-2026-11-26    # into an EMPTY database and storage folder

A backup folder holds the database (SQLite: online backup API; PostgreSQL: pg_dump -Fc, so
pg_dump/pg_restore of at least the server's version must be installed), storage/ with every
stored file, and manifest.json with the SHA-256 of each file, the Alembic revision and the
time. Restore refuses a backup that differs from its manifest, a backup of the other kind of
database, and a target that already holds data; it changes nothing when it refuses. To
restore: create an empty database (PostgreSQL: createdb), point NOTICES_DATABASE_URL and
NOTICES_STORAGE_DIR at it and an empty folder, run restore, then `flask db upgrade` if the
code is newer than the backup. A restore that was interrupted leaves a partial target: empty
it again (a new database, an empty folder) and run restore again.
"""


def _say(message: Message) -> str:
    return message.render("zh") + "\n" + message.render("en")


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.1f} KB"


def register_backup_cli(app: Flask) -> None:
    backup = click.Group("backup", help=BACKUP_HELP)

    @backup.command("create")
    @click.argument("dest", type=click.Path(path_type=Path))
    def create(dest: Path) -> None:
        """Back up the database and every stored file into the new folder DEST."""
        from notices_app.services import backup as service

        try:
            manifest = service.create(dest)
        except service.BackupRefused as err:
            raise click.ClickException(_say(err.message)) from err
        click.echo(f"备份完成 / backup written: {dest.resolve()}")
        click.echo(f"  数据库 / database: {manifest.dialect}, revision {manifest.alembic_revision or '-'}")
        click.echo(f"  文件 / files: {len(manifest.files)}, {_size(manifest.total_bytes)} in all")

    @backup.command("verify")
    @click.argument("src", type=click.Path(path_type=Path, exists=True, file_okay=False))
    def verify(src: Path) -> None:
        """Check the backup SRC against its manifest (exit 1 if anything differs)."""
        from notices_app.services import backup as service

        try:
            manifest = service.verify(src)
        except service.BackupRefused as err:
            raise click.ClickException(_say(err.message)) from err
        click.echo(
            f"校验通过 / backup intact: {manifest.created_at}, {manifest.dialect}, "
            f"{len(manifest.files)} files"
        )

    @backup.command("restore")
    @click.argument("src", type=click.Path(path_type=Path, exists=True, file_okay=False))
    def restore(src: Path) -> None:
        """Restore the backup SRC into the configured, empty database and storage folder.

        The whole backup is checked against its manifest first; nothing is written if any file
        differs or if the target database or storage folder already holds data.
        """
        from notices_app.services import backup as service

        try:
            done = service.restore(src)
        except service.BackupRefused as err:
            raise click.ClickException(_say(err.message)) from err
        m = done.manifest
        click.echo(f"恢复完成 / restored: backup of {m.created_at}, {len(m.files)} files")
        if done.code_head and done.code_head != m.alembic_revision:
            click.echo(
                f"数据库版本 {m.alembic_revision} 旧于代码 {done.code_head}：请运行 flask db upgrade / "
                f"the database is at {m.alembic_revision}, the code at {done.code_head}: run flask db upgrade"
            )

    app.cli.add_command(backup)
