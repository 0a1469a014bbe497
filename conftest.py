"""Settings for every test, doctest and notebook collected from the project root."""
import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test or doctest starts and ends with no open matplotlib figures."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
