"""examples/tour.ipynb runs top to bottom in a fresh kernel, and is kept in git without its outputs."""

import os
import signal
import sys
import time
from pathlib import Path

import nbformat
import pytest

from tests.helpers import REPO

TOUR = REPO / "examples" / "tour.ipynb"


def test_the_tour_is_kept_without_outputs():
    code = [cell for cell in nbformat.read(TOUR, as_version=4).cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)


def tensorboards_serving(directory: Path) -> list[int]:
    """The process ids of the TensorBoards that ``%tensorboard --logdir logs`` started from ``directory``."""
    from tensorboard import manager

    key = manager.cache_key(
        working_directory=os.path.realpath(directory), arguments=["--logdir", "logs"], configure_kwargs={}
    )
    return [info.pid for info in manager.get_all() if info.cache_key == key]


@pytest.fixture
def tensorboard_stopped(tmp_path):
    """Stops the TensorBoard the tour's last cell starts (the kernel's exit may leave it serving)."""
    yield
    for pid in tensorboards_serving(tmp_path):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)


@pytest.mark.slow
def test_the_tour_runs_top_to_bottom(tmp_path, monkeypatch, tensorboard_stopped):
    from nbclient import NotebookClient

    (tmp_path / "examples").symlink_to(REPO / "examples")  # its CSV files; logs/ goes to tmp_path
    # %tensorboard runs the `tensorboard` command, on the PATH of an activated .venv
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    tour = nbformat.read(TOUR, as_version=4)
    client = NotebookClient(
        tour, timeout=600, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    with client.setup_kernel():
        for index, cell in enumerate(tour.cells):
            client.execute_cell(cell, index)  # raises on the first cell that fails
        assert tensorboards_serving(tmp_path), "the %tensorboard cell started no TensorBoard"
    outputs = [output for cell in tour.cells for output in cell.get("outputs", [])]
    printed = "".join(output.get("text", "") for output in outputs)
    assert "w after 100 epochs         tutorial 1.846347     lit_gd 1.8463475" in printed
    assert "loss at step 4             tutorial 0.4955888    lit_gd 0.49558881" in printed
    assert sum("image/png" in output.get("data", {}) for output in outputs) >= 20  # every run's figures
    own_plot = next(cell for cell in tour.cells if "plt.plot" in cell.source)  # after lit_gd drew its own
    assert any("image/png" in output.get("data", {}) for output in own_plot.outputs)
    assert any("tensorboard-frame" in output.get("data", {}).get("text/html", "") for output in outputs)
    assert not (REPO / "examples" / "logs").exists()
