"""End to end in headless Chromium (Playwright, sync API) against uvicorn on 127.0.0.1:
log in, upload a crime-scene profile that matches a stored offender, review the candidate made
by search on entry, confirm it, download the PDF report, verify the audit log."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} is absent (apt install chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("LOCARD_SCREENSHOTS",
                            Path(__file__).resolve().parent / "artifacts"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    import uvicorn
    from tests.service.conftest import make_store

    from locard.service import Settings, create_app

    tmp = tmp_path_factory.mktemp("e2e")
    store, tokens, profiles = make_store(tmp / "locard.db", tmp)
    app = create_app(store=store, settings=Settings(secure_cookies=False))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield {"url": f"http://127.0.0.1:{port}", "tokens": tokens, "profiles": profiles,
           "tmp": tmp}
    srv.should_exit = True
    thread.join(10)
    store.close()


def test_upload_review_confirm_report_audit(server: dict[str, object]) -> None:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader
    from tests.service.conftest import forensic_cmf

    SHOTS.mkdir(parents=True, exist_ok=True)
    url = str(server["url"])
    tokens = server["tokens"]
    profiles = server["profiles"]
    assert isinstance(tokens, dict) and isinstance(profiles, dict)
    cmf = forensic_cmf(Path(str(server["tmp"])) / "scene.xml", "FU-2024-0042",
                       profiles["CO-0000002"])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900},
                                accept_downloads=True)
        page.set_default_timeout(20_000)
        page.on("dialog", lambda d: d.accept())

        def log_in(user: str) -> None:
            page.goto(f"{url}/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=token]", str(tokens[user]))
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/")

        # analyst uploads the crime-scene profile
        log_in("ana")
        page.click("nav >> text=Upload")
        page.set_input_files("input[name=file]", str(cmf))
        page.select_option("select[name=legal_basis]", "casework")
        page.fill("input[name=purpose]", "CASE-2024-0042")
        page.click("text=Upload and import")
        report = page.locator("#report")
        assert "1 imported" in report.inner_text()
        page.click("text=Log out")

        # reviewer sees the candidate from search on entry and confirms it
        log_in("rev")
        assert "FU-2024-0042" in page.inner_text("body")
        page.screenshot(path=str(SHOTS / "locard-dashboard.png"), full_page=True)
        page.click("table.list a[href^='/matches/']")
        page.wait_for_selector("table.compare")
        body = page.inner_text("body")
        assert "CO-0000002" in body and "RMP" in body and "agreeing" in body
        page.screenshot(path=str(SHOTS / "locard-match-manager.png"), full_page=True)
        page.fill("textarea[name=note]", "all 20 CODIS loci agree; verified by second reader")
        page.click("button[value=confirmed]")
        page.wait_for_selector("#report-link")
        assert "Confirmed by" in page.inner_text("body")
        with page.expect_download() as info:
            page.click("#report-link")
        pdf = Path(info.value.path()).read_bytes()
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        for needle in ("FU-2024-0042", "CO-0000002", "SHA-256", "Locard version",
                       "verified by second reader"):
            assert needle in text
        page.click("text=Log out")

        # the auditor verifies the chain and sees the decision
        log_in("aud")
        page.click("nav >> text=Audit")
        page.click("#verify")
        assert "Audit chain verified" in page.inner_text("#verified")
        assert "match_decision" in page.inner_text("table.audit")
        page.screenshot(path=str(SHOTS / "locard-audit.png"))
        browser.close()
