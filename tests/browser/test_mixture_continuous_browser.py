"""The mixture page with a continuous case in headless Chromium (Playwright, sync API) against
uvicorn, at 1280 and 420 px: the LR as the API gives it, the inline bar plot, the PP-plots and
the Tippet plot visible and inside the viewport, the PDF report link present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.browser.test_e2e import ARGS, CHROMIUM, SHOTS, server  # noqa: F401  (the fixture)
from tests.service.test_mixture_continuous_api import CASE

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent")


def test_continuous_case_page(server: dict[str, object]) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    from locard.service.mixtures import mixture_lr

    expected = f"{mixture_lr(CASE)['lr']:.4g}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = str(server["url"])
    tokens = server["tokens"]
    assert isinstance(tokens, dict)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in (1280, 420):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.set_default_timeout(180_000)  # the fit and the Tippet test run on submit
            errors: list[str] = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.goto(f"{url}/login")
            page.fill("input[name=username]", "ana")
            page.fill("input[name=token]", str(tokens["ana"]))
            page.click("button[type=submit]")
            page.goto(f"{url}/mixtures")
            page.fill("textarea[name=case]", json.dumps(CASE))
            page.check("input[name=analyses]")
            page.click("#mixture-form button[type=submit]")
            page.wait_for_selector("#lr-result")
            assert page.inner_text("#lr-value") == expected  # as the API and the CLI
            assert page.locator("#fitted-parameters tbody tr").count() >= 6
            for selector in ("#expected-heights svg.chart", "#pp-hp img.plot",
                             "#pp-hd img.plot", "#tippet img.plot"):
                plot = page.locator(selector)
                assert plot.is_visible(), selector
                box = plot.bounding_box()
                assert box is not None and box["x"] + box["width"] <= width, selector
            assert page.locator("#report-link").is_visible()
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (width, scroll)
            page.screenshot(path=str(SHOTS / f"mixtures-continuous-{width}.png"),
                            full_page=True)
            assert not errors, errors
            page.close()
        browser.close()
