"""Crawl benchmark: our crawler (httpx + process pool + archive) versus Scrapy on the same pages.

    python bench/crawl.py [--pages 2000] [--concurrency 32] [--runs 3] [--pad-kb 63]

1. Pre-render: the simulated market (goodseed_dagster.market, in a thread, not measured) renders the
   product pages of its four HTML shops (seedvault: microdata, cloudnine and packhaus: JSON-LD,
   plainseeds: CSS selectors) as if served from the static server's address. The market's pages
   are ~3-5 KB; DESIGN.md's anchor is 63 KB pages, so each is padded up to --pad-kb with the
   boilerplate real shop pages carry (inline CSS, a mega-menu, reviews, an inline script) that
   changes no offer (checked). --pad-kb 0 serves the market's pages as they are.
2. Serve: the pages are written to a temp dir and served by nginx (when installed) in its own
   process, else by a small asyncio server from memory in its own process, so the server's CPU is
   never measured inside a crawler's process (the market itself costs ~1.7 ms of CPU per page).
3. Crawl, alternating, --runs times each side, each run in a fresh subprocess:
   - ours: crawl_sync(polite=False, concurrency=N) over exactly those URLs (max_pages = their
     number), links() + extract() in a ProcessPoolExecutor, every body archived (LocalObjectStore);
   - Scrapy: CONCURRENT_REQUESTS(_PER_DOMAIN)=N, no autothrottle/robots/delay, a spider that
     parses each page the usual way (JSON-LD via response.css + json, microdata via extruct,
     plainseeds via CSS selectors) and yields one item per offer, plus the page's links.
4. Parse alone: extract() timed per page, single process, over the same bodies.

It bounds itself (a fixed URL list, per-run deadlines), always prints its figures and exits 0;
the verdict line says whether the 2x target was met.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SHOPS = ("seedvault", "cloudnine", "packhaus", "plainseeds")  # the market's HTML product-page shops
ANCHOR_SCRAPY = 110.0  # DESIGN.md "Performance notes": Scrapy, 2,000 local 63 KB pages, concurrency 32
ANCHOR_HTTPX = 244.0  # httpx fetching alone
ANCHOR_PARSE_MS = (2.0, 3.0)
TARGET = 2.0  # ours / Scrapy
RUN_DEADLINE_S = 300.0

# --------------------------------------------------------------------------------------------------
# Shop configs (static: the market's source_configs without a server)


def shop_configs() -> dict[str, dict[str, Any]]:
    from goodseed_dagster.market import Market

    return {
        c["slug"]: c for c in Market(products_per_shop=100).source_configs("http://x") if c["slug"] in SHOPS
    }


_CONFIGS: dict[str, dict[str, Any]] | None = None


def config_of(url: str) -> dict[str, Any]:
    global _CONFIGS
    if _CONFIGS is None:
        _CONFIGS = shop_configs()
    parts = urlsplit(url).path.split("/")
    return _CONFIGS[parts[2]]  # /s/<slug>/...


# --------------------------------------------------------------------------------------------------
# Padding: realistic page weight that carries no offer and no structured data


def _padding(slug: str, base: str, need: int, seed: str) -> tuple[str, str]:
    """(head part, body part) adding about `need` bytes: CSS, a mega-menu, reviews, an inline script."""
    h = int(hashlib.sha1(seed.encode()).hexdigest()[:8], 16)
    css = "".join(
        f".c{i}-{h % 97}{{margin:{i % 7}px {i % 5}px;padding:{i % 3}px;color:#{(h + i * 2654435761) % 0xFFFFFF:06x};"
        f"font:400 {12 + i % 6}px/1.4 system-ui,sans-serif;border-radius:{i % 9}px}}\n"
        for i in range(int(need * 0.22) // 110 + 1)
    )
    cats = [
        "feminized",
        "autoflower",
        "regular",
        "cbd",
        "indica",
        "sativa",
        "high-yield",
        "outdoor",
        "indoor",
    ]
    menu_items = []
    for i in range(int(need * 0.18) // 95 + 1):
        cat = cats[i % len(cats)]
        menu_items.append(
            f'<li class="mega-item"><a href="{base}c/{cat}/page-{i // len(cats) + 1}">{cat.title()} {i}</a></li>'
        )
    menu = '<nav class="mega-menu"><ul>' + "".join(menu_items) + "</ul></nav>"
    words = (
        "smooth",
        "dense",
        "buds",
        "germinated",
        "quickly",
        "fast",
        "delivery",
        "stealth",
        "packaging",
        "great",
        "terpenes",
        "citrus",
        "earthy",
        "yield",
        "harvest",
        "week",
        "tent",
        "soil",
        "coco",
        "again",
    )
    reviews = []
    for i in range(int(need * 0.30) // 420 + 1):
        text = " ".join(words[(h + i * 7 + j * 3) % len(words)] for j in range(55))
        reviews.append(
            f'<div class="review"><p class="stars">{1 + (h + i) % 5}/5</p><p>{text}.</p>'
            f'<p class="who">grower{(h + i) % 9973}</p></div>'
        )
    review_html = '<section class="reviews"><h2>Customer reviews</h2>' + "".join(reviews) + "</section>"
    used = len(css) + len(menu) + len(review_html) + 60
    cfg = {"theme": slug, "breakpoints": [480, 768, 1024, 1280], "ab": h % 2, "events": []}
    js_body = (
        json.dumps(cfg)
        + ";"
        + "".join(
            f"function f{i}(a,b){{return a*{i % 13}+b^{(h + i) % 251};}}"
            for i in range(max(0, need - used) // 48 + 1)
        )
    )
    head = f"<style>{css}</style>"
    body = f"{menu}{review_html}<script>window.__THEME__={js_body}</script>"
    short = need - len(head) - len(body)
    if short > 0:  # top up to the target with more of the inline script
        body = body.replace(
            "</script>", "".join(f"var v{i}={i * 7 % 1000};" for i in range(short // 12 + 1)) + "</script>"
        )
    return head, body


def pad(body: bytes, slug: str, base: str, target: int, seed: str) -> bytes:
    if target <= 0 or len(body) >= target:
        return body
    html = body.decode("utf-8")
    head, tail = _padding(slug, base, target - len(body), seed)
    if "</head>" in html:
        html = html.replace("</head>", head + "</head>", 1)
    else:
        tail = head + tail
    i = html.rfind("</body>")
    html = html[:i] + tail + html[i:] if i >= 0 else html + tail
    return html.encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Pre-rendering the pages (the market in a thread; not measured)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prerender(n_pages: int, static_base: str, pad_kb: float) -> tuple[list[tuple[str, bytes]], list[int]]:
    """[(path?query, body)] for n_pages product pages spread over the four shops, as served at static_base."""
    import httpx

    from goodseed_dagster.market import Market, serve

    per_shop = -(-n_pages // len(SHOPS))
    market = Market(products_per_shop=max(per_shop + per_shop // 5 + 20, 100))
    host = urlsplit(static_base).netloc
    out: list[tuple[str, bytes]] = []
    raw_sizes: list[int] = []
    with serve(market, port=0) as server, httpx.Client(headers={"Host": host}, timeout=30) as client:
        for i, slug in enumerate(SHOPS):
            take = per_shop if i < len(SHOPS) - 1 else n_pages - per_shop * (len(SHOPS) - 1)
            products = market.products(slug)[:take]
            if len(products) < take:
                raise SystemExit(f"market lists only {len(products)} {slug} products, need {take}")
            for p in products:
                target = f"/s/{slug}/{p.path}"
                r = client.get(server.url + target)
                if r.status_code != 200:
                    raise SystemExit(f"market answered {r.status_code} for {target}")
                raw_sizes.append(len(r.content))
                body = pad(r.content, slug, f"{static_base}/s/{slug}/", int(pad_kb * 1024), target)
                out.append((target, body))
    return out, raw_sizes


# --------------------------------------------------------------------------------------------------
# The static server, in its own process


NGINX_CONF = """daemon off;
{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {d}/t1; proxy_temp_path {d}/t2; fastcgi_temp_path {d}/t3;
  uwsgi_temp_path {d}/t4; scgi_temp_path {d}/t5;
  types {{ }}
  default_type "text/html; charset=utf-8";
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 120s;
  server {{
    listen 127.0.0.1:{port} backlog=1024;
    root {d}/root;
    location / {{ try_files "$uri$is_args$args" $uri/index.html =404; }}
  }}
}}
"""


def file_for(root: Path, target: str) -> Path:
    rel = target.lstrip("/")
    return root / (rel + "index.html" if rel.endswith("/") else rel)


def write_site(d: Path, pages: list[tuple[str, bytes]]) -> None:
    root = d / "root"
    for target, body in pages:
        f = file_for(root, target)
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(body)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /cart\n")
    (d / "pages.json").write_text(json.dumps([t for t, _ in pages]))


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"static server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("static server did not start")


def start_server(d: Path, port: int, prefer: str) -> tuple[subprocess.Popen[bytes], str]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if prefer != "python" and nginx:
        user = "user root;\n" if os.geteuid() == 0 else ""
        (d / "nginx.conf").write_text(NGINX_CONF.format(d=d, port=port, user=user))
        proc = subprocess.Popen([nginx, "-c", str(d / "nginx.conf"), "-p", str(d)], stderr=subprocess.PIPE)
        try:
            wait_port(port, proc)
            return proc, "nginx (1 worker, separate process)"
        except RuntimeError:
            err = proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else ""
            stop(proc)
            print(f"nginx failed ({err.strip()[:200]}); falling back to the Python static server")
    proc = subprocess.Popen([sys.executable, __file__, "--static-server", str(d), "--port", str(port)])
    wait_port(port, proc)
    return proc, "asyncio static server from memory (separate process)"


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def static_server(d: Path, port: int) -> None:
    """Fallback when nginx is missing: HTTP/1.1 keep-alive GETs answered from memory, one process."""
    root = d / "root"
    table: dict[bytes, bytes] = {}
    for target in [*json.loads((d / "pages.json").read_text()), "/robots.txt"]:
        body = (
            (root / "robots.txt").read_bytes()
            if target == "/robots.txt"
            else file_for(root, target).read_bytes()
        )
        ctype = b"text/plain" if target == "/robots.txt" else b"text/html; charset=utf-8"
        head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, len(body))
        table[target.encode()] = head + body
    missing = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"

    class Http(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.t, self.buf = transport, b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while (end := self.buf.find(b"\r\n\r\n")) >= 0:
                head, self.buf = self.buf[:end], self.buf[end + 4 :]
                parts = head.split(b"\r\n", 1)[0].split(b" ")
                self.t.write(table.get(parts[1], missing) if len(parts) == 3 else missing)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Http, "127.0.0.1", port, backlog=1024)
        async with server:
            await server.serve_forever()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


# --------------------------------------------------------------------------------------------------
# Parsing (shared by our crawl's process pool and the single-process timing)

_OFFERS: Any = None  # a multiprocessing.Value shared with the pool's workers


def _init_worker(counter: Any) -> None:
    global _OFFERS
    _OFFERS = counter


def parse_page(page: Any) -> list[str]:
    """What the crawl does with each body: extract() the offers and return links()."""
    from goodseed_dagster.scraping.extract import extract, links

    cfg = config_of(page.url)
    offers = extract(page, platform=cfg["platform"], currency=cfg["currency"], selectors=cfg.get("selectors"))
    if _OFFERS is not None:
        with _OFFERS.get_lock():
            _OFFERS.value += len(offers)
    return links(page, platform=cfg["platform"], selectors=cfg.get("selectors"))


def parse_timings(d: Path, base: str) -> dict[str, Any]:
    from goodseed_dagster.scraping.extract import extract, links
    from goodseed_dagster.scraping.models import Page

    root = d / "root"
    targets = json.loads((d / "pages.json").read_text())
    pages = [Page(base + t, file_for(root, t).read_bytes(), "text/html; charset=utf-8") for t in targets]
    for p in pages[:50]:  # warm imports and regex caches
        parse_page(p)
    ext: list[float] = []
    both: list[float] = []
    per_shop: dict[str, list[float]] = {s: [] for s in SHOPS}
    offers = 0
    for p in pages:
        cfg = config_of(p.url)
        t0 = time.perf_counter()
        found = extract(p, platform=cfg["platform"], currency=cfg["currency"], selectors=cfg.get("selectors"))
        t1 = time.perf_counter()
        links(p, platform=cfg["platform"], selectors=cfg.get("selectors"))
        t2 = time.perf_counter()
        offers += len(found)
        ext.append((t1 - t0) * 1000)
        both.append((t2 - t0) * 1000)
        per_shop[cfg["slug"]].append((t1 - t0) * 1000)
    q = statistics.quantiles
    return {
        "pages": len(pages),
        "offers": offers,
        "extract_median_ms": statistics.median(ext),
        "extract_p90_ms": q(ext, n=10)[-1],
        "extract_links_median_ms": statistics.median(both),
        "extract_links_p90_ms": q(both, n=10)[-1],
        "per_shop_median_ms": {s: statistics.median(v) for s, v in per_shop.items() if v},
    }


# --------------------------------------------------------------------------------------------------
# Our crawler (one run per subprocess)


def run_ours(d: Path, base: str, concurrency: int, workers: int) -> dict[str, Any]:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import anyio._backends._asyncio  # noqa: F401  (httpx imports it on the first request: load it before the clock)

    import goodseed_dagster.scraping.extract  # noqa: F401  (imported before the clock, as Scrapy's extruct is)
    from goodseed_dagster.scraping.archive import LocalObjectStore
    from goodseed_dagster.scraping.fetch import CrawlOptions, crawl_sync
    from goodseed_dagster.scraping.models import SourceConfig

    targets = json.loads((d / "pages.json").read_text())
    # The shops' parse configs, loaded before the clock and before the pool forks (as Scrapy's spider
    # has them before engine_started); loading them in each worker meant importing the market there.
    config_of(base + targets[0])
    source = SourceConfig(
        slug="bench",
        name="bench",
        base_url=base + "/",
        entry_points=[base + t for t in targets],
        max_pages=len(targets),
        concurrency=concurrency,
        requests_per_minute=1e9,
        local=True,
    )
    import resource

    counter = mp.get_context("fork").Value("l", 0)
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as archive:
        store = LocalObjectStore(archive)
        cpu0 = time.process_time()
        started = time.perf_counter()
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"), initializer=_init_worker,
                                 initargs=(counter,)) as pool:  # fmt: skip
            options = CrawlOptions(parse_executor=pool, parse_concurrency=workers * 4, timeout_s=30.0)
            # Bounded by max_pages (exactly the URL list), the request timeouts and the driver's deadline.
            result = crawl_sync(source, store=store, links=parse_page, polite=False, options=options)
        seconds = time.perf_counter() - started
        cpu_main = time.process_time() - cpu0
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        archived = sum(1 for _ in Path(archive).rglob("*.gz"))
    fetched = sum(1 for p in result.pages if p.status == 200)
    return {
        "pages": fetched,
        "attempted": len(result.pages),
        "failed": result.failed,
        "links_failed": result.links_failed,
        "offers": counter.value,
        "archived": archived,
        "bytes": result.bytes,
        "seconds": seconds,
        "cpu_ms_per_page_crawler": cpu_main * 1000 / max(1, fetched),
        "cpu_ms_per_page_parse_pool": (kids.ru_utime + kids.ru_stime) * 1000 / max(1, fetched),
        "peak_rss_mib_crawler": _vm_hwm_kib() / 1024,
        "peak_rss_mib_parse_worker": kids.ru_maxrss / 1024,  # the largest forked worker (KiB on Linux)
    }


def _vm_hwm_kib() -> int:
    """This process's peak resident set (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# --------------------------------------------------------------------------------------------------
