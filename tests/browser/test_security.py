"""The servers the tests start answer nothing without their token and listen on loopback only."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest

MARKER = "Browser-test fixture: sliders that re-simulate"  # text inside a served notebook
NB = "interactive_fixture.ipynb"
DENIED = (302, 401, 403)  # a redirect to the login page, or refused


def listening(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp, tcp6)."""
    addrs = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        table = Path("/proc/net") / name
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            host, hexport = local.split(":")
            if state != "0A" or int(hexport, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(host)
            # /proc prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            family = socket.AF_INET if width == 8 else socket.AF_INET6
            addrs.add(socket.inet_ntop(family, raw))
    return addrs


def outside_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: routing lookup only
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_jupyter_server_answers_nothing_without_its_token(lab_server, token):
    for path in ["api/contents", f"api/contents/{NB}", f"files/{NB}", f"lab/tree/{NB}",
                 "api/sessions", "api/kernels", "api/kernelspecs", "api/terminals"]:
        status, body = lab_server.request(path, token=token)
        assert status in DENIED, f"/{path} answered {status} without the token"
        assert MARKER not in body
    status, _ = lab_server.request("api/kernels", token=token, method="POST")
    assert status in DENIED, "a kernel could be started without the token"
    status, body = lab_server.request(f"api/contents/{NB}")  # with it: the same request works
    assert status == 200 and MARKER in body


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_voila_answers_nothing_without_its_token(voila_server, token):
    for path in ["", "voila/render/playground.ipynb", "api/kernels"]:
        status, body = voila_server.request(path, token=token)
        assert status in DENIED, f"/{path} answered {status} without the token"
        assert "saga playground" not in body


def test_voila_answers_with_its_token(voila_server):  # so the test above can fail
    status, body = voila_server.request("")
    assert status == 200 and "saga playground" in body


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_servers_listen_on_loopback_only(lab_server, voila_server):
    for server in (lab_server, voila_server):
        addrs = listening(server.port)
        assert addrs == {"127.0.0.1"}, f"{server.name} listens on {addrs}"
        outside = outside_address()
        if outside:
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(5)
                s.connect((outside, server.port))
