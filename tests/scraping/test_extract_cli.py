"""`goodseed extract` as other tools call it: JSON Lines on stdout, one stderr line per bad file, exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "realpages"
GOODSEED = str(Path(sys.executable).parent / "goodseed")
KEYS = ["source", "url", "name", "breeder", "sex", "flowering", "pack_size", "price", "currency", "in_stock"]


def test_contract_keys_bad_files_reported_and_others_still_processed(tmp_path: Path) -> None:
    good = FIXTURES / "bcbuddepot__bc-kush-fem__detail-section.html"
    broken = tmp_path / "broken.json"
    broken.write_text('{"products": [')
    missing = tmp_path / "missing.html"
    run = subprocess.run([GOODSEED, "extract", "--currency", "USD", str(broken), str(good), str(missing)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1
    errors = run.stderr.strip().splitlines()
    assert len(errors) == 2
    assert str(broken) in errors[0] and "cannot parse" in errors[0]
    assert str(missing) in errors[1] and "cannot read" in errors[1]
    offers = [json.loads(line) for line in run.stdout.splitlines()]
    truth = [json.loads(line) for line in (FIXTURES / "truth.jsonl").read_text().splitlines()]
    expected = sorted((t["pack_size"], t["price"]) for t in truth if t["file"] == good.name)
    assert sorted((o["pack_size"], o["price"]) for o in offers) == expected
    assert all(list(o) == KEYS and o["source"] == str(good) and o["currency"] == "USD" for o in offers)


def test_explain_adds_provenance_without_changing_the_contract() -> None:
    good = str(FIXTURES / "bcbuddepot__bc-kush-fem__detail-section.html")
    plain = subprocess.run(
        [GOODSEED, "extract", "--currency", "USD", good], capture_output=True, text=True, timeout=120
    )
    explained = subprocess.run([GOODSEED, "extract", "--currency", "USD", "--explain", good], capture_output=True,
                               text=True, timeout=120)  # fmt: skip
    assert plain.returncode == explained.returncode == 0
    for p, e in zip(plain.stdout.splitlines(), explained.stdout.splitlines(), strict=True):
        p_obj, e_obj = json.loads(p), json.loads(e)
        assert {k: e_obj[k] for k in p_obj} == p_obj
        assert e_obj["adapter"] and "regular_price" in e_obj and e_obj["price_source"]