# Scrapy (one run per subprocess)


def run_scrapy(d: Path, base: str, concurrency: int) -> dict[str, Any]:
    import extruct
    import scrapy
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    targets = json.loads((d / "pages.json").read_text())
    configs = shop_configs()
    times: dict[str, float] = {}
    counts = {"pages": 0, "items": 0, "links": 0}

    def num(value: Any) -> str | None:
        return None if value is None else str(value).strip()

    class ShopSpider(scrapy.Spider):
        name = "bench"
        custom_settings: dict[str, Any] = {}

        async def start(self) -> Any:
            for t in targets:
                yield scrapy.Request(base + t, callback=self.parse)

        def parse(self, response: Any) -> Any:
            counts["pages"] += 1
            slug = response.url.split("/")[4]
            cfg = configs[slug]
            hrefs = [response.urljoin(h) for h in response.css("a::attr(href)").getall()]
            counts["links"] += len(hrefs)
            if cfg["platform"] == "selectors":
                s = cfg["selectors"]
                name = response.css(s["name"]).get()
                breeder = response.css(s["breeder"]).get()
                for row in response.css(s["variant_row"]):
                    yield {
                        "url": response.url,
                        "name": num(name),
                        "breeder": num(breeder),
                        "pack": num(row.css(s["pack"]).get()),
                        "price": num(row.css(s["price"]).get()),
                        "regular_price": num(row.css(s["regular_price"]).get()),
                        "stock": num(row.css(s["stock"]).get()),
                    }
                return
            if cfg["platform"] == "microdata":
                data = extruct.extract(
                    response.text, base_url=response.url, syntaxes=["microdata"], uniform=True
                )
                nodes = data.get("microdata", [])
            else:
                nodes = []
                for raw in response.css('script[type="application/ld+json"]::text').getall():
                    try:
                        doc = json.loads(raw)
                    except ValueError:
                        continue
                    nodes.extend(doc.get("@graph", [doc]) if isinstance(doc, dict) else doc)
            for node in nodes:
                yield from product_items(node, response.url)

    def product_items(node: Any, url: str) -> Any:
        if not isinstance(node, dict):
            return
        kind = node.get("@type")
        if kind == "ProductGroup":
            for v in node.get("hasVariant", []) or []:
                yield from product_items(v, url)
            return
        if kind != "Product":
            return
        offers = node.get("offers") or []
        if isinstance(offers, dict):
            offers = offers.get("offers", [offers]) if offers.get("@type") == "AggregateOffer" else [offers]
        brand = node.get("brand")
        for o in offers:
            if not isinstance(o, dict):
                continue
            price = o.get("price")
            if price is None and isinstance(o.get("priceSpecification"), dict):
                price = o["priceSpecification"].get("price")
            yield {
                "url": url,
                "name": num(node.get("name")),
                "breeder": num(brand.get("name") if isinstance(brand, dict) else brand),
                "pack": num(o.get("name")),
                "price": num(price),
                "currency": num(o.get("priceCurrency")),
                "availability": num(o.get("availability")),
            }

    def on_item(item: Any, response: Any, spider: Any) -> None:
        counts["items"] += 1

    process = CrawlerProcess(
        settings={
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "TELNETCONSOLE_ENABLED": False,
            "CLOSESPIDER_TIMEOUT": RUN_DEADLINE_S,
            "DOWNLOAD_TIMEOUT": 30,
        }
    )
    crawler = process.create_crawler(ShopSpider)

    def on_start() -> None:
        times.setdefault("start", time.perf_counter())

    def on_closed() -> None:
        times.setdefault("end", time.perf_counter())

    crawler.signals.connect(on_start, signal=signals.engine_started, weak=False)
    crawler.signals.connect(on_closed, signal=signals.spider_closed, weak=False)
    crawler.signals.connect(on_item, signal=signals.item_scraped, weak=False)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return {
        "pages": counts["pages"],
        "attempted": int(stats.get("downloader/response_count", 0)),
        "failed": int(stats.get("downloader/response_count", 0)) - counts["pages"],
        "offers": counts["items"],
        "links": counts["links"],
        "seconds": times.get("end", time.perf_counter()) - times.get("start", 0.0),
    }


