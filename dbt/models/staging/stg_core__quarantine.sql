with source as (
    select * from {{ source('core', 'quarantine') }}
),

renamed as (
    select
        id as quarantine_id,
        seller,
        crawl_id,
        stage,
        reason,
        created_at
    from source
)

select * from renamed
