"""Every web page in headless Chromium at desktop (1280 px) and phone (420 px) width: the page
renders, its heading and key elements are visible, every navigation link lies inside the
viewport (nothing clipped) and the page does not scroll sideways. A screenshot of each is kept
under ``$LOCARD_SCREENSHOTS`` (default ``tests/browser/artifacts/``, ignored by git)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"{CHROMIUM} is absent (apt install chromium)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("LOCARD_SCREENSHOTS",
                            Path(__file__).resolve().parent / "artifacts"))
WIDTHS = {"desktop": 1280, "phone": 420}


class Tab:
    """A Playwright page with the width it is shown at (``name``: desktop or phone)."""

    def __init__(self, pg: Any, name: str) -> None:
        self.pg, self.name, self.width = pg, name, WIDTHS[name]

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.pg, attr)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A served database with a confirmed and a pending match, a missing-person case and
    enough audit entries to page."""
    import httpx
    import uvicorn
    from tests.fixtures import random_profiles, write_raw_cmf
    from tests.service.conftest import make_store

    from locard.service import Settings, create_app

    tmp = tmp_path_factory.mktemp("pages")
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
    url = f"http://127.0.0.1:{port}"

    def h(user: str) -> dict[str, str]:
        return {"authorization": f"Bearer {tokens[user]}"}

    with httpx.Client(base_url=url, timeout=60) as c:
        partial = {k: v for i, (k, v) in enumerate(profiles["CO-0000002"].items()) if i >= 3}
        scene = tmp / "scene.xml"
        write_raw_cmf(scene, [("FU-2024-0042", "Forensic, Unknown", partial),
                          ("FU-2024-0043", "Forensic, Unknown", profiles["CO-0000003"])],
                  source_lab="LAB0001")
        with scene.open("rb") as fh:
            r = c.post("/api/v1/imports", headers=h("ana"), files={"file": ("scene.xml", fh)},
                       data={"legal_basis": "casework", "purpose": "CASE-2024-0042"})
        assert r.status_code == 201, r.text
        mids = [int(x) for x in r.json()["candidate_matches"]]
        assert len(mids) == 2
        r = c.post(f"/api/v1/matches/{mids[0]}/decision", headers=h("rev"),
                   json={"decision": "confirmed", "note": "17 loci agree; second reader"})
        assert r.status_code == 200, r.text
        fam = dict(random_profiles(2, seed=91, prefix="F"))
        rel = tmp / "rel.xml"
        write_raw_cmf(rel, [("REL-FA", "Biological Father", fam["F0000000"])],
                  source_lab="LAB0001")
        with rel.open("rb") as fh:
            r = c.post("/api/v1/imports", headers=h("ana"), files={"file": ("rel.xml", fh)},
                       data={"legal_basis": "consent", "consent": "C-9"})
        assert r.status_code == 201, r.text
        r = c.post("/api/v1/cases", headers=h("ana"), json={
            "case_ref": "MP-2024-017", "purpose": "registration", "pedigree": {
                "missing": "MP", "individuals": [
                    {"id": "FA", "sex": "male", "specimen": "REL-FA"},
                    {"id": "MO", "sex": "female"},
                    {"id": "MP", "father": "FA", "mother": "MO", "sex": "female"}]}})
        assert r.status_code == 201, r.text
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield {"url": url, "tokens": tokens, "matches": mids, "tmp": tmp}
    srv.should_exit = True
    thread.join(10)
    store.close()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module", params=list(WIDTHS))
def page(request: pytest.FixtureRequest, browser: Any, site: dict[str, Any]) -> Iterator[Any]:
    """A page logged in as the administrator (every navigation link) at one width."""
    width = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.on("dialog", lambda d: d.accept())
    url = site["url"]
    pg.goto(f"{url}/login")
    _check_layout(pg, width, nav=False)
    pg.screenshot(path=str(SHOTS / f"login-{request.param}.png"), full_page=True)
    pg.fill("input[name=username]", "admin")
    pg.fill("input[name=token]", str(site["tokens"]["admin"]))
    pg.click("button[type=submit]")
    pg.wait_for_url(f"{url}/")
    yield Tab(pg, request.param)
    context.close()


