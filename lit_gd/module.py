"""The LightningModule every example shares: the training step, the evaluation steps, metrics and SGD.

What an example fills in is written down once, in ``GradientDescentExample``'s docstring; everything else,
for all examples, lives here.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from lightning.pytorch import LightningModule
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection, R2Score
from torchmetrics.classification import BinaryAccuracy, BinaryAUROC, BinaryF1Score

from lit_gd import plots
from lit_gd.errors import InputError

Series = Callable[[str], np.ndarray]  # a logged tag -> its value at every step so far


class NotLogged(LookupError):
    """A tag the step logger does not log (``param/w`` where ``--step_logger.max_param_elements`` is below
    the model's size): a picture drawn from it is left out."""


def skip_idle_hooks(owner: object, base: type, hooks: Iterable[str]) -> None:
    """Lightning calls a model's or a callback's hook only where it is callable: each of ``hooks`` that
    ``owner``'s class leaves as ``base``'s no-op is set to None on ``owner``, sparing the profiler context
    and the formatted name (about 2 us) that Lightning spends on every hook it calls, at every step."""
    for name in hooks:
        if getattr(type(owner), name) is getattr(base, name):
            setattr(owner, name, None)


def skip_hooks_this_fit(owner: object, hooks: tuple[str, ...], skip: bool) -> None:
    """Lightning calls a callback's or a model's hook only where it is callable, at every step or epoch:
    ``hooks`` are set to None on ``owner`` where ``skip`` (they have nothing to do under this fit's settings
    or model), and given back their class's where not (a later fit may need them). Called once a fit's
    settings are known: as it starts, or as its trainer is made."""
    for hook in hooks:
        if skip:
            setattr(owner, hook, None)
        else:
            vars(owner).pop(hook, None)


# Lightning's hooks called at every training step that are no-ops unless a model defines them
STEP_HOOKS = (
    "on_train_batch_start",
    "on_before_backward",
    "on_after_backward",
    "on_before_optimizer_step",
    "on_train_batch_end",
)


@dataclass(frozen=True)
class FigureData:
    """What an example's pictures are drawn from, as numpy arrays on the host."""

    inputs: np.ndarray  # the training inputs, (points, features)
    targets: np.ndarray  # their targets, one per point: (points,)
    predict: Callable[[np.ndarray], np.ndarray]  # inputs (points, features), or (points,) for one column,
    # -> the model's predictions, (points,)
    series: Series  # a logged tag (``param/w``) -> its value at every step so far


def regression_metrics() -> MetricCollection:
    return MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError(), "r2": R2Score()})


def classification_metrics() -> MetricCollection:
    """Accuracy and F1 at a 0.5 threshold on the predicted probability, and the area under the ROC curve."""
    return MetricCollection({"accuracy": BinaryAccuracy(), "f1": BinaryF1Score(), "auroc": BinaryAUROC()})


def hidden_layers(in_features: int, hidden: int) -> tuple[nn.Linear, nn.Linear]:
    """The two linear layers of a 2-3-1 network of any width: ``in_features`` -> ``hidden`` -> 1."""
    if hidden < 1:
        raise InputError(f"--model.hidden must be at least 1 unit, got {hidden}")
    return nn.Linear(in_features, hidden), nn.Linear(hidden, 1)


