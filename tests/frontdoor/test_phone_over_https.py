"""The phone page in Chromium over the front door's HTTPS origin, with the local root
certificate trusted the way a user's machine trusts it (an NSS database, not
`--ignore-certificate-errors`): it logs in and goes live through the same-origin hub, its
service worker registers, and it opens again offline."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.frontdoor import FrontDoorProcess
from tests.support.pocketbase import ROOT, PocketBaseProcess, launch
from tests.support.sidecar import SidecarProcess
from tests.support.teams import SeededTeam, make_team

Stack = tuple[FrontDoorProcess, SeededTeam]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    subprocess.run([str(ROOT / "scripts" / "build_pwa.sh")], check=True, capture_output=True)
    root = tmp_path_factory.mktemp("https-pages")
    pb: PocketBaseProcess = launch(root / "pb_data", exempt_loopback=True)
    sidecar = SidecarProcess(pb, root)
    front = FrontDoorProcess(pb, sidecar, root / "caddy")
    try:
        with pb.superuser_client() as su:
            team = make_team(su, "Over HTTPS")
        sidecar.start()
        front.start()
        yield front, team
    finally:
        front.stop()
        sidecar.stop()
        pb.cleanup()


def _trusting_home(home: Path, root_cert: Path) -> Path:
    """A home directory whose NSS database trusts `root_cert` as a CA (what installing the
    certificate on a Linux desktop does; Chromium reads ~/.pki/nssdb)."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-d",
            f"sql:{nssdb}",
            "-A",
            "-t",
            "C,,",
            "-n",
            "fieldsync",
            "-i",
            str(root_cert),
        ],
        check=True,
    )
    return home


@pytest.fixture
def trusting_browser(stack: Stack, tmp_path: Path) -> Iterator[Browser]:
    front, _ = stack
    home = _trusting_home(tmp_path / "home", front.root_cert)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, env={"HOME": str(home)}
        )
        yield browser
        browser.close()


def test_the_phone_app_over_https_registers_its_worker_and_opens_offline(
    stack: Stack, trusting_browser: Browser
) -> None:
    front, team = stack
    context = trusting_browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="ko-KR"
    )
    try:
        page = context.new_page()
        response = page.goto(f"{front.url}/")
        assert response is not None and response.ok
        assert page.evaluate("window.isSecureContext") is True
        page.fill("#login-email", team.field.email)
        page.fill("#login-password", team.field.password)
        page.click("button[type=submit]")
        page.wait_for_selector(".conn[data-state=live]", timeout=30_000)  # the hub, same origin
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("main, #login-email", timeout=15_000)
        assert page.evaluate("navigator.onLine") is False
        assert page.evaluate("document.title")
    finally:
        context.close()


def test_an_untrusting_browser_is_refused(stack: Stack, tmp_path: Path) -> None:
    """Without the root certificate the same page does not load: the trust is real."""
    front, _ = stack
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, env={"HOME": str(tmp_path)}
        )
        try:
            page = browser.new_page()
            with pytest.raises(Exception, match="ERR_CERT"):
                page.goto(f"{front.url}/")
        finally:
            browser.close()
