"""Payment gateways: the Protocol and value types (gateway), Stripe (stripe_gateway, the only
module importing `stripe`), and the offline counter (offline). States live in `states`."""
