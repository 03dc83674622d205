"""Accounts: users, passwords (Werkzeug scrypt), sessions and API tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from notices_app.extensions import db
from notices_app.models import ROLES, ApiToken, Organisation, User, utcnow
from notices_app.rules.messages import RuleError, msg

# A hash to compare against when the e-mail is unknown, so timing does not reveal which e-mails exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    email: str,
    password: str,
    role: str,
    org_name: str | None = None,
    *,
    display_name: str | None = None,
    join_existing: bool = True,
) -> User:
    """Create an account; filers and advertisers belong to an organisation.

    Staff (the CLI, the demo) may add a user to the organisation of that name
    (`join_existing`); a public sign-up always gets an organisation of its own, since anyone
    can type a company's name and must not see or change that company's notices and payments.
    """
    email = email.strip().lower()
    if role not in ROLES:
        raise RuleError(msg("user.role", "未知角色:{role}", "Unknown role: {role}", role=role))
    if len(password) < 8:
        raise RuleError(msg("user.password", "密码至少需要8位", "The password needs at least 8 characters"))
    if db.session.scalar(select(User).where(User.email == email)):
        raise RuleError(msg("user.exists", "该邮箱已注册", "This e-mail is already registered"))
    org = None
    if org_name:
        if join_existing:
            org = db.session.scalar(
                select(Organisation).where(Organisation.name == org_name).order_by(Organisation.id).limit(1)
            )
        if org is None:
            org = Organisation(name=org_name)
            db.session.add(org)
    elif role in ("filer", "advertiser"):
        raise RuleError(
            msg("user.org", "申请人账户需要填写单位名称", "A filer account needs an organisation")
        )
    user = User(
        email=email,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role,
        org=org,
        display_name=display_name,
    )
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(email: str, password: str) -> User | None:
    if "\x00" in email or "\x00" in password:
        return None
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def user_for_session(user_key: str) -> User | None:
    """Resolve a session's `id:version`; a bumped session_version logs every old session out."""
    try:
        user_id, version = (int(p) for p in user_key.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def revoke_sessions(user: User) -> None:
    """End every browser session of `user` (API tokens are separate and stay: scripts that hold
    them keep working when a person logs out; a password change revokes them)."""
    user.session_version += 1
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every session and API token of
    `user` ends (a token copied by whoever knew the old password must not outlive it).

    Raises RuleError (code "user.current_password" or "user.password") and changes nothing
    when the current password is wrong or the new one is too short.
    """
    if "\x00" in current or not check_password_hash(user.password_hash, current):
        raise RuleError(msg("user.current_password", "当前密码不正确", "The current password is wrong"))
    if len(new) < 8:
        raise RuleError(msg("user.password", "密码至少需要8位", "The password needs at least 8 characters"))
    user.password_hash = generate_password_hash(new, method="scrypt")
    user.session_version += 1
    _revoke(user, None)
    db.session.commit()


MAX_TOKEN_DAYS = 3650


def create_token(user: User, days: int | None = None) -> str:
    """Create an API token valid for `days` (default API_TOKEN_DAYS, 90) and return its
    plaintext; only the hash is kept. Raises RuleError for a lifetime outside 1…3650 days."""
    if days is None:
        days = int(current_app.config.get("API_TOKEN_DAYS", 90))
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise RuleError(
            msg(
                "token.days",
                "令牌有效期应为1至{max}天",
                "A token lasts 1 to {max} days",
                max=MAX_TOKEN_DAYS,
            )
        )
    token = "ntk_" + secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            prefix=token[:10],
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The active owner of a token that is neither expired nor revoked, else None (a 401)."""
    if "\x00" in token:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    now = utcnow()
    if row is None or row.state(now) != "active" or not row.user.active:
        return None
    row.last_used_at = now
    db.session.commit()
    return row.user


def list_tokens(user: User) -> list[ApiToken]:
    """Every token `user` ever had, oldest first, whatever its state (for `flask tokens list`)."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_tokens(user: User, token_id: int | None = None) -> int:
    """Revoke one token of `user` (by id) or, with no id, all of them; returns how many were
    still unrevoked. Raises RuleError when `token_id` is not one of `user`'s tokens."""
    if (
        token_id is not None
        and db.session.scalar(select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
        is None
    ):
        raise RuleError(
            msg("token.unknown", "该账户没有编号为{id}的令牌", "This account has no token {id}", id=token_id)
        )
    count = _revoke(user, token_id)
    db.session.commit()
    return count


def _revoke(user: User, token_id: int | None) -> int:
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    result = db.session.execute(
        query.values(revoked_at=utcnow()), execution_options={"synchronize_session": False}
    )
    return int(getattr(result, "rowcount", 0) or 0)


def find_user(email: str) -> User | None:
    if "\x00" in email:
        return None
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def update_org_contact(
    user: User, credit_code: str | None, contact_name: str | None, phone: str | None
) -> None:
    """Record a new filer organisation's credit code and contact (kept on the order record, never printed)."""
    if user.org is None:
        return
    org = user.org
    org.credit_code = credit_code or org.credit_code
    org.contact_name = (contact_name or "").strip()[:100] or org.contact_name
    org.contact_phone = (phone or "").strip()[:40] or org.contact_phone
    db.session.commit()
