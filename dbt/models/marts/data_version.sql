-- depends_on: {{ ref('strain_search') }}
-- depends_on: {{ ref('fct_offer_current') }}
-- depends_on: {{ ref('fct_price_daily') }}
-- depends_on: {{ ref('price_drops') }}
-- depends_on: {{ ref('seller_health') }}
-- depends_on: {{ ref('best_price_per_strain') }}
-- depends_on: {{ ref('dim_seller') }}
-- depends_on: {{ ref('dim_strain') }}
-- One row: the dbt invocation that built the marts. Built after every other mart, so it changes exactly when a
-- build of the marts lands; the API's ETag and cache key.
select
    '{{ invocation_id }}'::text as version,
    now() as built_at
