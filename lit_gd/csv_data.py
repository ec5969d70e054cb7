"""Your own data: a CSV file with a header row, one column the target and numeric columns the inputs.

    lit-gd fit --model ReLURegression --data CSVRegressionData \\
        --data.path examples/data/houses.csv --data.target price --data.standardize true
    lit-gd fit --model BCEClassifier --data CSVClassificationData \\
        --data.path examples/data/exams.csv --data.target passed --data.standardize true

The inputs are every other column whose first value is a number, or the columns named by ``--data.features``.
20% of the rows (chosen by a fixed seed) are held out for validation and 20% for test; the model's input
size comes from the number of input columns. A file that can't be used gets a one-line error naming the
file, the line and column, and what was expected.
"""

import csv
import math
from pathlib import Path

import torch
from torch import Tensor

from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError, is_number


class CSVData(TensorDataModule):
    """The rows of a CSV file: inputs from some columns, the target from one."""

    def __init__(
        self,
        path: str,
        target: str,
        features: list[str] | None = None,
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        **kwargs,
    ):
        """
        Args:
            path: the CSV file, with a header row naming the columns.
            target: the column to predict.
            features: the input columns; by default every other column whose first value is a number.
            val_fraction: the share of rows held out for validation.
            test_fraction: the share of rows held out for test.
        """
        super().__init__(val_fraction=val_fraction, test_fraction=test_fraction, **kwargs)
        self.path, self.target, self.features = path, target, features
        self._columns: list[str] | None = None

    def feature_names(self) -> list[str]:
        self.setup("fit")
        return self._columns

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        header, rows = self._read()
        first_row = next(iter(rows.values()))
        columns = self.features or [
            name for index, name in enumerate(header) if name != self.target and is_number(first_row[index])
        ]
        for name in [self.target, *columns]:
            if name not in header:
                raise self._error(f"has no column '{name}' (its columns: {', '.join(header)})")
        if not columns:
            raise self._error(f"has no numeric column besides the target '{self.target}' to learn from")
        self._columns = columns
        table = [
            [self._number(row, line, header.index(name), name) for name in [*columns, self.target]]
            for line, row in rows.items()
        ]
        values = torch.tensor(table, dtype=torch.float32)
        inputs, targets = values[:, :-1], values[:, -1:]
        self.check_targets(targets, list(rows))
        return inputs, targets

    def check_targets(self, targets: Tensor, lines: list[int]) -> None:
        """Refuse targets the model can't learn from; every number is allowed for regression."""

    def _read(self) -> tuple[list[str], dict[int, list[str]]]:
        try:
            text = Path(self.path).read_text()
        except OSError as error:
            raise self._error(f"cannot be read: {error.strerror}") from error
        lines = [(number, row) for number, row in enumerate(csv.reader(text.splitlines()), start=1) if row]
        if not lines:
            raise self._error("is empty: expected a header row and rows of numbers")
        (_, header), rows = lines[0], dict(lines[1:])
        if not rows:
            raise self._error("has a header but no rows of data")
        for number, row in rows.items():
            if len(row) != len(header):
                raise self._error(f"line {number} has {len(row)} cells but the header has {len(header)}")
        return [name.strip() for name in header], rows

    def _number(self, row: list[str], line: int, index: int, column: str) -> float:
        try:
            value = float(row[index])
        except ValueError:
            raise self._error(f"line {line}, column '{column}': '{row[index]}' is not a number") from None
        if not math.isfinite(value):
            raise self._error(f"line {line}, column '{column}': {row[index]} is not a finite number")
        return value

    def _error(self, problem: str) -> InputError:
        return InputError(f"--data.path {self.path} {problem}")


class CSVRegressionData(CSVData):
    """A regression data set from a CSV file: any numeric target."""


class CSVClassificationData(CSVData):
    """A binary-classification data set from a CSV file: the target column holds labels 0 and 1."""

    def check_targets(self, targets: Tensor, lines: list[int]) -> None:
        for line, label in zip(lines, targets.ravel().tolist(), strict=True):
            if label not in (0.0, 1.0):
                raise self._error(f"line {line}, column '{self.target}': {label:g} is not a label 0 or 1")
