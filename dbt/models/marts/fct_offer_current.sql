{{ config(post_hook=[
    "create index if not exists {{ this.name }}_strain_idx on {{ this }} (strain_key)",
    "create unique index if not exists {{ this.name }}_key_idx on {{ this }} (seller, offer_key)",
]) }}
-- One row per active offer linked to a strain: what a buyer can order today, comparable across shops.
with offers as (
    select * from {{ ref('stg_core__offers') }}
    where is_active and strain_key is not null
),

sellers as (
    select seller, seller_name from {{ ref('stg_core__sellers') }}
),

ranked as (
    select
        offers.*,
        case when offers.is_in_stock then
            row_number() over (
                partition by offers.strain_key, offers.is_in_stock
                order by offers.price_per_seed_base, offers.seller, offers.offer_key
            )
        end as in_stock_rank
    from offers
)

select
    ranked.seller,
    sellers.seller_name,
    ranked.offer_key,
    ranked.strain_key,
    ranked.offer_url,
    ranked.title,
    ranked.pack_seeds,
    ranked.price_local,
    ranked.currency_local,
    ranked.regular_price_local,
    ranked.price_base,
    ranked.price_per_seed_base,
    ranked.base_currency,
    ranked.stock_status,
    ranked.is_in_stock,
    coalesce(ranked.in_stock_rank = 1, false) as is_best,
    ranked.first_seen_at,
    ranked.last_seen_at
from ranked
join sellers using (seller)
