"""`flask backup create|verify|restore` through the real CLI: a round trip of a published edition
(every row and every file comes back, frozen pages read-only), and the refusals: a damaged or
altered backup, a target that holds data. On PostgreSQL when NOTICES_TEST_DATABASE_URL is set
(pg_dump -Fc / pg_restore), else SQLite (the online backup API)."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from clisites import Site, file_hashes, new_site, table_rows
from sqlalchemy import func, select

from notices_app.extensions import db
from notices_app.models import Notice, NoticeRun, PublishedNotice


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, date]]:
    """A seeded site whose demo edition is built and published (frozen, read-only pages)."""
    site = new_site(tmp_path_factory.mktemp("backup-source"))
    site.flask("db", "upgrade")
    site.flask("seed-demo", "--quiet")
    with site.context():
        day = db.session.scalar(
            select(func.min(NoticeRun.run_date))
            .join(Notice, Notice.id == NoticeRun.notice_id)
            .where(Notice.status == "approved")
        )
    assert day is not None
    site.flask("edition", "build", day.isoformat())
    site.flask("edition", "publish", day.isoformat())
    yield site, day
    site.drop()


@pytest.fixture(scope="module")
def backup(published: tuple[Site, date], tmp_path_factory: pytest.TempPathFactory) -> Path:
    site, _ = published
    dest = tmp_path_factory.mktemp("backups") / "notices-backup"
    done = site.flask("backup", "create", str(dest))
    assert "备份完成 / backup written" in done.stdout
    return dest


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Site]:
    target = new_site(tmp_path / "target")
    yield target
    target.drop()


def _is_empty(site: Site) -> bool:
    with site.context():
        tables = sa.inspect(db.engine).get_table_names()
    files = file_hashes(site.storage) if site.storage.exists() else {}
    return not tables and not files


def test_round_trip_restores_every_row_and_file(
    published: tuple[Site, date], backup: Path, tmp_path: Path
) -> None:
    source, day = published
    rows, files = table_rows(source), file_hashes(source.storage)
    assert rows["published_notice"] and rows["edition_build"] and rows["payment"]
    frozen = sorted(p for p in files if p.startswith(f"published/{day.isoformat()}/page-"))
    assert frozen, "the published edition has frozen pages"

    manifest = json.loads((backup / "manifest.json").read_text("utf-8"))
    assert {f["path"] for f in manifest["files"]} == set(files)
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == files
    assert {f["path"] for f in manifest["files"] if f.get("readonly")} >= set(frozen)
    assert manifest["alembic_revision"] and manifest["dialect"] == source.url.split(":")[0].split("+")[0]
    assert source.flask("backup", "verify", str(backup)).returncode == 0

    # The disaster: the database and the files are gone. Restore into a new, empty site.
    target = new_site(tmp_path / "restored")
    try:
        done = target.flask("backup", "restore", str(backup))
        assert "恢复完成 / restored" in done.stdout
        assert table_rows(target) == rows
        assert file_hashes(target.storage) == files
        for rel in frozen:
            assert not (target.storage / rel).stat().st_mode & 0o222, f"{rel} restored writable"

        # The restored site works: publishing again changes nothing, and new rows get new ids
        # (PostgreSQL's sequences came back with the data).
        target.flask("db", "upgrade")
        target.flask("edition", "publish", day.isoformat())
        assert file_hashes(target.storage) == files
        target.flask(
            "users", "create", "after-restore@example.cn", "--role", "editor", "--password", "pw-123456789"
        )
        with target.context():
            assert db.session.scalar(select(func.count()).select_from(PublishedNotice)) == len(
                rows["published_notice"]
            )
    finally:
        target.drop()


def _tamper_file(copy: Path) -> str:
    page = next(p for p in sorted((copy / "storage" / "published").rglob("page-*.pdf")))
    page.chmod(0o644)
    data = bytearray(page.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit: the size stays, only the hash can tell
    page.write_bytes(bytes(data))
    return page.relative_to(copy / "storage").as_posix()


def _tamper_database(copy: Path) -> str:
    dump = next(p for p in copy.iterdir() if p.name.startswith("database."))
    with dump.open("ab") as fh:
        fh.write(b"\0")
    return dump.name


def _remove_file(copy: Path) -> str:
    image = next(p for p in sorted((copy / "storage").rglob("*.png")))
    image.unlink()
    return image.relative_to(copy / "storage").as_posix()


def _add_file(copy: Path) -> str:
    (copy / "storage" / "published" / "extra.pdf").write_bytes(b"%PDF-1.4 not ours")
    return "published/extra.pdf"


def _edit_manifest(copy: Path) -> str:
    manifest = json.loads((copy / "manifest.json").read_text("utf-8"))
    manifest["files"][0]["path"] = "../../outside.pdf"
    (copy / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return "../../outside.pdf"


@pytest.mark.parametrize(
    "tamper",
    [_tamper_file, _tamper_database, _remove_file, _add_file, _edit_manifest],
    ids=lambda f: f.__name__,
)
def test_altered_backup_is_refused_before_anything_is_written(
    backup: Path, empty: Site, tmp_path: Path, tamper: object
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(backup, copy)
    named = tamper(copy)  # type: ignore[operator]

    done = empty.flask("backup", "restore", str(copy), check=False)

    assert done.returncode == 1
    assert named in done.stderr
    assert "拒绝恢复" in done.stderr and "restore refused" in done.stderr
    assert empty.flask("backup", "verify", str(copy), check=False).returncode == 1
    assert _is_empty(empty), "a refused restore wrote something"
    assert not (tmp_path.parent / "outside.pdf").exists()


def test_restore_refuses_a_target_that_holds_data(published: tuple[Site, date], backup: Path) -> None:
    source, _ = published
    rows = table_rows(source)

    done = source.flask("backup", "restore", str(backup), check=False)

    assert done.returncode == 1
    assert "目标数据库不是空的" in done.stderr and "not empty" in done.stderr
    assert table_rows(source) == rows


def test_create_refuses_a_folder_in_use(published: tuple[Site, date], tmp_path: Path) -> None:
    source, _ = published
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")

    done = source.flask("backup", "create", str(tmp_path / "used"), check=False)

    assert done.returncode == 1 and "not empty" in done.stderr
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")], "a partial backup was left"


def test_backup_killed_half_way_leaves_no_backup_and_a_rerun_completes(
    published: tuple[Site, date], tmp_path: Path
) -> None:
    source, _ = published
    dest = tmp_path / "nightly"

    done = source.flask("backup", "create", str(dest), crash_at="backup.before_manifest", check=False)

    assert done.returncode == -signal.SIGKILL
    assert not dest.exists(), "a killed backup must not look like a backup"
    source.flask("backup", "create", str(dest))
    assert source.flask("backup", "verify", str(dest)).returncode == 0


def test_help_documents_the_commands(published: tuple[Site, date]) -> None:
    source, _ = published
    out = source.flask("backup", "--help").stdout
    for words in ("flask backup create", "flask backup restore", "manifest.json", "EMPTY", "pg_dump"):
        assert words in out
