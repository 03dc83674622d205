"""`flask payments …`: settle what webhooks left open, and process an event Stripe sent while the
endpoint was down."""

from __future__ import annotations

import click
from flask import Flask


def register_payments_cli(app: Flask) -> None:
    payments = click.Group("payments", help="Payments, refunds and Stripe.")

    @payments.command("reconcile")
    def reconcile() -> None:
        """Settle pending payments and refunds from Stripe's state (safe to run any time, e.g. from cron)."""
        from notices_app.services.payments import reconcile as run

        lines = run()
        for line in lines:
            click.echo(line)
        click.echo(f"对账完成 / reconciled: {len(lines)} item(s)")

    @payments.command("event")
    @click.argument("event_id")
    def event(event_id: str) -> None:
        """Fetch EVENT_ID from Stripe and process it as the webhook would (once)."""
        from notices_app.payments.gateway import GatewayError
        from notices_app.services.payments import gateway, process_event, stripe_enabled

        if not stripe_enabled():
            raise click.ClickException("Stripe 未配置 / STRIPE_SECRET_KEY is not set")
        try:
            data = gateway("stripe").retrieve_event(event_id)
        except GatewayError as err:
            raise click.ClickException(str(err)) from err
        status, outcome = process_event(data, "reconcile")
        click.echo(f"{event_id} {data.get('type')}: {outcome}")
        if status >= 400:
            raise SystemExit(1)

    app.cli.add_command(payments)
