{{ config(post_hook=["create unique index if not exists {{ this.name }}_key_idx on {{ this }} (seller)"]) }}
-- One row per seller: its last crawl, freshness (a crawl whose data landed within var freshness_hours), the 30-day
-- success rate, fill rates over its active offers, and the quarantine rate of its last merged crawl.
with sellers as (
    select * from {{ ref('stg_core__sellers') }}
),

crawls as (
    select * from {{ ref('stg_core__crawls') }}
),

last_crawl as (
    select distinct on (seller) *
    from crawls
    order by seller, crawl_id desc
),

crawl_stats as (
    select
        seller,
        max(coalesce(finished_at, started_at)) filter (where is_success) as last_success_at,
        count(*) filter (where started_at > now() - interval '30 days') as crawls_30d,
        round(
            (count(*) filter (where started_at > now() - interval '30 days' and is_success))::numeric
            / nullif(count(*) filter (where started_at > now() - interval '30 days'), 0), 4
        ) as crawl_success_rate_30d
    from crawls
    group by seller
),

offers as (
    select * from {{ ref('stg_core__offers') }} where is_active
),

fill as (
    select
        seller,
        count(*) as active_offer_count,
        round(avg((breeder_raw is not null)::int), 4) as fill_breeder,
        round(avg((sex is not null)::int), 4) as fill_sex,
        round(avg((flowering is not null)::int), 4) as fill_flowering,
        round(avg((in_stock is not null)::int), 4) as fill_stock
    from offers
    group by seller
),

last_merged as (  -- the last crawl whose offers landed: its rows offered against its rows quarantined
    select distinct on (seller) seller, crawl_id
    from crawls
    where merged_at is not null
    order by seller, crawl_id desc
),

quarantine_rate as (
    select
        last_merged.seller,
        round(
            q.quarantined::numeric / nullif(q.quarantined + o.offered, 0), 4
        ) as quarantine_rate
    from last_merged
    cross join lateral (
        select count(*) as quarantined from {{ ref('stg_core__quarantine') }} as q
        where q.seller = last_merged.seller and q.crawl_id = last_merged.crawl_id
    ) as q
    cross join lateral (
        select count(*) as offered from offers
        where offers.seller = last_merged.seller and offers.crawl_id = last_merged.crawl_id
    ) as o
)

select
    sellers.seller,
    sellers.seller_name,
    sellers.platform,
    sellers.is_enabled,
    last_crawl.crawl_id as last_crawl_id,
    last_crawl.crawl_status as last_crawl_status,
    last_crawl.started_at as last_crawl_started_at,
    last_crawl.finished_at as last_crawl_finished_at,
    last_crawl.pages as last_crawl_pages,
    last_crawl.failed_pages as last_crawl_failed_pages,
    crawl_stats.last_success_at,
    round((extract(epoch from now() - crawl_stats.last_success_at) / 3600)::numeric, 2) as hours_since_success,
    coalesce(crawl_stats.last_success_at > now() - interval '{{ var("freshness_hours", 36) }} hours', false)
        as is_fresh,
    coalesce(crawl_stats.crawls_30d, 0) as crawls_30d,
    crawl_stats.crawl_success_rate_30d,
    coalesce(fill.active_offer_count, 0) as active_offer_count,
    fill.fill_breeder,
    fill.fill_sex,
    fill.fill_flowering,
    fill.fill_stock,
    quarantine_rate.quarantine_rate
from sellers
left join last_crawl using (seller)
left join crawl_stats using (seller)
left join fill using (seller)
left join quarantine_rate using (seller)
