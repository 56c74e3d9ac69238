"""The raw CE runs page in headless Chromium (Playwright, sync API) against uvicorn: upload an
Identifiler sample with its ladder, zoom the electropherogram to a locus with the locus
selector and the mouse wheel, click a flag marker to read the flag's reason, and zoom the
ladder run's electropherogram to a locus."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.browser.test_e2e import ARGS, CHROMIUM, SHOTS, server  # noqa: F401  (the fixture)

REPO = Path(__file__).resolve().parents[2]
IF = REPO.parent / "shared" / "data" / "ce" / "osiris_test_analysis" / "Identifiler" / "STRbaseIF"
pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent"),
    pytest.mark.skipif(not IF.is_dir(), reason=f"reference data not found at {IF}"),
]


def _view(page: object, selector: str) -> tuple[float, float]:
    text = page.get_attribute(selector, "data-view")  # type: ignore[attr-defined]
    assert text is not None
    lo, hi = (float(x) for x in text.split(","))
    return lo, hi


def test_zoom_to_a_locus_and_read_a_flag(server: dict[str, object]) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    url = str(server["url"])
    tokens = server["tokens"]
    assert isinstance(tokens, dict)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # the page's own files must load (a browser's favicon.ico request may 404)
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if "/static/" in r.url and r.status != 200 else None)
        page.goto(f"{url}/login")
        page.fill("input[name=username]", "ana")
        page.fill("input[name=token]", str(tokens["ana"]))
        page.click("button[type=submit]")
        page.click("nav a[href='/ce']")
        page.set_input_files("input[name=files]", [str(IF / "MIX05case2_victim.fsa")])
        page.set_input_files("input[name=ladder]", str(IF / "Identifiler LADDER.fsa"))
        page.select_option("select[name=kit]", "Identifiler")
        page.click("#ce-form button[type=submit]")
        epg = "#epg-s0"
        page.wait_for_selector(f"{epg}[data-view]")
        full = _view(page, epg)
        assert full[1] - full[0] > 200  # the kit's loci
        # zoom to a locus with the selector: the view is the locus's window
        option = page.locator(f"{epg} .epg-locus option[value='TH01']")
        lo, hi = float(option.get_attribute("data-lo") or "nan"), \
            float(option.get_attribute("data-hi") or "nan")
        page.select_option(f"{epg} .epg-locus", "TH01")
        zoomed = _view(page, epg)
        assert zoomed == pytest.approx((lo - 2, hi + 2), abs=0.01)
        # the bins and the called alleles of TH01 are drawn and visible; other loci's not
        th01 = page.locator(f"{epg} text.peak.call[data-locus='TH01']")
        assert th01.count() >= 2 and th01.first.is_visible()
        assert page.locator(f"{epg} text.bin-label[data-locus='TH01']").first.is_visible()
        assert not page.locator(f"{epg} text.peak.call[data-locus='FGA']").first.is_visible()
        # the mouse wheel zooms in further around the pointer
        panel = page.locator(f"{epg} .epg-panel").nth(1)
        panel.scroll_into_view_if_needed()
        box = panel.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -200)
        wheel = zoomed
        for _ in range(100):  # (wait_for_function evaluates a string: the CSP forbids it)
            wheel = _view(page, epg)
            if wheel != zoomed:
                break
            page.wait_for_timeout(50)
        assert wheel[1] - wheel[0] < zoomed[1] - zoomed[0]
        assert zoomed[0] <= wheel[0] and wheel[1] <= zoomed[1]
        # a flag marker of TH01: clicking it shows the flag's reason
        page.select_option(f"{epg} .epg-locus", "TH01")
        marker = page.locator(f"{epg} .flag-mark[aria-label*='TH01']").first
        assert marker.is_visible()
        index = marker.get_attribute("data-flag")
        marker.click()
        reason = page.locator(f"{epg} .flag-reason")
        assert reason.is_visible()
        item = page.locator(f"{epg} .flag-item[data-flag='{index}']")
        assert reason.inner_text().strip() == item.inner_text().strip()
        assert "TH01" in reason.inner_text()
        assert "on" in (item.get_attribute("class") or "")
        page.screenshot(path=str(SHOTS / "ce-epg-th01-flag.png"), full_page=False)
        # reset: the kit's loci again
        page.click(f"{epg} .epg-reset")
        assert _view(page, epg) == pytest.approx(full, abs=0.01)
        # the ladder run's electropherogram: same controls; zoomed to TH01 its located
        # ladder alleles are labelled and visible, FGA's are not; the clean ladder has no
        # problem marker
        lad = "#epg-ladder"
        page.select_option(f"{lad} .epg-locus", "TH01")
        option = page.locator(f"{lad} .epg-locus option[value='TH01']")
        lo, hi = float(option.get_attribute("data-lo") or "nan"), \
            float(option.get_attribute("data-hi") or "nan")
        assert _view(page, lad) == pytest.approx((lo - 2, hi + 2), abs=0.01)
        labels = page.locator(f"{lad} text.peak.ladder[data-locus='TH01']")
        assert labels.count() >= 8 and labels.first.is_visible()
        assert not page.locator(f"{lad} text.peak.ladder[data-locus='FGA']").last.is_visible()
        assert page.locator(f"{lad} .flag-mark").count() == 0
        page.locator(lad).screenshot(path=str(SHOTS / "ce-ladder-epg-th01.png"))
        assert errors == []
        browser.close()
