"""The playground's HTTP side: a standard-library server that serves its own page and a small
JSON API, and refuses everything else with a short reason.

Safe by construction:

- only requests whose ``Host`` is this server's own loopback name or address (or the address it
  was explicitly bound to) are served, so a DNS-rebinding page cannot reach it; an ``Origin`` (or
  ``Sec-Fetch-Site``) that is not the page's own is refused, so no other web page can drive it;
- a state-changing request (every POST) needs ``Content-Type: application/json`` — which a
  foreign page cannot send without a CORS preflight that this server never grants;
- every request gets an HTTP answer (400, 403, 404, 405, 411, 413, 415, 503) with a short JSON
  reason and never a traceback; sockets time out; bodies are capped in size and JSON in depth;
- training work per request is bounded (epochs and seconds), each page has its own session behind
  its own lock, and sessions are capped (least recently used goes first);
- it binds 127.0.0.1 unless told otherwise, and says so loudly when told otherwise.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import sys
import threading
import time
import warnings
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

import tinygrad_mlp.playground.core as core

MAX_BODY = 64 * 1024
MAX_DEPTH = 20
MAX_SESSIONS = 8
MAX_CONNECTIONS = 64
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
STATIC = {"/": ("index.html", "text/html; charset=utf-8"),
          "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/static/style.css": ("style.css", "text/css; charset=utf-8")}
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}


class Refused(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _own_names() -> set:
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    try:
        names.add(socket.gethostbyname(socket.gethostname()))
    except OSError:
        pass
    return names


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings (checked before parsing)."""
    depth = best = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _int(body: dict, key: str, default: int, lo: int, hi: int) -> int:
    v = body.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise Refused(400, f"{key} must be an integer in [{lo}, {hi}], got {str(v)[:40]}")
    return v


class PlaygroundServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: bursts of connections wait instead of being reset

    def __init__(self, address: tuple, export_dir: Path, timeout: float = 10.0,
                 max_sessions: int = MAX_SESSIONS, max_connections: int = MAX_CONNECTIONS) -> None:
        super().__init__(address, make_handler(timeout))
        self.export_dir = Path(export_dir)
        self.max_sessions = max_sessions
        self.sessions: OrderedDict = OrderedDict()
        self.sessions_lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(max_connections)
        self.exports = 0
        host, port = self.server_address[:2]
        names = {"127.0.0.1", "localhost", "[::1]"}
        if str(host) in ("0.0.0.0", "::", ""):  # told to listen everywhere: this machine's own names too
            names |= _own_names()
        elif not is_loopback(str(host)):
            names.add(f"[{host}]" if ":" in str(host) else str(host))
        self.allowed_hosts = {f"{n}:{port}" for n in names}
        if port == 80:
            self.allowed_hosts |= names
        self.assets = {path: (resources.files(__package__).joinpath("static", name).read_bytes(), kind)
                       for path, (name, kind) in STATIC.items()}

    # at most max_connections handler threads; the rest get an immediate 503 and are closed
    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            body = b'{"error": "too many connections; try again"}'
            try:
                request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away is not news; handlers answer their own errors

    def session(self, sid: Any, create: bool = False) -> core.Session:
        if not isinstance(sid, str) or not SESSION_ID.match(sid):
            raise Refused(400, "session must be 8 to 64 letters, digits, '-' or '_'")
        with self.sessions_lock:
            s = self.sessions.get(sid)
            if s is not None:
                self.sessions.move_to_end(sid)
                return s
            if not create:
                raise Refused(404, "unknown session (it may have expired): reset it")
            while len(self.sessions) >= self.max_sessions:
                self.sessions.popitem(last=False)
            s = self.sessions[sid] = core.Session()
            return s

    def export_folder(self) -> Path:
        with self.sessions_lock:
            self.exports += 1
            n = self.exports
        return self.export_dir / f"playground-{time.strftime('%Y%m%d-%H%M%S')}-{n}"


