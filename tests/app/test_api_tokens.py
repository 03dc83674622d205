"""API tokens end: after their lifetime (90 days unless `tokens create --days N`), when revoked
(`flask tokens revoke EMAIL --id N | --all`) and when their owner changes the password; a
token that has ended is a 401 like an unknown one. `tokens list` never shows a secret."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from apphelpers import login
from flask import Flask
from flask.testing import FlaskClient

from notices_app.extensions import db
from notices_app.models import ApiToken, User, utcnow


def _me(client: FlaskClient, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _create(app: Flask, email: str, *args: str) -> tuple[str, ApiToken]:
    out = app.test_cli_runner().invoke(args=["tokens", "create", email, *args])
    assert out.exit_code == 0, out.output
    token = out.stdout.strip()  # stdout is the token alone, for TOKEN=$(flask tokens create …)
    assert re.fullmatch(r"ntk_[A-Za-z0-9_-]{43}", token), token
    row = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert row is not None and f"token {row.id} expires" in out.stderr
    return token, row


def test_a_token_lasts_90_days_by_default_or_as_many_as_asked(app: Flask, users) -> None:
    user = users("filer")
    _, default = _create(app, user.email)
    assert default.expires_at - default.created_at == timedelta(days=90)
    _, short = _create(app, user.email, "--days", "7")
    assert short.expires_at - short.created_at == timedelta(days=7)
    for days in ("0", "3651", "x"):
        refused = app.test_cli_runner().invoke(args=["tokens", "create", user.email, "--days", days])
        assert refused.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 2


def test_an_expired_token_gets_401(app: Flask, client: FlaskClient, users) -> None:
    user = users("filer")
    token, row = _create(app, user.email, "--days", "1")
    assert _me(client, token) == 200
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and resp.get_json()["errors"]["_"]


def test_tokens_are_listed_without_their_secret(app: Flask, client: FlaskClient, users) -> None:
    user = users("filer")
    runner = app.test_cli_runner()
    assert "no tokens" in runner.invoke(args=["tokens", "list", user.email]).output
    used, first = _create(app, user.email)
    unused, second = _create(app, user.email, "--days", "30")
    assert _me(client, used) == 200
    runner.invoke(args=["tokens", "revoke", user.email, "--id", str(second.id)])
    listing = runner.invoke(args=["tokens", "list", user.email])
    assert listing.exit_code == 0
    lines = listing.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:3] == [str(first.id), first.prefix + "…", "active"]
    assert "last used 20" in lines[0] and "last used never" in lines[1]
    assert lines[1].split()[2] == "revoked"
    assert f"expires {(first.expires_at):%Y-%m-%d}" in lines[0]
    for secret in (used, unused):
        assert secret not in listing.output and secret[10:20] not in listing.output
    assert runner.invoke(args=["tokens", "list", "nobody@example.cn"]).exit_code != 0


def test_revoking_one_token_or_all_of_them(app: Flask, client: FlaskClient, users) -> None:
    user, other = users("filer"), users("filer", org="淄博另一家公司")
    runner = app.test_cli_runner()
    one, one_row = _create(app, user.email)
    two, _ = _create(app, user.email)
    theirs, theirs_row = _create(app, other.email)

    # Exactly one of --id and --all; another account's token id is refused and changes nothing.
    assert runner.invoke(args=["tokens", "revoke", user.email]).exit_code != 0
    both = runner.invoke(args=["tokens", "revoke", user.email, "--all", "--id", str(one_row.id)])
    assert both.exit_code != 0
    stranger = runner.invoke(args=["tokens", "revoke", user.email, "--id", str(theirs_row.id)])
    assert stranger.exit_code != 0 and "no token" in stranger.output
    assert [_me(client, t) for t in (one, two, theirs)] == [200, 200, 200]

    out = runner.invoke(args=["tokens", "revoke", user.email, "--id", str(one_row.id)])
    assert out.exit_code == 0 and "revoked 1" in out.output
    assert [_me(client, t) for t in (one, two, theirs)] == [401, 200, 200]

    out = runner.invoke(args=["tokens", "revoke", user.email, "--all"])
    assert out.exit_code == 0 and "revoked 1" in out.output  # the first was already revoked
    assert [_me(client, t) for t in (one, two, theirs)] == [401, 401, 200]


def test_a_password_change_revokes_the_tokens_and_a_logout_does_not(
    app: Flask, client: FlaskClient, users
) -> None:
    user, other = users("filer"), users("filer", org="淄博另一家公司")
    token, _ = _create(app, user.email)
    theirs, _ = _create(app, other.email)
    browser = app.test_client()
    login(browser, user)
    assert browser.post("/logout").status_code == 302
    assert _me(client, token) == 200  # a script's token outlives a person logging out

    login(browser, user)
    resp = browser.post(
        "/account/password",
        data={
            "current_password": "password-123",
            "new_password": "new-password-9",
            "confirm": "new-password-9",
        },
    )
    assert resp.status_code == 302
    assert _me(client, token) == 401 and _me(client, theirs) == 200
    fresh, _ = _create(app, user.email)  # a new token after the change works
    assert _me(client, fresh) == 200


def test_a_refused_password_change_keeps_the_tokens(app: Flask, client: FlaskClient, users) -> None:
    user = users("filer")
    token, _ = _create(app, user.email)
    browser = app.test_client()
    login(browser, user)
    browser.post(
        "/account/password",
        data={
            "current_password": "wrong-one-1",
            "new_password": "new-password-9",
            "confirm": "new-password-9",
        },
    )
    assert _me(client, token) == 200


def test_tokens_made_before_expiry_existed_get_90_days_from_the_upgrade(tmp_path: Path) -> None:
    from flask_migrate import upgrade

    from notices_app import create_app

    old = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/old.sqlite3",
            "STORAGE_DIR": str(tmp_path / "storage"),
        }
    )
    with old.app_context():
        upgrade(revision="5b1e7c2a9f40")  # the revision before tokens expired
        created = utcnow() - timedelta(days=400)
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO user_account (id, email, password_hash, role, session_version, active,"
                    " created_at) VALUES (1, 'old@example.cn', 'x', 'editor', 1, 1, :at)"
                ),
                {"at": created},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO api_token (user_id, token_hash, prefix, created_at)"
                    " VALUES (1, :hash, 'ntk_abcdef', :at)"
                ),
                {"hash": "0" * 64, "at": created},
            )
        before = utcnow()
        upgrade()
        row = db.session.scalars(sa.select(ApiToken)).one()
        assert before + timedelta(days=90) <= row.expires_at <= utcnow() + timedelta(days=90)
        assert row.state(utcnow()) == "active" and db.session.get(User, 1) is not None
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("header", ["Bearer ntk_\x00", "Bearer " + "ntk_" + "a" * 43])
def test_odd_and_unknown_tokens_are_401(client: FlaskClient, header: str) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": header}).status_code == 401
