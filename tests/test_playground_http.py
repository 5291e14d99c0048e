"""The playground's server under hostile and clumsy requests: every one gets a short HTTP answer,
nothing crashes, nothing another page sends changes anything. Loopback only."""

import concurrent.futures
import http.client
import json
import socket
import threading
import time

import pytest

from tinygrad_mlp.playground import serve
from tinygrad_mlp.playground.server import warn_if_exposed

SID = "testpage0001"


@pytest.fixture()
def server(tmp_path):
    srv = serve("127.0.0.1", 0, export_dir=tmp_path / "exports", timeout=1.0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def request(srv, method, path, body=None, headers=None, raw_body=None):
    """(status, decoded JSON or text) with exactly the headers given (Host defaults to the server's own)."""
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        hdrs = {"Host": f"127.0.0.1:{port}"}
        data = raw_body if raw_body is not None else (None if body is None else json.dumps(body).encode())
        if data is not None:
            hdrs.update({"Content-Type": "application/json", "Content-Length": str(len(data))})
        hdrs.update(headers or {})
        for k, v in hdrs.items():
            if v is not None:
                conn.putheader(k, v)
        conn.endheaders()
        if data is not None:
            conn.send(data)
        r = conn.getresponse()
        text = r.read().decode()
        kind = r.getheader("Content-Type") or ""
        return r.status, json.loads(text) if kind.startswith("application/json") else text
    finally:
        conn.close()


def raw(srv, data: bytes, wait: float = 5.0) -> bytes:
    """Send bytes as they are; return everything the server answers before closing."""
    host, port = srv.server_address[:2]
    with socket.create_connection((host, port), timeout=wait) as s:
        s.sendall(data)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:80]
    return int(answer.split(b" ", 2)[1])


def assert_short_reason(body):
    assert isinstance(body, dict) and isinstance(body["error"], str) and 0 < len(body["error"]) < 400
    assert "Traceback" not in body["error"] and "File \"" not in body["error"]


def reset(srv, sid=SID, **config):
    return request(srv, "POST", "/api/reset", {"session": sid, "config": config})


def test_the_page_and_its_assets_are_served_with_protective_headers(server):
    port = server.server_address[1]
    for path, kind in (("/", "text/html"), ("/static/app.js", "text/javascript"), ("/static/style.css", "text/css")):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200 and r.getheader("Content-Type").startswith(kind) and len(body) > 1000
        assert "frame-ancestors 'none'" in r.getheader("Content-Security-Policy")
        assert r.getheader("X-Content-Type-Options") == "nosniff"
        conn.close()
    page = request(server, "GET", "/")[1]
    assert "http" not in page.replace("http-equiv", "")  # no CDN: nothing is loaded from elsewhere
    for alias in ("localhost", "[::1]"):
        assert request(server, "GET", "/", headers={"Host": f"{alias}:{port}"})[0] == 200


def test_foreign_host_is_refused_even_for_reading(server):
    for host in ("evil.example", f"evil.example:{server.server_address[1]}", "127.0.0.1:1", "192.168.1.5"):
        code, body = request(server, "GET", "/", headers={"Host": host})
        assert code == 403 and "Host" in body["error"]
        code, body = request(server, "POST", "/api/reset", {"session": SID, "config": {}}, headers={"Host": host})
        assert code == 403
        assert_short_reason(body)
    code, body = request(server, "GET", "/", headers={"Host": None})
    assert code == 400 and "Host" in body["error"]
    assert not server.sessions  # nothing was created


