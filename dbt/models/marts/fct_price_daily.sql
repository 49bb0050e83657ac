{{ config(post_hook=[
    "create unique index if not exists {{ this.name }}_key_idx on {{ this }} (seller, offer_key, day)",
    "create index if not exists {{ this.name }}_strain_day_idx on {{ this }} (strain_key, day)",
]) }}
-- One row per offer per UTC day, forward-filled from the change-only history: each day carries the last
-- change observed on or before it, from the offer's first observation to today (last_seen_at if retired).
with history as (
    select * from {{ ref('stg_core__price_history') }}
),

offers as (
    select * from {{ ref('stg_core__offers') }}
),

last_of_day as (  -- several crawls in one day: the day ends at the last one
    select distinct on (seller, offer_key, observed_day) *
    from history
    order by seller, offer_key, observed_day, observed_at desc, history_id desc
),

spans as (
    select
        last_of_day.*,
        offers.strain_key,
        offers.pack_seeds,
        coalesce(
            lead(observed_day) over (partition by seller, offer_key order by observed_day) - 1,
            case when offers.is_active then {{ utc_day('now()') }} else {{ utc_day('offers.last_seen_at') }} end
        ) as valid_to
    from last_of_day
    join offers using (seller, offer_key)
)

select
    days.day::date as day,
    spans.seller,
    spans.offer_key,
    spans.strain_key,
    spans.price_local,
    spans.currency_local,
    spans.price_base,
    round(spans.price_base / spans.pack_seeds, 4) as price_per_seed_base,
    spans.stock_status,
    spans.is_in_stock,
    days.day::date = spans.observed_day as is_change
from spans
cross join lateral generate_series(
    spans.observed_day::timestamp, greatest(spans.valid_to, spans.observed_day)::timestamp, interval '1 day'
)
    as days (day)
