"""Your own data: a CSV file with a header row, one column the target and numeric columns the inputs.

    lit-gd fit --model ReLURegression --data CSVRegressionData \\
        --data.path examples/data/houses.csv --data.target price --data.standardize true
    lit-gd fit --model BCEClassifier --data CSVClassificationData \\
        --data.path examples/data/exams.csv --data.target passed --data.standardize true

The inputs are every other column whose first non-blank value is a number, or the columns named by
``--data.features``. 20% of the rows (chosen by a fixed seed) are held out for validation and 20% for test;
the model's input size comes from the number of input columns.

Nothing is lost and nothing is silent. The file is UTF-8 text; a byte-order mark (Excel writes one) is
simply skipped. Every cell of an input column and of the target must be a number that float32 can hold;
each number becomes the float32 nearest to it. A file that breaks a rule stops the run with one line naming
the file, the line and column, and what was expected, because any repair (a blank read as 0, a row or a
column dropped, infinity for 1e39) would train on data other than the file's: bytes that are not UTF-8, a
blank cell, NaN or an infinite number, one out of float32's range, a row of the wrong length, two columns of
one name, the target among ``--data.features`` (the model would be given the answer), and for
classification a label other than 0 and 1, or only one of them (nothing to tell apart). The one case that
trains on with a one-line warning: columns left out of the inputs because they hold text, which the rule
above leaves out by design; the warning names them, so that a number column misread as text is noticed.

The file is read as a stream, each number straight into a float32 buffer: loading costs about the float32
size of the data, however long the file. Lines are only counted while reading, so the few errors found
after it (a number out of range, a bad label) read the file again to name their line.
"""

import csv
import math
from array import array
from collections.abc import Iterator
from itertools import chain, islice
from operator import itemgetter

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor

from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError, is_number

FLOAT32_MAX = torch.finfo(torch.float32).max

