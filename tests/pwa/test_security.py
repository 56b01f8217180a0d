"""The pages from the attacker's side: a strict CSP (no inline script) on every page, untrusted
captions and titles shown as text, nothing but pwa/ served, the hub URL setting checked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect

from tests.pwa.conftest import Problems, Stack, log_in
from tests.support.images import jpeg, photo
from tests.support.photos import new_job, upload
from tests.support.pocketbase import PocketBaseProcess
from tests.support.teams import SeededTeam

HOSTILE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'


@pytest.mark.parametrize(
    "path", ["/", "/office/", "/js/phone.js", "/sw.js", "/manifest.webmanifest"]
)
def test_pages_carry_a_strict_policy(pages: Stack, path: str) -> None:
    response = httpx.get(f"{pages.url}{path}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["connect-src"] == f"'self' {pages.sidecar.url}"
    assert "unsafe" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-encoding"] == "gzip"


def test_the_api_keeps_its_own_headers_and_tells_where_the_hub_is(pages: Stack) -> None:
    response = httpx.get(f"{pages.url}/api/fieldsync/config")
    assert response.json() == {"hubUrl": pages.sidecar.url}
    assert "content-security-policy" not in response.headers
    admin = httpx.get(f"{pages.url}/_/").headers  # the admin UI keeps PocketBase's own policy
    assert "trusted-types fieldsync" not in admin.get("content-security-policy", "")


def test_only_the_pages_folder_is_served(pages: Stack) -> None:
    root = Path(__file__).resolve().parents[2]
    assert (root / "node_modules" / "pocketbase" / "package.json").exists()
    for path in ["/node_modules/pocketbase/package.json", "/../package.json", "/package-lock.json"]:
        body = httpx.get(f"{pages.url}{path}").text
        assert '"name"' not in body and "lockfileVersion" not in body


def test_a_bad_hub_url_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "pb_data").mkdir()
    pb = PocketBaseProcess(
        tmp_path / "pb_data", env={"FIELDSYNC_HUB_PUBLIC_URL": "javascript:alert(1)//"}
    )
    with pytest.raises(subprocess.CalledProcessError) as failed:
        pb.setup()  # migrate runs the hooks' bootstrap too
    assert b"FIELDSYNC_HUB_PUBLIC_URL must be an http(s) origin" in failed.value.stderr


def test_untrusted_text_shows_as_text_and_inline_script_is_refused(
    stack: Stack,
    team: SeededTeam,
    phone: BrowserContext,
    office: BrowserContext,
    problems: Problems,
) -> None:
    job = new_job(team.office, title=HOSTILE, assignee=team.field.id)
    with team.field.client() as client:
        response = client.patch(
            f"/api/collections/jobs/records/{job['id']}", json={"status": "in_progress"}
        )
        response.raise_for_status()
    made = upload(team.field, job["id"], jpeg(photo(320, 240, seed=11)))
    with team.field.client() as client:
        client.patch(
            f"/api/collections/photos/records/{made['id']}", json={"caption": HOSTILE}
        ).raise_for_status()

    board = office.new_page()
    log_in(board, stack.url, "/office/", team.office)
    expect(board.locator(f"[data-job='{job['id']}'] .job-title")).to_have_text(HOSTILE)
    board.click(f"[data-job='{job['id']}']")
    expect(board.locator("#job-dialog-title")).to_have_text(HOSTILE)
    expect(board.locator(f"dialog [data-photo='{made['id']}'] .caption")).to_have_text(
        HOSTILE, timeout=15_000
    )
    board.keyboard.press("Escape")
    board.goto(f"{stack.url}/office/#/gallery")
    expect(board.locator(f".tile[data-photo='{made['id']}'] .caption")).to_have_text(HOSTILE)

    field = phone.new_page()
    log_in(field, stack.url, "/", team.field)
    expect(field.locator(f"[data-job='{job['id']}'] .job-title")).to_have_text(HOSTILE)
    field.click(f"[data-job='{job['id']}']")
    expect(field.locator("h1")).to_have_text(HOSTILE)
    expect(field.locator(f"[data-photo='{made['id']}'] .caption")).to_have_text(
        HOSTILE, timeout=15_000
    )

    for page in (board, field):
        assert page.evaluate("window.__xss") is None
        assert page.locator("img[src=x], img[src$='/x']").count() == 0
        # The policy itself is enforced and reported: an injected inline handler never runs.
        # (Code evaluated through the DevTools protocol may eval(); page scripts may not.)
        for attempt in (
            """const b = document.createElement("button");
               b.setAttribute("onclick", "window.__xss = 3"); b.click();""",
            """const i = document.createElement("img");
               i.setAttribute("onerror", "window.__xss = 4"); i.src = "/missing.png";""",
        ):
            violation = page.evaluate(
                """() => new Promise((resolve) => {
                  document.addEventListener("securitypolicyviolation",
                    (e) => resolve([e.violatedDirective, e.disposition]), {once: true});
                  try { ATTEMPT } catch (error) { /* refused */ }
                  setTimeout(() => resolve(["none", String(window.__xss)]), 5000);
                })""".replace("ATTEMPT", attempt)
            )
            assert violation[1] == "enforce", violation
            assert violation[0] in ("require-trusted-types-for", "script-src", "script-src-attr")
        assert page.evaluate("window.__xss") is None
    problems.errors = [e for e in problems.errors if "TrustedScript" not in e]
    assert problems.errors == []
