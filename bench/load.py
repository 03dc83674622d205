"""Load benchmark: the public site under gunicorn (2 workers, production settings) on loopback,
read at a steady rate by Locust for 60 s while an edition is built over and over in the background.

Run from the repository root, after `.venv/bin/pip install -r bench/requirements.txt` (Locust):

    .venv/bin/python bench/load.py                         # 60 s at 30 requests/s, SQLite
    .venv/bin/python bench/load.py --seconds 20 --rate 50 --db postgresql

The database (a SQLite file in a temporary folder, or a throwaway PostgreSQL database on the
server of --pg-url, dropped at the end) holds what `flask seed-demo` loads, the seed page's edition
built and published (real page images on the front page), `--rows` generated published notices
over five years (bench/search.py's generator, so names, codes and texts look real) and `--notices`
approved notices on the next edition date, which `flask edition build DATE` rebuilds in a loop in
its own process for the whole run. gunicorn serves `wsgi:app` with NOTICES_PRODUCTION=true (real
secret, __Host- cookie, HSTS, rate limits in Redis at --redis-url under a key prefix of its own).

Locust asks for the front page, edition pages, notice permalinks and /search by name, by code and
by full text (bench/locustfile.py). Printed: requests per second, p50/p95/p99 latency per page
kind and overall, the error count (any answer but 200 counts; the exit status is 1 unless it is
0, or if a build failed) and the seconds of every background build.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import sqlalchemy as sa  # noqa: E402
from search import (  # noqa: E402
    DbRun,
    fields_for,
    generate,
    insert_published,
    pct,
    postgres_db,
    public_rows,
    query_sets,
)

VENV_BIN = ROOT / ".venv" / "bin"
KINDS = ("home", "edition", "permalink", "search-name", "search-code", "search-text")


# --- the database ---------------------------------------------------------------------------------


@dataclass
class Prepared:
    build_day: date
    paths: dict[str, list[str]]
    counts: dict[str, int]


def prepare(url: str, storage: str, rows: int, notices: int) -> Prepared:
    """Migrate, seed the demo, publish the seed edition, add the generated published notices and
    the approved notices of the edition the background builds will lay out."""
    from flask_migrate import upgrade

    from notices_app import create_app
    from notices_app.extensions import db
    from notices_app.models import User
    from notices_app.services import demo, editions, publishing
    from notices_app.services import notices as notice_service
    from notices_app.services.typesetting import run_date_choices

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-setup", "STORAGE_DIR": storage})
    with app.app_context():
        upgrade()
        demo.seed()
        editor = db.session.scalar(sa.select(User).where(User.email == "editor@demo.cn"))
        filer = db.session.scalar(sa.select(User).where(User.email == "coop@demo.cn"))
        assert editor is not None and filer is not None
        pub = notice_service.current_publication()
        first, second = (date.fromisoformat(d) for d, _, _ in run_date_choices(pub)[:2])
        build = editions.build_edition(first, editor)
        if build.status != "succeeded":
            raise RuntimeError(f"the seed edition {first} did not build: {build.overflow} {build.preflight}")
        publishing.publish_edition(first, editor)
        generated = _insert_published(list(generate(rows)), pub.id, filer)
        approved = _approved_notices(second, notices, filer, editor)
        paths = _paths(generated, first)
        db.session.remove()
        db.engine.dispose()
    return Prepared(second, paths, {"published": len(generated), "approved": approved})


def _insert_published(rows: list[dict[str, Any]], publication_id: int, owner: Any) -> list[dict[str, Any]]:
    """Bulk insert generated published notices (and their editions) after the demo's rows; those
    dated on one of the demo's editions are left out. Returns the rows inserted."""
    from notices_app.extensions import db
    from notices_app.models import Edition, Notice, PublishedNotice

    now = datetime.now(UTC)
    base_notice = int(db.session.scalar(sa.select(sa.func.max(Notice.id))) or 0)
    base_published = int(db.session.scalar(sa.select(sa.func.max(PublishedNotice.id))) or 0)
    base_edition = int(db.session.scalar(sa.select(sa.func.max(Edition.id))) or 0)
    taken = set(db.session.scalars(sa.select(Edition.date)))
    rows = [r for r in rows if r["run_date"] not in taken]
    days = sorted({r["run_date"] for r in rows})
    edition_of = {d: base_edition + i + 1 for i, d in enumerate(days)}
    for r in rows:
        r["id"] += base_published
        r["notice_id"] += base_notice
    with db.engine.begin() as conn:
        insert_published(conn, rows, edition_of, (publication_id, owner.org_id, owner.id), now)
        conn.execute(sa.text("ANALYZE"))
    return rows


