with source as (
    select * from {{ source('core', 'sources') }}
),

renamed as (
    select
        slug as seller,
        name as seller_name,
        platform,
        base_url,
        enabled as is_enabled
    from source
)

select * from renamed
