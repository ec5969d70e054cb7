"""What every example shares: the training step, the evaluation steps, the optimizer and how data is held.

An example fills in only what differs: its parameters and ``forward`` (and its loss, ``criterion``), and the
tensors of its data set (``make_tensors``). Everything else, for all examples, lives here.
"""

import csv
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from lightning.pytorch import LightningDataModule, LightningModule
from torch import Tensor, nn
from torch.utils.data import DataLoader, Sampler, TensorDataset
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score
from torchmetrics.classification import BinaryAccuracy, BinaryAUROC, BinaryF1Score

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Series = Callable[[str], np.ndarray]  # a logged tag -> its value at every step so far
Figures = dict[str, "Figure"]


class InputError(ValueError):
    """A bad value from the user: ``lit-gd`` prints the message on one line and exits non-zero."""


class TrainingStopped(Exception):
    """Training ended early for a reason the user must hear (divergence, dead units, a signal): ``lit-gd``
    prints the message on one line and exits with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def regression_metrics() -> MetricCollection:
    return MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError(), "r2": R2Score()})


def classification_metrics() -> MetricCollection:
    """Accuracy and F1 at a 0.5 threshold on the predicted probability, and the area under the ROC curve."""
    return MetricCollection({"accuracy": BinaryAccuracy(), "f1": BinaryF1Score(), "auroc": BinaryAUROC()})


class GradientDescentExample(LightningModule):
    """One worked example: a model, its loss, and plain SGD at the seed's learning rate.

    Subclasses set ``criterion`` and define ``forward``; ``metrics()`` names what validation and test report.
    LightningCLI's ``--optimizer`` replaces ``configure_optimizers`` when given.
    """

    criterion: nn.Module
    input_columns: int | None = None  # set where the model takes exactly this many input columns
    draws_predictions = False  # add the picture of predictions against targets to the example's figures

    def __init__(self, lr: float, in_features: int):
        super().__init__()
        if not (math.isfinite(lr) and lr > 0):
            raise InputError(f"--model.lr must be a positive finite number, got {lr}")
        if self.input_columns is not None and in_features != self.input_columns:
            name, columns = type(self).__name__, self.input_columns
            raise InputError(f"{name} takes {columns} input column(s) but the data has {in_features}")
        self.save_hyperparameters()  # every subclass's constructor arguments, for checkpoints and TensorBoard
        self.lr = lr
        self.last_loss: Tensor | None = None  # the loss of the latest training step, kept on its device
        self._metrics_this_epoch = False
        metrics = self.metrics()
        self.train_metrics = metrics.clone(prefix="train/") if metrics else None
        self.val_metrics = metrics.clone(prefix="val/") if metrics else None
        self.test_metrics = metrics.clone(prefix="test/") if metrics else None

    def metrics(self) -> MetricCollection | None:
        """The torchmetrics every stage logs (``regression_metrics()``, ``classification_metrics()``), or None
        where there are no targets."""
        return None

    def model_step(self, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor | None]:
        """The loss of one batch, with the predictions and targets it compared."""
        inputs, targets = batch
        predictions = self(inputs)
        if predictions.shape != targets.shape:
            raise InputError(
                f"{type(self).__name__} predicts shape {tuple(predictions.shape)} but the targets have shape "
                f"{tuple(targets.shape)}: a loss over them would broadcast silently; make the shapes equal"
            )
        return self.criterion(predictions, targets), predictions, targets

    def on_train_epoch_start(self) -> None:
        # Train metrics accumulate over the epochs that end with a validation: train/ and val/ metrics come
        # side by side, and the epochs between (most of a 1000-epoch tiny run) pay nothing for them. With
        # validation by steps (check_val_every_n_epoch None) they come every epoch.
        every = self.trainer.check_val_every_n_epoch
        self._metrics_this_epoch = (
            self.train_metrics is not None
            and self.trainer.enable_validation
            and (every is None or (self.current_epoch + 1) % every == 0)
        )

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        loss, predictions, targets = self.model_step(batch)
        self.last_loss = loss.detach()  # train/loss itself is logged at every step by the StepLogger callback
        if self._metrics_this_epoch:
            self.train_metrics.update(predictions.detach(), targets)
        return loss

    def on_train_epoch_end(self) -> None:
        if self._metrics_this_epoch:
            self._log_epoch_metrics(self.train_metrics)

    def _log_epoch_metrics(self, metrics: MetricCollection) -> None:
        """The epoch's metrics, computed once (torchmetrics gathers their states over processes) and logged
        as numbers: Lightning takes some 0.5 ms to handle each logged Metric object."""
        self.log_dict(metrics.compute(), sync_dist=True)  # equal on every process: their mean is the same
        metrics.reset()

    def _evaluation_step(self, batch: tuple[Tensor, Tensor], stage: str, metrics: MetricCollection | None):
        loss, predictions, targets = self.model_step(batch)
        self.log(f"{stage}/loss", loss, sync_dist=True)  # the mean over processes under DDP
        if metrics is not None:
            metrics.update(predictions, targets)

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluation_step(batch, "val", self.val_metrics)

    def on_validation_epoch_end(self) -> None:
        if self.val_metrics is not None:
            self._log_epoch_metrics(self.val_metrics)

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluation_step(batch, "test", self.test_metrics)

    def on_test_epoch_end(self) -> None:
        if self.test_metrics is not None:
            self._log_epoch_metrics(self.test_metrics)

    def predict_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        return self(batch[0])

    def figures(self, inputs: Tensor, targets: Tensor, series: Series) -> Figures:
        """The pictures of this example, drawn from its training data and ``series(tag)``, the logged values
        of a tag at every step so far. Every example has the loss curve; each adds its own."""
        from lit_gd import plots  # matplotlib loads only when a figure is drawn

        figures = {"loss": plots.loss_curve(series("train/loss"))}
        if self.draws_predictions:
            predictions = self.predict_numpy(inputs.cpu().numpy())
            figures["predictions"] = plots.predictions_vs_targets(predictions, targets.cpu().numpy())
        return figures

    def predict_numpy(self, inputs: np.ndarray) -> np.ndarray:
        """The model's predictions for a numpy array of inputs, for drawing."""
        with torch.no_grad():
            return self(torch.as_tensor(inputs, dtype=torch.float32, device=self.device)).cpu().numpy()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)


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
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        self.rank = torch.distributed.get_rank() if distributed else 0
        self.world_size = torch.distributed.get_world_size() if distributed else 1
        self.share = math.ceil(size / self.world_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.share / (self.batch_size or self.share))

    def __iter__(self) -> Iterator[slice | Tensor]:
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


