"""The text rules: pack size, sex, flowering, breeder and strain names from the words shops print.

The one implementation of each rule (extraction hands on the page's words; `goodseed extract` and the
offers stage both read them here). Every rule is a polars expression so normalization runs over whole
frames without per-row Python. The patterns cover the forms real shops use (English, Spanish, German,
Dutch, French, Italian). Sex and flowering are stated only when a text says one thing and not the other:
unknown is null, never guessed. The rules read text in NFC (facts.distinct_texts hands it so).
"""

from __future__ import annotations

import polars as pl

# The words that state a fact, in the languages shops print (en, es, pt, de, nl, fr, it, pl); the noise
# words below are built from the same lists, so a word that states a fact never stays in a strain name.
_FEM_WORDS = (
    r"fem|femini[sz]ed|feminizad[ao]s?|feminisiert(?:e[nrs]?)?|gefeminiseerde?|f[ée]minis[ée]e?s?"
    r"|femm?inizzat[aeio]|feminizowane?"
)
_REG_WORDS = (
    r"reg|regular|regulares?|regul(?:ä|ae)re?[nrs]?|regulier(?:e)?|r[ée]guli(?:è|e)re?s?|regolari?|regularne?"
)
_PHOTO_WORDS = r"photoperiod(?:ic)?|photo|fast version|fast flowering|f1 fast"
_SEED_WORDS = r"seeds?|semillas?|sementes?|hanfsamen|samen|zaden|wietzaden|cannabiszaden|graines?|semences?|semi|nasiona"
# "Automatic" is the long form of "Auto" ("Royal AK Automatic", "Automatic White Widow")
_AUTO_WORDS = (
    r"auto|autos|autoflower(?:ing|s)?|auto-?flowering|automatic(?:[ -]flowering)?"
    r"|autom[aá]tic[ao]s?|automati(?:que|sch)e?s?|automatyczn(?:e|ie kwitn\w*)|autoflorecientes?"
    r"|autofloraison|autofiorent[ei]"
)
_FEM = rf"(?i)\b(?:{_FEM_WORDS})\b"
_REG = rf"(?i)\b(?:{_REG_WORDS})\b"
_AUTO = rf"(?i)\b(?:{_AUTO_WORDS})\b"
_PHOTO = rf"(?i)\b(?:{_PHOTO_WORDS})\b"

# Pack size forms: "5 Feminised Seeds", "1 Single Regular Seed", "Pack of 10", "x5", "5er Packung", "5er",
# "Pack 5 semillas", "5 zaden", "10 graines", "5 semi", "5 pcs", and slugs ("5-seeds", "5_seeds").
_BARE_NUMBER = (
    r"(?i)^\s*(\d{1,4})\s*$"  # a variant labelled "5"; a name that is a number names a strain ("22")
)
_PACK_PATTERNS = [
    r"(?i)\bpack\s*(?:of\s*)?(\d{1,4})\b",
    r"(?i)\b(\d{1,4})[\s_-]*(?:x\s*)?(?:single\s+)?(?:(?:fem\w*|reg\w*|auto\w*|photo\w*)[\s_-]+)*"
    r"(?:seeds?|semillas?|sementes?|samen|zaden|graines|semi|seme|pcs|pc|pieces?|stk|st\.|stück|nasion|nasiona)\b",
    r"(?i)\b(\d{1,4})er\b",
    r"(?i)\b(\d{1,4})\s*-?\s*(?:pack|pk)\b",
    r"(?i)(?:^|\s)x\s*(\d{1,4})\b",
    _BARE_NUMBER,
]
_MULTI_PACK = (
    r"(?i)\b(?P<n>\d{1,4})\s*x\s*(?P<m>\d{1,4})\s+(?:single\s+)?(?:(?:fem\w*|reg\w*|auto\w*)\s+)*seeds?\b"
)
_SINGLE = r"(?i)\bsingle\s+(?:\w+\s+)?seed\b"