def _approved_notices(day: date, count: int, filer: Any, editor: Any) -> int:
    """`count` notices filed, paid and approved for `day`, through the services as in real life."""
    from search import company

    from notices_app.services import notices as svc
    from notices_app.services.errors import FieldErrors

    rng = random.Random(2026)
    today = date.today()
    made = tries = 0
    while made < count and tries < count * 5:
        tries += 1
        kind = rng.choice(("lost_license", "lost_license", "termination", "general"))
        try:
            notice = svc.create_notice(
                filer, svc.NoticeInput(kind, fields_for(kind, company(rng), today, rng), [day], True)
            )
            svc.transition(notice.id, "submit", filer)
            if notice.status == "awaiting_payment":
                svc.transition(notice.id, "mark_paid", editor, reason="bench")
            svc.transition(notice.id, "approve", editor)
        except FieldErrors:
            continue  # a generated field the forms refuse (a date out of range): draw another
        made += 1
    return made


def _paths(rows: list[dict[str, Any]], seed_day: date) -> dict[str, list[str]]:
    """What the readers ask for, drawn from the generated notices (most searches find something)."""
    rng = random.Random(5)
    public = public_rows(rows)
    sets = query_sets(rows, 300)

    def search(params: list[dict[str, Any]]) -> list[str]:
        return ["/search?" + urlencode({k: str(v) for k, v in p.items()}, quote_via=quote) for p in params]

    return {
        "home": ["/"],
        # Only built editions have pages to show: the seed page's (generated ones have no build).
        "edition": ["/editions/", f"/editions/{seed_day.isoformat()}", f"/editions/{seed_day.isoformat()}/1"],
        "permalink": [f"/n/{rng.choice(public)['id']}" for _ in range(2000)],
        "search-name": search(sets["name (org=, whole)"] + sets["name (q=, part)"]),
        "search-code": search(sets["credit code exact"] + sets["code partial"]),
        "search-text": search(sets["full text (q=)"] + sets["text + kind + year"]),
    }


# --- the server, the builds and the readers -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(port, "/healthz") == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("gunicorn did not start:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.3)


@dataclass
class BuildRun:
    seconds: float
    returncode: int
    output: str


def build_loop(env: dict[str, str], day: date, stop: threading.Event, runs: list[BuildRun]) -> None:
    """`flask edition build DAY` again and again, each in a new process, until `stop` is set."""
    while not stop.is_set():
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "edition", "build", day.isoformat()],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        runs.append(BuildRun(time.perf_counter() - t0, proc.returncode, (proc.stdout + proc.stderr)[-2000:]))


