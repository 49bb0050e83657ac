"""Notifications: rules × watchlists → outbox, delivery (SMTP, webhooks). Built by the notifications issue;
plain Python, no Dagster imports."""
