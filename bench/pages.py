"""Lighthouse scores of the phone app and the office dashboard, and the app shell's weight.

    python -m bench.pages [--quick] [--json]

Starts its own PocketBase (serving pwa/, as run.sh does) and sidecar, seeds a team (jobs,
photos with thumbnails), prepares the pages (`scripts/build_pwa.sh --dev`, which brings
Lighthouse from npm) and runs Lighthouse 12 with its mobile profile (simulated slow 4G, 4x CPU
slowdown, a 412 px screen) in Debian's Chromium against:

- each screen as a logged-in user sees it (the phone's "my jobs", the office's job board),
  with a cold cache: the service worker, Cache Storage and the HTTP cache are cleared before
  each run, the login (localStorage) is kept;
- each login screen, as a first visit sees it (full run only).

The phone app shell's first load is measured in a fresh browser profile: every byte on the wire
(compressed, headers included) until the service worker controls the page, its precache
included, next to the raw size of the same files. Targets: scores >= 95, shell <= 150 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, sync_playwright

from bench.report import Section, Table, check, text
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.images import jpeg, photo
from tests.support.net import free_port
from tests.support.photos import new_job, upload
from tests.support.pocketbase import ROOT, PocketBaseProcess, launch
from tests.support.sidecar import SidecarProcess
from tests.support.teams import SeededTeam, make_team

LIGHTHOUSE = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
OUT = ROOT / "bench" / "out"  # git-ignored: the full Lighthouse reports land here
CATEGORIES = ("performance", "accessibility", "best-practices")
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
}
SCORE_TARGET = 95
SHELL_TARGET_KB = 150.0


def seed(team: SeededTeam, photos: int) -> None:
    """Jobs in every column and `photos` photos, as a small shop has after a day or two."""
    statuses = ["new", "assigned", "in_progress", "done", "assigned", "in_progress"]
    jobs = []
    for index, status in enumerate(statuses * 2):
        job = new_job(team.office, title=f"휠 작업 {index + 1}", assignee=team.field.id)
        with team.office.client() as client:
            client.patch(
                f"/api/collections/jobs/records/{job['id']}",
                json={"status": status, "customer": f"고객 {index + 1}"},
            ).raise_for_status()
        jobs.append(job)
    base = photo(1024, 768, seed=5)
    for index in range(photos):
        image = base.rotate(index % 4 * 90, expand=True) if index % 7 else base
        data = jpeg(image, quality=80) + index.to_bytes(4, "big")
        upload(team.field, jobs[index % len(jobs)]["id"], data)


def many_photos(team: SeededTeam, count: int) -> None:
    """`count` small distinct photos on one job, uploaded 8 at a time."""
    job = new_job(team.office, title="사진 많은 작업", assignee=team.field.id)
    small = jpeg(photo(160, 120, seed=3), quality=70)
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda i: upload(team.field, job["id"], small + i.to_bytes(4, "big")), range(count)
            )
        )


def gallery_scroll(origin: str, team: SeededTeam, expected: int) -> dict[str, Any]:
    """Scroll the office gallery from top to bottom (every page loaded on the way) while
    counting animation frames: how smooth it stays, and how many thumbnails it fetched."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{origin}/office/#/gallery")
        page.fill("#login-email", team.office.email)
        page.fill("#login-password", team.office.password)
        page.click("button[type=submit]")
        page.wait_for_selector(".tile", timeout=30_000)
        figures: dict[str, Any] = page.evaluate(
            """async (expected) => {
              const deltas = [];
              let last = performance.now();
              let running = true;
              const tick = (now) => {
                deltas.push(now - last);
                last = now;
                if (running) requestAnimationFrame(tick);
              };
              requestAnimationFrame(tick);
              const started = performance.now();
              const tiles = () => document.querySelectorAll(".tile").length;
              while (performance.now() - started < 300000) {
                window.scrollBy(0, 600);
                await new Promise((resolve) => setTimeout(resolve, 30));
                const bottom = innerHeight + scrollY >= document.documentElement.scrollHeight - 2;
                if (bottom && tiles() >= expected) break;
              }
              running = false;
              const fetched = [...document.querySelectorAll(".tile img")]
                .filter((img) => img.getAttribute("src")).length;
              const seconds = (performance.now() - started) / 1000;
              return {deltas, tiles: tiles(), seconds, fetched};
            }""",
            expected,
        )
        browser.close()
    deltas = sorted(figures.pop("deltas"))
    figures["frames"] = len(deltas)
    figures["frame_p50_ms"] = deltas[len(deltas) // 2]
    figures["frame_p95_ms"] = deltas[int(len(deltas) * 0.95)]
    figures["frame_max_ms"] = deltas[-1]
    figures["long_frames"] = sum(1 for d in deltas if d > 50)
    return figures


def lighthouse(url: str, port: int, out: Path) -> dict[str, Any]:
    """One Lighthouse run against the Chromium listening on `port`; its JSON report."""
    done = subprocess.run(
        [
            "node",
            str(LIGHTHOUSE),
            url,
            f"--port={port}",
            "--form-factor=mobile",
            f"--only-categories={','.join(CATEGORIES)}",
            "--disable-storage-reset",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"lighthouse exited {done.returncode}: {done.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    metrics = {key: report["audits"][key]["numericValue"] for key in METRICS}
    misses = sorted(
        {
            audit["id"]
            for name in CATEGORIES[1:]
            for ref in report["categories"][name]["auditRefs"]
            if ref["weight"] > 0
            and (audit := report["audits"][ref["id"]])["score"] is not None
            and audit["score"] < 1
        }
    )
    weight = report["audits"]["total-byte-weight"]["numericValue"]
    return {"scores": scores, "metrics": metrics, "misses": misses, "bytes": weight}


def cold(context: BrowserContext, origin: str) -> None:
    """Forget the service worker, Cache Storage and the HTTP cache; keep the login."""
    page = context.new_page()
    page.goto(f"{origin}/api/health")
    cdp = context.new_cdp_session(page)
    cdp.send(
        "Storage.clearDataForOrigin",
        {"origin": origin, "storageTypes": "service_workers,cache_storage"},
    )
    cdp.send("Network.clearBrowserCache")
    page.close()


def log_in(context: BrowserContext, origin: str, path: str, email: str, password: str) -> None:
    page = context.new_page()
    page.goto(f"{origin}{path}")
    page.fill("#login-email", email)
    page.fill("#login-password", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".conn[data-state=live]", timeout=30_000)
    page.close()


def shell_weight(origin: str) -> dict[str, Any]:
    """Bytes on the wire for the phone's first visit, until the worker controls the page."""
    sizes: list[dict[str, Any]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 412, "height": 823}, is_mobile=True)

        def finished(request: Any) -> None:
            size = request.sizes()
            sizes.append(
                {
                    "url": request.url.removeprefix(origin),
                    "worker": request.service_worker is not None,
                    "bytes": size["responseBodySize"] + size["responseHeadersSize"],
                }
            )

        context.on("requestfinished", finished)
        page = context.new_page()
        page.goto(f"{origin}/")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        page.wait_for_load_state("networkidle")
        browser.close()
    listed = (ROOT / "pwa" / "vendor" / "shell.js").read_text()
    files = json.loads(listed[listed.index("[") : listed.rindex("]") + 1].replace(",\n]", "\n]"))
    raw = sum((ROOT / "pwa" / ("index.html" if f == "/" else f[1:])).stat().st_size for f in files)
    return {
        "transferred": sum(s["bytes"] for s in sizes),
        "page": sum(s["bytes"] for s in sizes if not s["worker"]),
        "worker": sum(s["bytes"] for s in sizes if s["worker"]),
        "requests": len(sizes),
        "raw_files": raw,
        "files": len(files),
        "detail": sizes,
    }


def median_run(
    context: BrowserContext, origin: str, path: str, port: int, name: str, runs: int
) -> dict[str, Any]:
    """`runs` cold Lighthouse runs of `path`; the one with the median performance score (as
    Lighthouse advises: one run on a shared machine is noisy). Its report is kept in OUT."""
    summaries = []
    for index in range(runs):
        cold(context, origin)
        out = OUT / f"lighthouse-{name}-{index}.json"
        summaries.append((summarize(lighthouse(f"{origin}{path}", port, out)), out))
    summaries.sort(key=lambda pair: pair[0]["scores"]["performance"])
    chosen, kept = summaries[len(summaries) // 2]
    kept.replace(OUT / f"lighthouse-{name}.json")
    for _, out in summaries:
        out.unlink(missing_ok=True)
    chosen["runs"] = [summary["scores"]["performance"] for summary, _ in summaries]
    return chosen


def measure(quick: bool) -> dict[str, Any]:
    runs = 1 if quick else 3
    subprocess.run([str(ROOT / "scripts" / "build_pwa.sh"), "--dev"], check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fieldsync-bench-pages-") as tmp:
        workdir = Path(tmp)
        hub_port = free_port()
        pb: PocketBaseProcess = launch(
            workdir / "pb_data",
            exempt_loopback=True,
            env={"FIELDSYNC_HUB_PUBLIC_URL": f"http://127.0.0.1:{hub_port}"},
        )
        sidecar = SidecarProcess(pb, workdir, port=hub_port, FIELDSYNC_CORS_ORIGINS=pb.url)
        try:
            with pb.superuser_client() as su:
                team = make_team(su, "Bench Shop")
            sidecar.start()
            seed(team, photos=12 if quick else 60)
            result: dict[str, Any] = {"shell": shell_weight(pb.url), "screens": {}}
            screens = [
                ("phone", "/", team.field),
                ("office", "/office/", team.office),
            ]
            for name, path, member in screens:
                port = free_port()
                with sync_playwright() as playwright:
                    context = playwright.chromium.launch_persistent_context(
                        str(workdir / f"profile-{name}"),
                        executable_path=CHROMIUM,
                        args=[*CHROMIUM_ARGS, f"--remote-debugging-port={port}"],
                    )
                    try:
                        found = result["screens"]
                        if not quick:
                            found[f"{name} login"] = median_run(
                                context, pb.url, path, port, f"{name}-login", runs
                            )
                        log_in(context, pb.url, path, member.email, member.password)
                        found[name] = median_run(context, pb.url, path, port, name, runs)
                    finally:
                        context.close()
            with pb.superuser_client() as su:
                crowd = make_team(su, "Bench Gallery")
            count = 300 if quick else 2000
            many_photos(crowd, count)
            result["gallery"] = {"photos": count, **gallery_scroll(pb.url, crowd, count)}
        finally:
            try:
                sidecar.stop()
            except subprocess.TimeoutExpired:  # it did not end on SIGTERM in time
                sidecar.kill()
            pb.cleanup()
    result["load"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return result


def section(result: dict[str, Any]) -> Section:
    rows = []
    for name, screen in result["screens"].items():
        scores, metrics = screen["scores"], screen["metrics"]
        ok = all(score >= SCORE_TARGET for score in scores.values())
        rows.append(
            [
                name,
                *(str(scores[c]) for c in CATEGORIES),
                *(f"{metrics[key] / 1000:.2f} s" for key in list(METRICS)[:2]),
                f"{metrics['total-blocking-time']:.0f} ms",
                f"{metrics['cumulative-layout-shift']:.3f}",
                f"{screen['bytes'] / 1000:.0f} KB",
                check(ok),
            ]
        )
    misses = {name: s["misses"] for name, s in result["screens"].items() if s["misses"]}
    scores_table = Table(
        "Lighthouse 12, mobile profile (simulated slow 4G, 4x CPU), Debian Chromium",
        [
            "screen",
            "perf",
            "a11y",
            "best pr.",
            "FCP",
            "LCP",
            "TBT",
            "CLS",
            "weight",
            f"≥ {SCORE_TARGET}",
        ],
        rows,
        [
            "Logged-in screens with a cold cache (no service worker, empty HTTP cache); "
            "'login' rows are a first visit. Weight: Lighthouse's total-byte-weight.",
            "Median of "
            + ", ".join(
                f"{name} {'/'.join(map(str, s['runs']))}" for name, s in result["screens"].items()
            )
            + " (performance of each run).",
            *(f"{name}: audits not passed: {', '.join(ids)}" for name, ids in misses.items()),
        ],
    )
    shell = result["shell"]
    kb = shell["transferred"] / 1000
    shell_table = Table(
        "Phone app shell, first visit (fresh profile)",
        ["what", "KB", "requests", "target"],
        [
            [
                "on the wire: page + service worker precache (gzip, headers)",
                f"{kb:.1f}",
                str(shell["requests"]),
                f"≤ {SHELL_TARGET_KB:g} KB {check(kb <= SHELL_TARGET_KB)}",
            ],
            ["  of which the page's own requests", f"{shell['page'] / 1000:.1f}", "-", "-"],
            ["  of which the worker's precache", f"{shell['worker'] / 1000:.1f}", "-", "-"],
            [
                "baseline: the same files uncompressed",
                f"{shell['raw_files'] / 1000:.1f}",
                str(shell["files"]),
                "-",
            ],
        ],
        [
            "The worker's precache fetches the shell a second time: module scripts are "
            "requested with an Origin header and PocketBase answers Vary: Origin, so the HTTP "
            "cache entry the page made does not match the worker's plain request."
        ],
    )
    gallery = result["gallery"]
    gallery_table = Table(
        f"Office gallery: scrolling through {gallery['photos']:,} photos (1366x900)",
        [
            "tiles loaded",
            "seconds",
            "frames",
            "p50 ms",
            "p95 ms",
            "max ms",
            "> 50 ms",
            "thumbs fetched",
        ],
        [
            [
                f"{gallery['tiles']:,}",
                f"{gallery['seconds']:.1f}",
                str(gallery["frames"]),
                f"{gallery['frame_p50_ms']:.1f}",
                f"{gallery['frame_p95_ms']:.1f}",
                f"{gallery['frame_max_ms']:.0f}",
                str(gallery["long_frames"]),
                f"{gallery['fetched']:,}",
            ]
        ],
        [
            "600 px every 30 ms from top to bottom; pages of 60 load as the end comes near, "
            "thumbnails only near the screen (each fetched thumbnail is one that came on screen).",
        ],
    )
    limits = (
        "Loopback serves everything at once, so the scores are set by Lighthouse's simulated "
        "slow 4G and 4x CPU slowdown applied to main-thread time that this shared 2-core "
        f"machine stretches (load average {result.get('load', '-')} during the run): a "
        "trivial static page scores TBT ~170 ms here. Our part is one bundle per screen "
        "(esbuild, ~36 KB) plus the shared PocketBase SDK (41 KB raw)."
    )
    return Section(
        "pages",
        "Pages: Lighthouse and app shell (`python -m bench.pages`)",
        [scores_table, shell_table, gallery_table],
        limits,
        result,
    )


def run(quick: bool = False) -> Section:
    return section(measure(quick))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="logged-in screens only, fewer photos")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    result = measure(args.quick)
    print(json.dumps(result, indent=1) if args.json else text(section(result)))


if __name__ == "__main__":
    main()
