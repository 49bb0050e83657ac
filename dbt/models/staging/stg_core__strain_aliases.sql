with source as (
    select * from {{ source('core', 'strain_aliases') }}
),

renamed as (
    select
        breeder,
        name as alias_name,
        strain_key
    from source
)

select * from renamed