def test_foreign_origin_and_cross_site_fetches_are_refused(server):
    port = server.server_address[1]
    for origin in ("http://evil.example", "null", f"http://localhost:{port + 1}", f"https://127.0.0.1:{port}"):
        code, body = request(server, "POST", "/api/reset", {"session": SID, "config": {}}, headers={"Origin": origin})
        assert code == 403 and "origin" in body["error"]
    code, body = request(server, "POST", "/api/reset", {"session": SID, "config": {}},
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert code == 403
    code, page = request(server, "GET", "/", headers={"Sec-Fetch-Site": "cross-site"})
    assert code == 200 and "app.js" in page  # a link elsewhere may open the page (it can't drive it)
    assert not server.sessions
    code, body = request(server, "POST", "/api/reset", {"session": SID, "config": {}},
                         headers={"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"})
    assert code == 200 and body["epoch"] == 0 and SID in server.sessions


def test_the_curl_from_the_issue_changes_nothing(server):
    port = server.server_address[1]
    code, body = request(server, "POST", "/api/step", raw_body=b'{"epochs":1}', headers={
        "Host": "evil.example", "Origin": "http://evil.example", "Content-Type": "text/plain"})
    assert code == 403
    code, body = request(server, "POST", "/api/reset", raw_body=json.dumps({"session": SID}).encode(),
                         headers={"Host": f"127.0.0.1:{port}", "Content-Type": "text/plain"})
    assert code == 415 and "application/json" in body["error"]
    for kind in ("application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None):
        code, body = request(server, "POST", "/api/reset", raw_body=b'{"session": "testpage0001"}',
                             headers={"Content-Type": kind})
        assert code == 415
    assert not server.sessions


def test_malformed_bodies_get_400_with_a_short_reason(server):
    assert reset(server)[0] == 200
    nested = ("[" * 4900 + "]" * 4900).encode()
    bodies = [b"[1]", b"null", b'"x"', b"5", b"", b"{", b"{'a': 1}", nested, b'{"a":' * 30 + b"1" + b"}" * 30,
              b'{"session": "testpage0001", "epochs": NaN}', b'{"session": "testpage0001", "epochs": 1e400}',
              b'{"session": "testpage0001", "epochs": 5000}', b'{"session": "testpage0001", "epochs": "3"}',
              b'{"session": "testpage0001", "epochs": true}', "{\"session\": \"\u00e9\"}".encode("latin-1"),
              b'{"session": "../../etc"}', b'{"session": 5}', b'{"epochs": 1}',
              b'{"session": "testpage0001", "epochs": ' + b"9" * 5000 + b"}"]
    for data in bodies:
        code, body = request(server, "POST", "/api/step", raw_body=data)
        assert code == 400, (data[:40], code, body)
        assert_short_reason(body)
    code, body = request(server, "POST", "/api/step", {"session": SID, "epochs": 2})
    assert code == 200 and body["epoch"] == 2  # none of the above trained anything


def test_bad_settings_are_refused_with_their_reason(server):
    cases = {"hidden": "8,abc", "dataset": "cifar", "lr": 100, "batch": 0, "features": [], "noise": -5,
             "activation": "softmax", "optimizer": "lbfgs", "problem": None, "ratio": 95, "reg_rate": "x",
             "unknown_key": 1}
    for key, value in cases.items():
        code, body = reset(server, **{key: value})
        assert code == 400, (key, body)
        assert_short_reason(body)
        assert key.split("_")[0] in body["error"] and "invalid literal" not in body["error"]
    code, body = request(server, "POST", "/api/reset", raw_body=b'{"session": "testpage0001", "config": {"lr": 1e400}}')
    assert code == 400 and "lr" in body["error"]  # 1e400 parses as inf: refused by range, not by a crash
    code, body = reset(server, hidden=[8] * 7)
    assert code == 400 and "hidden" in body["error"]
    code, body = request(server, "POST", "/api/reset", {"session": SID, "config": [1]})
    assert code == 400 and "object" in body["error"]
    code, body = reset(server, hidden="8,8")  # the typed form is accepted when it is valid
    assert code == 200 and body["config"]["hidden"] == [8, 8]


def test_content_length_abc_1e3_minus_one_missing_and_huge(server):
    port = server.server_address[1]
    head = f"POST /api/step HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
    for length, code in (("abc", 400), ("1e3", 400), ("-1", 400), ("", 400), ("10, 10", 400),
                         ("99999999999", 400), ("1000000", 413)):
        answer = raw(server, (head + f"Content-Length: {length}\r\n\r\n" + '{"session": "x"}').encode())
        assert status_of(answer) == code, (length, answer[:120])
        assert b'"error"' in answer and b"Traceback" not in answer
    answer = raw(server, (head + "\r\n").encode())
    assert status_of(answer) == 411
    answer = raw(server, (head + "Content-Length: 10\r\nContent-Length: 10\r\n\r\n0123456789").encode())
    assert status_of(answer) == 400
    answer = raw(server, (head + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").encode())
    assert status_of(answer) == 400


def test_garbage_request_lines_unknown_paths_and_methods(server):
    assert status_of(raw(server, b"GARBAGE\r\n\r\n")) == 400
    assert status_of(raw(server, b"GET / HTTP/9.9\r\n\r\n")) in (400, 505)
    assert status_of(raw(server, b"GET /\r\n\r\n")) == 400  # HTTP/0.9 style: no Host, still a status line
    code, body = request(server, "GET", "/../../etc/passwd")
    assert code == 404
    assert_short_reason(body)
    assert request(server, "POST", "/api/nope", {"session": SID})[0] == 404
    assert request(server, "GET", "/api/step")[0] == 404
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        code, body = request(server, method, "/api/reset")
        assert code == 405
        assert_short_reason(body)


def test_unknown_session_is_told_to_reset(server):
    code, body = request(server, "POST", "/api/step", {"session": "neverseen01", "epochs": 1})
    assert code == 404 and "reset" in body["error"]


def test_fifty_concurrent_posts_are_all_answered_and_never_mixed(server):
    """50 pages reset at once (each its own network), then 50 steps for one page at once."""
    def reset_one(k):
        sid = f"page{k:08d}"
        return k, reset(server, sid, hidden=[1 + k % 8], seed=k)

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(reset_one, range(50)))
    for k, (code, body) in results:
        assert code == 200, body
        assert body["config"]["hidden"] == [1 + k % 8] and body["config"]["seed"] == k  # its own run, not another's
        assert len(body["weights"][0]["w"]) == 1 + k % 8
    assert len(server.sessions) <= 8  # capped: the least recently used went

    assert reset(server, SID)[0] == 200

    def step(_):
        return request(server, "POST", "/api/step", {"session": SID, "epochs": 1})

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(step, range(50)))
    codes = [c for c, _ in answers]
    assert set(codes) <= {200, 503} and codes.count(200) >= 1
    for c, body in answers:
        if c == 503:
            assert "busy" in body["error"]
    epochs = sorted(b["epoch"] for c, b in answers if c == 200)
    assert epochs == list(range(1, len(epochs) + 1))  # one after the other: each saw its own epoch
    final = request(server, "POST", "/api/step", {"session": SID, "epochs": 1})[1]
    assert final["epoch"] == len(epochs) + 1 and len(final["train_loss"]) == final["epoch"] + 1


def test_stalled_connections_time_out_and_do_not_block_others(server):
    host, port = server.server_address[:2]
    stalled = []
    for k in range(20):
        s = socket.create_connection((host, port), timeout=10)
        if k % 2:  # half send a partial request, half send a body shorter than its Content-Length
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.")
        else:
            s.sendall(f"POST /api/step HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: 100\r\n\r\n{{\"session\"".encode())
        stalled.append(s)
    start = time.monotonic()
    assert request(server, "GET", "/")[0] == 200  # served while 20 connections stall
    assert time.monotonic() - start < 1.0
    for s in stalled:  # the server gives up on each after its 1 s timeout
        s.settimeout(5)
        answer = b""
        try:
            while chunk := s.recv(4096):
                answer += chunk
        except OSError:
            pass
        assert answer == b"" or status_of(answer) == 400
        s.close()
    assert time.monotonic() - start < 4.0


def test_too_many_connections_get_503(tmp_path):
    srv = serve("127.0.0.1", 0, export_dir=tmp_path, timeout=2.0, max_connections=4)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        host, port = srv.server_address[:2]
        held = [socket.create_connection((host, port), timeout=5) for _ in range(4)]
        time.sleep(0.2)
        answer = raw(srv, f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert status_of(answer) == 503
        for s in held:
            s.close()
        time.sleep(0.3)
        assert status_of(raw(srv, f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())) == 200
    finally:
        srv.shutdown()
        srv.server_close()


def test_work_per_request_is_bounded(server):
    assert reset(server, SID, hidden=[8] * 6, batch=1, features=list(("x1", "x2", "x1sq", "x2sq", "x1x2")))[0] == 200
    start = time.monotonic()
    code, body = request(server, "POST", "/api/step", {"session": SID, "epochs": 100})
    assert code == 200 and 1 <= body["epochs_done"] < 100  # stopped by the time budget
    assert time.monotonic() - start < 2.0


def test_binding_beyond_loopback_warns_loudly(capsys):
    with pytest.warns(UserWarning, match="not to loopback"):
        warn_if_exposed("0.0.0.0")
    assert "WARNING" in capsys.readouterr().err
    warn_if_exposed("127.0.0.1")
    warn_if_exposed("localhost")
    assert capsys.readouterr().err == ""
