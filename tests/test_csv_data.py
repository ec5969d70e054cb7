"""The user's own CSV data: it trains, its input size comes from the file, its numbers are the float32 of
each cell, and every way a file can be wrong gets one line naming the file, the line or column, and what
was expected."""

import random
from pathlib import Path

import pytest
import torch

from lit_gd import CSVRegressionData
from tests.helpers import REPO, latest_run, lit_gd, lit_gd_fails, values

GOOD = "a,b,label\n1,2,0\n2,1,1\n3,5,0\n6,2,1\n1,1,0\n9,3,1\n2,8,0\n7,1,1\n3,3,0\n8,2,1\n"
FIT = "fit --model BCEClassifier --data CSVClassificationData --data.path data.csv --data.target label"
CITIES = "a,b,label,city\n" + "1,2,0,Paris\n2,1,1,Lyon\n" * 1500  # a text column, 3000 rows

# file content (text, or bytes as they are), the message's start, and flags besides the command's own
BAD = {
    "missing file": (None, "--data.path data.csv cannot be read: No such file or directory"),
    "empty file": ("", "--data.path data.csv is empty: expected a header row and rows of numbers"),
    "header only": ("a,b,label\n", "--data.path data.csv has a header but no rows of data"),
    "missing target": ("a,b,y\n1,2,0\n", "--data.path data.csv has no column 'label' (its columns: a, b, y)"),
    "non-numeric cell": (
        GOOD.replace("3,5,0", "3,five,0"),
        "--data.path data.csv line 4, column 'b': 'five' is not a number",
    ),
    "NaN": (
        GOOD.replace("6,2,1", "nan,2,1"),
        "--data.path data.csv line 5, column 'a': nan is not a finite number",
    ),
    "infinity": (
        GOOD.replace("6,2,1", "6,inf,1"),
        "--data.path data.csv line 5, column 'b': inf is not a finite number",
    ),
    "ragged row": (
        GOOD.replace("2,8,0", "2,8"),
        "--data.path data.csv line 8 has 2 cells but the header has 3",
    ),
    "label not 0/1": (
        GOOD.replace("9,3,1", "9,3,2"),
        "--data.path data.csv line 7, column 'label': 2 is not a label 0 or 1",
    ),
    "too few rows": (
        "a,b,label\n1,2,0\n2,1,1\n",
        "--data.val_fraction 0.2 and --data.test_fraction 0.2 of 2 points hold out 0 and 0",
    ),
    "only the target": (
        "label\n1\n0\n",
        "--data.path data.csv has no numeric column besides the target 'label' to learn from",
    ),
    "not UTF-8 (Latin-1)": (
        "a,b,label,city\n1,2,0,Paris\n2,1,1,Orléans\n".encode("latin-1"),
        "--data.path data.csv line 3, column 4: 'Orl\\xe9ans' is not UTF-8 text; save the file as UTF-8",
    ),
    "not UTF-8 far down": (  # the reader decodes blocks ahead of its line: the line is still exact
        (CITIES + "3,4,1,Orléans\n" + CITIES).encode("latin-1"),
        "--data.path data.csv line 3002, column 4: 'Orl\\xe9ans' is not UTF-8 text; save the file as UTF-8",
    ),
    "blank cell in the first row": (  # the column is numeric from its first value on: not silently dropped
        GOOD.replace("1,2,0", "1,,0"),
        "--data.path data.csv line 2, column 'b' is blank: every row needs a number in each input column and the target",
    ),
    "blank cell": (
        GOOD.replace("9,3,1", "9, ,1"),
        "--data.path data.csv line 7, column 'b' is blank: every row needs a number in each input column and the target",
    ),
    "blank label": (GOOD.replace("2,8,0", "2,8,"), "--data.path data.csv line 8, column 'label' is blank"),
    "beyond float32": (
        GOOD.replace("6,2,1", "6,1e39,1"),
        "--data.path data.csv line 5, column 'b': 1e39 is beyond float32's range, ±3.4e+38",
    ),
    "target among the features": (
        GOOD,
        "--data.features includes the target 'label': the model would be given the answer it must predict; list only input columns",
        "--data.features '[a, label]'",
    ),
    "one class only": (
        GOOD.replace(",0\n", ",1\n"),
        "--data.path data.csv column 'label' holds label 1 on every row: a classifier needs rows of both labels, 0 and 1",
    ),
    "two columns of one name": (
        "a,b,a,label\n1,2,3,0\n",
        "--data.path data.csv line 1, column 3: 'a' names column 1 too; give each column its own name",
    ),
    "cell over the csv module's limit": (
        "a,b,label\n1," + "9" * 200_000 + ",0\n",
        "--data.path data.csv line 2: field larger than field limit (131072)",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_file_one_line_error(case, capsys):
    content, expected, *flags = BAD[case]
    if isinstance(content, bytes):
        Path("data.csv").write_bytes(content)
    elif content is not None:
        Path("data.csv").write_text(content)
    status, message = lit_gd_fails(f"{FIT} {' '.join(flags)}", capsys)
    assert status == 1 and message.startswith(f"lit-gd: error: {expected}")


def test_named_features_and_input_size_from_the_file():
    Path("data.csv").write_text(
        "a,b,label,note\n" + "".join(f"{i},{i % 3},{i % 2},row{i}\n" for i in range(10))
    )
    lit_gd(f"{FIT} --data.features '[b]' --trainer.max_epochs 2")
    assert "in_features: 1" in (latest_run("bce_classifier") / "hparams.yaml").read_text()
    lit_gd(f"{FIT} --trainer.max_epochs 2")
    assert "in_features: 2" in (latest_run("bce_classifier") / "hparams.yaml").read_text()  # a, b; not note


def test_a_byte_order_mark_is_skipped():
    Path("data.csv").write_text("\ufeff" + GOOD)  # as Excel saves "CSV UTF-8": the first name stays 'a'
    lit_gd(f"{FIT} --data.features '[a]' --trainer.max_epochs 2")
    assert "in_features: 1" in (latest_run("bce_classifier") / "hparams.yaml").read_text()


def test_text_columns_left_out_with_a_warning(caplog):
    rows = "".join(f"{i},{i % 2},{'' if i < 3 else 'ok'},,row{i}\n" for i in range(10))  # blank, then text
    Path("data.csv").write_text("a,label,checked,empty,note\n" + rows)
    lit_gd(f"{FIT} --trainer.max_epochs 2")
    assert "in_features: 1" in (latest_run("bce_classifier") / "hparams.yaml").read_text()
    assert (
        "warning: --data.path data.csv: column(s) 'checked', 'empty', 'note' left out of the inputs: their"
        " first value is not a number (--data.features chooses the inputs)"
    ) in caplog.text


def test_a_large_file_loads_to_the_float32_of_each_cell(tmp_path):
    """20,000 rows of numbers written the ways a CSV holds them, beside a text column: the tensors are exactly
    the float32 of each cell, in the file's order, as the straightforward reading gives them."""
    generator = random.Random(0)
    writes = [repr, "{:.3e}".format, "{:.0f}".format, " {:.9f} ".format, "{:g}".format]
    rows = [
        [
            writes[(row + column) % 5](generator.gauss(0, 10 ** generator.randint(-8, 8)))
            for column in range(3)
        ]
        for row in range(20_000)
    ]
    path = tmp_path / "large.csv"
    path.write_text("x1,note,x2,y\n" + "".join(f"{a},row {i},{b},{y}\n" for i, (a, b, y) in enumerate(rows)))
    expected = torch.tensor([[float(cell) for cell in row] for row in rows], dtype=torch.float32)
    inputs, targets = CSVRegressionData(str(path), target="y").make_tensors()
    assert inputs.dtype == targets.dtype == torch.float32
    assert torch.equal(inputs, expected[:, :2]) and torch.equal(targets, expected[:, 2:])


ROUND_TRIPS = {
    "houses": (
        "--model ReLURegression --data CSVRegressionData --data.target price --model.lr 0.01",
        "val/r2",
    ),
    "exams": (
        "--model BCEClassifier --data CSVClassificationData --data.target passed --model.lr 0.05",
        "val/loss",
    ),
}


@pytest.mark.parametrize("name", ROUND_TRIPS)
def test_shipped_csv_round_trip_trains_and_improves(name):
    flags, metric = ROUND_TRIPS[name]
    lit_gd(
        f"fit {flags} --data.path {REPO}/examples/data/{name}.csv --data.standardize true"
        " --trainer.max_epochs 300 --trainer.check_val_every_n_epoch 30"
    )
    example = "relu_regression" if name == "houses" else "bce_classifier"
    first, *_, last = values(latest_run(example), metric)
    assert (last > 0.95 > first) if metric == "val/r2" else (last < first / 2), (first, last)
