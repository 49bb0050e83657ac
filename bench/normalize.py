"""Normalization benchmark: normalize_offers (polars) versus the same rules written in pandas.

    python bench/normalize.py [--rows 1000000] [--runs 3] [--sample 20000]

1. Listings (not measured): built from the real catalogue's strings. Every pack of every product the
   simulated market's nine shops list on day 0 (the Seed City catalogue in each shop's naming style:
   "Gelato Fem 5 Seeds", "GELATO (FEM) - BLACKSKULL SEEDS" + "Pack of 5", "SALE - ...", breeder
   spellings), every pack option of every raw Seed City row (messy names, bulk and sale listings,
   rows without packs), and Sensi Seeds' feed in eight languages ("Afghan Kush Reguläre Hanfsamen
   von White Label", "5er Packung", "Pack 10 semillas", "x10", merchandise without a pack). Prices
   are Decimal strings; the base set (~130k rows) is repeated with new product ids/URLs up to
   --rows, every other row repriced in another currency (CHF, CAD, SEK, JPY, AUD), then shuffled.
   The frame is in goodseed_dagster.schema.LISTING's schema and goes to a parquet file.
2. Each implementation runs --runs times, alternating, each run in its own subprocess (so peak RSS,
   VmHWM, is its own); it reads the file and times only the normalization (the median is reported).
   Ours is goodseed_dagster.normalize.offers.normalize_offers; the pandas twin (below) applies the same
   rules with pandas .str methods and the same regexes (imported from normalize/text.py), vectorized,
   in the same steps: the text rules once per distinct (name, variant, labels, breeder) in NFC (pack-size
   patterns coalesced only over the texts still missing a size), strain and breeder names once per
   distinct (title, breeder), taken back to the listings by group number. Its prices are float64 (faster
   for pandas than Decimal objects, so the ratio is conservative).
3. Agreement: both run in this process on a --sample of the listings and every offer and
   quarantine row is compared (prices within 0.0001), so the comparison is of the same work.

Benchmarks are not tests: it always prints its figures and exits 0; the last line gives the verdict.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SEEDCITY = ROOT / "goodseed_dagster" / "market" / "data" / "seedcity_catalog.csv"
SENSI = SHARED / "sensi_feed_multilingual.csv"
ANCHOR_POLARS, ANCHOR_PANDAS = 1.5e6, 160e3  # DESIGN.md "Performance notes": rows/s, simple rules
TARGET_RATIO, TARGET_RSS = 5.0, 1 << 30
BASE = "EUR"
EXTRA_CURRENCIES = ("CHF", "CAD", "SEK", "JPY", "AUD")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------------------
# Listings from the real catalogue


def fx_rates() -> dict[str, Decimal]:
    """The market's day-0 ECB rates (units per EUR)."""
    from goodseed_dagster.market.fx import rates

    return rates(0)


def float_rates() -> dict[str, float]:
    """fx_rates() as the pandas twin takes them."""
    return {c: float(r) for c, r in fx_rates().items()}


def bench_fx() -> pl.DataFrame:
    """fx_rates() as normalize_offers takes them."""
    from goodseed_dagster.normalize.fx import fx_frame

    return fx_frame(fx_rates())


def shop_rows() -> list[dict[str, Any]]:
    """Every variant the market's shops list on day 0, as extraction hands it on."""
    from goodseed_dagster.market.catalog import load_catalogue
    from goodseed_dagster.market.model import candidates, listed
    from goodseed_dagster.market.shops import SHOPS

    n = len(load_catalogue())
    rows: list[dict[str, Any]] = []
    for shop in SHOPS:
        for p in listed(shop, candidates(shop, n), n, 0):
            url = f"https://{shop.slug}.example/{p.path}"
            tags = shop.slug == "greenleaf"  # its tags state sex and flowering
            sex = "Feminised" if p.item.sex == "feminized" else "Regular"
            kind = "Autoflower" if p.item.flowering == "autoflower" else "Photoperiod"
            for v in p.variants:
                rows.append(
                    {
                        "page_url": url,
                        "url": url,
                        "product_id": str(p.pid),
                        "name": p.title,
                        "breeder": p.breeder,
                        "labels": f"{sex} | {kind}" if tags else None,
                        "pack_size": v.pack_size if shop.slug == "packhaus" else None,  # eligibleQuantity
                        "price": str(v.price),
                        "currency": shop.currency,
                        "in_stock": v.in_stock,
                        "regular_price": None if v.regular_price is None else str(v.regular_price),
                        "variant": v.label,
                        "adapter": shop.layout,
                    }
                )
    return rows