# --------------------------------------------------------------------------------------------------
# The driver


def worker(kind: str, d: Path, base: str, args: argparse.Namespace) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, f"--{kind}-worker", str(d), "--base", base,
           "--concurrency", str(args.concurrency), "--parse-workers", str(args.parse_workers)]  # fmt: skip
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_DEADLINE_S + 60)
    except subprocess.TimeoutExpired:
        print(f"  {kind}: run exceeded {RUN_DEADLINE_S + 60:.0f}s and was stopped")
        return None
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        print(f"  {kind}: run failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")
        return None
    out: dict[str, Any] = json.loads(lines[-1][7:])
    out["pages_per_s"] = out["pages"] / out["seconds"] if out["seconds"] > 0 else 0.0
    return out


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not runs:
        return None
    ordered = sorted(runs, key=lambda r: r["pages_per_s"])
    return ordered[len(ordered) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000, help="product pages, spread over the four HTML shops")
    ap.add_argument("--concurrency", type=int, default=32, help="requests in flight, both crawlers")
    ap.add_argument("--runs", type=int, default=3, help="runs per crawler (the median is reported)")
    ap.add_argument(
        "--pad-kb", type=float, default=63.0, help="pad pages up to this size (0: as the market serves them)"
    )
    ap.add_argument("--parse-workers", type=int, default=os.cpu_count() or 2,
                    help="our process pool size (default: one per core)")  # fmt: skip
    ap.add_argument("--server", choices=["auto", "python"], default="auto", help="auto: nginx when installed")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (pages, nginx config)")
    # internal modes
    ap.add_argument("--static-server", type=Path)
    ap.add_argument("--ours-worker", type=Path)
    ap.add_argument("--scrapy-worker", type=Path)
    ap.add_argument("--base")
    ap.add_argument("--port", type=int)
    args = ap.parse_args()

    if args.static_server:
        static_server(args.static_server, args.port)
        return
    if args.ours_worker:
        print(
            "RESULT "
            + json.dumps(run_ours(args.ours_worker, args.base, args.concurrency, args.parse_workers))
        )
        return
    if args.scrapy_worker:
        print("RESULT " + json.dumps(run_scrapy(args.scrapy_worker, args.base, args.concurrency)))
        return

    try:
        import scrapy  # noqa: F401
    except ImportError:
        scrapy_missing = True
        print("Scrapy is not installed (`make bench` installs the bench extra): only our side is measured.")
    else:
        scrapy_missing = False

    d = Path(tempfile.mkdtemp(prefix="goodseed-bench-crawl-"))
    os.chmod(d, 0o755)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = None
    try:
        t0 = time.perf_counter()
        pages, raw_sizes = prerender(args.pages, base, args.pad_kb)
        write_site(d, pages)
        sizes = [len(b) for _, b in pages]
        print(
            f"pre-rendered {len(pages)} product pages from the market in {time.perf_counter() - t0:.1f}s: "
            f"market size median {statistics.median(raw_sizes) / 1024:.1f} KB, served median "
            f"{statistics.median(sizes) / 1024:.1f} KB (padded to {args.pad_kb:g} KB), "
            f"{sum(sizes) / 1e6:.1f} MB in all"
        )
        check_padding(pages, raw_sizes, args.pad_kb)
        server, how = start_server(d, port, args.server)
        print(f"server: {how} on {base}; {os.cpu_count()} cores; concurrency {args.concurrency}; "
              f"our parse pool: {args.parse_workers} process(es)")  # fmt: skip

        print(f"load average before the runs: {load_average()} (other work on the machine slows both sides)")
        ours: list[dict[str, Any]] = []
        theirs: list[dict[str, Any]] = []
        for i in range(args.runs):
            if (r := worker("ours", d, base, args)) is not None:
                ours.append(r)
                print(f"  run {i + 1} ours:   {r['pages']} pages in {r['seconds']:.2f}s = {r['pages_per_s']:.0f} pages/s "
                      f"({r['offers']} offers, {r['archived']} archived, {r['failed']} failed)")  # fmt: skip
            if not scrapy_missing and (r := worker("scrapy", d, base, args)) is not None:
                theirs.append(r)
                print(f"  run {i + 1} Scrapy: {r['pages']} pages in {r['seconds']:.2f}s = {r['pages_per_s']:.0f} pages/s "
                      f"({r['offers']} items)")  # fmt: skip
        print(f"load average after the runs: {load_average()}")
        stop(server)
        server = None
        timing = parse_timings(d, base)
        report(args, ours, theirs, timing)
    finally:
        if server is not None:
            stop(server)
        if args.keep:
            print(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)