_BREEDER_WORDS = r"(?i)\b(?:seed\s*(?:bank|company|co)|seeds?|genetics)\b\.?"
_NUMBER_MARK = "zznumzz"
_ACRONYMS = (
    "OG",
    "CBD",
    "THC",
    "XXL",
    "XL",
    "AK",
    "GSC",
    "GG",
    "GMO",
    "LA",
    "SFV",
    "NYC",
    "UK",
    "USA",
    "BC",
    "DNA",
    "CK",
)
# Words that state a strain's chemotype: part of its name ("CBD Amnesia" is not "Amnesia"), even when the
# breeder is named by them alone ("CBD Seeds")
KIND_TOKENS = ("cbd", "thc")
# What a seed bank sells besides strains (storage, merchandise): named by the whole title, never by a strain
_ACCESSORY = (
    r"(?i)\b(?:storage|silica|sachets?|jewell?ers|tote|drawstring|(?:t-?|sweat)?shirts?|hoodies?|clothing"
    r"|merch(?:andise)?|gift\s*cards?|vouchers?|stickers?|lighters?|rolling\s+papers)\b"
)
_ELISION = r"\b(graines?|semences|semi)\s+d(?:ell)?[’`´']"  # "Graines d’Afghani": "of" before a vowel
_SALE_PREFIX = r"(?i)^\s*(?:sale|offer|promo|new|clearance)\s*[-:!|]+\s*"
_NOISE_WORDS = (
    r"(?i)\b(?:(?:semi|semillas|sementes|graines?|semences)\s+d[ei]"  # "Semi di", "Graines de": of
    rf"|cannabis|marijuana|weed|hemp|strain|{_SEED_WORDS}|{_FEM_WORDS}|{_REG_WORDS}|{_AUTO_WORDS}"
    r"|à autofloraison|photoperiod|photo|pack|packs|packung|of|single|sale|von|van|by|de|della|from)\b"
)


