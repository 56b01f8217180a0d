"""A plain browser `EventSource` (real Chromium) is a Mercure client of the hub: it gets a
subscriber cookie from the token endpoint across origins (CORS) and receives live updates."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.net import free_port
from tests.support.photos import new_job
from tests.support.pocketbase import PocketBaseProcess
from tests.support.sidecar import SidecarFactory, SidecarProcess
from tests.support.teams import SeededTeam

PAGE = """<!doctype html><meta charset="utf-8"><title>hub client</title>
<script>
window.received = [];
async function start(hub, pbToken, topic) {
  const answer = await fetch(hub + "/token", {
    method: "POST", credentials: "include", headers: {Authorization: pbToken},
  });
  if (!answer.ok) throw new Error("token: " + answer.status);
  const url = new URL(hub);
  url.searchParams.append("topic", topic);
  const source = new EventSource(url, {withCredentials: true});
  source.addEventListener("job.created", (e) => window.received.push(JSON.parse(e.data)));
  await new Promise((resolve, reject) => { source.onopen = resolve; source.onerror = reject; });
}
</script>"""


@pytest.fixture(scope="module")
def page_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("page")
    (root / "index.html").write_text(PAGE)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_browser_eventsource_receives_team_updates(
    pocketbase: PocketBaseProcess,
    make_sidecar: SidecarFactory,
    page_origin: str,
    browser: Browser,
    team_a: SeededTeam,
) -> None:
    sidecar: SidecarProcess = make_sidecar(pocketbase, FIELDSYNC_CORS_ORIGINS=page_origin)
    sidecar.start()
    page = browser.new_page()
    page.goto(f"{page_origin}/index.html")
    page.evaluate(
        "([hub, token, topic]) => start(hub, token, topic)",
        [
            f"{sidecar.url}/.well-known/mercure",
            team_a.office.token,
            f"/teams/{team_a.id}/jobs/{{job}}",
        ],
    )
    job = new_job(team_a.office, title="seen in the browser")
    page.wait_for_function("(id) => window.received.some((u) => u.record.id === id)", arg=job["id"])
    received = page.evaluate("window.received")
    assert received[-1]["type"] == "job.created" and received[-1]["team"] == team_a.id
