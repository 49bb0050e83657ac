with source as (
    select * from {{ source('core', 'crawls') }}
),

renamed as (
    select
        id as crawl_id,
        seller,
        status as crawl_status,
        status in ('ok', 'partial') as is_success,
        stopped_reason,
        started_at,
        finished_at,
        merged_at,
        pages,
        fetched,
        not_modified,
        failed as failed_pages,
        robots_blocked,
        bytes,
        duration_s
    from source
)

select * from renamed
