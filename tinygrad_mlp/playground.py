"""``tinygrad-mlp playground``: a small local web page, like TensorFlow Playground, where you pick a
2-D data set, layers, activation, learning rate and batch size, press Train, and watch the loss
curve and the decision boundary change while tinygrad_mlp trains on the server.

Standard library only (``http.server``); bound to 127.0.0.1 unless told otherwise. The decision
boundary is drawn on the server into a PNG (encoded here with zlib, no imaging library needed).

API (JSON): ``POST /api/train`` {dataset, hidden, activation, lr, batch_size, epochs} starts a run;
``GET /api/status`` gives epoch, losses, accuracy, running and the boundary's version;
``GET /api/boundary.png`` the latest picture; ``POST /api/stop`` stops.
"""

from __future__ import annotations

import json
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from . import data as D
from . import nn, optim, rng
from .train import Callback, fit, predict

DATASETS = {"xor": lambda n, seed: D.make_xor(n, noise=0.15, random_state=seed),
            "moons": lambda n, seed: D.make_moons(n, noise=0.1, random_state=seed),
            "circles": lambda n, seed: D.make_circles(n, noise=0.08, random_state=seed),
            "spirals": lambda n, seed: D.make_spirals(n, noise=0.15, random_state=seed)}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "gelu", "silu", "elu")
CLASS_COLOURS = np.array([[70, 110, 200], [220, 120, 50]], dtype=np.uint8)
REGION_COLOURS = np.array([[205, 220, 245], [250, 220, 195]], dtype=np.uint8)


def encode_png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG from an (h, w, 3) uint8 array."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def boundary_png(model: nn.Module, X: np.ndarray, y: np.ndarray, size: int = 240) -> bytes:
    lo, hi = X.min(axis=0) - 0.3, X.max(axis=0) + 0.3
    xs, ys = np.linspace(lo[0], hi[0], size), np.linspace(hi[1], lo[1], size)  # image rows go downwards
    gx, gy = np.meshgrid(xs, ys)
    scores = predict(model, np.c_[gx.ravel(), gy.ravel()].astype(np.float32))
    labels = scores.argmax(axis=1).reshape(size, size)
    img = REGION_COLOURS[labels % 2].copy()
    px = ((X[:, 0] - lo[0]) / (hi[0] - lo[0]) * (size - 1)).astype(int)
    py = ((hi[1] - X[:, 1]) / (hi[1] - lo[1]) * (size - 1)).astype(int)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            img[np.clip(py + dy, 0, size - 1), np.clip(px + dx, 0, size - 1)] = CLASS_COLOURS[y % 2]
    return encode_png(img)


