"""Log in, log out, sign up (filers)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from notices_app.extensions import limiter
from notices_app.forms.auth import LoginForm, PasswordForm, SignupForm
from notices_app.rules.messages import RuleError
from notices_app.services import accounts
from notices_app.web.access import ANY_USER, PUBLIC, allow
from notices_app.web.i18n import t
from notices_app.web.security import limit_from_config, safe_next

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example", "/\\evil.example" and absolute URLs would be open redirects.
    return safe_next(target, url_for("public.home"))


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(limit_from_config("RATELIMIT_LOGIN"), methods=["POST"])
def login() -> Any:
    form = LoginForm(meta={"lang": g.lang})
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors = [t("邮箱或密码不正确", "Wrong e-mail or password")]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(ANY_USER)
def logout() -> Any:
    # The session lives in a signed cookie, so a copy of it would outlive logout_user():
    # bumping the session version ends this and every other session of the account.
    accounts.revoke_sessions(g.user)
    logout_user()
    flash(t("已退出登录", "You are logged out"))
    return redirect(url_for("public.home"))


@bp.route("/signup", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit(limit_from_config("RATELIMIT_SIGNUP"), methods=["POST"])
def signup() -> Any:
    form = SignupForm(meta={"lang": g.lang})
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data or "",
                form.password.data or "",
                "filer",
                org_name=(form.org_name.data or "").strip(),
                join_existing=False,  # typing a company's name gives no access to its account
            )
            accounts.update_org_contact(
                user,
                form.credit_code.data or None,
                form.contact_name.data or None,
                form.contact_phone.data or None,
            )
        except RuleError as err:
            form.email.errors = [err.message.render(g.lang)]
        else:
            login_user(user)
            return redirect(url_for("submit.dashboard"))
    return render_template("auth/signup.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@allow(ANY_USER)
@limiter.limit(limit_from_config("RATELIMIT_PASSWORD"), methods=["POST"])
def password() -> Any:
    """Change the password; every other session and every API token of the account ends, this
    session carries on."""
    form = PasswordForm(meta={"lang": g.lang})
    if form.validate_on_submit():
        try:
            accounts.change_password(g.user, form.current_password.data or "", form.new_password.data or "")
        except RuleError as err:
            field = (
                form.current_password if err.message.code == "user.current_password" else form.new_password
            )
            field.errors = [err.message.render(g.lang)]
        else:
            login_user(g.user)  # the new session version: this browser stays signed in
            flash(
                t(
                    "密码已修改，其他设备上的登录已退出，API 令牌已全部吊销",
                    "Password changed; other sessions are logged out and every API token is revoked",
                )
            )
            return redirect(url_for("public.home"))
    return render_template("auth/password.html", form=form)
