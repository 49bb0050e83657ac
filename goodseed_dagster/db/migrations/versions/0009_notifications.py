"""Notifications: users, watchlists, followed breeders, and the outbox the delivery job drains.

One alert is one row of app.notifications, unique by its dedupe key (user, rule, offer, price/stock state), so
a rule that fires again for the same state adds nothing. A batch run groups a user's new alerts into one
message per channel: one row of app.outbox, whose state machine is pending → sending → sent | failed → dead.
The Message-ID and the webhook's idempotency key derive from the outbox row's batch_key, so a message sent
twice after a crash is recognisably the same message.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE app.users (
    id                  bigserial PRIMARY KEY,
    email               text NOT NULL UNIQUE CHECK (position('@' in email) > 1),
    timezone            text NOT NULL DEFAULT 'UTC',
    locale              text NOT NULL DEFAULT 'en',
    digest              text NOT NULL DEFAULT 'instant' CHECK (digest IN ('instant', 'weekly', 'off')),
    unsubscribe_secret  text NOT NULL,
    webhook_url         text,
    webhook_secret      text,
    unsubscribed_at     timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE app.watch_folders (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app.users(id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, name)
);

CREATE TABLE app.watch_items (
    id                      bigserial PRIMARY KEY,
    user_id                 bigint NOT NULL REFERENCES app.users(id) ON DELETE CASCADE,
    folder_id               bigint REFERENCES app.watch_folders(id) ON DELETE SET NULL,
    strain_key              text NOT NULL,
    seller                  text,
    pack_seeds              integer CHECK (pack_seeds > 0),
    target_price_per_seed   numeric(14, 4) CHECK (target_price_per_seed > 0),
    target_price_pack       numeric(14, 4) CHECK (target_price_pack > 0),
    min_drop_pct            numeric(5, 2) CHECK (min_drop_pct > 0 AND min_drop_pct < 100),
    created_at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX watch_items_user_idx ON app.watch_items (user_id);
CREATE INDEX watch_items_strain_idx ON app.watch_items (strain_key);

CREATE TABLE app.followed_breeders (
    user_id     bigint NOT NULL REFERENCES app.users(id) ON DELETE CASCADE,
    breeder     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, breeder)
);

CREATE TABLE app.outbox (
    id               bigserial PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES app.users(id) ON DELETE CASCADE,
    channel          text NOT NULL CHECK (channel IN ('email', 'webhook')),
    kind             text NOT NULL DEFAULT 'alerts' CHECK (kind IN ('alerts', 'digest', 'report')),
    batch_key        text NOT NULL UNIQUE,
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at       timestamptz,
    last_error       text,
    note             text,  -- why a row was closed without sending (unsubscribed, nothing left)
    payload          jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX outbox_due_idx ON app.outbox (next_attempt_at) WHERE state IN ('pending', 'failed');
CREATE INDEX outbox_user_sent_idx ON app.outbox (user_id, sent_at) WHERE state = 'sent';

CREATE TABLE app.notifications (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES app.users(id) ON DELETE CASCADE,
    rule        text NOT NULL,
    dedupe_key  text NOT NULL UNIQUE,
    strain_key  text,
    seller      text,
    offer_key   text,
    promise     jsonb NOT NULL,
    outbox_id   bigint REFERENCES app.outbox(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_outbox_idx ON app.notifications (outbox_id);

-- A message's alerts: email and webhook rows of one batch (and a digest) each list the alerts they carry.
CREATE TABLE app.outbox_items (
    outbox_id        bigint NOT NULL REFERENCES app.outbox(id) ON DELETE CASCADE,
    notification_id  bigint NOT NULL REFERENCES app.notifications(id) ON DELETE CASCADE,
    PRIMARY KEY (outbox_id, notification_id)
);

-- The API's one write on users: a List-Unsubscribe link's token is "<user id>.<hex SHA-256 of
-- '<unsubscribe_secret>:unsubscribe:<user id>'>" (keyed by the user's random secret; pgcrypto's hmac is not
-- in the embedded server); goodseed_api may call this function and nothing else on app.users.
CREATE FUNCTION app.unsubscribe(token text) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    WITH target AS (
        SELECT u.id
        FROM app.users u
        WHERE split_part(token, '.', 1) ~ '^[0-9]{1,18}$'
          AND u.id = split_part(token, '.', 1)::bigint
          AND encode(sha256(convert_to(u.unsubscribe_secret || ':unsubscribe:' || u.id, 'UTF8')), 'hex')
              = split_part(token, '.', 2)
    ), done AS (
        UPDATE app.users SET unsubscribed_at = coalesce(unsubscribed_at, now())
        WHERE id IN (SELECT id FROM target) RETURNING id
    )
    SELECT count(*) > 0 FROM done
$$;
REVOKE ALL ON FUNCTION app.unsubscribe(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.unsubscribe(text) TO goodseed_api;
"""

DOWNGRADE = """
DROP FUNCTION app.unsubscribe(text);
DROP TABLE app.outbox_items;
DROP TABLE app.notifications;
DROP TABLE app.outbox;
DROP TABLE app.followed_breeders;
DROP TABLE app.watch_items;
DROP TABLE app.watch_folders;
DROP TABLE app.users;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
