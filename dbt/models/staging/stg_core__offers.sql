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
        pack_size as pack_seeds,
        price as price_local,
        currency as currency_local,
        regular_price as regular_price_local,
        price_base,
        price_per_seed_base,
        base_currency,
        in_stock as is_in_stock,
        active as is_active,
        first_seen_at,
        last_seen_at
    from source
)

select * from renamed
