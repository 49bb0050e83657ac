-- The cheapest in-stock offer per seed for each strain (the shared in-stock rule; ties: seller, offer_key).
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
from {{ ref('fct_offer_current') }}
where is_best
