"""Extraction benchmark: `goodseed extract` on the public product-extraction benchmark's dev half.

    python bench/extract.py [--data ../shared/data/peb-dev] [--cli ".venv/bin/goodseed extract"]

Runs ../shared/tools/score_peb.py (the benchmark's own scoring rules: one price per page, the first
offer printed; see peb-dev/README.md) over the 70 real shop pages of 26 sites and prints our price F1
beside the published systems' figures on the same pages (Zyte 0.964, Diffbot 0.797, extruct +
price-parser 0.823), then availability and the per-page misses. The other half of the benchmark (other
sites) is how carry-over is judged; nothing here is tuned to these pages.

Benchmarks are not tests: it always prints its figures and exits 0; the last line gives the verdict
against issue #18's target (price F1 >= 0.92).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PUBLISHED = {"Zyte": 0.964, "extruct + price-parser": 0.823, "Diffbot": 0.797}
TARGET = 0.92


def _score(cli: str, data: Path, tool: Path) -> tuple[dict[str, object] | None, str, float]:
    """(score_peb's JSON report, its printed misses, seconds), or (None, why, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "peb.json"
        env = {**os.environ, "GOODSEED_EXTRACT": cli}
        cmd = [sys.executable, str(tool), "--data", str(data), "--batch-size", "20", "--show-errors"]
        cmd += ["--json", str(report)]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
        took = time.perf_counter() - start
        if not report.exists():
            return None, (done.stderr or done.stdout).strip()[-2000:], took
        misses = "\n".join(
            line for line in done.stdout.splitlines() if line.startswith(("price\t", "availability\t"))
        )
        return json.loads(report.read_text()), misses, took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=SHARED / "data" / "peb-dev")
    ap.add_argument("--tool", type=Path, default=SHARED / "tools" / "score_peb.py")
    ap.add_argument("--cli", default=f"{ROOT / '.venv' / 'bin' / 'goodseed'} extract")
    args = ap.parse_args()
    if not args.tool.exists() or not args.data.exists():
        print(f"peb-dev data or score_peb.py not found ({args.data}, {args.tool}): nothing to measure.")
        return
    report, misses, took = _score(args.cli, args.data, args.tool)
    if report is None:
        print(f"score_peb.py gave no report: {misses}")
        return
    metrics = report["metrics"]
    assert isinstance(metrics, dict)
    price, fixed, stock = metrics["price"], metrics["price_corrected"], metrics["availability"]
    print("\n== extract: product-extraction benchmark, dev half (70 pages, 26 sites) ==")
    print(f"{'system':<26}{'price F1':>10}")
    print(f"{'GoodSeed (this tree)':<26}{price['f1']:>10.3f}  ± {price['f1_std']:.3f}  ({took:.0f} s)")
    for name, f1 in PUBLISHED.items():
        print(f"{name:<26}{f1:>10.3f}")
    print(
        f"price F1 with the 6 ground-truth errata fixed: {fixed['f1']:.3f}; availability F1: {stock['f1']:.3f}"
    )
    print(
        f"precision {price['precision']:.3f}, recall {price['recall']:.3f} (tp/fp/fn {price['tp']}/{price['fp']}/{price['fn']})"
    )
    if misses:
        print("misses:\n" + misses)
    verdict = "met" if price["f1"] >= TARGET else "NOT met"
    print(f"verdict: price F1 {price['f1']:.3f} vs target {TARGET} ({verdict}); Zyte {PUBLISHED['Zyte']}")


if __name__ == "__main__":
    main()
