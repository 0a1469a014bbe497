"""Start, crash, restart and stop the processes of one real run, and leave nothing behind.

A :class:`Cluster` owns every process a run starts: ``redis-server`` (bound to
127.0.0.1, no persistence, its files in the run's temporary directory) and one
Python process per service. Each service tells it on stdout that it is ready
(``READY <port>``: the HTTP port it bound on 127.0.0.1, chosen by the OS), and
the Order service waits for ``GO <epoch> <orchestrator port>`` on stdin.

Leaving the ``with`` block stops everything, even after an error: stdin is
closed (the services exit), then SIGTERM, then SIGKILL, each process group by
its id. On Linux each child also asks the kernel to kill it should this
process die first (``PR_SET_PDEATHSIG``), so not even a killed notebook kernel
leaves a service or a Redis server running.
"""
from __future__ import annotations

import ctypes
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Cluster", "RedisNotFound", "SERVICES", "listening", "listen_addresses"]

SERVICES = Path(__file__).parent / "services"
READY_TIMEOUT = 60.0  # seconds a process may take to come up (imports on a busy machine)
STOP_TIMEOUT = 5.0    # seconds between asking a process to stop and killing it
PR_SET_PDEATHSIG = 1


class RedisNotFound(RuntimeError):
    """``redis-server`` is not installed."""


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Process:
    name: str
    argv: list
    popen: subprocess.Popen
    port: int = 0
    stopped: bool = False  # killed on purpose (a fault), not yet restarted
    history: list = field(default_factory=list)  # pids of earlier incarnations