def make_handler(socket_timeout: float) -> type:
    class Handler(BaseHTTPRequestHandler):
        server: PlaygroundServer
        timeout = socket_timeout  # applies to every read and write on the connection
        server_version = "tinygrad-mlp-playground"
        sys_version = ""

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def version_string(self) -> str:
            return self.server_version

        def _send(self, code: int, body: bytes, kind: str) -> None:
            if self.request_version == "HTTP/0.9":  # answer with a status line even then
                self.request_version = "HTTP/1.0"
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for k, v in SECURITY_HEADERS.items():
                self.send_header(k, v)
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, code: int, obj: Any) -> None:
            self._send(code, json.dumps(obj, allow_nan=False).encode(), "application/json")

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """The standard library's own refusals (bad request line, headers too long) in JSON too."""
            self.close_connection = True
            try:
                self._json(code, {"error": (message or self.responses.get(code, ("error",))[0])[:200]})
            except OSError:
                pass

        def _dispatch(self, method: str) -> None:
            try:
                self._check_caller()
                if method in ("GET", "HEAD"):
                    self._get()
                elif method == "POST":
                    self._post()
                else:
                    raise Refused(405, f"method {method} not allowed; use GET or POST")
            except Refused as r:
                self._answer_error(r.code, r.reason)
            except core.Busy as e:
                self._answer_error(503, str(e))
            except (TimeoutError, ConnectionError):
                self.close_connection = True
            except Exception as e:  # a bug of ours: a short reason, never a traceback
                self._answer_error(500, f"internal error ({type(e).__name__})")

        def _answer_error(self, code: int, reason: str) -> None:
            try:
                self._json(code, {"error": reason})
            except OSError:
                self.close_connection = True

        def do_GET(self) -> None:  # noqa: N802
            self._dispatch("GET")

        def do_HEAD(self) -> None:  # noqa: N802
            self._dispatch("HEAD")

        def do_POST(self) -> None:  # noqa: N802
            self._dispatch("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._dispatch("PUT")

        def do_DELETE(self) -> None:  # noqa: N802
            self._dispatch("DELETE")

        def do_PATCH(self) -> None:  # noqa: N802
            self._dispatch("PATCH")

        def do_OPTIONS(self) -> None:  # noqa: N802  (no CORS preflight is ever granted)
            self._dispatch("OPTIONS")

        def _check_caller(self) -> None:
            hosts = self.headers.get_all("Host") or []
            if len(hosts) != 1:
                raise Refused(400, "exactly one Host header is required")
            host = hosts[0].strip().lower()
            if host not in self.server.allowed_hosts:
                raise Refused(403, f"Host {host[:60]!r} is not this server; open http://127.0.0.1:"
                                   f"{self.server.server_address[1]}/")
            origin = self.headers.get("Origin")
            if origin is not None and origin.strip().lower() != f"http://{host}":
                raise Refused(403, f"requests from another origin ({origin[:60]}) are refused")
            site = self.headers.get("Sec-Fetch-Site")  # a link from elsewhere may open the page, not drive it
            if self.command not in ("GET", "HEAD") and site is not None and site.strip().lower() not in (
                    "same-origin", "none"):
                raise Refused(403, f"requests from another site ({site[:20]}) are refused")

        def _get(self) -> None:
            path = self.path.split("?", 1)[0]
            if path not in self.server.assets:
                raise Refused(404, f"no such page {path[:60]}")
            body, kind = self.server.assets[path]
            self._send(200, body, kind)

        def _read_json(self) -> dict:
            kind = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
            if kind != "application/json":
                raise Refused(415, "POST bodies must be JSON with Content-Type: application/json")
            if self.headers.get("Transfer-Encoding"):
                raise Refused(400, "Transfer-Encoding is not supported; send Content-Length")
            lengths = self.headers.get_all("Content-Length") or []
            if not lengths:
                raise Refused(411, "Content-Length is required")
            if len(lengths) > 1 or not re.fullmatch(r"\d{1,9}", lengths[0].strip()):
                raise Refused(400, "Content-Length must be one non-negative integer")
            length = int(lengths[0])
            if length > MAX_BODY:
                raise Refused(413, f"body too large (at most {MAX_BODY} bytes)")
            try:
                raw = self.rfile.read(length)
            except (TimeoutError, OSError):
                raise Refused(400, "the body did not arrive in time") from None
            if len(raw) != length:
                raise Refused(400, "the body is shorter than its Content-Length")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise Refused(400, "the body is not UTF-8") from None
            if json_depth(text) > MAX_DEPTH:
                raise Refused(400, f"JSON nested deeper than {MAX_DEPTH} levels")
            try:
                body = json.loads(text, parse_constant=_no_constants)
            except (ValueError, RecursionError) as e:
                raise Refused(400, f"the body is not valid JSON ({str(e)[:80]})") from None
            if not isinstance(body, dict):
                raise Refused(400, "the body must be a JSON object")
            return body

        def _post(self) -> None:
            path = self.path.split("?", 1)[0]
            if path not in ("/api/reset", "/api/step", "/api/inspect", "/api/export"):
                raise Refused(404, f"no such endpoint {path[:60]}")
            body = self._read_json()
            srv = self.server
            try:
                if path == "/api/reset":
                    keep = body.get("keep", False)
                    if not isinstance(keep, bool):
                        raise Refused(400, "keep must be true or false")
                    session = srv.session(body.get("session"), create=True)
                    self._json(200, session.reset(body.get("config", {}), keep_weights=keep))
                elif path == "/api/step":
                    epochs = _int(body, "epochs", 1, 1, core.MAX_EPOCHS_PER_REQUEST)
                    self._json(200, srv.session(body.get("session")).step(epochs))
                elif path == "/api/inspect":
                    session = srv.session(body.get("session"))
                    self._json(200, session.inspect(_int(body, "sample", 0, 0, core.N_POINTS)))
                else:
                    kind = body.get("kind")
                    session = srv.session(body.get("session"))
                    if kind == "script":
                        self._json(200, {"script": session.export_script()})
                    elif kind == "run":
                        folder = session.export_run(srv.export_folder())
                        self._json(200, {"path": str(folder), "command": f"tinygrad-mlp evaluate {folder}"})
                    else:
                        raise Refused(400, "kind must be 'script' or 'run'")
            except ValueError as e:
                raise Refused(400, str(e)[:300]) from None

    return Handler


def warn_if_exposed(host: str) -> None:
    """Say loudly (a warning and a banner on stderr) when the server is not bound to loopback."""
    if is_loopback(host):
        return
    message = (f"the playground is bound to {host}, not to loopback: other machines on the network can "
               "reach it. Pass --host 127.0.0.1 unless you mean this.")
    warnings.warn(message, stacklevel=3)
    print("!" * 78 + f"\n! WARNING: {message}\n" + "!" * 78, file=sys.stderr, flush=True)


def serve(host: str = "127.0.0.1", port: int = 8000, export_dir: str | Path | None = None,
          timeout: float = 10.0, max_sessions: int = MAX_SESSIONS,
          max_connections: int = MAX_CONNECTIONS) -> PlaygroundServer:
    """A ready server (call ``serve_forever()``; port 0 picks a free one: see ``server_address``).
    Exported run folders go to ``export_dir`` (default ``./playground-runs``)."""
    warn_if_exposed(host)
    return PlaygroundServer((host, port), Path(export_dir or Path.cwd() / "playground-runs"), timeout=timeout,
                            max_sessions=max_sessions, max_connections=max_connections)
