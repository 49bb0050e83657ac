{{ config(post_hook=[
    "create unique index if not exists {{ this.name }}_key_idx on {{ this }} (seller, offer_key)",
    "create index if not exists {{ this.name }}_deal_idx on {{ this }} (drop_pct desc, seller, offer_key) where is_deal",
]) }}
-- One row per active offer whose current price is below its median daily price of the last
-- {{ var('price_drop_window_days', 30) }} days. A "drop" that only undoes a raise made within the window (the price
-- ends at or above its level before the raise) is a fake discount: flagged, never a deal.
{% set window_days = var('price_drop_window_days', 30) %}
with offers as (
    select * from {{ ref('fct_offer_current') }}
),

window_median as (
    select
        seller,
        offer_key,
        round((percentile_cont(0.5) within group (order by price_base))::numeric, 4) as median_30d_price_base
    from {{ ref('fct_price_daily') }}
    where day > {{ utc_day('now()') }} - {{ window_days }}
    group by seller, offer_key
),

price_changes as (  -- history rows that moved the price (stock-only changes are left out)
    select *
    from (
        select
            seller,
            offer_key,
            observed_at,
            observed_day,
            price_local,
            price_base,
            lag(price_local) over w as previous_price_local,
            lag(price_base) over w as previous_price_base
        from {{ ref('stg_core__price_history') }}
        window w as (partition by seller, offer_key order by observed_at, history_id)
    ) as h
    where previous_price_local is distinct from price_local
),

last_change as (
    select distinct on (seller, offer_key) *
    from price_changes
    order by seller, offer_key, observed_at desc
),

fake as (  -- a raise within the window, before the last change, whose old level the price is back at (or above)
    select distinct raises.seller, raises.offer_key
    from price_changes as raises
    join last_change using (seller, offer_key)
    where raises.price_local > raises.previous_price_local
        and raises.observed_day > {{ utc_day('now()') }} - {{ window_days }}
        and raises.observed_at < last_change.observed_at
        and last_change.price_local >= raises.previous_price_local
),

current_price as (  -- the last observed price: history's own figures, so FX re-rating alone is no drop
    select distinct on (seller, offer_key) seller, offer_key, price_base
    from {{ ref('stg_core__price_history') }}
    order by seller, offer_key, observed_at desc, history_id desc
),

strains as (
    select strain_key, strain_name, breeder from {{ ref('dim_strain') }}
),

drops as (
    select
        offers.seller,
        offers.offer_key,
        offers.strain_key,
        strains.strain_name,
        strains.breeder,
        offers.offer_url,
        offers.title,
        offers.pack_seeds,
        current_price.price_base,
        round(current_price.price_base / offers.pack_seeds, 4) as price_per_seed_base,
        offers.base_currency,
        window_median.median_30d_price_base,
        last_change.previous_price_base,
        round(100 * (window_median.median_30d_price_base - current_price.price_base)
            / window_median.median_30d_price_base, 2) as drop_pct,
        last_change.observed_at as changed_at,
        fake.offer_key is not null as is_fake_discount,
        offers.stock_status,
        offers.is_in_stock
    from offers
    join current_price using (seller, offer_key)
    join window_median using (seller, offer_key)
    join strains using (strain_key)
    left join last_change using (seller, offer_key)
    left join fake using (seller, offer_key)
    where current_price.price_base < window_median.median_30d_price_base
)

select
    *,
    drop_pct > 0 and not is_fake_discount and is_in_stock as is_deal
from drops