class TensorDataModule(LightningDataModule):
    """An example's whole data set held as two tensors, inputs and targets, with batches cut from them.

    ``batch_size`` chooses the flavour of gradient descent: ``full`` (the whole data set per step, the
    seeds' choice), ``1`` (stochastic) or anything between (mini-batch); ``shuffle`` reorders the training
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
        """The inputs, shape (samples, features), and the targets, shape (samples, outputs)."""
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
            inputs = self.scale(inputs)
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
        return inputs

    @staticmethod
    def _loader(dataset: TensorDataset, batch_size: int | Literal["full"], shuffle: bool) -> DataLoader:
        indices = BatchIndices(len(dataset), None if batch_size == "full" else batch_size, shuffle)
        # batch_size=None: each index from the sampler cuts a whole batch; nothing is collated per sample
        return DataLoader(dataset, sampler=indices, batch_size=None)

    def train_dataloader(self) -> DataLoader:
        if self.batch_size != "full" and self.batch_size > len(self.dataset):
            raise InputError(
                f"--data.batch_size {self.batch_size} is more than the {len(self.dataset)} training points:"
                " give at most that many, or 'full' for all of them"
            )
        return self._loader(self.dataset, self.batch_size, self.shuffle)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_dataset, "full", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_dataset, "full", shuffle=False)

    def predict_dataloader(self) -> DataLoader:
        return self._loader(TensorDataset(self.scale(self.prediction_rows())), "full", shuffle=False)


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


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
