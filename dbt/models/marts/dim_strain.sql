with strains as (
    select * from {{ ref('stg_core__strains') }}
),

offers as (
    select * from {{ ref('stg_core__offers') }} where is_active
),

coverage as (
    select
        strain_key,
        count(distinct seller) as seller_count,
        count(*) as offer_count
    from offers
    group by strain_key
)

select
    strains.strain_key,
    strains.strain_name,
    strains.breeder,
    strains.sex,
    strains.flowering,
    coalesce(coverage.seller_count, 0) as seller_count,
    coalesce(coverage.offer_count, 0) as offer_count,
    strains.first_seen_at
from strains
left join coverage using (strain_key)
