"""Read queries for the API: the only SQL the API runs."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, text

STRAINS = text("""
WITH agg AS (
    SELECT st.strain_key, st.name, st.breeder, st.sex, st.flowering,
           count(DISTINCT o.seller) AS n_sellers, count(*) AS n_offers,
           array_agg(DISTINCT o.seller ORDER BY o.seller) AS sellers
    FROM core.strains st
    JOIN core.offers o ON o.strain_key = st.strain_key AND o.active
    WHERE (CAST(:q AS text) IS NULL OR st.name ILIKE '%' || CAST(:q AS text) || '%' ESCAPE '\\')
      AND (CAST(:sex AS text) IS NULL OR st.sex = CAST(:sex AS text))
      AND (CAST(:flowering AS text) IS NULL OR st.flowering = CAST(:flowering AS text))
    GROUP BY st.strain_key
)
SELECT agg.strain_key AS id, agg.name, agg.breeder, agg.sex, agg.flowering, agg.sellers,
       agg.n_offers AS offer_count, agg.n_sellers,
       best.seller AS best_seller, best.pack_size AS best_pack_size, best.price AS best_price,
       best.currency AS best_currency, best.price_per_seed_base AS best_price_per_seed,
       best.base_currency AS best_base_currency, best.url AS best_url
FROM agg
CROSS JOIN LATERAL (
    SELECT o.seller, o.pack_size, o.price, o.currency, o.price_per_seed_base, o.base_currency, o.url
    FROM core.offers o
    WHERE o.strain_key = agg.strain_key AND o.active AND o.in_stock IS NOT FALSE
    ORDER BY o.price_per_seed_base, o.seller, o.offer_key LIMIT 1
) best
WHERE CAST(:after_n AS int) IS NULL
   OR agg.n_sellers < CAST(:after_n AS int)
   OR (agg.n_sellers = CAST(:after_n AS int) AND agg.strain_key > CAST(:after_key AS text))
ORDER BY agg.n_sellers DESC, agg.strain_key
LIMIT :limit
""")


def strains(
    conn: Connection,
    *,
    q: str | None,
    sex: str | None,
    flowering: str | None,
    limit: int,
    after: tuple[int, str] | None,
) -> list[dict[str, Any]]:
    """Strains with active in-stock offers, most widely sold first; keyset-paginated."""
    params = {
        "q": None if q is None else re.sub(r"([\\%_])", r"\\\1", q),  # a literal substring, not a pattern
        "sex": sex,
        "flowering": flowering,
        "limit": limit,
        "after_n": after[0] if after else None,
        "after_key": after[1] if after else None,
    }
    return [dict(r._mapping) for r in conn.execute(STRAINS, params)]


def health(conn: Connection) -> dict[str, Any]:
    row = conn.execute(
        text("""
        SELECT (SELECT count(*) FROM core.strains) AS strains,
               (SELECT count(*) FROM core.offers WHERE active) AS offers,
               (SELECT count(*) FROM core.sources WHERE enabled) AS sellers,
               (SELECT max(finished_at) FROM core.crawls) AS last_crawl_at""")
    ).one()
    return dict(row._mapping)
