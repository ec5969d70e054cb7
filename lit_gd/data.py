"""How an example's data is held and served: the whole data set as two tensors, batches cut from them.

An example's LightningDataModule subclasses ``TensorDataModule`` and fills in ``make_tensors``.
"""

import csv
import itertools
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import torch
from lightning.pytorch import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader, Sampler, TensorDataset

from lit_gd.errors import InputError, is_number


def batches_of(points: int, batch_size: int | None) -> int:
    """How many batches ``points`` points make, the last one possibly smaller; one where ``batch_size`` is
    None (full batch)."""
    return math.ceil(points / (batch_size or points))


def check_finite(what: str, values: Tensor) -> None:
    """Numbers the user gave (``--data.x``, ``--data.predict_inputs``): an inf or NaN among them trains into
    NaN at the first step, which the divergence guard would blame on the learning rate, or predicts NaN."""
    bad = (~torch.isfinite(values)).nonzero()
    if len(bad):
        raise InputError(
            f"{what}: row {bad[0, 0].item()} holds {values[tuple(bad[0])].item()}: every value must be a"
            " finite number"
        )


class BatchIndices(Sampler):
    """Yields one index per batch: a slice in order (a view, no copy) or a block of a permutation.

    The permutation of epoch ``e`` is drawn from a generator seeded with the run's seed (``seed_everything``)
    plus ``e``: the same in every run, and the same after resuming from a checkpoint. Lightning calls
    ``set_epoch`` at the start of every epoch, as it does for a ``DistributedSampler``.

    Under a distributed strategy each process takes every ``world_size``-th point of the order, the way
    ``DistributedSampler`` does (repeating the first points when they don't divide evenly), and ``full``
    then means the whole of the process's share. ``batch_size`` None means ``full``.
    """

    def __init__(self, size: int, batch_size: int | None, shuffle: bool):
        self.size, self.batch_size, self.shuffle = size, batch_size, shuffle
        self.seed = torch.initial_seed()
        self.epoch = 0
        self.resume_at: tuple[int, int] | None = None  # (epoch, batches already trained on in it)
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        self.rank = torch.distributed.get_rank() if distributed else 0
        self.world_size = torch.distributed.get_world_size() if distributed else 1
        self.share = math.ceil(size / self.world_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return batches_of(self.share, self.batch_size)

    def __iter__(self) -> Iterator[slice | Tensor]:
        """The epoch's batches; in an epoch resumed from a mid-epoch checkpoint, the ones not trained on. A
        generator: nothing here runs before the first batch is drawn, after Lightning's ``set_epoch``."""
        skip = self.resume_at[1] if self.resume_at is not None and self.resume_at[0] == self.epoch else 0
        self.resume_at = None
        yield from itertools.islice(self._batches(), skip, None)

    def _batches(self) -> Iterator[slice | Tensor]:
        batch_size = self.batch_size or self.share
        if self.world_size == 1 and not self.shuffle:
            for start in range(0, self.size, batch_size):
                yield slice(start, min(start + batch_size, self.size))
            return
        if self.shuffle:
            order = torch.randperm(self.size, generator=torch.Generator().manual_seed(self.seed + self.epoch))
        else:
            order = torch.arange(self.size)
        order = order.repeat(math.ceil(self.share * self.world_size / self.size))[
            : self.share * self.world_size
        ]
        yield from order[self.rank :: self.world_size].split(batch_size)


class ResumableLoader:
    """The training batches, each the tuple of the tensors cut by one of the sampler's indices: what a
    ``DataLoader`` over the ``TensorDataset`` with ``batch_size=None`` gives, less its iterator, made anew
    at every epoch (every step of a one-step epoch), and its conversion of each batch.

    Its place in the epoch goes into every checkpoint: Lightning saves its ``state_dict`` with the loops'
    state and, resuming from a checkpoint written mid-epoch, gives it back through ``load_state_dict``
    (Lightning's stateful data loading), so the run goes on with the very next batch. The place is the
    trainer's count of batches processed in the epoch, not of batches drawn from the loader: Lightning
    draws one ahead. Lightning calls the sampler's ``set_epoch`` as it does a DataLoader's."""

    def __init__(
        self, dataset: TensorDataset, sampler: BatchIndices, progress: Callable[[], tuple[int, int]]
    ):
        self.dataset, self.sampler = dataset, sampler
        self.progress = progress  # -> (epoch, batches processed in it)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        tensors = self.dataset.tensors
        whole = slice(0, len(tensors[0]))
        for index in self.sampler:
            # the whole data set (a full batch, on one process) is the tensors themselves: no views to make
            yield tensors if index == whole else tuple(tensor[index] for tensor in tensors)

    def state_dict(self) -> dict[str, int]:
        epoch, batches = self.progress()
        return {"epoch": epoch, "batches": batches}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.sampler.resume_at = (state["epoch"], state["batches"])


class TensorDataModule(LightningDataModule):
    """An example's whole data set held as two tensors, inputs and targets, with batches cut from them.

    ``batch_size`` chooses the flavour of gradient descent: ``full`` (the whole data set per step, the
    tutorials' choice), ``1`` (stochastic) or anything between (mini-batch); ``shuffle`` reorders the training
    points every epoch (seeded). ``val_fraction`` and ``test_fraction`` hold out those shares of the points,
    chosen by a fixed seed, for validation and test; at 0 (the tutorials' tiny sets) validation sees the
    training points and test the validation points. ``standardize`` rescales every input column to mean 0
    and standard deviation 1 on the training points. ``predict_inputs`` are the inputs ``lit-gd predict``
    predicts, as rows (``'[[5]]'``) or a CSV file of them; by default the whole data set.
    """

    split_seed = 0  # the held-out points are the same in every run

    def __init__(
        self,
        batch_size: int | Literal["full"] = "full",
        shuffle: bool = False,
        val_fraction: float = 0.0,
        test_fraction: float = 0.0,
        standardize: bool = False,
        predict_inputs: list[list[float]] | str | None = None,
    ):
        super().__init__()
        self.save_hyperparameters()
        if batch_size != "full" and (isinstance(batch_size, bool) or batch_size < 1):
            raise InputError(
                f"--data.batch_size must be 'full' or a whole number of at least 1, got {batch_size}"
            )
        for flag, fraction in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
            if not 0 <= fraction < 1:
                raise InputError(f"--data.{flag} must be at least 0 and below 1, got {fraction}")
        self.batch_size, self.shuffle, self.standardize = batch_size, shuffle, standardize
        self.val_fraction, self.test_fraction = val_fraction, test_fraction
        self.predict_inputs = predict_inputs
        self.full_dataset: TensorDataset | None = None  # every point, in order
        self.dataset: TensorDataset | None = None  # the training points
        self.val_dataset: TensorDataset | None = None
        self.test_dataset: TensorDataset | None = None
        self.input_mean, self.input_std = None, None

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        """The inputs, shape (samples, features), and the targets, shape (samples, outputs): new tensors at
        every call (standardising rescales the inputs in place)."""
        raise NotImplementedError

    @property
    def num_features(self) -> int:
        """How many input columns the data has: LightningCLI links it to the model's ``in_features``."""
        self.setup("fit")
        return self.full_dataset.tensors[0].shape[1]

    def feature_names(self) -> list[str]:
        """The input columns' names, for the predictions table."""
        return ["x"] if self.num_features == 1 else [f"x{i + 1}" for i in range(self.num_features)]

    def setup(self, stage: str) -> None:
        if self.full_dataset is None:
            self._split(*self.make_tensors())
        if self.trainer is not None:
            self._move_to(self.trainer.strategy.root_device)

    def _split(self, inputs: Tensor, targets: Tensor) -> None:
        """The training, validation and test sets, each standardised if asked."""
        check_finite("--data: the inputs", inputs)
        check_finite("--data: the targets", targets)
        size = len(inputs)
        held_out = {"val": round(size * self.val_fraction), "test": round(size * self.test_fraction)}
        asked_but_empty = (self.val_fraction and not held_out["val"]) or (
            self.test_fraction and not held_out["test"]
        )
        if asked_but_empty or sum(held_out.values()) >= size:
            raise InputError(
                f"--data.val_fraction {self.val_fraction} and --data.test_fraction {self.test_fraction} of "
                f"{size} points hold out {held_out['val']} and {held_out['test']}: keep at least one point "
                "for training and one for each split asked for"
            )
        order = torch.randperm(size, generator=torch.Generator().manual_seed(self.split_seed))
        test, val, train = order.split([held_out["test"], held_out["val"], size - sum(held_out.values())])
        if self.standardize:
            self.input_mean, self.input_std = inputs[train].mean(0), inputs[train].std(0).clamp_min(1e-12)
            inputs.sub_(self.input_mean).div_(self.input_std)  # as scale() does, in place: no second copy
        self.full_dataset = TensorDataset(inputs, targets)
        self.dataset = self._subset(train)
        self.val_dataset = self._subset(val) if held_out["val"] else self.dataset
        self.test_dataset = self._subset(test) if held_out["test"] else self.val_dataset

    def _move_to(self, device: torch.device) -> None:
        """Every set onto the device the trainer runs on, once: on a GPU, batches are then cut there instead
        of copied to it one at a time (on the CPU, a no-op)."""
        moved: dict[int, TensorDataset] = {}
        for name in ("dataset", "val_dataset", "test_dataset"):  # full_dataset stays: only its shape is used
            dataset = getattr(self, name)
            if id(dataset) not in moved:  # the same set may serve several stages
                moved[id(dataset)] = TensorDataset(*(tensor.to(device) for tensor in dataset.tensors))
            setattr(self, name, moved[id(dataset)])

    def _subset(self, indices: Tensor) -> TensorDataset:
        if len(indices) == len(self.full_dataset):
            return self.full_dataset
        indices = indices.sort().values
        return TensorDataset(*(tensor[indices] for tensor in self.full_dataset.tensors))

    def scale(self, inputs: Tensor) -> Tensor:
        """Inputs as the model sees them: standardised with the training points' statistics if asked."""
        return inputs if self.input_mean is None else (inputs - self.input_mean) / self.input_std

    def prediction_rows(self) -> Tensor:
        """The inputs to predict, as given (not standardised)."""
        if self.predict_inputs is None:
            inputs = self.make_tensors()[0]
        elif isinstance(self.predict_inputs, str):
            inputs = read_input_rows(self.predict_inputs)
        else:
            inputs = torch.tensor(self.predict_inputs, dtype=torch.float32)
        if inputs.dim() != 2 or inputs.shape[1] != self.num_features:
            raise InputError(
                f"--data.predict_inputs must be rows of {self.num_features} number(s), got shape "
                f"{tuple(inputs.shape)}"
            )
        check_finite("--data.predict_inputs", inputs)
        return inputs

    def train_dataloader(self) -> ResumableLoader:
        if self.batch_size != "full" and self.batch_size > len(self.dataset):
            raise InputError(
                f"--data.batch_size {self.batch_size} is more than the {len(self.dataset)} training points:"
                " give at most that many, or 'full' for all of them"
            )
        batch_size = None if self.batch_size == "full" else self.batch_size
        return ResumableLoader(
            self.dataset, BatchIndices(len(self.dataset), batch_size, self.shuffle), self._progress
        )

    def training_batches(self, processes: int = 1) -> int:
        """The batches of a training epoch on each of ``processes`` processes: those of a process's share of
        the points, as ``BatchIndices`` makes them."""
        batch_size = None if self.batch_size == "full" else self.batch_size
        return batches_of(math.ceil(len(self.dataset) / processes), batch_size)

    def _progress(self) -> tuple[int, int]:
        return self.trainer.current_epoch, self.trainer.fit_loop.epoch_loop.batch_progress.current.processed

    def val_dataloader(self) -> DataLoader:
        return self._whole(self.val_dataset)

    def test_dataloader(self) -> DataLoader:
        return self._whole(self.test_dataset)

    def predict_dataloader(self) -> DataLoader:
        return self._whole(TensorDataset(self.scale(self.prediction_rows())))

    @staticmethod
    def _whole(dataset: TensorDataset) -> DataLoader:
        """One batch of every point, in order."""
        return DataLoader(dataset, sampler=BatchIndices(len(dataset), None, shuffle=False), batch_size=None)


def read_input_rows(path: str) -> Tensor:
    """Rows of numbers from a CSV file (a header row, if any, is skipped)."""
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise InputError(f"--data.predict_inputs {path}: cannot read the file ({error.strerror})") from error
    rows = [row for row in csv.reader(text.splitlines()) if row]
    if rows and not is_number(rows[0][0]):
        rows = rows[1:]
    try:
        return torch.tensor([[float(cell) for cell in row] for row in rows], dtype=torch.float32)
    except ValueError as error:
        raise InputError(f"--data.predict_inputs {path}: every cell must be a number ({error})") from error
