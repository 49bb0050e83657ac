with sellers as (
    select * from {{ ref('stg_core__sellers') }}
),

offers as (
    select * from {{ ref('stg_core__offers') }} where is_active
)

select
    sellers.seller,
    sellers.seller_name,
    sellers.platform,
    sellers.is_enabled,
    count(offers.offer_key) as active_offer_count,
    count(distinct offers.strain_key) as strain_count,
    max(offers.last_seen_at) as last_seen_at
from sellers
left join offers using (seller)
group by 1, 2, 3, 4
