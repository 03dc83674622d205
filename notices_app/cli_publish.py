"""`flask edition publish DATE` and `flask edition withdraw-expired` (added to the edition group)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from notices_app.services.errors import Conflict


def _say(err: Conflict) -> str:
    return err.message.render("zh") + " / " + err.message.render("en")


def add_publish_commands(edition: click.Group) -> None:
    """Add the publishing commands to the `edition` command group of the CLI."""

    @edition.command("publish")
    @click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
    def edition_publish(day: datetime) -> None:
        """Freeze the built edition of DAY and publish it to the web (safe to re-run)."""
        from notices_app.extensions import db
        from notices_app.models import EditionBuild
        from notices_app.services import storage
        from notices_app.services.errors import Conflict, NotFound
        from notices_app.services.publishing import frozen_page_path, public_rows, publish_edition

        with click.progressbar(length=1, label="出版 / publishing", show_pos=True) as bar:

            def progress(done: int, total: int, stage: str) -> None:
                bar.length = total
                bar.label = f"出版 / publishing: {stage}"
                bar.update(done - bar.pos)

            try:
                edition = publish_edition(day.date(), progress=progress)
            except NotFound as err:
                raise click.ClickException(f"没有这一期 / no such edition: {err}") from err
            except Conflict as err:
                raise click.ClickException(_say(err)) from err
        click.echo(f"已出版 / published {edition.date.isoformat()}")
        click.echo(f"冻结版面 / frozen pages: {storage.path_of(frozen_page_path(edition.date, 1)).parent}")
        build = db.session.get(EditionBuild, edition.published_build_id)
        for page in build.pages if build else []:
            click.echo(
                f"  第{page['number']}版 page-{int(page['number']):02d}.pdf  sha256 {page['sha256'][:16]}…"
            )
        rows = public_rows(edition=edition, limit=10_000)
        click.echo(f"网络版公告 / web copies: {len(rows)}")

    @edition.command("withdraw-expired")
    def edition_withdraw_expired() -> None:
        """Withdraw web copies of termination notices past the retention period (run daily)."""
        from notices_app.services.publishing import withdraw_expired

        rows = withdraw_expired()
        for row in rows:
            click.echo(f"已撤下 / withdrawn: #{row.id} {row.run_date.isoformat()} {row.org_name}")
        click.echo(f"共 {len(rows)} 条 / {len(rows)} withdrawn")