def check_padding(pages: list[tuple[str, bytes]], raw_sizes: list[int], pad_kb: float) -> None:
    """Padding must not change what extract() finds: compare offers on a sample, padded vs not."""
    if pad_kb <= 0:
        return
    from goodseed_dagster.scraping.extract import extract
    from goodseed_dagster.scraping.models import Page

    per_shop = len(pages) // len(SHOPS)
    bad = 0
    for k in range(len(SHOPS)):
        for target, body in pages[k * per_shop : k * per_shop + 5]:
            html = body.decode()
            start = html.find("<style>.c0-")
            stripped = html
            if start >= 0:
                stripped = stripped[:start] + stripped[stripped.find("</style>", start) + 8 :]
            m = stripped.find('<nav class="mega-menu">')
            if m >= 0:
                stripped = stripped[:m] + stripped[stripped.find("</script>", m) + 9 :]
            cfg = config_of(target)
            url = "http://x" + target
            a = extract(
                Page(url, body),
                platform=cfg["platform"],
                currency=cfg["currency"],
                selectors=cfg.get("selectors"),
            )
            b = extract(Page(url, stripped.encode()), platform=cfg["platform"], currency=cfg["currency"],
                        selectors=cfg.get("selectors"))  # fmt: skip
            bad += [(o.variant, o.pack_size, o.price) for o in a] != [(o.variant, o.pack_size, o.price) for o in b]
    if bad:
        print(f"WARNING: padding changed extract() on {bad} sampled pages")


