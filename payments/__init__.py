"""Adapters of the payment gateway port (billing.gateway): the built-in sandbox and Stripe."""
