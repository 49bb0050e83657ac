{{ config(post_hook=[
    "create unique index if not exists {{ this.name }}_key_idx on {{ this }} (strain_key)",
    "create index if not exists {{ this.name }}_trgm_idx on {{ this }} using gin (search_text gin_trgm_ops)",
    "create index if not exists {{ this.name }}_price_idx on {{ this }} (best_price_per_seed_base, strain_key)",
    "create index if not exists {{ this.name }}_name_idx on {{ this }} (strain_name, strain_key)",
    "create index if not exists {{ this.name }}_change_idx on {{ this }} (last_change_at desc, strain_key)",
    "create index if not exists {{ this.name }}_sellers_idx on {{ this }} using gin (sellers)",
    "create index if not exists {{ this.name }}_breeder_idx on {{ this }} (breeder)",
]) }}
-- One row per strain, active offers or not: the names it is searched by and its best in-stock offer.
with strains as (
    select * from {{ ref('stg_core__strains') }}
),

offers as (
    select * from {{ ref('fct_offer_current') }}
),

alias_names as (
    select strain_key, alias_name as name from {{ ref('stg_core__strain_aliases') }}
    union
    select strain_key, offer_strain_name from {{ ref('stg_core__offers') }} where strain_key is not null
),

aliases as (
    select strain_key, string_agg(name, ' ' order by name) as aliases
    from alias_names
    group by strain_key
),

coverage as (
    select
        strain_key,
        count(distinct seller) as seller_count,
        count(*) as offer_count,
        count(*) filter (where is_in_stock) as in_stock_offer_count,
        array_agg(distinct seller order by seller) as sellers
    from offers
    group by strain_key
),

best as (
    select * from offers where is_best
),

last_change as (
    select offers.strain_key, max(history.observed_at) as last_change_at
    from {{ ref('stg_core__price_history') }} as history
    join offers using (seller, offer_key)
    group by offers.strain_key
)

select
    strains.strain_key,
    strains.strain_name,
    strains.breeder,
    strains.sex,
    strains.flowering,
    coalesce(aliases.aliases, '') as aliases,
    lower(concat_ws(' ', strains.strain_name, strains.breeder, aliases.aliases)) as search_text,
    coalesce(coverage.seller_count, 0)::int as seller_count,
    coalesce(coverage.offer_count, 0)::int as offer_count,
    coalesce(coverage.in_stock_offer_count, 0)::int as in_stock_offer_count,
    coalesce(coverage.sellers, '{}'::text[]) as sellers,
    best.seller as best_seller,
    best.offer_key as best_offer_key,
    best.offer_url as best_offer_url,
    best.pack_seeds as best_pack_seeds,
    best.price_local as best_price_local,
    best.currency_local as best_currency_local,
    best.price_per_seed_base as best_price_per_seed_base,
    coalesce(best.base_currency, '{{ var("base_currency", "EUR") }}')::char(3) as base_currency,
    best.offer_key is not null as is_in_stock,
    coalesce(last_change.last_change_at, strains.first_seen_at) as last_change_at,
    strains.first_seen_at
from strains
left join aliases using (strain_key)
left join coverage using (strain_key)
left join best using (strain_key)
left join last_change using (strain_key)