def build_durations(url: str, day: date) -> list[float]:
    """Seconds from start to finish of each build of `day` as the builds recorded them."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT b.started_at, b.finished_at FROM edition_build b JOIN edition e"
                    " ON e.id = b.edition_id WHERE e.date = :day AND b.finished_at IS NOT NULL"
                    " ORDER BY b.number"
                ),
                {"day": day},
            ).all()
    finally:
        engine.dispose()

    def moment(value: Any) -> datetime:
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    return [(moment(end) - moment(start)).total_seconds() for start, end in rows]


def run_locust(
    host: str, paths_file: Path, out_file: Path, users: int, rate: float, seconds: int, log: Path
) -> int:
    env = dict(
        os.environ,
        LOAD_PATHS=str(paths_file),
        LOAD_OUT=str(out_file),
        LOAD_RATE=str(rate / users),
    )
    with log.open("wb") as out:
        return subprocess.run(
            [
                str(VENV_BIN / "locust"),
                "-f",
                str(BENCH / "locustfile.py"),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                str(users),
                "--run-time",
                f"{seconds}s",
                "--host",
                host,
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "10",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        ).returncode


# --- main ------------------------------------------------------------------------------------------


def _redis_ok(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60, help="how long the readers read (default 60)")
    ap.add_argument("--rate", type=float, default=30.0, help="requests per second, all readers together")
    ap.add_argument(
        "--users",
        type=int,
        default=0,
        help="simulated readers (default: rate × 2, so each waits 2 s between requests and a slow"
        " answer does not lower the rate)",
    )
    ap.add_argument("--rows", type=int, default=5000, help="generated published notices")
    ap.add_argument("--notices", type=int, default=40, help="approved notices in the edition being built")
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument(
        "--pg-url",
        default=os.environ.get(
            "NOTICES_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    ap.add_argument("--redis-url", default=os.environ.get("NOTICES_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = ap.parse_args()
    args.users = args.users or max(1, round(args.rate * 2))
    if not (VENV_BIN / "locust").exists():
        sys.exit("Locust is missing: .venv/bin/pip install -r bench/requirements.txt")
    if not _redis_ok(args.redis_url):
        sys.exit(f"Redis is not reachable at {args.redis_url} (production rate limits live there)")

    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    run = (
        postgres_db(args.pg_url)
        if args.db == "postgresql"
        else DbRun("SQLite", f"sqlite:///{tmp}/load.sqlite3", lambda: None)
    )
    storage = str(tmp / "storage")
    server = None
    try:
        t0 = time.perf_counter()
        prepared = prepare(run.url, storage, args.rows, args.notices)
        print(
            f"{run.label}: demo + seed edition published + {prepared.counts['published']:,} published"
            f" notices + {prepared.counts['approved']} approved for {prepared.build_day}"
            f" in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        paths_file = tmp / "paths.json"
        paths_file.write_text(json.dumps(prepared.paths, ensure_ascii=False), encoding="utf-8")
        env = dict(
            os.environ,
            NOTICES_DATABASE_URL=run.url,
            NOTICES_STORAGE_DIR=storage,
            NOTICES_SECRET_KEY=secrets.token_hex(32),
            NOTICES_PRODUCTION="true",
            # Production needs the public address (feed and proof links); nothing here follows it.
            NOTICES_SITE_URL="https://notices.example.cn",
            NOTICES_REDIS_URL=args.redis_url,
            NOTICES_RATELIMIT_KEY_PREFIX=f"bench-load-{uuid.uuid4().hex[:8]}",
        )
        port = _free_port()
        server = start_gunicorn(env, port, tmp / "gunicorn.log")
        for kind in KINDS:  # warm both workers, and fail early on a page that does not answer
            for path in prepared.paths[kind][:10]:
                status = _get(port, path)
                if status != 200:
                    raise RuntimeError(f"warm-up: {path} answered {status}")

        stop = threading.Event()
        builds: list[BuildRun] = []
        builder = threading.Thread(target=build_loop, args=(env, prepared.build_day, stop, builds))
        builder.start()
        time.sleep(2)  # the first build is under way before the first reader arrives
        print(
            f"reading for {args.seconds} s at {args.rate:g} requests/s ({args.users} readers) while"
            f" {prepared.build_day} builds in a loop …",
            flush=True,
        )
        t0 = time.perf_counter()
        out_file = tmp / "latencies.json"
        locust_rc = run_locust(
            f"http://127.0.0.1:{port}",
            paths_file,
            out_file,
            args.users,
            args.rate,
            args.seconds,
            tmp / "locust.log",
        )
        elapsed = time.perf_counter() - t0
        stop.set()
        builder.join()
        if not out_file.exists():
            print((tmp / "locust.log").read_text(errors="replace")[-3000:])
            raise RuntimeError(f"locust wrote no results (exit status {locust_rc})")
        result = json.loads(out_file.read_text(encoding="utf-8"))
        durations = build_durations(run.url, prepared.build_day)
        return report(result, args.seconds, args.rate, elapsed, builds, durations, tmp)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        run.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def report(
    result: dict[str, Any],
    seconds: int,
    rate: float,
    elapsed: float,
    builds: list[BuildRun],
    durations: list[float],
    tmp: Path,
) -> int:
    latencies: dict[str, list[float]] = result["latencies_ms"]
    errors: dict[str, list[str]] = result["errors"]
    every = [x for kind in KINDS for x in latencies.get(kind, [])]
    error_count = sum(len(v) for v in errors.values())
    print()
    print(
        f"{'page kind':<13} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for kind in (*KINDS, "all"):
        values = every if kind == "all" else latencies.get(kind, [])
        failed = error_count if kind == "all" else len(errors.get(kind, []))
        if not values:
            print(f"{kind:<13} {0:>9}")
            continue
        print(
            f"{kind:<13} {len(values):>9} {len(values) / seconds:>7.1f} {pct(values, 0.5):>8.0f}"
            f" {pct(values, 0.95):>8.0f} {pct(values, 0.99):>8.0f} {failed:>7}"
        )
    print(
        f"asked {rate:g} requests/s, got {len(every) / seconds:.1f} over the {seconds} s"
        f" (Locust ran {elapsed:.1f} s, its start and stop included)"
    )
    failed_builds = [b for b in builds if b.returncode != 0]
    runs = ", ".join(f"{b.seconds:.1f}" for b in builds)
    print(
        f"background builds: {len(builds)} runs of `flask edition build` ({runs} s, process start included)"
    )
    if durations:
        print(
            f"  build time recorded by the builds: mean {sum(durations) / len(durations):.1f} s,"
            f" max {max(durations):.1f} s"
        )
    for kind, messages in errors.items():
        for m in messages[:5]:
            print(f"  error ({kind}): {m}")
    for b in failed_builds[:3]:
        print(f"  build failed (exit {b.returncode}):\n{b.output}")
    ok = error_count == 0 and not failed_builds and bool(builds) and bool(every)
    print(f"errors: {error_count} → {'OK' if ok else 'FAILED'}")
    if not ok and (tmp / "gunicorn.log").exists():
        print((tmp / "gunicorn.log").read_text(errors="replace")[-3000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
