-- strain_catalogue links offers to strains (core.offers.strain_key): build after it, not only after offers
-- depends_on: {{ source('core', 'strains') }}
with source as (
    select * from {{ source('core', 'offers') }}
),

renamed as (
    select
        seller,
        offer_key,
        strain_key,
        url as offer_url,
        title,
        breeder_raw,
        breeder,
        strain_name as offer_strain_name,
        sex,
        flowering,
        pack_size as pack_seeds,
        price as price_local,
        currency as currency_local,
        regular_price as regular_price_local,
        price_base,
        price_per_seed_base,
        base_currency,
        in_stock,
        {{ stock_status('in_stock') }} as stock_status,
        {{ is_in_stock('in_stock') }} as is_in_stock,
        active as is_active,
        crawl_id,
        first_seen_at,
        last_seen_at
    from source
)

select * from renamed