class Cluster:
    """The processes of one run. Use as a context manager; everything stops on exit."""

    def __init__(self, workdir: str):
        self.dir = Path(workdir)
        self.procs: dict[str, Process] = {}
        self.redis_port: int | None = None
        self.redis: subprocess.Popen | None = None

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- starting ------------------------------------------------------------------
    def start_redis(self) -> int:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RedisNotFound("sagalab.live needs redis-server: apt-get install redis-server")
        for _ in range(5):  # a free port may be taken before Redis binds it: pick another
            port = free_port()
            argv = [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                    "--appendonly", "no", "--dir", str(self.dir), "--protected-mode", "yes",
                    "--logfile", str(self.dir / "redis.log"), "--loglevel", "warning"]
            self.redis = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                          start_new_session=True, preexec_fn=_die_with_parent)
            if self._redis_up(port):
                self.redis_port = port
                return port
            self._kill_group(self.redis)
        raise RuntimeError(f"redis-server did not start; see {self.dir / 'redis.log'}")

    def _redis_up(self, port: int) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline and self.redis.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1.0) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                time.sleep(0.02)
        return False

    def start(self, name: str, script: str, config: str, peers: dict | None = None) -> int:
        """Start service ``name`` (``services/<script>``); returns its HTTP port (0: none)."""
        self.spawn(name, script, config, peers)
        return self.wait_ready(name)

    def spawn(self, name: str, script: str, config: str, peers: dict | None = None,
              hold_until: float = 0.0) -> None:
        """Start the process without waiting; it holds still until ``hold_until`` (monotonic)."""
        old = self.procs.get(name)
        port = old.port if old else 0  # a restarted service binds its old port again
        peers = dict(peers or {}, **({name: port} if port else {}))
        argv = [sys.executable, str(SERVICES / script), "--config", config, "--name", name,
                "--peers", json.dumps(peers), "--hold-until", repr(hold_until)]
        with open(self.dir / f"{name}.err", "ab") as err:
            popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=err, cwd=self.dir, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        history = (old.history + [old.popen.pid]) if old else []
        self.procs[name] = Process(name, argv, popen, port=port, history=history)

    def wait_ready(self, name: str) -> int:
        """Wait for ``READY <port>`` from service ``name``; returns the port."""
        proc = self.procs[name]
        proc.port = self._wait_ready(proc)
        proc.stopped = False
        return proc.port

    def _wait_ready(self, proc: Process) -> int:
        out, buf = proc.popen.stdout, b""
        sel = selectors.DefaultSelector()
        sel.register(out, selectors.EVENT_READ)
        deadline = time.monotonic() + READY_TIMEOUT
        try:
            while time.monotonic() < deadline:
                if sel.select(timeout=0.05):
                    chunk = os.read(out.fileno(), 4096)
                    buf += chunk
                    for line in buf.decode(errors="replace").splitlines():
                        if line.startswith("READY"):
                            return int(line.split()[1])
                    if not chunk:
                        break
                if proc.popen.poll() is not None:
                    break
        finally:
            sel.close()
        raise RuntimeError(f"live service {proc.name!r} did not come up within "
                           f"{READY_TIMEOUT:g} s: {self.error_tail(proc.name)}")

    def go(self, initiator: str, epoch: float, orchestrator_port: int) -> None:
        """Tell the initiator the run's clock origin (its first order is due then)."""
        stdin = self.procs[initiator].popen.stdin
        stdin.write(f"GO {epoch!r} {orchestrator_port}\n".encode())
        stdin.flush()

    # -- faults ----------------------------------------------------------------------
    def crash(self, name: str, failpoint: bool) -> float:
        """``kill -9`` service ``name`` (after its work in progress committed, with the
        failpoint); returns when it was gone (monotonic seconds). Restart it with
        :meth:`spawn` (held until the outage ends) and :meth:`wait_ready`."""
        proc = self.procs[name]
        proc.stopped = True
        if failpoint:
            os.kill(proc.popen.pid, signal.SIGUSR1)
            try:
                proc.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group(proc.popen)
        return time.monotonic()

    def check_alive(self) -> None:
        """Raise if a process died that nobody killed on purpose."""
        for p in self.procs.values():
            if not p.stopped and p.popen.poll() is not None:
                raise RuntimeError(f"live service {p.name!r} exited with code "
                                   f"{p.popen.returncode}: {self.error_tail(p.name)}")
        if self.redis is not None and self.redis.poll() is not None:
            raise RuntimeError("redis-server exited during the run")

    def error_tail(self, name: str, lines: int = 12) -> str:
        path = self.dir / f"{name}.err"
        text = path.read_text(errors="replace").strip() if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(no error output)"

    # -- stopping ----------------------------------------------------------------------
    def pids(self) -> dict:
        """The running incarnation of each process, by name."""
        out = {n: p.popen.pid for n, p in self.procs.items()}
        if self.redis is not None:
            out["redis"] = self.redis.pid
        return out

    def all_pids(self) -> list[int]:
        """Every process this cluster ever started (restarts included)."""
        return sorted(set(self.pids().values()) | {h for p in self.procs.values()
                                                    for h in p.history})

    def _kill_group(self, popen: subprocess.Popen) -> None:
        if popen.poll() is None:
            try:
                os.killpg(popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        popen.wait()

    def stop(self) -> None:
        """Stop every process (services first, then Redis); waits until each is gone."""
        procs = [p.popen for p in self.procs.values()]
        for p in procs:
            if p.stdin and not p.stdin.closed:
                try:
                    p.stdin.close()  # the services exit when their stdin closes
                except OSError:
                    pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            deadline = time.monotonic() + STOP_TIMEOUT
            while time.monotonic() < deadline and any(p.poll() is None for p in procs):
                time.sleep(0.01)
            for p in procs:
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, sig)
                    except ProcessLookupError:
                        pass
        for p in procs:
            p.wait()
            if p.stdout:
                p.stdout.close()
        if self.redis is not None:
            if self.redis.poll() is None:
                self.redis.terminate()
                try:
                    self.redis.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._kill_group(self.redis)
            self.redis.wait()


# -- what is listening -------------------------------------------------------------------
def _tcp_listeners() -> list[tuple[str, int, str]]:
    """``(address, port, inode)`` of every listening TCP socket (Linux ``/proc/net/tcp*``)."""
    out = []
    for path, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(path).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] != "0A":  # LISTEN
                continue
            hexaddr, hexport = f[1].split(":")
            if width == 8:
                addr = socket.inet_ntop(socket.AF_INET, bytes.fromhex(hexaddr)[::-1])
            else:
                raw = b"".join(bytes.fromhex(hexaddr[i:i + 8])[::-1] for i in range(0, 32, 8))
                addr = socket.inet_ntop(socket.AF_INET6, raw)
            out.append((addr, int(hexport, 16), f[9]))
    return out


def listening(ports) -> list[int]:
    """Which of ``ports`` something listens on (any address)."""
    wanted = set(ports)
    return sorted({port for _, port, _ in _tcp_listeners() if port in wanted})


def listen_addresses(pids: dict) -> list[tuple[str, str, int]]:
    """``(process, address, port)`` for every socket the processes ``pids`` listen on."""
    by_inode = {inode: (addr, port) for addr, port, inode in _tcp_listeners()}
    out = []
    for name, pid in pids.items():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                hit = by_inode.get(target[8:-1])
                if hit is not None:
                    out.append((name, hit[0], hit[1]))
    return out
