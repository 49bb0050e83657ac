-- The cheapest in-stock offer per seed for each strain (ties: lowest seller slug).
with ranked as (
    select
        *,
        row_number() over (
            partition by strain_key order by price_per_seed_base, seller, offer_key
        ) as price_rank
    from {{ ref('fct_offer_current') }}
    where is_in_stock
)

select
    strain_key,
    seller,
    offer_key,
    offer_url,
    pack_seeds,
    price_local,
    currency_local,
    price_per_seed_base,
    base_currency
from ranked
where price_rank = 1
