"""Browser tests: JupyterLab and the Voilà playground in headless Chromium, through Playwright.

Session fixtures start one JupyterLab and one Voilà server on loopback with a
random token, in a fixed environment (every ``JUPYTER_*`` directory,
``IPYTHONDIR`` and ``MPLCONFIGDIR`` in a temporary directory) and on a
temporary copy of ``notebooks/`` (autosave writes back), and one Chromium
(Debian's ``/usr/bin/chromium``; Playwright's own download is not used).

Without Chromium (or the Python packages) every test here is skipped with a
one-line reason; ``SAGALAB_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns
that skip into a failure. On a failure the page is saved as a screenshot in
``test-artifacts/``; ``SAGALAB_SCREENSHOTS=all`` saves every test's page.
"""
from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from .browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HERE,
    NOTEBOOKS,
    REQUIRE,
    ROOT,
    VIEWPORT,
    Lab,
    Server,
    missing,
    save_screenshot,
)


@pytest.fixture(scope="session", autouse=True)
def _browser_prerequisites():
    reason = missing()
    if reason:
        if REQUIRE:
            pytest.fail(f"SAGALAB_REQUIRE_BROWSER is set but {reason}", pytrace=False)
        pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    reason = missing()
    if reason and not REQUIRE:
        terminalreporter.write_line(f"browser tests skipped: {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def jupyter_home(tmp_path_factory):
    """A temporary copy of the notebooks and a fixed environment for the servers."""
    base = tmp_path_factory.mktemp("browser")
    notebooks = base / "notebooks"
    notebooks.mkdir()
    for nb in [*NOTEBOOKS.glob("*.ipynb"), *HERE.glob("*.ipynb")]:
        shutil.copy(nb, notebooks / nb.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MPL"))}
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("MPLCONFIGDIR", "matplotlib")]:
        (base / sub).mkdir()
        env[var] = str(base / sub)
    # the kernels import this checkout's sagalab, whatever the venv has installed
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    labconfig = base / "config" / "labconfig"
    labconfig.mkdir()
    # no "Would you like to get notified about news?" toast over the page
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    return base, notebooks, env


@pytest.fixture(scope="session")
def lab_server(jupyter_home):
    base, notebooks, env = jupyter_home
    args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
            "--port={port}", "--ServerApp.port_retries=0", "--ServerApp.token={token}",
            "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={notebooks}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=None"]
    if os.geteuid() == 0:
        args.append("--allow-root")  # containers and CI run as root
    server = Server("jupyterlab", args, env, base)
    try:
        server.wait_ready("api/status")
        yield server
    finally:
        try:  # kernels outlive the browser: end them through the API
            for s in json.loads(server.request("api/sessions")[1] or "[]"):
                server.request(f"api/sessions/{s['id']}", method="DELETE")
        except (OSError, ValueError):
            pass
        server.stop()


@pytest.fixture(scope="session")
def voila_server(jupyter_home):
    base, notebooks, env = jupyter_home
    args = [sys.executable, "-m", "voila", str(notebooks / "playground.ipynb"), "--no-browser",
            "--Voila.ip=127.0.0.1", "--port={port}", "--Voila.port_retries=0",
            "--token={token}", "--show_tracebacks=True",
            "--MappingKernelManager.cull_idle_timeout=120",
            "--MappingKernelManager.cull_interval=30"]
    server = Server("voila", args, env, base)
    try:
        server.wait_ready("voila/static/voila.js")
        yield server
    finally:
        server.stop()


# -- browser ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    pw = sync_playwright().start()
    ctx = pw.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
        headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT)
    ctx.set_default_timeout(60_000)
    try:
        yield ctx
    finally:
        ctx.close()
        pw.stop()


@pytest.fixture
def page(browser_context, request):
    page = browser_context.new_page()
    try:
        yield page
    finally:
        save_screenshot(page, request)
        page.close()


@pytest.fixture(scope="session")
def lab_page(browser_context, lab_server):
    """One JupyterLab page for every notebook test: loading JupyterLab is the slow part."""
    page = browser_context.new_page()
    page.goto(f"{lab_server.url}/lab?reset&token={lab_server.token}")
    page.wait_for_function("() => !!window.jupyterapp", timeout=120_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")
    try:
        yield page
    finally:
        page.close()


@pytest.fixture
def lab(lab_server, lab_page, request):
    lab = Lab(lab_server, lab_page)
    try:
        yield lab
    finally:
        save_screenshot(lab_page, request)
        lab.close()
