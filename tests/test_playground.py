"""The playground: its HTTP API directly, and the page in headless Chromium."""

import json
import os
import shutil
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from tinygrad_mlp.playground import encode_png, serve


@pytest.fixture()
def server():
    srv = serve("127.0.0.1", 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    host, port = srv.server_address[:2]
    yield f"http://{host}:{port}"
    srv.shutdown()
    srv.server_close()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def wait_until(fn, timeout=60.0):
    end = time.time() + timeout
    while time.time() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_png_encoder_writes_a_valid_image(tmp_path):
    img = np.zeros((4, 6, 3), dtype=np.uint8)
    img[:, :3] = [255, 0, 0]
    data = encode_png(img)
    pytest.importorskip("matplotlib", reason="matplotlib not installed: pip install -e '.[plot]'")
    import matplotlib.image as mpimg

    (tmp_path / "x.png").write_bytes(data)
    back = (mpimg.imread(tmp_path / "x.png")[..., :3] * 255).round().astype(np.uint8)
    assert np.array_equal(back, img)


def test_api_trains_and_the_loss_falls(server):
    status, kind, page = get(server + "/")
    assert status == 200 and kind.startswith("text/html") and b"tinygrad_mlp playground" in page
    code, body = post(server + "/api/train", {"dataset": "moons", "hidden": "8,8", "activation": "tanh", "lr": 0.1,
                                              "batch_size": 16, "epochs": 60})
    assert code == 200 and body["started"]["hidden"] == [8, 8]
    first_png = get(server + "/api/boundary.png")[2]
    done = wait_until(lambda: (s := json.loads(get(server + "/api/status")[2]))["epoch"] == 60 and not s["running"]
                      and s)
    assert done["losses"][-1] < 0.5 * done["losses"][0] and done["accuracy"] > 0.85 and done["version"] >= 2
    status, kind, png = get(server + "/api/boundary.png")
    assert kind == "image/png" and png.startswith(b"\x89PNG") and png != first_png


def test_api_refuses_bad_settings_and_can_stop(server):
    code, body = post(server + "/api/train", {"dataset": "cifar"})
    assert code == 400 and "unknown dataset 'cifar'" in body["error"]
    code, body = post(server + "/api/train", {"hidden": "0"})
    assert code == 400 and "hidden" in body["error"]
    post(server + "/api/train", {"dataset": "spirals", "epochs": 5000, "batch_size": 1})
    wait_until(lambda: json.loads(get(server + "/api/status")[2])["epoch"] >= 1)
    assert post(server + "/api/stop", {})[0] == 200
    stopped = wait_until(lambda: not (s := json.loads(get(server + "/api/status")[2]))["running"] and s)
    assert stopped["epoch"] < 5000
    with pytest.raises(urllib.error.HTTPError):
        get(server + "/nope")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package chromium)")
def test_page_in_headless_chromium(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            page.goto(server + "/")
            before = page.eval_on_selector("#boundary", "img => img.src")
            page.select_option("#dataset", "circles")
            page.fill("#epochs", "80")
            page.fill("#lr", "0.1")
            page.click("#train")
            page.wait_for_function("document.getElementById('state').textContent === 'training'", timeout=20000)
            page.wait_for_function("document.getElementById('epoch').textContent === '80' && "
                                   "document.getElementById('state').textContent === 'idle'", timeout=60000)
            after = page.eval_on_selector("#boundary", "img => img.src")
            assert after != before  # the picture was replaced while training
            page.wait_for_function("document.getElementById('boundary').complete")
            width = page.eval_on_selector("#boundary", "img => img.naturalWidth")
            assert width == 240
            losses = json.loads(get(server + "/api/status")[2])["losses"]
            assert losses[-1] < losses[0]
            assert float(page.text_content("#loss")) == pytest.approx(losses[-1], abs=1e-4)
            page.screenshot(path=str(tmp_path / "playground.png"))
            assert os.path.getsize(tmp_path / "playground.png") > 10_000
        finally:
            browser.close()