def report(args: argparse.Namespace, ours: list[dict[str, Any]], theirs: list[dict[str, Any]],
           timing: dict[str, Any]) -> None:  # fmt: skip
    o, s = median_run(ours), median_run(theirs)
    print()
    print(f"== Crawl benchmark: {args.pages} product pages, concurrency {args.concurrency}, "
          f"median of {args.runs} run(s) each, {os.cpu_count()} cores ==")  # fmt: skip
    if o:
        print(
            f"ours   (httpx + {args.parse_workers}-process parse pool + archive): {o['pages']} pages, "
            f"{o['seconds']:.2f} s, {o['pages_per_s']:.0f} pages/s  [runs: "
            + ", ".join(f"{r['pages_per_s']:.0f}" for r in ours)
            + "]"
        )
        print(
            f"  peak RSS: crawler {o['peak_rss_mib_crawler']:.0f} MiB, largest parse worker "
            f"{o['peak_rss_mib_parse_worker']:.0f} MiB ({o['bytes'] / 2**20:.0f} MiB of bodies fetched)"
        )
    else:
        print("ours: no successful run")
    if s:
        print(
            f"Scrapy (parsel/extruct spider, no archive):  {s['pages']} pages, {s['seconds']:.2f} s, "
            f"{s['pages_per_s']:.0f} pages/s  [runs: "
            + ", ".join(f"{r['pages_per_s']:.0f}" for r in theirs)
            + "]"
        )
    else:
        print("Scrapy: no successful run")
    ratio = o["pages_per_s"] / s["pages_per_s"] if o and s and s["pages_per_s"] else None
    if ratio is not None:
        print(f"ratio ours/Scrapy: {ratio:.2f}x (target >= {TARGET:g}x)")
    print(
        f"parse alone (single process, {timing['pages']} pages): extract() median "
        f"{timing['extract_median_ms']:.2f} ms/page, p90 {timing['extract_p90_ms']:.2f} ms; extract()+links() "
        f"median {timing['extract_links_median_ms']:.2f}, p90 {timing['extract_links_p90_ms']:.2f} ms; per shop: "
        + ", ".join(f"{k} {v:.2f}" for k, v in timing["per_shop_median_ms"].items())
    )
    anchors = f"DESIGN anchors: Scrapy ~{ANCHOR_SCRAPY:.0f} pages/s, httpx alone ~{ANCHOR_HTTPX:.0f} pages/s, parse 2-3 ms/page"
    print(anchors)
    if o:
        print(
            f"  ours / Scrapy anchor: {o['pages_per_s'] / ANCHOR_SCRAPY:.2f}x; "
            f"ours / httpx anchor: {o['pages_per_s'] / ANCHOR_HTTPX:.2f}x"
        )
    if o:
        print(
            f"ours, CPU per page: crawler process {o['cpu_ms_per_page_crawler']:.2f} ms (HTTP, archive: sha256 + "
            f"gzip + file), parse pool {o['cpu_ms_per_page_parse_pool']:.2f} ms (extract + links + IPC)"
        )
    if s:
        print(f"  measured Scrapy / its anchor: {s['pages_per_s'] / ANCHOR_SCRAPY:.2f}x")
    print(f"  extract() median / 2.5 ms anchor: {timing['extract_median_ms'] / 2.5:.2f}x")
    if o and s:
        print(
            f"offers: ours {o['offers']} (single-process extract: {timing['offers']}), Scrapy items {s['offers']}"
        )
    if ratio is None:
        print("VERDICT: no ratio (a side did not complete); see above")
    elif ratio >= TARGET:
        print(f"VERDICT: target met: ours is {ratio:.2f}x Scrapy (>= {TARGET:g}x)")
    else:
        print(f"VERDICT: TARGET MISSED: ours is {ratio:.2f}x Scrapy, below the {TARGET:g}x target")


if __name__ == "__main__":
    main()
