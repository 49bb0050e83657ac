with source as (
    select * from {{ source('core', 'strains') }}
),

renamed as (
    select
        strain_key,
        name as strain_name,
        breeder,
        sex,
        flowering,
        first_seen_at
    from source
)

select * from renamed