class Session:
    """One training run at a time, in a background thread; the HTTP handlers read its state."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stop_requested = False
        self.state: dict = {"running": False, "epoch": 0, "losses": [], "accuracy": None, "version": 0,
                            "error": None, "config": None}
        self.png = encode_png(np.full((240, 240, 3), 255, dtype=np.uint8))

    def start(self, cfg: dict) -> dict:
        cfg = self.validate(cfg)
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                self.stop_requested = True
        if self.thread is not None:
            self.thread.join()
        self.stop_requested = False
        with self.lock:
            self.state.update(running=True, epoch=0, losses=[], accuracy=None, error=None, config=cfg)
        self.thread = threading.Thread(target=self._train, args=(cfg,), daemon=True)
        self.thread.start()
        return cfg

    @staticmethod
    def validate(cfg: dict) -> dict:
        out = {"dataset": str(cfg.get("dataset", "moons")), "activation": str(cfg.get("activation", "tanh"))}
        if out["dataset"] not in DATASETS:
            raise ValueError(f"unknown dataset {out['dataset']!r}; valid: {', '.join(DATASETS)}")
        if out["activation"] not in ACTIVATIONS:
            raise ValueError(f"unknown activation {out['activation']!r}; valid: {', '.join(ACTIVATIONS)}")
        hidden = cfg.get("hidden", [8, 8])
        if isinstance(hidden, str):
            hidden = [int(h) for h in hidden.split(",") if h.strip()]
        if not hidden or len(hidden) > 6 or any(int(h) < 1 or int(h) > 256 for h in hidden):
            raise ValueError("hidden: 1 to 6 layers of 1 to 256 units, e.g. [8, 8]")
        out["hidden"] = [int(h) for h in hidden]
        out["lr"] = float(cfg.get("lr", 0.03))
        if not 0 < out["lr"] <= 10:
            raise ValueError("lr must be in (0, 10]")
        out["batch_size"] = int(cfg.get("batch_size", 16))
        out["epochs"] = int(cfg.get("epochs", 200))
        if not 1 <= out["batch_size"] <= 400 or not 1 <= out["epochs"] <= 5000:
            raise ValueError("batch_size must be in 1..400 and epochs in 1..5000")
        out["seed"] = int(cfg.get("seed", 0))
        return out

    def _train(self, cfg: dict) -> None:
        session = self
        try:
            rng.manual_seed(cfg["seed"])
            X, y = DATASETS[cfg["dataset"]](300, cfg["seed"])
            model = nn.MLP(2, cfg["hidden"], 2, activation=cfg["activation"])
            opt = optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
            every = max(1, cfg["epochs"] // 50)

            class Report(Callback):
                def on_epoch_end(self, trainer: Any, logs: dict) -> None:
                    with session.lock:
                        session.state["epoch"] = logs["epoch"]
                        session.state["losses"].append(logs["loss"])
                        session.state["accuracy"] = logs["accuracy"]
                    if logs["epoch"] % every == 0 or logs["epoch"] == cfg["epochs"]:
                        png = boundary_png(trainer.model, X, y)
                        with session.lock:
                            session.png = png
                            session.state["version"] += 1
                    if session.stop_requested:
                        trainer.stop = True

            fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                callbacks=[Report()], report_every=0, progress=False, on_nan="stop")
        except Exception as e:  # shown on the page rather than lost in a thread
            with self.lock:
                self.state["error"] = f"{type(e).__name__}: {e}"
        finally:
            with self.lock:
                self.state["running"] = False

    def status(self) -> dict:
        with self.lock:
            return json.loads(json.dumps(self.state))


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>tinygrad_mlp playground</title>
<style>
 body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
 .row { display: flex; gap: 32px; align-items: flex-start; }
 label { display: block; margin: 8px 0 2px; font-size: 13px; }
 select, input { width: 160px; }
 button { margin-top: 14px; padding: 6px 18px; }
 #stats { font-size: 14px; margin-top: 12px; }
 canvas, img { border: 1px solid #ccc; }
</style></head>
<body>
<h2>tinygrad_mlp playground</h2>
<div class="row">
 <div>
  <label for="dataset">data set</label>
  <select id="dataset"><option>moons</option><option>xor</option><option>circles</option>
   <option>spirals</option></select>
  <label for="hidden">hidden layers</label><input id="hidden" value="8,8">
  <label for="activation">activation</label>
  <select id="activation"><option>tanh</option><option>relu</option><option>sigmoid</option>
   <option>leaky_relu</option><option>gelu</option><option>silu</option><option>elu</option></select>
  <label for="lr">learning rate</label><input id="lr" value="0.03">
  <label for="batch">batch size</label><input id="batch" value="16">
  <label for="epochs">epochs</label><input id="epochs" value="200">
  <br><button id="train">Train</button> <button id="stop">Stop</button>
  <div id="stats">epoch <span id="epoch">0</span> · loss <span id="loss">-</span> ·
   accuracy <span id="accuracy">-</span> · <span id="state">idle</span></div>
  <div id="error" style="color:#b00"></div>
 </div>
 <div><img id="boundary" src="/api/boundary.png?v=0" width="240" height="240" alt="decision boundary"></div>
 <div><canvas id="curve" width="360" height="240"></canvas></div>
</div>
<script>
let version = -1, timer = null;
function drawCurve(losses) {
  const c = document.getElementById('curve'), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  if (!losses.length) return;
  const hi = Math.max(...losses), lo = Math.min(...losses, 0);
  g.strokeStyle = '#3366cc'; g.lineWidth = 2; g.beginPath();
  losses.forEach((v, i) => {
    const x = 10 + (c.width - 20) * i / Math.max(losses.length - 1, 1);
    const y = c.height - 10 - (c.height - 20) * (v - lo) / Math.max(hi - lo, 1e-9);
    i ? g.lineTo(x, y) : g.moveTo(x, y);
  });
  g.stroke(); g.fillStyle = '#222'; g.fillText('loss', 12, 14);
}
async function poll() {
  const s = await (await fetch('/api/status')).json();
  document.getElementById('epoch').textContent = s.epoch;
  const last = s.losses.length ? s.losses[s.losses.length - 1] : null;
  document.getElementById('loss').textContent = last === null ? '-' : last.toFixed(4);
  document.getElementById('accuracy').textContent = s.accuracy === null ? '-' : s.accuracy.toFixed(3);
  document.getElementById('state').textContent = s.running ? 'training' : 'idle';
  document.getElementById('error').textContent = s.error || '';
  drawCurve(s.losses);
  if (s.version !== version) {
    version = s.version;
    document.getElementById('boundary').src = '/api/boundary.png?v=' + version;
  }
  if (!s.running && timer) { clearInterval(timer); timer = null; }
}
document.getElementById('train').onclick = async () => {
  const body = {dataset: dataset.value, hidden: hidden.value, activation: activation.value,
                lr: parseFloat(lr.value), batch_size: parseInt(batch.value), epochs: parseInt(epochs.value)};
  const r = await fetch('/api/train', {method: 'POST', body: JSON.stringify(body)});
  if (!r.ok) { document.getElementById('error').textContent = (await r.json()).error; return; }
  if (!timer) timer = setInterval(poll, 250);
  poll();
};
document.getElementById('stop').onclick = () => fetch('/api/stop', {method: 'POST'});
poll();
</script></body></html>
"""


def make_handler(session: Session) -> type:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, code: int, obj: Any) -> None:
            self._send(code, json.dumps(obj).encode(), "application/json")

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?")[0]
            if path == "/":
                self._send(200, PAGE.encode(), "text/html; charset=utf-8")
            elif path == "/api/status":
                self._json(200, session.status())
            elif path == "/api/boundary.png":
                with session.lock:
                    png = session.png
                self._send(200, png, "image/png")
            else:
                self._json(404, {"error": f"no such page {path}"})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            if length > 10_000:
                self._json(413, {"error": "request too large"})
                return
            body = self.rfile.read(length) if length else b"{}"
            if self.path == "/api/train":
                try:
                    cfg = session.start(json.loads(body or b"{}"))
                except (ValueError, TypeError, json.JSONDecodeError) as e:
                    self._json(400, {"error": str(e)})
                    return
                self._json(200, {"started": cfg})
            elif self.path == "/api/stop":
                session.stop_requested = True
                self._json(200, {"stopping": True})
            else:
                self._json(404, {"error": f"no such endpoint {self.path}"})

    return Handler


def serve(host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A ready server (call ``serve_forever()``; port 0 picks a free one: see ``server_address``)."""
    server = ThreadingHTTPServer((host, port), make_handler(Session()))
    server.daemon_threads = True
    return server
