with source as (
    select * from {{ source('core', 'price_history') }}
),

renamed as (
    select
        id as history_id,
        seller,
        offer_key,
        crawl_id,
        observed_at,
        {{ utc_day('observed_at') }} as observed_day,
        price as price_local,
        currency as currency_local,
        price_base,
        in_stock,
        {{ stock_status('in_stock') }} as stock_status,
        {{ is_in_stock('in_stock') }} as is_in_stock
    from source
)

select * from renamed
