"""Chinese first, English on request: `?lang=en` (remembered in a cookie) or Accept-Language."""

from __future__ import annotations

from flask import Flask, Response, g, request

LANGS = ("zh", "en")


def pick_lang() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    if not request.path.startswith("/api/"):
        cookie = request.cookies.get("lang")
        if cookie in LANGS:
            return cookie
    best = request.accept_languages.best_match(["zh", "en"], default="zh")
    return best or "zh"


def t(zh: str, en: str) -> str:
    """Pick the string for the request's language (templates call this as t('中文', 'English'))."""
    return en if getattr(g, "lang", "zh") == "en" else zh


def init_app(app: Flask) -> None:
    @app.before_request
    def _set_lang() -> None:
        g.lang = pick_lang()

    @app.after_request
    def _remember_lang(resp: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGS:
            resp.set_cookie("lang", asked, max_age=3600 * 24 * 365, samesite="Lax", httponly=True)
        resp.headers.setdefault("Content-Language", "en" if getattr(g, "lang", "zh") == "en" else "zh-CN")
        return resp

    app.jinja_env.globals["t"] = t
    app.jinja_env.globals.update(state_label=state_label, action_label=action_label, kind_label=kind_label)
    app.jinja_env.filters["money"] = money


KIND_LABELS = {
    "lost_license": ("遗失声明", "Lost-licence declaration"),
    "termination": ("解除劳动关系公告", "Termination notice"),
    "general": ("公告", "General notice"),
}


def kind_label(kind: str) -> str:
    zh, en = KIND_LABELS.get(kind, (kind, kind))
    return t(zh, en)


def state_label(state: str) -> str:
    from notices_app.rules.workflow import STATE_LABELS

    label = STATE_LABELS.get(state)
    return label.render(getattr(g, "lang", "zh")) if label else state


def action_label(action: str) -> str:
    from notices_app.rules.workflow import ACTION_LABELS

    label = ACTION_LABELS.get(action)
    if action == "create":
        return t("创建", "Created")
    return label.render(getattr(g, "lang", "zh")) if label else action


def money(fen: int | None) -> str:
    from ads.money import format_fen

    return "—" if fen is None else format_fen(fen, getattr(g, "lang", "zh"))
