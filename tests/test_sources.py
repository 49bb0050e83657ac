"""sources.yaml: valid sellers load; each bad entry names file, line and field; duplicates are refused."""

from __future__ import annotations

from pathlib import Path

from goodseed_dagster.scraping.sources import dump_sources, load_sources, parse_sources

GOOD = {"slug": "greenleaf", "name": "Green Leaf", "base_url": "http://127.0.0.1:8765/s/greenleaf"}


def test_bad_entries_are_reported_with_line_and_field_and_the_rest_load() -> None:
    text = """sellers:
  - slug: greenleaf
    name: Green Leaf
    base_url: http://127.0.0.1:8765/s/greenleaf/
  - slug: Bad Slug
    name: Broken
    base_url: ftp://example.org/
  - slug: other
    name: Other
    base_url: https://other.example/
    requests_per_minute: 0
  - slug: greenleaf
    name: Again
    base_url: https://again.example/
  - slug: third
    name: Third
    base_url: https://third.example/
    platfrom: shopify
"""
    out = parse_sources(text, "conf/sources.yaml")
    assert [s.slug for s in out.sources] == ["greenleaf"]
    messages = [str(e) for e in out.errors]
    assert any(m.startswith("conf/sources.yaml:5 (sellers[1].slug)") for m in messages)
    assert any(m.startswith("conf/sources.yaml:7 (sellers[1].base_url)") and "http" in m for m in messages)
    assert any(m.startswith("conf/sources.yaml:11 (sellers[2].requests_per_minute)") for m in messages)
    assert any(m.startswith("conf/sources.yaml:12 (sellers[3].slug)") and "duplicate" in m for m in messages)
    assert any("sellers[4].platfrom" in m and "Extra inputs" in m for m in messages)


def test_broken_yaml_and_wrong_shape_are_errors_not_crashes(tmp_path: Path) -> None:
    bad = parse_sources("sellers: [\n  - slug: x\n", "s.yaml")
    assert not bad.sources and bad.errors[0].file == "s.yaml" and bad.errors[0].line is not None
    assert "sellers:" in str(parse_sources("- a\n- b\n").errors[0])
    assert "file not found" in str(load_sources(tmp_path / "missing.yaml").errors[0])


def test_round_trip_and_base_url_normalized(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(dump_sources([GOOD]))
    out = load_sources(path)
    assert not out.errors
    assert out.sources[0].base_url.endswith("/greenleaf/")
    assert out.sources[0].url("robots.txt") == "http://127.0.0.1:8765/s/greenleaf/robots.txt"
