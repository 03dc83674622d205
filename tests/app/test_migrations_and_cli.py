"""One migration history that matches the models; the command line of api.md."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from notices_app.extensions import db
from notices_app.models import Base, Notice, Story
from notices_app.services.search import include_object


def test_migrations_match_the_models(app: Flask) -> None:
    with db.engine.connect() as conn:
        # The search indexes (FTS5 tables, trigram indexes) are the migrations' own, not the models'.
        opts = {"compare_type": True, "include_object": include_object}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diff == []


def test_seed_demo_users_and_tokens(app: Flask) -> None:
    runner = app.test_cli_runner()
    out = runner.invoke(args=["seed-demo"])
    assert out.exit_code == 0, out.output
    assert "editor@demo.cn" in out.output and "demo-editor-2013" in out.output
    states = {(n.kind, n.fields.get("heading", "")): n.status for n in db.session.query(Notice)}
    assert states[("termination", "")] == "approved"
    assert states[("lost_license", "挂失")] == "approved"  # runs in the seed edition
    assert states[("lost_license", "遗失声明")] == "awaiting_payment"
    headlines = [s.headline for s in db.session.query(Story)]
    assert "政务微博“淄博发布”上线运行" in headlines
    # Idempotent: a second run adds nothing.
    assert runner.invoke(args=["seed-demo", "--quiet"]).exit_code == 0
    assert db.session.query(Notice).count() == 3

    created = runner.invoke(
        args=["users", "create", "x@example.cn", "--role", "editor", "--password", "pw-123456"]
    )
    assert created.exit_code == 0, created.output
    dup = runner.invoke(
        args=["users", "create", "x@example.cn", "--role", "editor", "--password", "pw-123456"]
    )
    assert dup.exit_code != 0 and "已注册" in dup.output
    token = runner.invoke(args=["tokens", "create", "x@example.cn"]).stdout.strip()
    assert token.startswith("ntk_")
    client = app.test_client()
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["role"] == "editor"
    )
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer ntk_wrong"}).status_code == 401
    listing = runner.invoke(args=["edition", "list"])
    assert listing.exit_code == 0 and "cut-off" in listing.output
