"""Shared test settings: hypothesis runs derandomized in CI so every run is the same."""
import os

import matplotlib
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") or os.environ.get("SAGALAB_CI_PROFILE")
                      else "dev")

# The browser tests' fixture notebook is run in JupyterLab by tests/browser, not by nbval.
collect_ignore_glob = ["browser/*.ipynb"]
