"""What the browser tests share: the servers, JupyterLab driven as a person would, a kernel probe.

The fixtures that use these live in ``conftest.py`` next to this file.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("SAGALAB_CHROMIUM", "/usr/bin/chromium")
REQUIRE = os.environ.get("SAGALAB_REQUIRE_BROWSER", "") not in ("", "0")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1400, "height": 1000}
START_TIMEOUT = 90  # seconds a server may take to answer on a busy 2-core machine
SCREENSHOTS_ALL = os.environ.get("SAGALAB_SCREENSHOTS", "") == "all"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    for module in ("playwright", "jupyterlab", "voila", "jupyter_client"):
        if importlib.util.find_spec(module) is None:
            return f"Python package {module!r} missing (pip install -e '.[browser]')"
    return None




# -- servers ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Jupyter or Voilà server process we started, and how to reach it."""

    def __init__(self, name: str, args: list[str], env: dict, base: Path):
        self.name = name
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://127.0.0.1:{self.port}"
        self.runtime = Path(env["JUPYTER_RUNTIME_DIR"])
        self.log_path = base / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        args = [a.format(port=self.port, token=self.token) for a in args]
        self.proc = subprocess.Popen(args, env=env, cwd=base, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def request(self, path: str, *, token: str | None = "", method: str = "GET"):
        """(status, body) of a request; ``token=None`` sends none, ``""`` sends ours."""
        token = self.token if token == "" else token
        sep = "&" if "?" in path else "?"
        url = f"{self.url}/{path.lstrip('/')}" + (f"{sep}token={token}" if token else "")
        req = urllib.request.Request(url, method=method)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode(errors="replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def wait_ready(self, path: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if self.request(path)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not answer within {START_TIMEOUT} s:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group we started
                self.proc.wait(timeout=10)
        self._log.close()


# -- talking to a notebook's kernel directly -----------------------------------------------
class KernelProbe:
    """A second client on the kernel behind a JupyterLab notebook (its connection file)."""

    def __init__(self, server: Server, path: str):
        from jupyter_client import BlockingKernelClient
        sessions = json.loads(server.request("api/sessions")[1])
        kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"] == path)
        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(server.runtime / f"kernel-{kernel_id}.json"))
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def eval(self, expr: str, setup: str = ""):
        """Evaluate ``expr`` (after running ``setup``) silently; it must return JSON text."""
        msg_id = self.client.execute(setup, silent=True, store_history=False,
                                     user_expressions={"r": expr})
        while True:
            reply = self.client.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        assert content["status"] == "ok", f"{content.get('ename')}: {content.get('evalue')}"
        r = content["user_expressions"]["r"]
        assert r["status"] == "ok", f"{r.get('ename')}: {r.get('evalue')}"
        return json.loads(ast.literal_eval(r["data"]["text/plain"]))

    def close(self) -> None:
        self.client.stop_channels()


# -- JupyterLab, driven as a person would ------------------------------------------------
_CURRENT = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
_ALL_RAN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session
                 && w.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const status = [...document.querySelectorAll('.jp-StatusBar-TextItem')]
                 .some(e => / \\| Idle/.test(e.textContent));
  const code = w.content.widgets.filter(c => c.model.type === 'code'
                                        && c.model.sharedModel.getSource().trim() !== '');
  return status && code.every(c => c.model.executionCount !== null
                              && !(c.promptNode && c.promptNode.textContent.includes('*')));
}"""
_ERRORS = """() => {
  const w = window.jupyterapp.shell.currentWidget, errors = [];
  w.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    for (const o of c.model.outputs.toJSON())
      if (o.output_type === 'error') errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
  });
  // errors raised inside widget callbacks land in Output widgets, not in the cell model
  for (const e of document.querySelectorAll(
      '.widget-output [data-mime-type="application/vnd.jupyter.stderr"]'))
    if (/Error|Traceback/.test(e.textContent)) errors.push('widget output: ' + e.textContent);
  return errors;
}"""


class Lab:
    """One notebook open in a JupyterLab page (opened as a person would, from the app)."""

    def __init__(self, server: Server, page):
        self.server, self.page = server, page
        self.path: str | None = None

    def open(self, name: str) -> None:
        self.path = name
        self.page.evaluate("async path => { await window.jupyterapp.commands.execute("
                           "'docmanager:open', {path}); }", name)
        self.page.wait_for_function(
            f"() => {_CURRENT} && window.jupyterapp.shell.currentWidget.context"
            f" && window.jupyterapp.shell.currentWidget.context.path === {json.dumps(name)}"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
            " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status"
            " === 'idle'", timeout=120_000)

    def command(self, name: str) -> None:
        self.page.evaluate(f"window.jupyterapp.commands.execute({json.dumps(name)})")

    def run_all(self) -> None:
        """Clear the outputs, run all cells, wait until every code cell ran and the kernel idles."""
        self.command("notebook:clear-all-cell-outputs")
        self.page.wait_for_function(
            "() => window.jupyterapp.shell.currentWidget.content.widgets"
            ".every(c => c.model.type !== 'code' || c.model.executionCount === null)")
        self.command("notebook:run-all-cells")
        self.page.wait_for_function(_ALL_RAN, timeout=180_000, polling=250)

    def errors(self) -> list[str]:
        return self.page.evaluate(_ERRORS)

    def close(self) -> None:
        """Close the notebook's tab unsaved and end its kernel: kernels outlive the browser."""
        self.page.evaluate("""() => {
          for (const w of [...window.jupyterapp.shell.widgets('main')]) {
            if (w.context) w.context.model.dirty = false;
            w.dispose();
          }
        }""")
        for s in json.loads(self.server.request("api/sessions")[1]):
            if s["path"] == self.path:
                self.server.request(f"api/sessions/{s['id']}", method="DELETE")


def save_screenshot(page, request) -> None:
    """Into test-artifacts/ when the test failed (or always with SAGALAB_SCREENSHOTS=all)."""
    failed = any(getattr(request.node, f"rep_{w}", None) is not None
                 and getattr(request.node, f"rep_{w}").failed for w in ("setup", "call"))
    if failed or SCREENSHOTS_ALL:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own error
            print(f"no screenshot for {name}: {exc}")  # noqa: T201
