"""The market's canonical catalogue, parsed from the real Seed City listings in data/.

Each usable listing becomes one `CatalogueItem` per seed sex it is sold in: identity is
(breeder, strain, sex, flowering) and `strain_id` is a readable, stable slug of it, which tests use to
check cross-shop matching. Listings without packs, bulk/sale pseudo-breeders and names that already
carry a sale prefix, a breeder suffix or a sex word are skipped, so that shop naming styles are the
only source of mess.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

Sex = Literal["feminized", "regular"]
Flowering = Literal["autoflower", "photoperiod"]

DATA = Path(__file__).parent / "data" / "seedcity_catalog.csv"
_SKIP_BREEDERS = {"Seed City Bulk Cannabis Seeds", "Cannabis Seed Sale Items"}
_PACK = re.compile(
    r"^(?P<n>\d+) (?:Single )?(?P<sex>Feminised|Regular)(?P<auto> Auto)? Seeds?\s*"
    r"\(GBP (?P<price>\d+(?:\.\d+)?)\)$"
)
# "Automatic" is the breeders' long form of "Auto" ("Pineapple Express Automatic" is an autoflower)
_AUTO = re.compile(r"\b(?:Auto|Automatic|Autoflower|Autoflowering)\b", re.IGNORECASE)
_BAD_NAME = re.compile(
    r"^SALE\b| - |\b(?:Fem|Feminised|Feminized|Reg|Regular|Seeds?|x\s*\d+)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """One strain as sold by its breeder in one sex: the identity every shop's offers map back to."""

    strain_id: str
    breeder: str
    strain: str
    sex: Sex
    flowering: Flowering
    packs: tuple[tuple[int, Decimal], ...]  # (seeds per pack, GBP price), ascending by size


def slugify(text: str) -> str:
    """Lower-case ASCII slug, as shops build handles and URLs."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = text.replace("'", "").replace("#", "")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def unit(*parts: object) -> float:
    """A deterministic uniform number in [0, 1) from the parts: seeded hashing, no global random state."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _items_of(strain_name: str, breeder: str, pack_options: str) -> list[CatalogueItem]:
    strain_name, breeder = strain_name.strip(), breeder.strip()
    if not pack_options.strip() or breeder in _SKIP_BREEDERS or _BAD_NAME.search(strain_name):
        return []
    auto = bool(_AUTO.search(strain_name))
    strain = re.sub(r"\s+", " ", _AUTO.sub("", strain_name)).strip(" -")
    if not strain or not breeder:
        return []
    by_sex: dict[Sex, dict[int, Decimal]] = {}
    for option in pack_options.split(" | "):
        m = _PACK.match(option.strip())
        if not m:
            continue
        auto = auto or bool(m["auto"])
        sex: Sex = "feminized" if m["sex"] == "Feminised" else "regular"
        n, price = int(m["n"]), Decimal(m["price"]).quantize(Decimal("0.01"))
        if n > 0 and price > 0:
            by_sex.setdefault(sex, {}).setdefault(n, price)
    flowering: Flowering = "autoflower" if auto else "photoperiod"
    items = []
    for sex, packs in by_sex.items():
        sid = "__".join([slugify(breeder), slugify(strain), sex[:3], flowering[:4]])
        items.append(CatalogueItem(sid, breeder, strain, sex, flowering, tuple(sorted(packs.items()))))
    return items


@cache
def load_catalogue(path: Path = DATA) -> tuple[CatalogueItem, ...]:
    """Every usable catalogue item, unique by strain_id, in file order."""
    seen: dict[str, CatalogueItem] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for item in _items_of(row["strain_name"], row["breeder"], row["pack_options"]):
                seen.setdefault(item.strain_id, item)
    return tuple(seen.values())
