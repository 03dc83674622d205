"""Accounts: users, passwords (Werkzeug scrypt), sessions and API tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
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
    """End every browser session of `user` (API tokens are separate and stay)."""
    user.session_version += 1
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every session of `user` ends.

    Raises RuleError (code "user.current_password" or "user.password") and changes nothing
    when the current password is wrong or the new one is too short.
    """
    if "\x00" in current or not check_password_hash(user.password_hash, current):
        raise RuleError(msg("user.current_password", "当前密码不正确", "The current password is wrong"))
    if len(new) < 8:
        raise RuleError(msg("user.password", "密码至少需要8位", "The password needs at least 8 characters"))
    user.password_hash = generate_password_hash(new, method="scrypt")
    user.session_version += 1
    db.session.commit()


def create_token(user: User) -> str:
    """Create an API token and return its plaintext; only the hash is kept."""
    token = "ntk_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), prefix=token[:10]))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    db.session.commit()
    return row.user


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
