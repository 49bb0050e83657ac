-- One row per active offer: what a buyer can order today, comparable across shops.
select
    seller,
    offer_key,
    strain_key,
    offer_url,
    title,
    pack_seeds,
    price_local,
    currency_local,
    regular_price_local,
    price_base,
    price_per_seed_base,
    base_currency,
    is_in_stock,
    last_seen_at
from {{ ref('stg_core__offers') }}
where is_active and strain_key is not null
