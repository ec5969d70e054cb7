"""The README is the user's manual: what it shows of `make help` is what `make help` prints."""

import re
import subprocess

from tests.helpers import REPO


def test_readme_shows_make_help_as_it_prints():
    shown = re.search(r"```console\n\$ make help\n(.*?)```", (REPO / "README.md").read_text(), re.S)[1]
    printed = subprocess.run(["make", "-s", "help"], cwd=REPO, capture_output=True, text=True)
    assert printed.returncode == 0 and shown == printed.stdout
