"""Log in, log out, sign up (filers)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from notices_app.forms.auth import LoginForm, SignupForm
from notices_app.rules.messages import RuleError
from notices_app.services import accounts
from notices_app.web.access import ANY_USER, PUBLIC, allow
from notices_app.web.i18n import t

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example" and absolute URLs would be open redirects.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("public.home")


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
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
    logout_user()
    flash(t("已退出登录", "You are logged out"))
    return redirect(url_for("public.home"))


@bp.route("/signup", methods=["GET", "POST"])
@allow(PUBLIC)
def signup() -> Any:
    form = SignupForm(meta={"lang": g.lang})
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                form.email.data or "",
                form.password.data or "",
                "filer",
                org_name=(form.org_name.data or "").strip(),
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
