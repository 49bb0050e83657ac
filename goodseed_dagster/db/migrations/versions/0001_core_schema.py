"""core schema: sources, crawls, pages, listings, fx, offers, price history, quarantine, strains.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS app;

CREATE TABLE core.sources (
    slug         text PRIMARY KEY,
    name         text NOT NULL,
    platform     text NOT NULL,
    base_url     text NOT NULL,
    config       jsonb NOT NULL,
    config_hash  text NOT NULL,
    enabled      boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE core.crawls (
    id             bigserial PRIMARY KEY,
    seller         text NOT NULL REFERENCES core.sources(slug),
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    status         text NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    stopped_reason text,
    pages          integer NOT NULL DEFAULT 0,
    fetched        integer NOT NULL DEFAULT 0,
    not_modified   integer NOT NULL DEFAULT 0,
    failed         integer NOT NULL DEFAULT 0,
    robots_blocked integer NOT NULL DEFAULT 0,
    bytes          bigint NOT NULL DEFAULT 0,
    duration_s     double precision,
    extracted_at   timestamptz  -- when listings were last rebuilt from this crawl
);
CREATE INDEX crawls_seller_idx ON core.crawls (seller, id DESC);

CREATE TABLE core.pages (
    id             bigserial PRIMARY KEY,
    crawl_id       bigint NOT NULL REFERENCES core.crawls(id) ON DELETE CASCADE,
    url            text NOT NULL,
    status         integer,
    bytes          integer NOT NULL DEFAULT 0,
    sha256         text,
    content_type   text,
    etag           text,
    last_modified  text,
    not_modified   boolean NOT NULL DEFAULT false,
    robots_blocked boolean NOT NULL DEFAULT false,
    fetched_at     timestamptz NOT NULL,
    elapsed_ms     double precision NOT NULL,
    error          text
);
CREATE INDEX pages_crawl_idx ON core.pages (crawl_id);

CREATE TABLE core.listings (
    crawl_id      bigint NOT NULL REFERENCES core.crawls(id) ON DELETE CASCADE,
    seller        text NOT NULL,
    page_url      text NOT NULL,
    url           text NOT NULL,
    product_id    text,
    name          text,
    breeder       text,
    sex           text,
    flowering     text,
    pack_size     integer,
    price         numeric(14, 4),
    currency      char(3),
    in_stock      boolean,
    regular_price numeric(14, 4),
    variant       text,
    adapter       text NOT NULL
);
CREATE INDEX listings_seller_idx ON core.listings (seller, crawl_id);

CREATE TABLE core.fx_rates (
    day       date NOT NULL,
    currency  char(3) NOT NULL,
    per_eur   numeric(18, 8) NOT NULL CHECK (per_eur > 0),
    PRIMARY KEY (day, currency)
);

CREATE TABLE core.strains (
    strain_key    text PRIMARY KEY,
    breeder       text NOT NULL,
    name          text NOT NULL,
    sex           text,
    flowering     text,
    first_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX strains_name_trgm ON core.strains USING gin (name gin_trgm_ops);

CREATE TABLE core.strain_aliases (
    breeder     text NOT NULL,
    name        text NOT NULL,
    strain_key  text NOT NULL,
    note        text,
    PRIMARY KEY (breeder, name)
);

CREATE TABLE core.offers (
    seller              text NOT NULL REFERENCES core.sources(slug),
    offer_key           text NOT NULL,
    url                 text NOT NULL,
    product_id          text,
    title               text NOT NULL,
    breeder_raw         text,
    breeder             text NOT NULL,
    strain_name         text NOT NULL,
    sex                 text,
    flowering           text,
    pack_size           integer NOT NULL CHECK (pack_size > 0),
    price               numeric(14, 4) NOT NULL CHECK (price > 0),
    currency            char(3) NOT NULL,
    regular_price       numeric(14, 4),
    price_base          numeric(14, 4) NOT NULL,
    price_per_seed_base numeric(14, 4) NOT NULL,
    base_currency       char(3) NOT NULL,
    in_stock            boolean,
    match_key           text NOT NULL,
    strain_key          text REFERENCES core.strains(strain_key) ON DELETE SET NULL,
    active              boolean NOT NULL DEFAULT true,
    first_seen_at       timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    crawl_id            bigint NOT NULL,
    PRIMARY KEY (seller, offer_key)
);
CREATE INDEX offers_strain_idx ON core.offers (strain_key) WHERE active;
CREATE INDEX offers_match_idx ON core.offers (match_key);

CREATE TABLE core.price_history (
    id          bigserial PRIMARY KEY,
    seller      text NOT NULL,
    offer_key   text NOT NULL,
    crawl_id    bigint NOT NULL,
    observed_at timestamptz NOT NULL,
    price       numeric(14, 4) NOT NULL,
    currency    char(3) NOT NULL,
    price_base  numeric(14, 4) NOT NULL,
    in_stock    boolean,
    UNIQUE (seller, offer_key, crawl_id),
    FOREIGN KEY (seller, offer_key) REFERENCES core.offers (seller, offer_key) ON DELETE CASCADE
);
CREATE INDEX price_history_offer_idx ON core.price_history (seller, offer_key, observed_at DESC);

CREATE TABLE core.quarantine (
    id          bigserial PRIMARY KEY,
    seller      text NOT NULL,
    crawl_id    bigint,
    stage       text NOT NULL,
    reason      text NOT NULL,
    record      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_seller_idx ON core.quarantine (seller, stage, crawl_id);
"""

DOWNGRADE = """
DROP SCHEMA IF EXISTS core CASCADE;
DROP SCHEMA IF EXISTS app CASCADE;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