def _check_layout(pg: Any, width: int, *, nav: bool = True) -> None:
    """The heading is visible; every nav link is inside the viewport; no sideways scroll."""
    assert pg.locator("h1").first.is_visible()
    if nav:
        links = pg.locator("header nav a")
        assert links.count() == 9
        for i in range(links.count()):
            link = links.nth(i)
            assert link.is_visible()
            box = link.bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (link.inner_text(), box)
            assert box["height"] < 40, (link.inner_text(), box)  # one line, not wrapped
        logout = pg.locator("form.who button")
        box = logout.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
    overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow} px"


def _visit(pg: Any, site: dict[str, Any], path: str, name: str, width: int) -> None:
    pg.goto(site["url"] + path)
    _check_layout(pg, width)
    pg.screenshot(path=str(SHOTS / f"{name}-{pg.name}.png"), full_page=True)


def test_dashboard(page: Any, site: dict[str, Any]) -> None:
    width = page.width
    _visit(page, site, "/", "dashboard", width)
    assert page.inner_text("#pending-count") == "1"
    assert page.locator("svg.chart").first.is_visible()


def test_upload(page: Any, site: dict[str, Any]) -> None:
    _visit(page, site, "/upload", "upload", page.width)
    assert page.locator("input[name=file]").is_visible()


def test_specimen(page: Any, site: dict[str, Any]) -> None:
    _visit(page, site, "/specimens/CO-0000002", "specimen", page.width)
    assert page.locator("table.loci").is_visible()


def test_search_with_results(page: Any, site: dict[str, Any]) -> None:
    width = page.width
    _visit(page, site, "/search?specimen=FU-2024-0043", "search", width)
    page.fill("input[name=purpose]", "CASE-2024-0042")
    page.uncheck("input[name=record]")
    page.click("form.cols button[type=submit]")
    page.wait_for_selector("#results")
    _check_layout(page, width)
    assert "CO-0000003" in page.inner_text("#results")
    page.screenshot(path=str(SHOTS / f"search-results-{page.name}.png"),
                    full_page=True)


def test_matches_list(page: Any, site: dict[str, Any]) -> None:
    width = page.width
    _visit(page, site, "/matches?limit=1", "matches", width)
    assert page.locator("tr.match-row").count() == 1
    assert page.locator("#next").is_visible()
    rmp = page.locator("tr.match-row td.num").first
    assert rmp.is_visible()
    lines = rmp.evaluate("""e => { const r = document.createRange(); r.selectNodeContents(e);
        return new Set(Array.from(r.getClientRects(), x => Math.round(x.top))).size; }""")
    assert lines == 1  # the RMP does not wrap
    page.fill("input[name=q]", "0043")
    page.click("form.search-matches button")
    page.wait_for_load_state()
    assert page.locator("tr.match-row").count() == 1
    assert "FU-2024-0043" in page.inner_text("table.matches")


def test_match_page(page: Any, site: dict[str, Any]) -> None:
    width = page.width
    _visit(page, site, f"/matches/{site['matches'][0]}", "match", width)
    neutral = page.locator("tr.row-notcompared .allele.neutral")
    assert neutral.count() >= 3
    grey = neutral.first.evaluate("e => getComputedStyle(e).backgroundColor")
    red = page.evaluate("""() => { const s = document.createElement('span');
        s.className = 'allele differ'; document.body.appendChild(s);
        const c = getComputedStyle(s).backgroundColor; s.remove(); return c; }""")
    assert grey != red
    assert page.locator("#explain").is_visible()
    assert "Hp" in page.inner_text("#explain") and "ENFSI" in page.inner_text("#explain")
    assert page.locator("#verbal").is_visible()
    assert page.locator("#report-link").is_visible()


