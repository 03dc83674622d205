"""The backup manifest: parsing refuses what restore must not act on; `problems` names every
difference between the manifest and the files found."""

from __future__ import annotations

import json

import pytest

from notices_app.rules.backup_manifest import (
    MAX_LISTED,
    FileEntry,
    Manifest,
    is_safe_path,
    manifest_from_json,
    problems,
)
from notices_app.rules.messages import RuleError

A, B = "a" * 64, "b" * 64


def _manifest(*files: FileEntry) -> Manifest:
    return Manifest(
        created_at="2026-11-26T08:00:00+00:00",
        dialect="sqlite",
        alembic_revision="d0c9ba15f217",
        database=FileEntry("database.sqlite3", A, 10),
        files=files,
    )


@pytest.mark.parametrize(
    ("path", "safe"),
    [
        ("published/2026-11-26/page-01.pdf", True),
        ("page.pdf", True),
        ("", False),
        ("/etc/passwd", False),
        ("../outside.pdf", False),
        ("published/../../outside.pdf", False),
        ("published\\..\\x", False),
        ("a\0b", False),
    ],
)
def test_safe_paths(path: str, safe: bool) -> None:
    assert is_safe_path(path) is safe


def test_manifest_round_trips_through_json() -> None:
    m = _manifest(FileEntry("published/p.pdf", B, 3, readonly=True), FileEntry("a.png", A, 1))
    back = manifest_from_json(m.to_json())
    assert back.database == m.database and set(back.files) == set(m.files)
    assert back.total_bytes == 14


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format=2),
        lambda d: d.update(dialect="mysql"),
        lambda d: d.pop("alembic_revision"),
        lambda d: d["files"].append({"path": "../x", "sha256": A, "size": 1}),
        lambda d: d["files"].append({"path": "x", "sha256": "short", "size": 1}),
        lambda d: d["files"].append({"path": "x", "sha256": A, "size": -1}),
        lambda d: d["files"].append({"path": "x", "sha256": A, "size": True}),
        lambda d: d["files"].append(dict(d["files"][0])),
        lambda d: d.update(database=None),
    ],
)
def test_malformed_manifests_are_refused(change: object) -> None:
    data = json.loads(_manifest(FileEntry("p.pdf", B, 3)).to_json())
    change(data)  # type: ignore[operator]
    with pytest.raises(RuleError) as err:
        manifest_from_json(json.dumps(data).encode())
    assert err.value.message.code == "backup.manifest_malformed"


def test_not_json_is_refused() -> None:
    with pytest.raises(RuleError):
        manifest_from_json(b"\xff not json")


def test_problems_name_each_difference() -> None:
    m = _manifest(FileEntry("same.pdf", A, 1), FileEntry("changed.pdf", A, 1), FileEntry("gone.pdf", A, 1))
    found = {"same.pdf": (A, 1), "changed.pdf": (B, 1), "extra.pdf": (A, 1)}
    codes = [(p.code, p.params.get("path")) for p in problems(m, (A, 10), found)]
    assert codes == [
        ("backup.file_missing", "gone.pdf"),
        ("backup.file_changed", "changed.pdf"),
        ("backup.file_extra", "extra.pdf"),
    ]
    assert problems(m, (A, 10), {"same.pdf": (A, 1), "changed.pdf": (A, 1), "gone.pdf": (A, 1)}) == []


@pytest.mark.parametrize(
    ("database", "code"),
    [
        (None, "backup.database_missing"),
        ((B, 10), "backup.database_changed"),
        ((A, 11), "backup.database_changed"),
    ],
)
def test_database_dump_is_checked(database: tuple[str, int] | None, code: str) -> None:
    assert [p.code for p in problems(_manifest(), database, {})] == [code]


def test_many_problems_are_summed_up() -> None:
    m = _manifest(*(FileEntry(f"f{i}.pdf", A, 1) for i in range(MAX_LISTED + 5)))
    out = problems(m, (A, 10), {})
    assert len(out) == MAX_LISTED + 1
    assert out[-1].code == "backup.more_problems" and out[-1].params["n"] == 5
