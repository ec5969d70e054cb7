"""Memory and time of loading a large CSV file: 2,000,000 rows of 4 numeric columns (about 80 MB).

    make bench-csv        (or: .venv/bin/python benchmarks/csv_memory.py)

Writes the file to a temporary folder, then loads it in a fresh process the way ``lit-gd fit`` does,
``CSVRegressionData(...).setup("fit")`` (the split into training, validation and test sets included), with
and without ``--data.standardize``, and prints the seconds it took and the growth of the process's peak
resident memory (``ru_maxrss``) as a multiple of the data's float32 size (rows x columns x 4 bytes).
Nothing here is asserted: the tests check the numbers, this shows the cost.
"""

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS, COLUMNS = 2_000_000, 4
HEADER = ["area", "rooms", "age", "price"]


def write_csv(path: Path) -> None:
    """Seeded random numbers with six decimals, one row a line."""
    generator = random.Random(0)
    with path.open("w") as file:
        file.write(",".join(HEADER) + "\n")
        for _ in range(ROWS):
            file.write(",".join(f"{generator.uniform(-100, 100):.6f}" for _ in HEADER) + "\n")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux counts kibibytes


def load(path: str, standardize: str) -> None:
    """Runs in the fresh process: loads the file and prints the seconds and the peak memory's growth."""
    from lit_gd import CSVRegressionData

    before = peak_rss_bytes()
    start = time.perf_counter()
    CSVRegressionData(path, target=HEADER[-1], standardize=standardize == "true").setup("fit")
    seconds = time.perf_counter() - start
    print(f"{seconds:.2f} {peak_rss_bytes() - before}")


def main() -> None:
    data_bytes = ROWS * COLUMNS * 4
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.csv"
        write_csv(path)
        print(f"CSV file: {ROWS:,} rows x {COLUMNS} columns, {path.stat().st_size / 1e6:.0f} MB")
        print(f"float32 data: {data_bytes / 1e6:.0f} MB")
        for standardize in ("false", "true"):
            command = [sys.executable, __file__, str(path), standardize]
            seconds, growth = subprocess.run(
                command, check=True, capture_output=True, text=True
            ).stdout.split()
            print(
                f"setup, --data.standardize {standardize}: {seconds} s, peak memory growth"
                f" {int(growth) / 1e6:.0f} MB = {int(growth) / data_bytes:.1f}x the float32 data"
            )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        load(*sys.argv[1:])
    else:
        main()
