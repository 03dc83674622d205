"""Background jobs: the rebuild button hands the build to a job and the planner follows its
progress; a failing build is reported; a task delivered twice never builds twice; and two real
Celery workers against one database and Redis give the very files one process gives."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from apphelpers import login
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from notices_app import jobs
from notices_app.extensions import db
from notices_app.jobs import dispatch, records, work
from notices_app.models import Edition, EditionBuild, Job, Notice, PublishedNotice, utcnow
from notices_app.services import proofs, storage, typesetting
from notices_app.services.editions import build_edition

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://notices.example.cn"
REDIS_URL = os.environ.get("NOTICES_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def seed(app: Flask) -> Edition:
    out = app.test_cli_runner().invoke(args=["seed-demo", "--quiet"])
    assert out.exit_code == 0, out.output
    return next(e for e in db.session.scalars(select(Edition)) if e.plan.get("pages"))


def page_hashes(build: EditionBuild) -> list[str]:
    return [p["sha256"] for p in build.pages]


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.3) -> Any:
    """Poll `check` (after ending this session's transaction, to see other processes' commits)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@pytest.fixture
def editor(app: Flask, users: Any) -> FlaskClient:
    client = app.test_client()
    login(client, users("editor"))
    return client


@pytest.fixture
def threaded(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Jobs on a background thread, as in the demo (the test app runs them inline otherwise)."""
    monkeypatch.setitem(app.config, "JOBS_MODE", "thread")
    yield
    dispatch.wait_idle(app)  # before the rows are cleaned away under the thread


def follow(client: FlaskClient, url: str, timeout: float = 300) -> list[dict[str, Any]]:
    """Poll a progress.json URL as the planner's script does, until the job has finished."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not seen or not seen[-1]["finished"]:
        assert time.monotonic() < deadline, f"no end after {timeout}s: {seen[-3:]}"
        resp = client.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
        seen.append(resp.get_json())
        time.sleep(0.1)
    return seen


# --- in-process: the demo's background thread ---------------------------------------------------


def test_rebuild_returns_at_once_and_the_planner_follows_the_build_to_its_end(
    app: Flask, pub: Any, editor: FlaskClient, threaded: None
) -> None:
    edition = seed(app)
    day = edition.date.isoformat()
    resp = editor.post(f"/desk/editions/{day}/rebuild")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/desk/editions/{day}#build")
    planner = editor.get(resp.headers["Location"]).get_data(as_text=True)
    # The request came back while the build was still running: the planner says so and offers
    # the progress bar that its script polls.
    assert "第1次组版已开始" in planner
    url = f"/desk/editions/{day}/builds/1/progress.json"
    assert f'data-progress-url="{url}"' in planner and "<progress" in planner
    assert "/static/job-progress.js" in planner

    seen = follow(editor, url)
    last = seen[-1]
    assert last["status"] == "done" and last["percent"] == 100 and last["build"]["status"] == "succeeded"
    assert last["label"] == "完成"
    # Progress only moves forward, through the build's stages, and the bar's total is the build's.
    done = [s["done"] for s in seen]
    assert done == sorted(done)
    stages = [s["stage"] for s in seen]
    assert set(stages) <= {"queued", "typeset", "layout", "render", "done"}
    assert {s["total"] for s in seen if s["stage"] in ("render", "done")} <= {len(edition.plan["pages"]) + 3}

    db.session.rollback()
    build = db.session.scalar(select(EditionBuild).where(EditionBuild.edition_id == edition.id))
    assert build is not None and build.status == "succeeded" and build.stage == "done"
    job = jobs.job_of_build(build)
    assert job is not None and job.status == "done" and job.attempts == 1
    assert job.result == {"build_id": build.id, "number": 1, "status": "succeeded"}
    page = editor.get(last["planner_url"]).get_data(as_text=True)
    assert "印前检查通过" in page and "data-progress-url" not in page


def test_a_build_that_raises_in_the_background_is_reported(
    app: Flask, pub: Any, editor: FlaskClient, threaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notices_app.services import editions as edition_service

    edition = seed(app)
    real = edition_service.build_edition

    def explodes(day: date, actor: Any = None, progress: Any = None, **kw: Any) -> EditionBuild:
        def broken_progress(done: int, total: int, stage: str) -> None:
            if stage == "render":
                raise RuntimeError("字体缺字：renderer exploded")
            progress(done, total, stage)

        return real(day, actor, broken_progress, **kw)

    monkeypatch.setattr(edition_service, "build_edition", explodes)
    day = edition.date.isoformat()
    editor.post(f"/desk/editions/{day}/rebuild")
    last = follow(editor, f"/desk/editions/{day}/builds/1/progress.json")[-1]
    assert last["status"] == "failed" and last["build"]["status"] == "failed"
    assert last["error"] == "RuntimeError: 字体缺字：renderer exploded"
    page = editor.get(last["planner_url"]).get_data(as_text=True)
    assert "字体缺字：renderer exploded" in page and "未通过" in page
    db.session.rollback()
    edition = db.session.get(Edition, edition.id)
    assert edition is not None and edition.current_build_id is None  # the failure changed nothing


def test_progress_of_a_queued_build_and_who_may_read_it(
    app: Flask, pub: Any, editor: FlaskClient, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[tuple[str, int]] = []
    monkeypatch.setattr(jobs, "submit", lambda kind, job_id: submitted.append((kind, job_id)))
    edition = seed(app)
    build, job = jobs.enqueue_build(edition, None)
    assert submitted == [("edition_build", job.id)] and job.status == "queued"
    url = f"/desk/editions/{edition.date.isoformat()}/builds/{build.number}/progress.json"
    data = editor.get(url).get_json()
    assert data["status"] == "queued" and data["label"] == "排队等候" and data["percent"] == 0
    assert not data["finished"]
    assert editor.get(url, headers={"Accept-Language": "en"}).status_code == 200
    filer = app.test_client()
    login(filer, users("filer"))
    assert filer.get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302  # to the login page
    assert editor.get(url.replace(f"/{build.number}/", "/99/")).status_code == 404
    # A job of someone else is not found, not forbidden; an editor sees it.
    assert filer.get(f"/jobs/{job.id}/progress.json").status_code == 404
    assert editor.get(f"/jobs/{job.id}/progress.json").get_json()["status"] == "queued"
    assert editor.get("/jobs/99999999999/progress.json").status_code == 404


def test_an_unreachable_broker_is_said_plainly_and_leaves_nothing_waiting(
    app: Flask, pub: Any, editor: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "JOBS_MODE", "celery")
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", "redis://127.0.0.1:9/0")  # nobody listens
    edition = seed(app)
    try:
        resp = editor.post(f"/desk/editions/{edition.date.isoformat()}/rebuild")
    finally:
        made = app.extensions.pop("notices_celery", None)
        if made is not None:
            made[1].close()
    assert resp.status_code == 302
    assert "后台任务队列暂时不可用，请稍后再试" in editor.get(resp.headers["Location"]).get_data(as_text=True)
    db.session.rollback()
    build = db.session.scalar(select(EditionBuild))
    job = db.session.scalar(select(Job))
    assert (
        build is not None and build.status == "failed" and "job queue is unavailable" in (build.error or "")
    )
    assert job is not None and job.status == "failed" and job.error


# --- at least once, done once ---------------------------------------------------------------------


def test_a_task_delivered_again_neither_builds_twice_nor_steals_a_live_build(
    app: Flask, pub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "submit", lambda kind, job_id: None)  # the broker "delivers" below
    edition = seed(app)
    build, job = jobs.enqueue_build(edition, None)
    # Worker A claims the job (and would now be rendering) ...
    assert records.claim(job.id) is not None
    # ... so a second delivery while A's lease is fresh backs off and leaves the job alone.
    assert work.run_build(job.id) == "busy"
    db.session.refresh(job)
    assert job.status == "running" and job.attempts == 1
    # A dies: its lease lapses, and the next delivery takes the same build over and finishes it.
    job.heartbeat_at = utcnow() - records.lease() - timedelta(seconds=1)
    db.session.commit()
    assert work.run_build(job.id) == "done"
    db.session.refresh(job)
    assert job.status == "done" and job.attempts == 2
    builds = list(db.session.scalars(select(EditionBuild)))
    assert [b.id for b in builds] == [build.id] and builds[0].status == "succeeded"
    # Delivered once more after it finished: nothing happens.
    assert work.run_build(job.id) == "finished"
    assert db.session.scalar(select(func.count()).select_from(EditionBuild)) == 1
    db.session.refresh(job)
    assert job.attempts == 2
    # The files are those of a build that was never interrupted.
    fresh = build_edition(edition.date)
    assert page_hashes(fresh) == page_hashes(builds[0])


def test_a_queued_build_closed_by_a_newer_one_is_not_run(app: Flask, pub: Any, monkeypatch) -> None:
    monkeypatch.setattr(jobs, "submit", lambda kind, job_id: None)
    edition = seed(app)
    build, job = jobs.enqueue_build(edition, None)
    build.status, build.error = "failed", "interrupted / 中断"  # what start_build does to a stale one
    db.session.commit()
    assert work.run_build(job.id) == "failed"
    db.session.refresh(job)
    db.session.refresh(build)
    assert job.status == "failed" and "closed before it ran" in (job.error or "")
    assert build.error == "interrupted / 中断" and build.pages == []


def test_preview_and_proof_jobs_make_the_files_the_requests_make(
    app: Flask, pub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notices_app.services.publishing import publish_edition

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
    edition = seed(app)
    notice = db.session.scalar(select(Notice).where(Notice.kind == "termination"))
    assert notice is not None
    job = jobs.enqueue_preview(notice)
    assert job.status == "done", job.error
    pdf = storage.read(job.result["pdf"])
    p = typesetting.notice_publication(notice)
    assert pdf == typesetting.preview(notice.kind, notice.fields, "pdf", p.geometry_preset, p.clreq_level)
    assert storage.read(job.result["png"]).startswith(b"\x89PNG")
    assert jobs.enqueue_preview(notice).id == job.id  # the same fields: the same job, not run again

    build_edition(edition.date)
    publish_edition(edition.date)
    published = db.session.scalars(select(PublishedNotice)).all()
    assert published
    for row in published:
        job = jobs.enqueue_proof(row)
        assert job.status == "done", job.error
        made = storage.read(job.result["path"])
        assert hashlib.sha256(made).hexdigest() == job.result["sha256"]
        storage.path_of(job.result["path"]).unlink()
        assert proofs.proof_pdf(row) == made  # made again in this process: the same bytes
        assert jobs.enqueue_proof(row).id == job.id


def test_a_failed_job_asked_for_again_runs_again(app: Flask, pub: Any, monkeypatch) -> None:
    edition = seed(app)
    notice = db.session.scalar(select(Notice).where(Notice.kind == "lost_license"))
    assert notice is not None and edition is not None
    calls: list[str] = []

    def flaky(kind: str, fields: dict[str, Any], fmt: str, *a: Any) -> bytes:
        calls.append(fmt)
        if len(calls) == 1:
            raise OSError("disk full")
        return b"%PDF-1.4 ok" if fmt == "pdf" else b"\x89PNG ok"

    monkeypatch.setattr(typesetting, "preview", flaky)
    job = jobs.enqueue_preview(notice)
    assert job.status == "failed" and job.error == "OSError: disk full"
    again = jobs.enqueue_preview(notice)
    assert again.id == job.id and again.status == "done" and again.attempts == 2


# --- scale-out: two Celery workers, one PostgreSQL, one Redis ---------------------------------------


def _worker_env(app: Flask) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTICES_")}
    env.update(
        NOTICES_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        NOTICES_STORAGE_DIR=app.config["STORAGE_DIR"],
        NOTICES_CELERY_BROKER_URL=REDIS_URL,
        NOTICES_PUBLIC_BASE_URL=BASE,
        NOTICES_SECRET_KEY="test-secret",
        # A re-delivered copy of a task that is still running retries every lease/4 seconds.
        NOTICES_JOBS_LEASE_SECONDS="20",
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture
def celery_workers(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workers]:
    on_pg = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if not on_pg and not os.environ.get("NOTICES_TEST_JOBS_SQLITE"):
        pytest.skip(
            "several processes share PostgreSQL in production (docs/production.md): run with "
            "NOTICES_TEST_DATABASE_URL, or NOTICES_TEST_JOBS_SQLITE=1 to share the SQLite file "
            "(it passes, but costs a minute of the default run)"
        )
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()  # a dedicated db number: only this test's queue lives there
    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    procs = []
    for n, log in enumerate(logs, 1):
        cmd = [sys.executable, "-m", "celery", "-A", "notices_app.jobs.worker", "worker"]
        cmd += ["--pool", "prefork", "--concurrency", "1", "--hostname", f"w{n}@test", "-Q", "notices"]
        cmd += ["--without-gossip", "--without-mingle", "--loglevel", "INFO", "--logfile", str(log)]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=_worker_env(app)))
    try:
        deadline = time.monotonic() + 120
        while not all(log.exists() and "ready." in log.read_text() for log in logs):
            for proc in procs:
                assert proc.poll() is None, "a worker exited at start: " + "".join(
                    log.read_text() for log in logs if log.exists()
                )
            assert time.monotonic() < deadline, "workers not ready after 120 s"
            time.sleep(0.5)
        monkeypatch.setitem(app.config, "CELERY_BROKER_URL", REDIS_URL)
        monkeypatch.setitem(app.config, "JOBS_MODE", "celery")
        monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", BASE)
        yield Workers(logs, {p.pid for p in procs})
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)  # warm shutdown: finish or give back the current task
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        made = app.extensions.pop("notices_celery", None)
        if made is not None:
            made[1].close()
        client.flushdb()
        client.close()


@dataclass
class Workers:
    logs: list[Path]
    pids: set[int]


def _succeeded(logs: list[Path]) -> dict[str, str]:
    """task id → returned outcome, from the workers' logs."""
    pattern = re.compile(r"Task notices\.\w+\[([\w-]+)\] succeeded in [\d.]+s: '(\w+)'")
    out: dict[str, str] = {}
    for log in logs:
        for m in pattern.finditer(log.read_text()):
            out[m.group(1)] = m.group(2)
    return out


def test_two_celery_workers_build_and_prove_as_one_process_does(
    app: Flask, pub: Any, editor: FlaskClient, celery_workers: Workers
) -> None:
    from notices_app.jobs.celery_app import celery_for
    from notices_app.services.publishing import publish_edition

    edition = seed(app)
    day = edition.date
    # The reference: one build of each edition in this process.
    editions = list(db.session.scalars(select(Edition).order_by(Edition.date)))[:4]
    assert len(editions) >= 2 and edition in editions
    reference = {e.id: page_hashes(build_edition(e.date)) for e in editions}

    # One rebuild of each edition: the builds run side by side on the two workers. A second
    # click while an edition's build is queued is handed that build (one at a time per edition).
    requests = len(editions)
    for e in editions:
        assert editor.post(f"/desk/editions/{e.date.isoformat()}/rebuild").status_code == 302
    assert editor.post(f"/desk/editions/{day.isoformat()}/rebuild").status_code == 302
    build_jobs = list(db.session.scalars(select(Job).where(Job.kind == "edition_build").order_by(Job.id)))
    assert len(build_jobs) == requests
    # The broker delivers at least once: hand every task out a second time, as Redis does for a
    # task whose worker was lost. The copies must not build anything.
    sender = celery_for(app)
    for job in build_jobs:
        sender.send_task("notices.edition_build", args=[job.id], task_id=f"dup-{job.id}")

    ids = [f"job-{j.id}-edition_build" for j in build_jobs] + [f"dup-{j.id}" for j in build_jobs]
    outcomes = wait_for(
        lambda: (o := _succeeded(celery_workers.logs)) and all(i in o for i in ids) and o,
        600,
        "every build task and its copy",
    )
    assert sorted(outcomes[i] for i in ids) == ["done"] * requests + ["finished"] * requests

    for e in editions:
        builds = list(
            db.session.scalars(
                select(EditionBuild).where(EditionBuild.edition_id == e.id).order_by(EditionBuild.number)
            )
        )
        assert [b.number for b in builds] == [1, 2]  # the reference and one per request, no more
        for b in builds:
            assert b.status == "succeeded", (b.number, b.error, b.overflow, b.preflight)
            assert page_hashes(b) == reference[e.id], (e.date, b.number)
    for job in build_jobs:
        db.session.refresh(job)
        assert job.status == "done" and job.attempts == 1
    assert len({j.worker for j in build_jobs}) >= 2, "both workers should have taken builds"

    # A worker's pool process is killed mid-build (the OOM killer, a lost machine): Celery gives
    # its task back, and once the dead claim's lease has lapsed the same build row is taken over
    # and finished. Still one build for the one request, with the same pages.
    assert editor.post(f"/desk/editions/{day.isoformat()}/rebuild").status_code == 302
    victim = db.session.scalar(select(Job).where(Job.kind == "edition_build").order_by(Job.id.desc()))
    assert victim is not None
    claimed = wait_for(
        lambda: (j := db.session.get(Job, victim.id)) is not None and j.status == "running" and j.worker,
        120,
        "a worker to claim the build",
        every=0.02,  # a warm build of the seed page takes about a second
    )
    pid = int(str(claimed).rsplit(":", 1)[1])
    ppid = int(re.search(r"PPid:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))  # type: ignore[union-attr]
    assert ppid in celery_workers.pids, "only a pool process of this test's workers is killed"
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: db.session.get(Job, victim.id).status in ("done", "failed"), 300, "the take-over")  # type: ignore[union-attr]
    db.session.refresh(victim)
    assert victim.status == "done" and victim.attempts == 2, victim.error
    taken_over = db.session.get(EditionBuild, victim.build_id)
    assert taken_over is not None and taken_over.status == "succeeded"
    assert page_hashes(taken_over) == reference[edition.id]
    assert db.session.scalar(select(func.count()).select_from(EditionBuild)) == 2 * requests + 1

    # Proofs of the published edition, asked twice each from the "web", made once by the workers.
    publish_edition(day)
    published = list(db.session.scalars(select(PublishedNotice)))
    assert published
    proof_jobs = [jobs.enqueue_proof(p) for p in published]
    assert [jobs.enqueue_proof(p).id for p in published] == [j.id for j in proof_jobs]
    wait_for(
        lambda: all(db.session.get(Job, j.id).status in ("done", "failed") for j in proof_jobs),  # type: ignore[union-attr]
        300,
        "the proof jobs",
    )
    for job, row in zip(proof_jobs, published, strict=True):
        db.session.refresh(job)
        assert job.status == "done" and job.attempts == 1, job.error
        made = storage.read(job.result["path"])
        storage.path_of(job.result["path"]).unlink()
        assert proofs.proof_pdf(row) == made  # this process makes the very same certificate
    assert db.session.scalar(select(func.count()).select_from(Job).where(Job.kind == "proof")) == len(
        published
    )


def test_a_second_rebuild_click_is_handed_the_build_under_way(
    app: Flask, pub: Any, editor: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "submit", lambda kind, job_id: None)  # the build waits in the queue
    edition = seed(app)
    url = f"/desk/editions/{edition.date.isoformat()}/rebuild"
    first = editor.get(editor.post(url).headers["Location"]).get_data(as_text=True)
    assert "第1次组版已开始" in first
    second = editor.get(editor.post(url).headers["Location"]).get_data(as_text=True)
    assert "第1次组版正在进行，无需重复组版" in second
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(EditionBuild)) == 1
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
