"""The playground page in headless Chromium, clicked through as a student would.

Uses the system Chromium (Debian package ``chromium``; ``.ci/run`` installs it), because
Playwright's own browser download is not possible everywhere. Screenshots go to
``$PLAYGROUND_SCREENSHOTS`` when set, else to the test's tmp dir.
"""

import os
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tinygrad_mlp.playground import serve


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = find_chromium()
if CHROMIUM is None and os.environ.get("CI"):
    raise RuntimeError("CI needs Chromium for the playground page test (apt-get install chromium)")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)")


@pytest.fixture()
def server(tmp_path):
    srv = serve("127.0.0.1", 0, export_dir=tmp_path / "exports")
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture()
def shots(tmp_path):
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def page():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 1000})
            pg.problems = []
            pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
            pg.on("console", lambda m: m.type == "error" and pg.problems.append(f"console: {m.text}"))
            yield pg
        finally:
            browser.close()


def state(page):
    return {k: v[0] for k, v in parse_qs(page.evaluate("location.hash.slice(1)"), keep_blank_values=True).items()}


def epoch(page):
    return int(page.text_content("#epoch").replace(",", ""))


def wait_js(page, expression, timeout=20.0):
    """Poll a JavaScript expression until it is true (the page's CSP forbids eval, which Playwright's
    own wait_for_function needs; page.evaluate is not subject to it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if page.evaluate(f"() => !!({expression})"):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"not true within {timeout} s: {expression}")


def wait_epoch(page, at_least):
    wait_js(page, f"Number(document.getElementById('epoch').textContent.replace(/,/g, '')) >= {at_least}")


def pictures(page):
    """Every neuron canvas as a data URL, and every edge's colour and width."""
    heat = page.eval_on_selector_all("canvas.node:not(.off)", "cs => cs.map(c => c.toDataURL())")
    edges = page.eval_on_selector_all("path.edge", "ps => ps.map(p => [p.getAttribute('stroke'), "
                                                   "p.getAttribute('stroke-width')])")
    return heat, edges


def settle(page):
    """Wait until the page's queued requests are done."""
    page.evaluate("() => queue")