def test_audit(page: Any, site: dict[str, Any]) -> None:
    width = page.width
    _visit(page, site, "/audit?limit=5", "audit", width)
    assert page.locator("table.audit tbody tr").count() == 5
    assert page.locator("#older").is_visible()
    page.click("#older")
    page.wait_for_selector("#newest")
    _check_layout(page, width)


def test_missing_persons(page: Any, site: dict[str, Any]) -> None:
    width = page.width
    _visit(page, site, "/identify", "identify", width)
    assert "MP-2024-017" in page.inner_text("#lab-case-list")
    label = page.locator("#identify-form label").first
    box = label.bounding_box()
    assert box is not None and box["height"] < 80  # the label is one line above its field
    form = page.locator("#case-form")
    assert form.is_visible()
    pedigree = {"missing": "MP", "individuals": [
        {"id": "FA", "sex": "male", "specimen": "REL-FA"},
        {"id": "MO", "sex": "female"},
        {"id": "MP", "father": "FA", "mother": "MO", "sex": "male"}]}
    ref = f"MP-B-{page.name}"
    form.locator("input[name=case_ref]").fill(ref)
    form.locator("textarea[name=pedigree]").fill(json.dumps(pedigree))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#registered")
    assert ref in page.inner_text("#registered")
    _check_layout(page, width)
    page.screenshot(path=str(SHOTS / f"identify-registered-{page.name}.png"),
                    full_page=True)


def test_family_power(page: Any, site: dict[str, Any]) -> None:
    width = page.width
    _visit(page, site, "/identify", "identify", width)
    page.click("#power-link a")
    page.wait_for_selector("#power-form")
    _check_layout(page, width)
    pedigree = {"missing": "X", "individuals": [
        {"id": "FA", "sex": "male", "profile": "TH01: 7,9.3; D3S1358: 15,17"},
        {"id": "MO", "sex": "female"},
        {"id": "X", "father": "FA", "mother": "MO", "sex": "male"}]}
    page.fill("textarea[name=pedigree]", json.dumps(pedigree))
    page.fill("input[name=missing]", "X")
    page.fill("input[name=candidates]", "MO")
    page.fill("input[name=simulations]", "100")
    page.click("#power-form button[type=submit]")
    page.wait_for_selector("#power-result")
    _check_layout(page, width)
    assert page.locator("#power-candidates tbody tr").count() == 1
    img = page.locator("#power-result img.plot")
    assert img.is_visible()
    box = img.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    page.screenshot(path=str(SHOTS / f"power-result-{page.name}.png"), full_page=True)


def test_mixtures(page: Any, site: dict[str, Any]) -> None:
    from tests.cli.test_mixture_cli import CASE

    width = page.width
    _visit(page, site, "/mixtures", "mixtures", width)
    page.fill("textarea[name=case]", json.dumps(CASE))
    page.check("input[name=analyses]")
    page.click("#mixture-form button[type=submit]")
    page.wait_for_selector("#lr-result")
    _check_layout(page, width)
    from locard.service.mixtures import mixture_lr

    assert page.inner_text("#lr-value") == f"{mixture_lr(CASE)['lr']:.4g}"  # as the CLI
    assert "POI (person of interest)" in page.inner_text("#hypotheses")
    assert page.locator("#per-locus tbody tr").count() == 4  # three loci and the product
    for plot in ("#sensitivity img.plot", "#tippet img.plot"):
        img = page.locator(plot)
        assert img.is_visible()
        box = img.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
    assert page.locator("#report-link").is_visible()
    page.screenshot(path=str(SHOTS / f"mixtures-result-{page.name}.png"), full_page=True)


def test_expunge(page: Any, site: dict[str, Any]) -> None:
    _visit(page, site, "/expunge?specimen=CO-0000005", "expunge", page.width)
    assert page.locator("input[name=reason]").is_visible()


def test_error_page(page: Any, site: dict[str, Any]) -> None:
    _visit(page, site, "/matches/999999", "error", page.width)
    assert "404" in page.inner_text("h1")
