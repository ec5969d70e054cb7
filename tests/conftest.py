"""Every test runs in its own empty directory (with configs/ linked in), so the ./logs of one test never
meets another's and commands read exactly as a user types them."""

import pytest

from tests.helpers import REPO


@pytest.fixture(autouse=True)
def in_tmp_dir(tmp_path, monkeypatch):
    (tmp_path / "configs").symlink_to(REPO / "configs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["lit-gd"])  # the CLI is given its arguments in-process, never pytest's