def seedcity_rows() -> list[dict[str, Any]]:
    """Every pack option of the raw Seed City rows ("3 Feminised Seeds (GBP 18.54)"), names as listed."""
    rows: list[dict[str, Any]] = []
    with SEEDCITY.open(newline="", encoding="utf-8") as fh:
        for i, r in enumerate(csv.DictReader(fh)):
            url = f"https://seedcity.example/p/{i}"
            options = [o.strip() for o in r["pack_options"].split(" | ") if o.strip()]
            packs = [o.rsplit(" (GBP ", 1) for o in options] or [[None, r["current_price_gbp"] + ")"]]
            for label, price in packs:
                rows.append(
                    {
                        "page_url": url,
                        "url": url,
                        "name": r["strain_name"],
                        "breeder": r["breeder"],
                        "price": price.rstrip(")") or None,
                        "currency": "GBP",
                        "in_stock": True,
                        "regular_price": r["original_price_gbp"] or None,
                        "variant": label,
                        "adapter": "woo",
                    }
                )
    return rows


_SENSI_LABELS = {
    "en": "Pack of {n}",
    "de": "{n}er Packung",
    "es": "Pack {n} semillas",
    "fr": "{n} graines",
    "it": "{n} semi",
    "nl": "{n} zaden",
    "pl": "x{n}",
    "pt": "{n} pcs",
}


def sensi_rows() -> list[dict[str, Any]]:
    """Sensi Seeds' feed in eight languages; merchandise has no pack (quarantined: no pack size)."""
    rows: list[dict[str, Any]] = []
    with SENSI.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            url = f"https://sensi.example/{r['locale']}/{r['seed_id']}"
            n = int(r["number_of_seeds"] or 0)
            rows.append(
                {
                    "page_url": url,
                    "url": url,
                    "product_id": f"{r['seed_id']}-{r['locale']}",
                    "name": r["title"],
                    "breeder": "Sensi Seeds",
                    "price": r["price"],
                    "currency": r["currency"],  # "eur", as the feed writes it
                    "in_stock": True,
                    "variant": _SENSI_LABELS[r["locale"]].format(n=n) if n else None,
                    "labels": " | ".join(v for v in (r["category"], r["strain_type"]) if v),
                    "adapter": "jsonld",
                }
            )
    return rows


