"""The pages in real Chromium against a real PocketBase (serving pwa/ with pb_hooks/pages.pb.js)
and the real sidecar (hub) on another port, as in development: 127.0.0.1:PB -> 127.0.0.1:HUB."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    FilePayload,
    Page,
    sync_playwright,
)

from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.images import jpeg, photo
from tests.support.net import free_port
from tests.support.pocketbase import ROOT, PocketBaseProcess, launch
from tests.support.sidecar import SidecarProcess
from tests.support.teams import Member, SeededTeam, make_team

SCREENSHOTS = ROOT / "docs" / "screenshots"


@dataclass
class Stack:
    pb: PocketBaseProcess
    sidecar: SidecarProcess
    su: httpx.Client

    @property
    def url(self) -> str:
        return self.pb.url


@pytest.fixture(scope="session")
def built_pages() -> None:
    """pwa/vendor/ (the JS SDK, the app shell list), as run.sh builds it."""
    built = subprocess.run(
        [str(ROOT / "scripts" / "build_pwa.sh")], capture_output=True, text=True, check=False
    )
    if built.returncode != 0:
        pytest.fail(f"scripts/build_pwa.sh failed: {built.stderr[-2000:]}")


@pytest.fixture(scope="session")
def pages(built_pages: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """PocketBase serving the pages, told where the hub will be; the sidecar built (allowing
    the pages' origin, CORS) but not started. Loopback is exempt from rate limits."""
    hub_port = free_port()
    root = tmp_path_factory.mktemp("pwa")
    pb = launch(
        root / "pb_data",
        exempt_loopback=True,
        env={"FIELDSYNC_HUB_PUBLIC_URL": f"http://127.0.0.1:{hub_port}"},
    )
    su = pb.superuser_client()
    sidecar = SidecarProcess(
        pb, root, port=hub_port, FIELDSYNC_CORS_ORIGINS=pb.url, FIELDSYNC_LEASE_TTL_S="3"
    )
    yield Stack(pb, sidecar, su)
    try:
        sidecar.stop()
    except subprocess.TimeoutExpired:  # it did not end on SIGTERM in time
        sidecar.kill()
    su.close()
    pb.cleanup()


@pytest.fixture
def stack(pages: Stack) -> Stack:
    """The pages with the sidecar (hub, thumbnails) running."""
    if not pages.sidecar.running:
        pages.sidecar.start()
    return pages


@pytest.fixture
def team(stack: Stack) -> SeededTeam:
    """A team of this test's own (field, office, admin)."""
    return make_team(stack.su, "Pages Team")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module: Playwright's sync API keeps an event loop running while it is open, which
    the async tests of other folders could not share."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Problems:
    """Console errors and CSP violations seen by the pages of a context."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))


@pytest.fixture
def problems() -> Problems:
    return Problems()


def phone_context(browser: Browser, problems: Problems, locale: str = "ko-KR") -> BrowserContext:
    """A phone: small touch screen, the browser language `locale`."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
    )
    context.on("page", problems.watch)
    return context


def office_context(browser: Browser, problems: Problems, locale: str = "ko-KR") -> BrowserContext:
    """An office PC."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=locale)
    context.on("page", problems.watch)
    return context


@pytest.fixture
def phone(browser: Browser, problems: Problems) -> Iterator[BrowserContext]:
    context = phone_context(browser, problems)
    yield context
    context.close()


@pytest.fixture
def office(browser: Browser, problems: Problems) -> Iterator[BrowserContext]:
    context = office_context(browser, problems)
    yield context
    context.close()


def log_in(page: Page, base: str, path: str, member: Member) -> None:
    """Open `path` and log in through the form; wait for the live connection."""
    page.goto(f"{base}{path}")
    page.fill("#login-email", member.email)
    page.fill("#login-password", member.password)
    page.click("button[type=submit]")
    page.wait_for_selector(".conn[data-state=live]", timeout=30_000)


def jpegs(count: int, seed: int = 0, noise: float = 12.0) -> list[FilePayload]:
    """`count` distinct small JPEGs as Playwright file payloads."""
    return [
        {
            "name": f"photo-{seed}-{i}.jpg",
            "mimeType": "image/jpeg",
            "buffer": jpeg(photo(640, 480, seed=seed * 100 + i, noise=noise), quality=80),
        }
        for i in range(count)
    ]