def test_click_through_the_playground(server, page, shots):
    page.goto(server + "/")
    page.wait_for_selector('canvas.node[data-layer="2"]')
    settle(page)
    assert state(page)["hidden"] == "4,2" and epoch(page) == 0
    page.screenshot(path=str(shots / "01_start.png"))

    # add a layer and a neuron, toggle a feature
    page.click("#add-layer")
    page.wait_for_selector('canvas.node[data-layer="3"]')
    page.click('.add-neuron[data-layer="0"]')
    wait_js(page, "document.querySelectorAll('canvas.node[data-layer=\"1\"]').length === 5")
    assert page.locator('canvas.node[data-layer="1"]').count() == 5
    assert page.locator('canvas.node[data-layer="3"]').count() == 2
    page.click('canvas.feature[data-feature="x1sq"]')
    page.wait_for_selector('canvas.feature[data-feature="x1sq"]:not(.off)')
    settle(page)
    s = state(page)
    assert s["hidden"] == "5,2,2" and s["features"] == "x1,x2,x1sq"
    assert page.locator("path.edge").count() == 3 * 5 + 5 * 2 + 2 * 2 + 2 * 1

    # regression, then play: heatmaps and edges change as it learns
    page.select_option("#problem", "regression")
    wait_js(page, "location.hash.includes('problem=regression')")
    settle(page)
    assert state(page)["dataset"] == "plane" and page.text_content("#accuracy") == ""
    page.select_option("#lr", "0.01")
    settle(page)
    heat0, edges0 = pictures(page)
    loss0 = float(page.text_content("#train-loss"))
    page.click("#play")
    wait_epoch(page, 15)
    page.screenshot(path=str(shots / "02_playing_regression.png"))
    page.click("#play")  # pause
    settle(page)
    paused_at = epoch(page)
    page.wait_for_timeout(400)
    assert epoch(page) == paused_at >= 15  # paused means paused
    heat1, edges1 = pictures(page)
    assert sum(a != b for a, b in zip(heat0, heat1)) >= len(heat0) // 2  # most neuron pictures changed
    assert sum(a != b for a, b in zip(edges0, edges1)) >= len(edges0) // 2  # most edges changed colour or width
    assert float(page.text_content("#train-loss")) < 0.5 * loss0

    # single step: exactly one epoch
    page.click("#step")
    wait_js(page, f"document.getElementById('epoch').textContent.replace(/,/g, '') === '{paused_at + 1:06d}'")
    settle(page)

    # under the microscope: a neuron, then an edge, for the chosen sample
    page.click('canvas.node[data-layer="1"][data-index="2"]')
    wait_js(page, "document.getElementById('detail').textContent.includes('pre-activation')")
    settle(page)
    assert "Neuron 3 of hidden layer 1" in page.text_content("#detail-title")
    assert page.locator("#trace pre").count() >= 7 and page.locator("#trace pre.hot").count() >= 2
    assert page.locator("#graph rect").count() >= 10
    page.locator('path.hit[data-layer="1"][data-from="2"][data-to="1"]').dispatch_event("click")
    wait_js(page, "document.getElementById('detail').textContent.includes('∂loss/∂w =')")
    settle(page)
    rows = dict(page.eval_on_selector_all("#detail tr", "rs => rs.map(r => [r.cells[0].textContent, "
                                                         "r.cells[1].textContent])"))
    product = float(rows["∂loss/∂w = ∂loss/∂z · a"].split("=")[-1])
    assert product == pytest.approx(float(rows["∂loss/∂w from backward()"]), rel=1e-3, abs=1e-7)
    page.screenshot(path=str(shots / "03_inspect_edge.png"), full_page=True)

    # export the script
    page.click("#export-script")
    page.wait_for_selector("#script")
    assert "nn.MLP(3, [5, 2, 2], 1" in page.text_content("#script")

    # reset: back to epoch 0 and the first loss
    first_loss = page.evaluate("snap.train_loss[0]")
    page.click("#reset")
    wait_js(page, "document.getElementById('epoch').textContent.replace(/,/g, '') === '000000'")
    settle(page)
    assert page.evaluate("snap.train_loss.length") == 1 and page.evaluate("snap.train_loss[0]") == first_loss

    # the URL is the state: a reload rebuilds the same page
    page.click('.dataset[data-name="bumps"]')
    page.locator("#noise").fill("20")
    page.locator("#noise").dispatch_event("change")
    page.select_option("#optimizer", "adam")
    page.select_option("#reg", "l2")
    page.select_option("#activation", "relu")
    settle(page)
    before = state(page)
    assert before["dataset"] == "bumps" and before["noise"] == "20" and before["optimizer"] == "adam"
    loss_before = page.evaluate("snap.train_loss[0]")
    weights_before = page.evaluate("JSON.stringify(snap.weights)")
    page.reload()
    page.wait_for_selector('canvas.node[data-layer="3"]')
    settle(page)
    assert state(page) == before
    assert page.input_value("#problem") == "regression" and page.input_value("#optimizer") == "adam"
    assert page.input_value("#activation") == "relu" and page.input_value("#reg") == "l2"
    assert page.input_value("#noise") == "20" and page.input_value("#lr") == "0.01"
    assert page.locator(".dataset.selected").get_attribute("data-name") == "bumps"
    assert page.evaluate("snap.train_loss[0]") == loss_before
    assert page.evaluate("JSON.stringify(snap.weights)") == weights_before
    assert page.locator('canvas.feature[data-feature="x1sq"]:not(.off)').count() == 1
    page.screenshot(path=str(shots / "04_after_reload.png"))
    assert not page.problems, page.problems


def test_classification_page_learns_spirals_and_shows_test_points(server, page, shots):
    page.goto(server + "/#problem=classification&dataset=spiral&features=x1,x2,sinx1,sinx2&hidden=8,6"
                       "&activation=tanh&lr=0.01&batch=10&optimizer=adam&ratio=50&noise=0")
    page.wait_for_selector('canvas.node[data-layer="2"][data-index="5"]')
    settle(page)
    page.check("#show-test")
    page.click("#play")
    wait_js(page, "snap && snap.accuracy.test > 0.9", timeout=40)
    page.click("#play")
    settle(page)
    page.click('canvas.node[data-layer="1"][data-index="0"]')
    wait_js(page, "document.getElementById('detail').textContent.includes('pre-activation')")
    settle(page)
    path = shots / "05_spiral_learned.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 50_000
    acc = re.search(r"([\d.]+)%", page.text_content("#accuracy"))  # what the page shows is the server's number
    assert acc and float(acc.group(1)) == pytest.approx(100 * page.evaluate("snap.accuracy.test"), abs=0.06)
    assert float(acc.group(1)) > 85  # one more step may have run after the click on pause
    assert not page.problems, page.problems