def build_listings(rows: int) -> pl.DataFrame:
    """`rows` listings in LISTING's schema: the base set repeated as new products, every other row repriced
    in another currency, shuffled."""
    from goodseed_dagster.schema import LISTING

    base = pl.DataFrame(shop_rows() + seedcity_rows() + sensi_rows(), infer_schema_length=None)
    base = base.sample(fraction=1.0, shuffle=True, seed=13)
    copies = [
        base.with_columns(
            url=pl.col("url") + f"?r={k}",
            page_url=pl.col("page_url") + f"?r={k}",
            product_id=pl.col("product_id") + f"-{k}",
        )
        for k in range(-(-rows // base.height))
    ]
    frame = pl.concat(copies).head(rows)
    rates = {"EUR": 1.0, **float_rates()}
    i = pl.int_range(pl.len())
    to = (i // 2 % len(EXTRA_CURRENCIES)).replace_strict(dict(enumerate(EXTRA_CURRENCIES)))
    factor = to.replace_strict(rates) / pl.col("currency").str.to_uppercase().replace_strict(
        rates, default=None
    )
    moved = i % 2 == 1  # the same offer sold in another currency, its price converted and rounded
    frame = frame.with_columns(
        [
            pl.when(moved)
            .then((pl.col(c).cast(pl.Float64, strict=False) * factor).round(2).cast(pl.String))
            .otherwise(pl.col(c))
            .alias(c)
            for c in ("price", "regular_price")
        ]
        + [pl.when(moved).then(to).otherwise(pl.col("currency")).alias("currency")]
    )
    return LISTING.conform(frame.sample(fraction=1.0, shuffle=True, seed=17))


# --------------------------------------------------------------------------------------------------
# The pandas twin: the rules of normalize/facts.py, text.py and offers.py, in pandas

_TEXT_KEYS = ["name", "variant", "labels", "breeder"]  # offers.py's KEYS


def pandas_normalize(df: Any, rates: dict[str, float], base_currency: str) -> tuple[Any, Any]:
    """(offers, quarantine) as normalize_offers makes them, with pandas .str methods and the same regexes:
    the text rules once per distinct (name, variant, labels, breeder), taken back by group number."""
    import pandas as pd

    text_row = df.groupby(_TEXT_KEYS, dropna=False, sort=False).ngroup().to_numpy()
    texts = _pd_texts(df[_TEXT_KEYS].drop_duplicates().reset_index(drop=True))  # in ngroup's order
    read = texts.take(text_row).set_axis(df.index)
    product = df["product_id"].where(df["product_id"].notna(), df["url"])
    pack = df["pack_size"].fillna(read["variant_pack"])
    pack = pack.fillna(
        read["name_pack"].where(_pd_one_offer(df, product, pack.isna() & read["name_pack"].notna()))
    )
    out = df.assign(currency=df["currency"].str.upper(), pack_size=pack)
    out["offer_key"] = (product + "#" + pack.astype("string")).astype(object)
    table = {"EUR": 1.0, **rates}
    out["per_eur"] = out["currency"].map(table)
    base = (out["price"] / out["per_eur"] * table[base_currency]).round(4)
    out["price_base"] = base.where(base.abs() < 1e10)  # numeric(14, 4) holds less: null, then quarantined
    positive_pack = pack.where(pack > 0).astype("Float64")
    out["price_per_seed_base"] = (out["price_base"] / positive_pack).round(4)
    out["reason"] = _pd_reason(out, read)
    ok = out["reason"].isna().to_numpy()
    offers = pd.concat([out.loc[ok, _FROM_LISTING], read.loc[ok, _FROM_TEXTS]], axis=1)
    offers = offers.assign(base_currency=base_currency)
    return offers[_offer_columns()], out[~ok][[*_listing_columns(), "reason"]]


def _pd_one_offer(df: Any, product: Any, by_name: Any) -> Any:
    """facts.py's _one_offer: the product's one offer on its page, counted on the pages where it decides."""
    on_pages = df["page_url"].isin(df.loc[by_name, "page_url"].unique())
    pages = df[on_pages]
    sizes = pages.groupby([pages["page_url"], product[on_pages]], dropna=False)["url"].transform("size")
    return (sizes == 1).reindex(df.index, fill_value=False)


_FROM_LISTING = ["offer_key", "url", "product_id", "pack_size", "price", "currency", "regular_price"]
_FROM_LISTING += ["price_base", "price_per_seed_base", "in_stock"]
_FROM_TEXTS = ["title", "breeder_raw", "breeder", "strain_name", "sex", "flowering", "match_key"]


def _pd_texts(texts: Any) -> Any:
    """offers.py's _texts: per distinct text, the facts the rules read (facts.py's read_texts) in NFC, the
    names (per distinct NFC title and breeder) and the match key."""
    nfc = {c: texts[c].str.normalize("NFC") for c in _TEXT_KEYS}
    words = _pd_join(nfc["name"], nfc["variant"])
    r = _rules()
    sex = _pd_either(words, r._FEM, "feminized", r._REG, "regular")
    sex = sex.fillna(_pd_either(nfc["labels"], r._FEM, "feminized", r._REG, "regular"))
    flowering = _pd_either(words, r._AUTO, "autoflower", r._PHOTO, "photoperiod")
    flowering = flowering.fillna(_pd_either(nfc["labels"], r._AUTO, "autoflower", r._PHOTO, "photoperiod"))
    texts = texts.assign(
        variant_pack=_pd_pack_size(nfc["variant"]),
        name_pack=_pd_pack_size(nfc["name"]),
        sex=sex,
        flowering=flowering.fillna("photoperiod"),
        title=texts["name"].str.strip(),
        breeder_raw=texts["breeder"].str.strip(),
        nfc_title=nfc["name"].str.strip(),
        nfc_breeder=nfc["breeder"].str.strip(),
    )
    names = texts[["nfc_title", "nfc_breeder"]].drop_duplicates()  # the costly rules once per distinct pair
    names = names.assign(
        breeder_name=_pd_breeder_display(names["nfc_breeder"]),
        strain_name=_pd_strain_name(names["nfc_title"], names["nfc_breeder"]),
    )
    names = names.assign(
        breeder_key=_pd_breeder_key(names["breeder_name"]), name_key=_pd_name_key(names["strain_name"])
    )
    texts = texts.merge(names, on=["nfc_title", "nfc_breeder"], how="left")
    sex_key = texts["sex"].fillna("unknown")
    match_key = texts["breeder_key"] + "|" + texts["name_key"] + "|" + sex_key + "|" + texts["flowering"]
    texts = texts.drop(columns="breeder").rename(columns={"breeder_name": "breeder"})  # its display name
    return texts.assign(
        match_key=match_key,
        no_name=texts["title"].isna() | (texts["strain_name"].str.len() == 0),
        long_match=_pd_bytes(match_key) > _max_key_bytes(),
    )[[*_FROM_TEXTS, "variant_pack", "name_pack", "no_name", "long_match"]]


def _max_key_bytes() -> int:
    from goodseed_dagster.normalize.offers import MAX_KEY_BYTES

    return MAX_KEY_BYTES


def _offer_columns() -> list[str]:
    from goodseed_dagster.schema import OFFER

    return OFFER.names


def _listing_columns() -> list[str]:
    from goodseed_dagster.schema import LISTING

    return LISTING.names


def _pd_reason(out: Any, read: Any) -> Any:
    """The first rule a listing breaks (offers.py's _reason), or None."""
    import pandas as pd

    from goodseed_dagster.normalize.offers import MAX_KEY_BYTES, MAX_PACK_SIZE

    price, pack, base, per_seed = (
        out["price"],
        out["pack_size"],
        out["price_base"],
        out["price_per_seed_base"],
    )
    rules = [
        (read["no_name"], "no product name"),
        (price.isna(), "no price"),
        (price <= 0, "price is not positive"),
        (pack.isna(), "no pack size"),
        ((pack <= 0).fillna(False), "pack size is not positive"),
        ((pack > MAX_PACK_SIZE).fillna(False), f"pack size over {MAX_PACK_SIZE}"),
        (out["currency"].isna(), "no currency"),
        (out["per_eur"].isna(), "no FX rate for currency"),
        (base.isna(), "price in the base currency out of range"),
        (((base <= 0) | (per_seed <= 0)).fillna(False), "price in the base currency rounds to zero"),
        (_pd_bytes(out["offer_key"]) > MAX_KEY_BYTES, f"product id or URL longer than {MAX_KEY_BYTES} bytes"),
        (read["long_match"], f"breeder and name longer than {MAX_KEY_BYTES} bytes"),
        (out["offer_key"].duplicated(keep=False), "duplicate offer (same product and pack)"),
    ]
    reason = pd.Series(None, index=out.index, dtype=object)
    for broken, why in reversed(rules):  # the first rule broken wins
        reason = reason.mask(broken.astype(bool), why)
    return reason


def _pd_bytes(text: Any) -> Any:
    """UTF-8 length of each string (0 for null)."""
    return text.astype("str").str.encode("utf-8").str.len().fillna(0)


def _rules() -> Any:
    from goodseed_dagster.normalize import text

    return text


_APOSTROPHES = r"[’`´']"
_NOT_ALNUM = r"[\W_]+"  # text.py's [^0-9a-z\p{L}]+ after lowercasing (Python's re has no \p{L})


def _pd_join(a: Any, b: Any) -> Any:
    """concat_str([a, b], separator=" ", ignore_nulls=True)."""
    both = a.fillna("") + " " + b.fillna("")
    return both.where(a.notna() & b.notna(), a.fillna(b).fillna(""))


def _pd_either(text: Any, first: str, first_value: str, second: str, second_value: str) -> Any:
    """text.py's _either: first_value when only `first` matches, second_value when only `second` does."""
    import pandas as pd

    a, b = text.str.contains(first, na=False), text.str.contains(second, na=False)
    return pd.Series(None, index=text.index, dtype="str").mask(a & ~b, first_value).mask(b & ~a, second_value)


def _pd_pack_size(text: Any) -> Any:
    """Multi-pack product first, then each single form over the rows still missing a size."""
    import pandas as pd

    r = _rules()
    multi = text.str.extract(r._MULTI_PACK)
    out = (pd.to_numeric(multi["n"], errors="coerce") * pd.to_numeric(multi["m"], errors="coerce")).astype(
        "Int64"
    )
    for pattern in r._PACK_PATTERNS:
        missing = out.isna()
        if missing.any():
            out[missing] = pd.to_numeric(text[missing].str.extract(pattern, expand=False), errors="coerce")
    return out.mask(out.isna() & text.str.contains(r._SINGLE, na=False), 1)


def _pd_breeder_key(breeder: Any) -> Any:
    return (
        breeder.str.lower()
        .str.replace(_APOSTROPHES, "", regex=True)
        .str.replace(_rules()._BREEDER_WORDS, " ", regex=True)
        .str.replace(_NOT_ALNUM, "", regex=True)
    )


def _pd_name_key(name: Any) -> Any:
    return name.str.lower().str.replace(_NOT_ALNUM, "", regex=True)


def _pd_breeder_display(raw: Any) -> Any:
    cleaned = raw.str.strip().str.replace(r"(?i)\s+seeds?\s*$", "", n=1, regex=True).str.strip()
    return cleaned.where(cleaned.notna() & (cleaned.str.len() > 0), "Unknown")


def _pd_words(text: Any) -> Any:
    return (
        text.fillna("")
        .str.lower()
        .str.replace(_rules()._ELISION, r"\1 de ", regex=True)
        .str.replace(_APOSTROPHES, "", regex=True)
        .str.replace(r"#\s*(\d)", _rules()._NUMBER_MARK + r"\1", regex=True)
    )


def _pd_phrase(text: Any) -> Any:
    cleaned = (
        text.str.replace(_rules()._BREEDER_WORDS, " ", regex=True)
        .str.replace(r"[^\w%\u0300-\u036f]+", " ", regex=True)  # Rust's \w has combining marks
        .str.replace(r"\s+", " ", regex=True)
    )
    return " " + cleaned.str.strip() + " "


def _pd_strip_packs(text: Any) -> Any:
    r = _rules()
    for pattern in (p for p in r._PACK_PATTERNS if p != r._BARE_NUMBER):
        text = text.str.replace(pattern.replace("(\\d{1,4})", "\\d{1,4}"), " ", regex=True)
    return text


def _pd_bare(words: Any) -> Any:
    return (
        words.str.replace(_rules()._NOISE_WORDS, " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip(" .")
    )


def _pd_named(bare: Any) -> Any:
    r = _rules()
    named = bare.str.title().str.replace("(?i)" + r._NUMBER_MARK, "#", regex=True)
    for acronym in r._ACRONYMS:
        named = named.str.replace(rf"\b{acronym.title()}\b", acronym, regex=True)
    return named


def _pd_strain_name(title: Any, breeder: Any) -> Any:
    import pandas as pd

    r = _rules()
    phrase = _pd_phrase(_pd_words(breeder))
    words = _pd_phrase(_pd_strip_packs(_pd_words(title.str.replace(r._SALE_PREFIX, "", n=1, regex=True))))
    split = pd.Series([w.replace(p, " ") for w, p in zip(words, phrase, strict=True)], index=words.index)
    without_breeder, breeder_only = _pd_bare(split), _pd_bare(phrase)
    # the first branch that holds wins, as in pl.when().then().when().then().otherwise()
    chosen = (
        _pd_bare(words)
        .mask(breeder_only.str.len() > 0, breeder_only)
        .mask((phrase.str.strip().str.len() > 0) & (without_breeder.str.len() > 0), without_breeder)
    )
    return _pd_named(chosen)


def to_pandas(frame: pl.DataFrame) -> Any:
    """A polars listing frame as pandas (prices float64, nullable Int64/boolean); not pyarrow-bound."""
    import pandas as pd

    data: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        s = frame[name]
        if dtype == pl.String:
            data[name] = pd.array(s.to_list(), dtype="str")
        elif isinstance(dtype, pl.Decimal):
            data[name] = s.cast(pl.Float64).to_numpy()
        elif dtype == pl.Boolean:
            data[name] = pd.array(s.to_list(), dtype="boolean")
        else:
            data[name] = pd.array(s.to_list(), dtype="Int64")
    return pd.DataFrame(data)


# --------------------------------------------------------------------------------------------------
# One measured run per subprocess


def child(kind: str, path: Path) -> None:
    """Read the listings, time one normalization, print RESULT {json} with the process's peak RSS."""
    from goodseed_dagster.normalize.offers import normalize_offers

    listings = pl.read_parquet(path)
    run: Callable[[], tuple[int, int]]
    if kind == "polars":
        fx = bench_fx()

        def run() -> tuple[int, int]:
            out = normalize_offers(listings, fx, BASE)
            return out.offers.height, out.quarantine.height
    else:
        frame = to_pandas(listings)
        del listings

        def run() -> tuple[int, int]:
            offers, quarantine = pandas_normalize(frame, float_rates(), BASE)
            return len(offers), len(quarantine)

    gc.collect()
    loaded = _rss_now()
    t0 = time.perf_counter()
    offers, quarantined = run()
    seconds = time.perf_counter() - t0
    peak = _peak_rss()
    rows = offers + quarantined
    print(
        "RESULT "
        + json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "offers": offers,
                "quarantined": quarantined,
                "peak_rss": peak,
                "loaded_rss": loaded,
            }
        )
    )


def _peak_rss() -> int:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries the spawning parent's peak across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _rss_now() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def run_child(kind: str, path: Path) -> dict[str, Any] | None:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--input", str(path)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    log(f"  {kind} run failed (exit {done.returncode}): {done.stderr.strip()[-1500:]}")
    return None


# --------------------------------------------------------------------------------------------------
# Agreement on a sample


def agreement(sample: pl.DataFrame) -> tuple[float, dict[str, int], list[str]]:
    """(share of listings with the same outcome, mismatches per column, examples) of both implementations."""
    from goodseed_dagster.normalize.offers import normalize_offers

    ours = normalize_offers(sample, bench_fx(), BASE)
    pd_offers, pd_quarantine = pandas_normalize(to_pandas(sample), float_rates(), BASE)
    theirs = _from_pandas(pd_offers, ours.offers.schema)
    cols = [c for c in ours.offers.columns if c != "offer_key"]
    joined = ours.offers.join(theirs, on="offer_key", how="full", suffix="_pd", coalesce=True)
    same = pl.lit(True)
    per_column: dict[str, int] = {}
    for c in cols:
        a, b = pl.col(c), pl.col(f"{c}_pd")
        if c in ("price", "regular_price", "price_base", "price_per_seed_base"):
            a, b = a.cast(pl.Float64), b.cast(pl.Float64)
            eq = ((a - b).abs() <= 1.001e-4) | (a.is_null() & b.is_null())
        else:
            eq = a.cast(pl.String).eq_missing(b.cast(pl.String))
        eq = eq.fill_null(False)
        per_column[c] = joined.filter(~eq).height
        same = same & eq
    agreed = joined.filter(same)
    examples = [str(r) for r in joined.filter(~same).head(3).iter_rows(named=True)]
    keys = ["url", "product_id", "variant", "name", "reason"]
    q_ours = ours.quarantine.select(keys).group_by(keys).len()
    q_pd = _from_pandas(pd_quarantine[keys], q_ours.schema).group_by(keys).len()
    q_same = q_ours.join(q_pd, on=keys, how="inner", nulls_equal=True)
    q_agree = int(q_same.select(pl.min_horizontal("len", "len_right")).sum().item() or 0)
    per_column["quarantine"] = ours.quarantine.height - q_agree
    return (agreed.height + q_agree) / sample.height, per_column, examples


def _from_pandas(frame: Any, like: pl.Schema) -> pl.DataFrame:
    """A pandas result as polars, typed like ours (prices stay float64)."""
    data = {c: [None if v is None or v != v else v for v in frame[c].tolist()] for c in frame.columns}
    schema = {c: pl.Float64() if isinstance(t, pl.Decimal) else t for c, t in like.items() if c in data}
    return pl.DataFrame(data, schema=schema, strict=False)


# --------------------------------------------------------------------------------------------------


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="listings to normalize")
    ap.add_argument("--runs", type=int, default=3, help="runs per implementation (alternating; median)")
    ap.add_argument("--sample", type=int, default=20_000, help="listings compared between the two")
    ap.add_argument("--child", choices=["polars", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.input)
        return
    try:
        import pandas as pd
    except ImportError:
        print("pandas is not installed (`make bench` installs the bench extra): nothing to compare against.")
        return
    log(f"polars {pl.__version__}, pandas {pd.__version__}; {os.cpu_count()} cores; load {os.getloadavg()}")
    log(f"building {args.rows:,} listings from the catalogue's strings ...")
    listings = build_listings(args.rows)
    log(f"  {listings.height:,} listings, {listings['currency'].str.to_uppercase().n_unique()} currencies")
    with tempfile.TemporaryDirectory(prefix="goodseed-bench-") as tmp:
        path = Path(tmp) / "listings.parquet"
        listings.write_parquet(path)
        log(f"agreement on a sample of {min(args.sample, listings.height):,} listings ...")
        share, per_column, examples = agreement(listings.sample(min(args.sample, listings.height), seed=7))
        del listings
        gc.collect()
        results: dict[str, list[dict[str, Any]]] = {"polars": [], "pandas": []}
        for i in range(args.runs):
            for kind in ("polars", "pandas"):
                log(f"run {i + 1}/{args.runs} {kind} (own process) ...")
                r = run_child(kind, path)
                if r:
                    results[kind].append(r)
                    log(
                        f"  {r['rows']:,} rows in {r['seconds']:.2f}s = {r['rows'] / r['seconds']:,.0f} rows/s, "
                        f"{r['offers']:,} offers, {r['quarantined']:,} quarantined, peak RSS {gib(r['peak_rss'])}"
                    )
    report(results, share, per_column, examples)


def _median(runs: list[dict[str, Any]], key: str) -> float:
    values = sorted(r[key] for r in runs)
    return float(values[len(values) // 2]) if values else 0.0


def report(
    results: dict[str, list[dict[str, Any]]], share: float, per_column: dict[str, int], examples: list[str]
) -> None:
    pol, pan = results["polars"], results["pandas"]
    print("\n== normalize: figures ==")
    print(f"agreement on the sample: {share:.2%} of listings have the same offer or quarantine row")
    bad = {c: n for c, n in per_column.items() if n}
    if bad:
        print(f"  mismatching rows per column: {bad}")
        for e in examples:
            print(f"  e.g. {e[:600]}")
    if not (pol and pan):
        print("a run failed: no ratio (see above). TARGET NOT MEASURED")
        return
    rate_pol = _median([{**r, "rate": r["rows"] / r["seconds"]} for r in pol], "rate")
    rate_pan = _median([{**r, "rate": r["rows"] / r["seconds"]} for r in pan], "rate")
    rss = max(r["peak_rss"] for r in pol)
    print(
        f"polars normalize_offers: {rate_pol:>12,.0f} rows/s  (DESIGN anchor for simple rules {ANCHOR_POLARS:,.0f})"
    )
    print(
        f"pandas twin:             {rate_pan:>12,.0f} rows/s  (DESIGN anchor for simple rules {ANCHOR_PANDAS:,.0f})"
    )
    print(f"polars / pandas:         {rate_pol / rate_pan:>12.2f}x  (target >= {TARGET_RATIO:.0f}x)")
    print(
        f"peak RSS, polars process: {gib(rss)} (after reading the listings: "
        f"{gib(max(r['loaded_rss'] for r in pol))}; target <= {gib(TARGET_RSS)}); "
        f"pandas process: {gib(max(r['peak_rss'] for r in pan))}"
    )
    ok_ratio, ok_rss = rate_pol / rate_pan >= TARGET_RATIO, rss <= TARGET_RSS
    verdict = "MET" if ok_ratio and ok_rss else "NOT MET"
    print(
        f"target (>= {TARGET_RATIO:.0f}x pandas, <= 1 GiB): {verdict} "
        f"(ratio {'ok' if ok_ratio else 'missed'}, RSS {'ok' if ok_rss else 'missed'})"
    )


if __name__ == "__main__":
    main()