Rows = Iterator[tuple[int, list[str]]]  # the non-blank rows of a file, each with its line number


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
            features: the input columns; by default every other column whose first non-blank value is a
                number.
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
        rows = self._rows()
        header_line, header = next(rows, (0, None))
        if header is None:
            raise self._error("is empty: expected a header row and rows of numbers")
        first_line, first_row = next(rows, (0, None))
        if first_row is None:
            raise self._error("has a header but no rows of data")
        header = [name.strip() for name in header]
        self._check_header(header_line, header)
        self._columns = self.features or [
            name
            for name, cell in zip(header, first_row, strict=True)
            if name != self.target and is_number(cell)
        ]
        self._check_columns(header)
        rows = chain([(first_line, first_row)], rows)
        blank = {index: name for index, name in enumerate(header) if not first_row[index].strip()}
        if blank and not self.features:
            rows = self._watch_blank_columns(rows, blank, first_line)
        read = [*self._columns, self.target]
        values = self._read_numbers(rows, header, read)
        self._check_range(values, header, read)
        inputs, targets = values[:, :-1], values[:, -1:]
        self.check_targets(targets)
        if not self.features and len(header) > len(read):
            left_out = ", ".join(f"'{name}'" for name in header if name not in read)
            rank_zero_info(
                f"warning: --data.path {self.path}: column(s) {left_out} left out of the inputs: their first"
                " value is not a number (--data.features chooses the inputs)"
            )
        return inputs, targets

    def check_targets(self, targets: Tensor) -> None:
        """Refuse targets the model can't learn from; every number is allowed for regression."""

    def _rows(self, errors: str = "strict") -> Rows:
        """The header and the rows after it, streamed: the non-blank rows, each with its line number, every
        row as long as the header. ``errors`` is how bytes that are not UTF-8 are decoded."""
        try:
            file = open(self.path, encoding="utf-8-sig", errors=errors, newline="")
        except OSError as error:
            raise self._error(f"cannot be read: {error.strerror}") from error
        with file:
            reader = csv.reader(file)
            width = None
            try:
                for row in reader:
                    if not row:
                        continue
                    width = width or len(row)
                    if len(row) != width:
                        raise self._error(
                            f"line {reader.line_num} has {len(row)} cells but the header has {width}"
                        )
                    yield reader.line_num, row
            except UnicodeDecodeError:
                raise self._not_utf8() from None
            except csv.Error as error:
                raise self._error(f"line {reader.line_num}: {error}") from None

    def _not_utf8(self) -> InputError:
        """The first cell that is not UTF-8 text, found by reading the file again with its bytes kept as they
        are: the reader decodes the file in blocks, ahead of the line it is on."""
        for line, row in self._rows(errors="surrogateescape"):
            for column, cell in enumerate(row, start=1):
                shown = cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                if shown != cell:
                    return self._error(
                        f"line {line}, column {column}: '{shown}' is not UTF-8 text; save the file as UTF-8"
                    )
        return self._error("is not UTF-8 text; save it as UTF-8")

    def _check_header(self, line: int, header: list[str]) -> None:
        for column, name in enumerate(header, start=1):
            if header.index(name) + 1 != column:
                raise self._error(
                    f"line {line}, column {column}: '{name}' names column {header.index(name) + 1} too; give"
                    " each column its own name"
                )

    def _check_columns(self, header: list[str]) -> None:
        for name in [self.target, *self._columns]:
            if name not in header:
                raise self._error(f"has no column '{name}' (its columns: {', '.join(header)})")
        if self.target in self._columns:
            raise InputError(
                f"--data.features includes the target '{self.target}': the model would be given the answer it"
                " must predict; list only input columns"
            )
        if not self._columns:
            raise self._error(f"has no numeric column besides the target '{self.target}' to learn from")

    def _watch_blank_columns(self, rows: Rows, undecided: dict[int, str], first_line: int) -> Rows:
        """The rows, unchanged, while deciding the ``undecided`` columns, blank in the first row: one whose
        first non-blank value is a number is an input column with a blank cell, an error; one whose first is
        text is left out, as text columns are."""
        for line, row in rows:
            for index in [index for index in undecided if row[index].strip()]:
                if is_number(row[index]):
                    raise self._blank(first_line, undecided[index])
                del undecided[index]
            yield line, row

    def _read_numbers(self, rows: Rows, header: list[str], columns: list[str]) -> Tensor:
        """The cells of ``columns`` as float32, row after row: a (rows, columns) tensor over one buffer."""
        cells = itemgetter(*(header.index(name) for name in columns))
        numbers = array("f")
        for line, row in rows:
            try:
                numbers.extend(map(float, cells(row)))
            except ValueError:
                raise self._not_a_number(line, dict(zip(columns, cells(row), strict=True))) from None
        return torch.frombuffer(numbers, dtype=torch.float32).view(-1, len(columns))

    def _not_a_number(self, line: int, cells: dict[str, str]) -> InputError:
        column, cell = next((column, cell) for column, cell in cells.items() if not is_number(cell))
        if not cell.strip():
            return self._blank(line, column)
        return self._error(f"line {line}, column '{column}': '{cell}' is not a number")

    def _blank(self, line: int, column: str) -> InputError:
        return self._error(
            f"line {line}, column '{column}' is blank: every row needs a number in each input column and the"
            " target"
        )

    def _check_range(self, values: Tensor, header: list[str], columns: list[str]) -> None:
        """No NaN, no infinity, no number beyond float32's range (1e39: finite in Python, not in float32)."""
        if all(extreme.isfinite() for extreme in torch.aminmax(values)):  # one pass, no copy of the data
            return
        row, column = (~values.isfinite()).nonzero()[0].tolist()
        line, cells = self._data_row(row)
        cell = cells[header.index(columns[column])]
        problem = (
            f"is beyond float32's range, ±{FLOAT32_MAX:.3g}"
            if math.isfinite(float(cell))
            else "is not a finite number"
        )
        raise self._error(f"line {line}, column '{columns[column]}': {cell} {problem}")

    def _data_row(self, index: int) -> tuple[int, list[str]]:
        """The line and cells of the ``index``-th row of data, counted from 0, read again from the file."""
        return next(islice(self._rows(), index + 1, None))

    def _error(self, problem: str) -> InputError:
        return InputError(f"--data.path {self.path} {problem}")


class CSVRegressionData(CSVData):
    """A regression data set from a CSV file: any numeric target."""


class CSVClassificationData(CSVData):
    """A binary-classification data set from a CSV file: the target column holds labels 0 and 1, both."""

    def check_targets(self, targets: Tensor) -> None:
        labels = targets.ravel()
        not_a_label = (labels != 0) & (labels != 1)
        if not_a_label.any():
            row = int(not_a_label.nonzero()[0])
            line, _ = self._data_row(row)
            raise self._error(
                f"line {line}, column '{self.target}': {labels[row].item():g} is not a label 0 or 1"
            )
        if labels.min() == labels.max():
            raise self._error(
                f"column '{self.target}' holds label {labels[0].item():g} on every row: a classifier needs"
                " rows of both labels, 0 and 1"
            )