class GradientDescentExample(LightningModule):
    """One worked example: its parameters, its model and its loss, trained by plain SGD.

    An example is one file in ``lit_gd/examples/`` holding a subclass of this class and a
    ``TensorDataModule`` subclass for its data (``make_tensors``). The subclass fills in:

    - ``__init__(lr, <its own hyperparameters>, in_features)``: each argument documented in its docstring
      (each is a ``--model.<name>`` flag and is saved in checkpoints), with its tutorial's value as default;
      ``in_features`` defaults to the width of the example's own data (the tests build every model with
      no arguments). It calls ``super().__init__(lr, in_features)``, then builds its parameters.
      ``in_features`` is set by lit-gd from the data; a model made for a fixed number of input columns
      says so with ``self.require_input_columns(n)``.
    - ``forward(inputs)``: the predictions, of the targets' shape (every step checks it).
    - ``loss(predictions, targets)``: the mean squared error unless it says otherwise.
    - ``configure_metrics()``: the torchmetrics that every stage reports, or None where there are no
      targets. It is called by this constructor, before the subclass's own attributes exist.
    - ``figures(data)``, optionally: its own pictures by name, drawn with ``lit_gd.plots`` from a
      ``FigureData``; the loss curve is drawn for every example.
    - ``optimum(inputs, targets)``, optionally: where gradient descent should take each parameter, where
      that is known for certain; drawn in TensorBoard beside the parameter.
    - ``model_step(batch)``, rarely: an example without targets (the quadratic) returns its loss itself.

    An example that predicts P(y = 1) for labels 0 and 1 takes the loss, the metrics and the figures from
    ``BinaryClassifier``, named first: ``class LogisticRegression(BinaryClassifier, GradientDescentExample)``.

    The file's docstring says what the example is: TensorBoard's story of each run opens with it.

    What the callbacks read from it: ``last_loss`` and ``last_batch``, the latest training step's loss and
    batch (on its device), ``draw_figures`` and ``optimum``. ``--optimizer`` replaces
    ``configure_optimizers`` when given.

    Each step is run by hand (Lightning's manual optimization, ``training_step(dataloader_iter)``): its
    automatic optimization wraps every step in a closure and some fifteen hooks, a third of a tiny step. The
    step does what the automatic one does, with the same numbers: gradient accumulation
    (``accumulate_grad_batches``), clipping (``gradient_clip_val``, ``gradient_clip_algorithm``), the lr
    schedulers' steps, a closure for optimizers that evaluate the loss several times (LBFGS), and the
    callbacks' ``on_before_optimizer_step`` before each update. lit-gd's CLI hands the three trainer settings
    to the model (``stepping``): Lightning refuses them on the Trainer under manual optimization.
    """

    def __init__(self, lr: float, in_features: int):
        super().__init__()
        if not (math.isfinite(lr) and lr > 0):
            raise InputError(f"--model.lr must be a positive finite number, got {lr}")
        self.save_hyperparameters()  # every subclass's constructor arguments, for checkpoints and TensorBoard
        skip_idle_hooks(self, LightningModule, STEP_HOOKS)
        self.lr, self.in_features = lr, in_features
        self.automatic_optimization = False  # see training_step
        self.accumulate_grad_batches = 1
        self.gradient_clip_val: float | None = None
        self.gradient_clip_algorithm: str | None = None  # Lightning's default: "norm"
        self.last_loss: Tensor | None = None
        self.last_batch: tuple[Tensor, ...] | None = None
        self._metrics_this_epoch = False
        self._validates = False  # whether this fit validates: set when it starts
        metrics = self.configure_metrics()
        # Train metrics accumulate over an epoch: their state goes into checkpoints, so that a run resumed
        # mid-epoch reports the same epoch metrics as one never stopped
        self.train_metrics = metrics.clone(prefix="train/") if metrics else None
        if self.train_metrics is not None:
            self.train_metrics.persistent(True)
        self.val_metrics = metrics.clone(prefix="val/") if metrics else None
        self.test_metrics = metrics.clone(prefix="test/") if metrics else None

    # Attributes set at every step, none of them a parameter, buffer or module: nn.Module's __setattr__ checks
    # for those at every assignment, some 2 us a time, and Lightning sets _current_fx_name twice around each
    # of the 25 hooks it calls in a step
    PLAIN_ATTRIBUTES = frozenset({"_current_fx_name", "last_loss", "last_batch", "_metrics_this_epoch"})

    def __setattr__(self, name: str, value) -> None:
        if name in self.PLAIN_ATTRIBUTES:
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    @property
    def example_input_array(self) -> Tensor:
        """One input of the data's width, for the graph in TensorBoard and the model summary, in the
        model's dtype (float64 under ``--trainer.precision 64``)."""
        return torch.zeros(1, self.in_features, dtype=self.dtype, device=self.device)

    def require_input_columns(self, columns: int) -> None:
        if self.in_features != columns:
            name = type(self).__name__
            raise InputError(f"{name} takes {columns} input column(s) but the data has {self.in_features}")

    def loss(self, predictions: Tensor, targets: Tensor) -> Tensor:
        return nn.functional.mse_loss(predictions, targets)

    def configure_metrics(self) -> MetricCollection | None:
        return None

    def figures(self, data: FigureData) -> plots.Figures:
        return {}

    def optimum(self, inputs: Tensor, targets: Tensor) -> dict[str, float]:
        """The values that minimise the loss on these training points, by the name of the parameter (or of
        its element, ``weight.0.1``, as the step scalars name them), where they are known; none by default."""
        return {}

    def model_step(self, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor | None]:
        """The loss of one batch, with the predictions and targets it compared."""
        inputs, targets = batch
        predictions = self(inputs)
        if predictions.shape != targets.shape:
            raise InputError(
                f"{type(self).__name__} predicts shape {tuple(predictions.shape)} but the targets have shape "
                f"{tuple(targets.shape)}: a loss over them would broadcast silently; make the shapes equal"
            )
        return self.loss(predictions, targets), predictions, targets

    def on_train_start(self) -> None:
        self.on_train_epoch_start()  # a run resumed mid-epoch starts with no on_train_epoch_start

    def on_train_epoch_start(self) -> None:
        # Train metrics accumulate over the epochs that end with a validation: train/ and val/ metrics come
        # side by side, and the epochs between (most of a 1000-epoch tiny run) pay nothing for them. With
        # validation by steps (check_val_every_n_epoch None) they come every epoch.
        every = self.trainer.check_val_every_n_epoch
        logged_last_epoch = self._metrics_this_epoch
        self._metrics_this_epoch = (
            self.train_metrics is not None
            and self._validates
            and (every is None or (self.current_epoch + 1) % every == 0)
        )
        if logged_last_epoch and not self._metrics_this_epoch:
            self._drop_logged_train_metrics()

    def _drop_logged_train_metrics(self) -> None:
        """Lightning keeps a record of every name logged in the training loop until fit ends, and resets
        each one at the end of every epoch, logged in it or not: some 30 us of each one-step epoch between
        two validations for three train metrics, a twentieth of a tiny run. Once logged, their values are
        in the trainer's ``callback_metrics``: their records are dropped, and made anew (as at their first
        ``self.log``) at the next epoch that logs them. An epoch that logs them again keeps them."""
        results = self.trainer.fit_loop.epoch_loop._results
        for name in self.train_metrics.keys():
            results.pop(f"on_train_epoch_end.{name}", None)  # Lightning's key: the hook, then the name

    def stepping(
        self,
        accumulate_grad_batches: int = 1,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: str | None = None,
    ) -> None:
        """The trainer's settings of how batches make optimizer steps, which this model's step carries out."""
        self.accumulate_grad_batches = accumulate_grad_batches
        self.gradient_clip_val, self.gradient_clip_algorithm = gradient_clip_val, gradient_clip_algorithm

    def on_fit_start(self) -> None:
        # Lightning's check of the Trainer's settings is done: the trainer gets its accumulate_grad_batches
        # back, by which it counts the batches that stepped (its logging steps), as under automatic
        # optimization, and a resumed run counts them on
        self.trainer.accumulate_grad_batches = self.accumulate_grad_batches
        skip_hooks_this_fit(self, ("on_before_optimizer_step",), not self.gradient_clip_val)  # clips only
        self._validates = self.trainer.enable_validation  # a chain of checks: read once
        for name, param in self.named_parameters():  # --model.w 1e400: not a learning rate's doing
            if not torch.isfinite(param).all():
                raise InputError(
                    f"the model's {name} starts at {param.tolist()}: give finite starting values"
                )

    def training_step(self, dataloader_iter) -> None:
        """One batch: its loss and gradient, and, at the last batch of every ``accumulate_grad_batches`` and
        of the epoch, the optimizer's step, as Lightning's automatic optimization does it."""
        batch, _, _ = next(dataloader_iter)
        batch = self.trainer.precision_plugin.convert_input(batch)  # to float64 under --trainer.precision 64
        if batch[0].device != self.device:
            batch = self.trainer.strategy.batch_to_device(batch)
        self.last_batch = batch
        optimizer = self.optimizers()
        batches = self.accumulate_grad_batches
        # the batch's place in the epoch, as Lightning counts it (a resumed epoch counts the batches before)
        position = self.trainer.fit_loop.epoch_loop.batch_progress.current.ready
        first_of_step = (position - 1) % batches == 0
        last_of_epoch = position == self.trainer.num_training_batches

        def closure() -> Tensor:
            # Cleared before the forward pass, as a plain loop does (the automatic one clears them after it,
            # the same numbers): after the forward pass of a large batch, which pushes the rest out of the
            # CPU's caches, the same call takes three times as long (45 against 160 us, 1M x 16 full batch)
            if first_of_step:
                optimizer.zero_grad()
            loss, predictions, targets = self.model_step(batch)
            self.last_loss = loss.detach()  # train/loss is logged at every step by the StepLogger callback
            if self._metrics_this_epoch:
                self.train_metrics.update(predictions.detach(), targets)
            if batches > 1:
                loss = loss / batches  # each batch's share of the accumulated gradient
            self.manual_backward(loss)
            return loss.detach()

        if position % batches and not last_of_epoch:  # a gradient to accumulate: no step, no DDP sync
            with optimizer.toggle_model(sync_grad=False):
                closure()
            return
        optimizer.step(closure=closure)  # the callbacks' on_before_optimizer_step run inside, after closure
        for config in self.trainer.lr_scheduler_configs:
            count = position if config.interval == "step" else self.current_epoch + 1
            due = config.interval == "step" or last_of_epoch
            if not isinstance(config.scheduler, ReduceLROnPlateau) and due and count % config.frequency == 0:
                self.lr_scheduler_step(config.scheduler, None)

    def on_before_optimizer_step(self, optimizer) -> None:
        """Clips the gradients, after the callbacks have seen them as computed (as Lightning's automatic
        optimization does); a fit without clipping sets this hook to None (``on_fit_start``)."""
        self.clip_gradients(optimizer, self.gradient_clip_val, self.gradient_clip_algorithm)

    def on_train_epoch_end(self) -> None:
        if self._metrics_this_epoch:
            self._log_epoch_metrics(self.train_metrics)
        self._step_plateau_schedulers()

    def _step_plateau_schedulers(self) -> None:
        """ReduceLROnPlateau schedulers step at the end of the epoch, on the metric they watch (its name is
        the ``monitor`` of LightningCLI's ReduceLROnPlateau: manual optimization drops the config's)."""
        for config in self.trainer.lr_scheduler_configs:
            due = config.interval == "epoch" and (self.current_epoch + 1) % config.frequency == 0
            if isinstance(config.scheduler, ReduceLROnPlateau) and due:
                monitor = getattr(config.scheduler, "monitor", None)
                value = self.trainer.callback_metrics.get(monitor)
                if value is None:
                    logged = ", ".join(self.trainer.callback_metrics) or "none yet"
                    raise InputError(
                        f"--lr_scheduler.monitor {monitor} is not logged at the end of epoch"
                        f" {self.current_epoch}; logged: {logged}"
                    )
                self.lr_scheduler_step(config.scheduler, value)

    def _log_epoch_metrics(self, metrics: MetricCollection) -> None:
        """The epoch's metrics, computed once (torchmetrics gathers their states over processes) and logged
        as numbers: Lightning takes some 0.5 ms to handle each logged Metric object."""
        # equal on every process: their mean is the same; one value an epoch, so no batch size to weigh by
        self.log_dict(metrics.compute(), sync_dist=True, batch_size=1)
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

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        # Checkpoints written before train metric states were kept lack them: those start empty
        for key, value in self.state_dict().items():
            if key.startswith("train_metrics."):
                checkpoint["state_dict"].setdefault(key, value)
        # Checkpoints written under automatic optimization count their steps there: the count moves over
        loops = checkpoint.get("loops", {}).get("fit_loop", {})
        automatic = loops.get("epoch_loop.automatic_optimization.optim_progress")
        manual = loops.get("epoch_loop.manual_optimization.optim_step_progress")
        if automatic and manual and not manual["total"]["completed"]:
            loops["epoch_loop.manual_optimization.optim_step_progress"] = automatic["optimizer"]["step"]

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr)

    def draw_figures(self, inputs: Tensor, targets: Tensor, series: Series) -> plots.Figures:
        """Every picture of this run, from its training data and what was logged: the loss curve, then the
        example's own where the parameters are finite (a run that diverged with the guard off)."""
        pictures = {"loss": plots.loss_curve(series("train/loss"))}
        if not all(torch.isfinite(param).all() for param in self.parameters()):
            rank_zero_info("warning: figures: the parameters are not finite, so only the loss curve is drawn")
            return pictures
        data = FigureData(inputs.cpu().numpy(), targets.cpu().numpy().ravel(), self._predict_numpy, series)
        try:
            return pictures | self.figures(data)
        except NotLogged as missing:
            rank_zero_info(f"warning: figures: {missing}, so only the loss curve is drawn")
            return pictures

    def _predict_numpy(self, inputs: np.ndarray) -> np.ndarray:
        inputs = torch.as_tensor(inputs, dtype=self.dtype, device=self.device)
        with torch.no_grad():
            return self(inputs.reshape(len(inputs), -1)).cpu().numpy().ravel()


class BinaryClassifier:
    """What an example whose ``forward`` gives P(y = 1), labels being 0 and 1, shares: binary cross-entropy as
    its loss, accuracy, F1 and AUROC as its metrics, and its decision boundary as a picture where the data
    has two features. Its ``forward`` ends in an ``nn.Sigmoid`` module (``self.sigmoid``), which the
    saturation guard watches. Mixed into a GradientDescentExample, not one itself: it is no ``--model``
    choice."""

    def loss(self, predictions: Tensor, targets: Tensor) -> Tensor:
        return nn.functional.binary_cross_entropy(predictions, targets)

    def configure_metrics(self) -> MetricCollection:
        return classification_metrics()

    def figures(self, data: FigureData) -> plots.Figures:
        if data.inputs.shape[1] != 2:  # a picture of the plane needs two features
            return {}
        return {"decision": plots.decision_regions(data.inputs, data.targets, data.predict)}
