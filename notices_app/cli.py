"""The command line of api.md: seed-demo, users create, tokens create|list|revoke, edition list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from notices_app.cli_backup import register_backup_cli
from notices_app.cli_payments import register_payments_cli
from notices_app.cli_publish import add_publish_commands
from notices_app.extensions import db
from notices_app.models import ROLES, Edition
from notices_app.rules.messages import RuleError


def _when(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%d %H:%M UTC"))


def register_cli(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--quiet", is_flag=True, help="Do not print the demo accounts.")
    def seed_demo(quiet: bool) -> None:
        """Load the demo publication, editions, the seed page's story, notices and ad, and demo accounts."""
        from notices_app.services.demo import seed

        accounts = seed()
        if not quiet:
            click.echo("演示数据已载入 / demo data loaded. 演示账户 / demo accounts:")
            for role, email, password in accounts:
                click.echo(f"  {role:<10} {email:<28} {password}")

    users = click.Group("users", help="Manage accounts.")

    @users.command("create")
    @click.argument("email")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--org", "org_name", default=None, help="Organisation name (filers, advertisers).")
    @click.option("--password", required=True)
    def users_create(email: str, role: str, org_name: str | None, password: str) -> None:
        from notices_app.services.accounts import create_user

        try:
            user = create_user(email, password, role, org_name)
        except RuleError as err:
            raise click.ClickException(err.message.render("zh") + " / " + err.message.render("en")) from err
        click.echo(f"created {user.email} ({user.role})")

    app.cli.add_command(users)

    tokens = click.Group("tokens", help="Manage API tokens.")

    def account(email: str) -> Any:
        from notices_app.services.accounts import find_user

        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account {email} / 没有该账户")
        return user

    @tokens.command("create")
    @click.argument("email")
    @click.option(
        "--days",
        type=click.IntRange(1, 3650),
        default=None,
        help="Days until it expires (default NOTICES_API_TOKEN_DAYS, 90).",
    )
    def tokens_create(email: str, days: int | None) -> None:
        """Print a new API token for the account; only its hash is stored."""
        from notices_app.services.accounts import create_token, list_tokens

        user = account(email)
        token = create_token(user, days)
        click.echo(token)  # stdout holds only the token: TOKEN=$(flask tokens create …)
        row = list_tokens(user)[-1]
        click.echo(f"token {row.id} expires {_when(row.expires_at)} / 令牌到期时间", err=True)

    @tokens.command("list")
    @click.argument("email")
    def tokens_list(email: str) -> None:
        """One line per token of the account: id, state, created, expires, last used (never the secret)."""
        from notices_app.models import utcnow
        from notices_app.services.accounts import list_tokens

        now = utcnow()
        rows = list_tokens(account(email))
        if not rows:
            click.echo("no tokens / 没有令牌")
        for row in rows:
            last = _when(row.last_used_at) if row.last_used_at else "never"
            click.echo(
                f"{row.id:>5}  {row.prefix}…  {row.state(now):<7}  created {_when(row.created_at)}  "
                f"expires {_when(row.expires_at)}  last used {last}"
            )

    @tokens.command("revoke")
    @click.argument("email")
    @click.option("--id", "token_id", type=int, default=None, help="Revoke this token (see tokens list).")
    @click.option("--all", "revoke_all", is_flag=True, help="Revoke every token of the account.")
    def tokens_revoke(email: str, token_id: int | None, revoke_all: bool) -> None:
        """Revoke one token of the account (--id N) or all of them (--all); they get 401 at once."""
        from notices_app.services.accounts import revoke_tokens

        if (token_id is None) == (not revoke_all):
            raise click.UsageError("give exactly one of --id N and --all / 请指定 --id N 或 --all 之一")
        user = account(email)
        try:
            count = revoke_tokens(user, token_id)
        except RuleError as err:
            raise click.ClickException(err.message.render("en") + " / " + err.message.render("zh")) from err
        click.echo(f"revoked {count} token(s) of {user.email} / 已吊销{count}个令牌")

    app.cli.add_command(tokens)

    edition = click.Group("edition", help="Editions of the publication.")

    @edition.command("list")
    def edition_list() -> None:
        from notices_app.services.notices import current_publication, publication_calendar

        pub = current_publication()
        cal = publication_calendar(pub)
        rows = db.session.scalars(
            select(Edition).where(Edition.publication_id == pub.id).order_by(Edition.date)
        )
        for ed in rows:
            cutoff = cal.cutoff_for(ed.date).strftime("%Y-%m-%d %H:%M %Z")
            click.echo(f"{ed.date.isoformat()}  cut-off {cutoff}  {ed.status}")

    @edition.command("build")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
    @click.option(
        "--out", "out_dir", type=click.Path(file_okay=False), default=None, help="Also copy the PDFs here."
    )
    def edition_build(day: Any, out_dir: str | None) -> None:
        """Lay out and render the edition of DAY; exit 1 if anything overflowed or failed preflight."""
        from notices_app.services import storage
        from notices_app.services.editions import build_edition
        from notices_app.services.errors import Conflict, NotFound

        with click.progressbar(length=1, label="组版 / building", show_pos=True) as bar:

            def progress(done: int, total: int, stage: str) -> None:
                bar.length = total
                bar.label = f"组版 / building: {stage}"
                bar.update(done - bar.pos)

            try:
                build = build_edition(day.date(), progress=progress)
            except NotFound as err:
                raise click.ClickException(f"没有这一期 / {err}") from err
            except Conflict as err:
                raise click.ClickException(
                    err.message.render("zh") + " / " + err.message.render("en")
                ) from err
        files = [p["pdf"] for p in build.pages] + ([build.edition_pdf] if build.edition_pdf else [])
        if out_dir:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            for rel in files:
                storage.write_atomic(out / Path(rel).name, storage.read(rel))
            where = out
        else:
            where = storage.path_of(build.folder)
        click.echo(f"PDF: {where}")
        for page in build.pages:
            click.echo(
                f"  第{page['number']}版 {page['label']}: {Path(page['pdf']).name}  sha256 {page['sha256'][:16]}…"
            )
        for o in build.overflow:
            click.echo(
                f"未排入 / not placed: {o['kind']} {o['id']} {o['title']}: {o['zh']} / {o['en']}", err=True
            )
        for p in build.preflight:
            click.echo(
                f"印前检查 / preflight: 第{p['page']}版 {p['zh']} / {p['en']} {p.get('details', '')}",
                err=True,
            )
        if build.status != "succeeded":
            click.echo(f"组版失败 / build failed (build {build.number})", err=True)
            raise SystemExit(1)
        click.echo(f"印前检查通过 / preflight passed · build {build.number}")

    add_publish_commands(edition)
    app.cli.add_command(edition)
    register_payments_cli(app)
    register_backup_cli(app)
