"""`goodseed extract` on bad input, run as other tools run it: one stderr line per file it cannot read or
parse and exit status 1, the other files still processed; a reader that leaves early (`| head -1`)
ends it quietly."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GOODSEED = str(Path(sys.executable).parent / "goodseed")
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "realpages"
GOOD = FIXTURES / "bcbuddepot__bc-kush-fem__detail-section.html"


def variations_page(path: Path, n: int) -> Path:
    variations = [
        {"attributes": {"attribute_pa_pack": f"{i}-seeds"}, "display_price": 10 + i, "variation_id": i}
        for i in range(n)
    ]
    path.write_text(
        '<html><body><h1 class="product_title">Gelato</h1><form class="variations_form cart" '
        f'data-product_variations="{html.escape(json.dumps(variations))}"></form></body></html>'
    )
    return path


def run(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([GOODSEED, "extract", "--currency", "USD", *args], capture_output=True, timeout=120)


def offers(stdout: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


@pytest.mark.timeout(180)
def test_each_bad_file_is_one_line_and_the_others_are_still_read(tmp_path: Path) -> None:
    surrogate = tmp_path / "surrogate.html"
    surrogate.write_text(
        '<script type="application/ld+json">{"@type": "Product", "name": "Gel\\ud800ato\\u0000", '
        '"offers": {"price": "10", "priceCurrency": "EUR", "name": "5 seeds"}}</script>'
    )
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes((i * 131 + 7) % 256 for i in range(5000)))
    missing = tmp_path / "missing.html"
    big = tmp_path / "big.html"
    with big.open("wb") as f:
        f.truncate(25_300_000)
    bom = tmp_path / "bom.json"
    products = {
        "products": [{"handle": "x", "title": "Crème", "variants": [{"title": "5 Seeds", "price": "9"}]}]
    }
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(products, ensure_ascii=False).encode())
    done = run(*map(str, (surrogate, garbage, GOOD, missing, big, bom)))
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        f"goodseed extract: {garbage}: cannot parse: binary data, not an HTML or JSON document",
        f"goodseed extract: {missing}: cannot read: No such file or directory",
        f"goodseed extract: {big}: 25.3 MB is over the 20 MB limit (--max-bytes)",
    ]
    found = offers(done.stdout)
    assert [o["name"] for o in found if o["source"] == str(surrogate)] == ["Gel\ufffdato"]
    assert [o["name"] for o in found if o["source"] == str(bom)] == ["Crème"]
    assert any(o["source"] == str(GOOD) for o in found)


def test_limits_are_options(tmp_path: Path) -> None:
    page = variations_page(tmp_path / "v.html", 10_000)
    small = run("--max-bytes", "1000000", str(page))
    assert small.returncode == 1
    assert small.stderr.decode().strip() == (
        f"goodseed extract: {page}: {page.stat().st_size / 1e6:.1f} MB is over the 1 MB limit (--max-bytes)"
    )
    tight = run("--budget", "0.001", str(page))  # 10,000 offers never fit in a millisecond of CPU
    assert tight.returncode == 1 and tight.stdout == b""
    assert tight.stderr.decode().strip() == (
        f"goodseed extract: {page}: cannot parse: extraction exceeded the 0.001 s budget"
    )
    assert len(offers(run("--budget", "0", str(page)).stdout)) == 10_000
    assert run("--budget", "-1", str(page)).returncode == 2  # argparse refuses it


@pytest.mark.timeout(120)
def test_a_reader_that_leaves_early_ends_it_quietly(tmp_path: Path) -> None:
    page = variations_page(tmp_path / "v.html", 20_000)  # megabytes of output per copy: far past a pipe
    err = tmp_path / "stderr.txt"
    script = f"set -o pipefail; {GOODSEED} extract {page} {page} {page} 2>{err} | head -1"
    done = subprocess.run(["bash", "-c", script], capture_output=True, timeout=120)
    assert done.returncode == 141  # 128 + SIGPIPE, as any filter whose reader left
    assert err.read_text() == ""
    (line,) = done.stdout.decode().splitlines()
    assert json.loads(line)["price"] == "10"

    proc = subprocess.Popen(
        [GOODSEED, "extract", *[str(page)] * 3], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["source"] == str(page)
    proc.stdout.close()
    assert proc.wait(timeout=120) == 141
    assert proc.stderr.read() == b""


def test_output_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        '<script type="application/ld+json">{"@type": "Product", "name": "Crème", '
        '"offers": {"price": "10", "priceCurrency": "EUR"}}</script>'
    )
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    done = subprocess.run([GOODSEED, "extract", str(page)], capture_output=True, timeout=120, env=env)
    assert done.returncode == 0 and offers(done.stdout)[0]["name"] == "Crème"