def _either(text: pl.Expr, first: str, first_value: str, second: str, second_value: str) -> pl.Expr:
    """first_value when the text matches `first` and not `second`, second_value for the reverse, else null."""
    a, b = text.str.contains(first), text.str.contains(second)
    return (
        pl.when(a & ~b)
        .then(pl.lit(first_value))
        .when(b & ~a)
        .then(pl.lit(second_value))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def sex_expr(text: pl.Expr) -> pl.Expr:
    """feminized / regular as stated in the text; null when it does not say (or says both)."""
    return _either(text, _FEM, "feminized", _REG, "regular")


def flowering_expr(text: pl.Expr) -> pl.Expr:
    """autoflower / photoperiod as stated in the text; null when it does not say (or says both)."""
    return _either(text, _AUTO, "autoflower", _PHOTO, "photoperiod")


def pack_size_expr(text: pl.Expr) -> pl.Expr:
    """Seeds per pack from a label or title ("8 X 1 Single Seed" is 8, "7 X 10 Seeds" is 70); null when
    no form matches."""
    multi = text.str.extract_groups(_MULTI_PACK)
    product = multi.struct.field("n").cast(pl.Int64, strict=False) * multi.struct.field("m").cast(
        pl.Int64, strict=False
    )
    found = [text.str.extract(p, 1).cast(pl.Int64, strict=False) for p in _PACK_PATTERNS]
    single = pl.when(text.str.contains(_SINGLE)).then(pl.lit(1, dtype=pl.Int64))
    return pl.coalesce([product, *found, single])


def breeder_display_expr(raw: pl.Expr) -> pl.Expr:
    """The breeder as people write it, minus a trailing "Seeds"; "Unknown" when the shop does not say."""
    cleaned = raw.str.strip_chars().str.replace(r"(?i)\s+seeds?\s*$", "").str.strip_chars()
    return (
        pl.when(cleaned.is_null() | (cleaned.str.len_chars() == 0)).then(pl.lit("Unknown")).otherwise(cleaned)
    )


def breeder_key_expr(breeder: pl.Expr) -> pl.Expr:
    """ "Barneys Farm Seeds", "Barney's Farm" and "BARNEYS FARM" share the key "barneysfarm"."""
    return (
        breeder.str.to_lowercase()
        .str.replace_all(r"[’`´']", "")
        .str.replace_all(_BREEDER_WORDS, " ")
        .str.replace_all(r"[^0-9a-z\p{L}]+", "")
    )


def _strip_packs(text: pl.Expr) -> pl.Expr:
    for pattern in (p for p in _PACK_PATTERNS if p != _BARE_NUMBER):
        text = text.str.replace_all(pattern.replace("(\\d{1,4})", "\\d{1,4}"), " ")
    return text


def _words(text: pl.Expr) -> pl.Expr:
    """Lowercase, no apostrophes, "#4" glued to a marker (so pack rules never read it as a pack size)."""
    return (
        text.fill_null("")
        .str.to_lowercase()
        .str.replace_all(_ELISION, "$1 de ")
        .str.replace_all(r"[’`´']", "")
        .str.replace_all(r"#\s*(\d)", _NUMBER_MARK + "$1")
    )


def _phrase(text: pl.Expr) -> pl.Expr:
    """Breeder-noise words dropped, punctuation to spaces, padded so " phrase " matches whole words."""
    cleaned = (
        text.str.replace_all(_BREEDER_WORDS, " ")
        .str.replace_all(r"[^\w%]+", " ")
        .str.replace_all(r"\s+", " ")
    )
    return pl.lit(" ") + cleaned.str.strip_chars() + pl.lit(" ")


def strain_name_expr(title: pl.Expr, breeder: pl.Expr) -> pl.Expr:
    """A strain's canonical name: the title without sale prefixes, pack, type and breeder words; an
    accessory's, its whole title (its "5 Single Seed" is what it holds, not a pack of it)."""
    phrase = _phrase(_words(breeder))
    # a breeder named by chemotype words alone ("CBD Seeds") leaves them in the title: they name the strain
    phrase = (
        pl.when(phrase.str.contains(rf"^ (?:(?:{'|'.join(KIND_TOKENS)}) )+$"))
        .then(pl.lit(" "))
        .otherwise(phrase)
    )
    untagged = title.str.replace(_SALE_PREFIX, "")
    words = _phrase(_strip_packs(_words(_without_breeder_tail(untagged, breeder))))
    without_breeder = _bare(words.str.split(phrase).list.join(" "))
    breeder_only = _bare(phrase)
    # a strain named like its breeder ("Bomb" by Bomb Seeds) is named by the breeder's words
    return _named(
        pl.when(title.str.contains(_ACCESSORY))
        .then(_phrase(_words(untagged)).str.strip_chars())
        .when((phrase.str.strip_chars().str.len_chars() > 0) & (without_breeder.str.len_chars() > 0))
        .then(without_breeder)
        .when(breeder_only.str.len_chars() > 0)
        .then(breeder_only)
        .otherwise(_bare(words))
    )


def _without_breeder_tail(title: pl.Expr, breeder: pl.Expr) -> pl.Expr:
    """The title without a trailing " - <breeder>", also when a length limit cut the breeder short
    ("Gelato x MAC - Seed City Bulk Cannabis S" of breeder "Seed City Bulk Cannabis Seeds")."""
    parts = title.str.extract_groups(r"^(?P<head>.+?)\s+-\s+(?P<tail>[^-]{4,})$")
    head, tail = parts.struct.field("head"), parts.struct.field("tail").str.strip_chars().str.to_lowercase()
    cut = breeder.str.to_lowercase().str.starts_with(tail).fill_null(False)
    return pl.when(cut).then(head).otherwise(title)


def _bare(words: pl.Expr) -> pl.Expr:
    """The words that name the strain: no noise words, single spaces, no edge dots."""
    return words.str.replace_all(_NOISE_WORDS, " ").str.replace_all(r"\s+", " ").str.strip_chars(" .")


def _named(bare: pl.Expr) -> pl.Expr:
    """Title case, "#" back, acronyms upper case; applied once, to the words chosen (it keeps them empty or
    not, so the choice is the same before and after)."""
    named = bare.str.to_titlecase().str.replace_all("(?i)" + _NUMBER_MARK, "#")
    for acronym in _ACRONYMS:  # title case made "Og Kush" of "OG Kush"
        named = named.str.replace_all(rf"\b{acronym.title()}\b", acronym)
    return named


def name_key_expr(name: pl.Expr) -> pl.Expr:
    """Matching key for strain names: letters and digits only."""
    return name.str.to_lowercase().str.replace_all(r"[^0-9a-z\p{L}]+", "")
