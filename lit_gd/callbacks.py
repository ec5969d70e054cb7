"""Callbacks that record what gradient descent did, for every example alike."""

import csv
import itertools
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only, rank_zero_warn
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from tensorboard.plugins.hparams.summary_v2 import Discrete, Metric, hparams_pb
from torch import Tensor
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import histogram

from lit_gd.errors import TrainingStopped
from lit_gd.logger import event_writing
from lit_gd.module import GradientDescentExample, NotLogged, skip_hooks_this_fit
from lit_gd.runs import first_free

# The hooks Lightning calls on every callback in turn (``_call_callback_hooks``), some ten a step, whether the
# callback does anything there or not: a tenth of a tiny step for lit-gd's 14 callbacks. It calls the
# checkpoint hooks itself, one by one.
CALLBACK_HOOKS = [name for name in vars(Callback) if name.startswith("on_") and "checkpoint" not in name]


class StepLogger(Callback):
    """Logs, at every optimizer step: ``train/loss``; for small models ``param/<name>`` and ``grad/<name>``,
    each parameter as it was in the step's forward pass and its gradient, before the update; and the
    gradient norms that Lightning's ``grad_norm`` computes, as ``grad_norm/<name>`` and ``grad_norm/total``.

    Values are gathered on the model's device into one row per step, with no host synchronisation, and
    handed to the loggers every ``flush_every_n_steps`` steps and when training ends. What was written stays
    on the host as ``series(tag)``, for the figures.
    """

    def __init__(self, max_param_elements: int = 16, flush_every_n_steps: int = 100, norm_type: float = 2.0):
        """
        Args:
            max_param_elements: log each parameter element when the model has at most this many in all.
            flush_every_n_steps: how many steps are buffered before they are written to the loggers.
            norm_type: the p of the gradient norms.
        """
        self.max_param_elements = max_param_elements
        self.flush_every_n_steps = flush_every_n_steps
        self.norm_type = norm_type
        self.tags: list[str] = []
        self.loss_and_norm_columns: list[int] = []
        self.constants: dict[str, float] = {}  # written to TensorBoard beside every step's values (targets)
        self._log_elements = False
        self._params: list[Tensor] = []
        self._flat_params: list[Tensor] = []
        self._rows: list[Tensor] = []
        self._steps: list[int] = []
        self._row: Tensor | None = None  # the latest step's
        self._written: list[np.ndarray] = []
        self._last_step: int | None = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        params = list(pl_module.named_parameters())
        # Listed once: every named_parameters() call walks the module tree, torchmetrics modules included,
        # at about 50 us a time, more than a tiny model's whole step.
        self._params = [param for _, param in params]
        # Each parameter's values as a flat view, made once: it follows the optimizer's updates (in place),
        # and, detached, records no graph in the step's row, which is made inside the optimizer's closure
        # with gradients on (a torch.no_grad() around it cost some 30 us of every step of a large batch). A
        # parameter that no flat view can show (not contiguous) is flattened at each step.
        self._flat_params = [p.detach().view(-1) if p.is_contiguous() else p.detach() for p in self._params]
        self._log_elements = self.logs_elements(pl_module)
        names = [
            name if p.numel() == 1 else ".".join([name, *map(str, index)])
            for name, p in params
            for index in itertools.product(*map(range, p.shape))
        ]
        elements = [f"param/{n}" for n in names] + [f"grad/{n}" for n in names] if self._log_elements else []
        norms = [f"grad_norm/{name}" for name, _ in params] + ["grad_norm/total"]
        self.tags = ["train/loss", *elements, *norms]
        # where train/loss and each parameter's grad_norm/<name> are in a step's row
        self.loss_and_norm_columns = [0, *range(len(self.tags) - len(params) - 1, len(self.tags) - 1)]
        self._written.clear()
        self._last_step = None

    def logs_elements(self, model: LightningModule) -> bool:
        """Whether ``param/<name>`` and ``grad/<name>`` are logged for the model: at most
        ``max_param_elements`` parameter elements in all."""
        return sum(p.numel() for p in model.parameters()) <= self.max_param_elements

    def gradient_norms(self, params: list[Tensor]) -> list[Tensor]:
        """Each parameter's gradient norm, then their total, as two 1-d tensors to be concatenated: what
        Lightning's ``grad_norm`` computes, but from the listed parameters and without its host round trip
        for the total."""
        norms = torch.stack([torch.linalg.vector_norm(p.grad, self.norm_type) for p in params])
        return [norms, torch.linalg.vector_norm(norms, self.norm_type, dim=0, keepdim=True)]

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer) -> None:
        self.step_row(trainer, pl_module)

    def step_row(self, trainer: Trainer, pl_module: LightningModule) -> Tensor:
        """This step's values in the order of ``tags``, recorded once a step whoever asks first (the
        divergence guard reads them too; LBFGS evaluates the loss several times a step, and the first is
        at the step's parameters)."""
        step = trainer.global_step  # a chain of properties: read once
        if step == self._last_step:
            return self._row
        self._last_step = step
        params = self._params
        loss = trainer.strategy.reduce(pl_module.last_loss, reduce_op="mean")  # over processes, under DDP
        values = [loss.reshape(1)]
        if self._log_elements:
            values += [p if p.dim() == 1 else p.reshape(-1) for p in self._flat_params]
            values += [p.grad.reshape(-1) for p in params]
        values += self.gradient_norms(params)
        self._row = torch.cat(values)
        self._rows.append(self._row)
        self._steps.append(step)
        if len(self._rows) >= self.flush_every_n_steps:
            self.flush(trainer)
        return self._row

    def flush(self, trainer: Trainer) -> None:
        """Write the buffered steps to every logger: one transfer to the host for all of them."""
        if not self._rows:
            return
        table = torch.stack(self._rows).cpu().numpy()
        self._written.append(table)
        rows = table.tolist()
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                self._write_tensorboard(logger, rows)
            else:
                for step, row in zip(self._steps, rows, strict=True):
                    logger.log_metrics(dict(zip(self.tags, row, strict=True)), step=step)
        self._rows.clear()
        self._steps.clear()

    @rank_zero_only
    def _write_tensorboard(self, logger: TensorBoardLogger, table: list[list[float]]) -> None:
        """Each step as one TensorBoard event holding all its values, filled into one event made once per
        flush (``add_summary`` would copy the summary into a new one at every step), and written from this
        thread (``event_writing``), framed as TensorBoard frames it: the writer's thread would cost some 10
        us of every step of a tiny run. ``log_metrics`` writes the same scalars as an event per value."""
        prefix = f"{logger._prefix}{logger.LOGGER_JOIN_CHAR}" if logger._prefix else ""  # as log_metrics does
        write = event_writing(logger.experiment)
        constants = [Summary.Value(tag=prefix + tag, simple_value=v) for tag, v in self.constants.items()]
        values = [Summary.Value(tag=prefix + tag) for tag in self.tags] + constants
        event = Event(summary=Summary(value=values))
        fields = event.summary.value[: len(self.tags)]
        for step, row in zip(self._steps, table, strict=True):
            for field, value in zip(fields, row, strict=True):
                field.simple_value = value
            event.step, event.wall_time = step, time.time()  # as add_event stamps them
            write(event.SerializeToString())

    def series(self, tag: str) -> np.ndarray:
        """Every value written so far for ``tag``, one per step."""
        try:
            column = self.tags.index(tag)
        except ValueError:
            raise NotLogged(f"{tag} is not logged (max_param_elements {self.max_param_elements})") from None
        return np.concatenate([table[:, column] for table in self._written]) if self._written else np.empty(0)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.flush(trainer)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self.flush(trainer)


def tensorboard_writer(trainer: Trainer) -> SummaryWriter | None:
    """The SummaryWriter of the trainer's TensorBoardLogger, or None where there is none."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger.experiment
    return None


class ParameterHistograms(Callback):
    """Histograms of the values (``histogram/param/<name>``) and gradients (``histogram/grad/<name>``) of
    every parameter of at least ``min_elements`` elements, as they are just before the optimizer step, every
    ``every_n_steps`` steps (0: never). A histogram of a handful of values is a spike per step: the step
    scalars show those better. Their own tags: TensorBoard shows a tag under one plugin only, and
    ``param/w`` is a scalar.

    As the step logger does with its rows, the values are copied on the model's device, with no host
    synchronisation, and written every ``flush_every_n_steps`` steps (sooner once they hold a million
    values) and when training ends or fails: one transfer to the host for all of them, and numpy's
    histogram code, slow when it runs cold between steps, run for all of them in one go.
    """

    MAX_PENDING_VALUES = 2**20  # a large model's copies are written before they hold more

    def __init__(self, every_n_steps: int = 25, min_elements: int = 8, flush_every_n_steps: int = 100):
        """
        Args:
            every_n_steps: how often, in optimizer steps, the histograms are drawn; 0 turns them off.
            min_elements: draw only the parameters of at least this many elements.
            flush_every_n_steps: how many steps' histograms are kept before they are written.
        """
        self.every_n_steps = every_n_steps
        self.min_elements = min_elements
        self.flush_every_n_steps = flush_every_n_steps
        self._params: list[tuple[str, Tensor]] = []
        self._pending: list[tuple[int, list[Tensor]]] = []  # (step, copies of each parameter and gradient)
        # how many steps' copies are kept before they are written: worked out as training starts
        self._steps_kept = 1
        self._drawn_step: int | None = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # listed once, as the StepLogger does
        self._params = [(n, p) for n, p in pl_module.named_parameters() if p.numel() >= self.min_elements]
        skip_hooks_this_fit(self, ("on_before_optimizer_step",), not self.every_n_steps or not self._params)
        if self.every_n_steps and self._params:
            values = 2 * sum(param.numel() for _, param in self._params)  # a step's: parameters, gradients
            steps = math.ceil(self.flush_every_n_steps / self.every_n_steps)
            self._steps_kept = min(steps, math.ceil(self.MAX_PENDING_VALUES / values))
        self._pending.clear()
        self._drawn_step = None

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer) -> None:
        step = trainer.global_step
        # once a step: LBFGS evaluates the loss several times a step, the first at the step's parameters
        if step % self.every_n_steps or step == self._drawn_step or trainer.global_rank:
            return
        if tensorboard_writer(trainer) is None:  # nowhere to draw them
            return
        self._drawn_step = step
        with torch.no_grad():
            self._pending.append((step, [v.detach().clone() for _, p in self._params for v in (p, p.grad)]))
        if len(self._pending) >= self._steps_kept:
            self.flush(trainer)

    def flush(self, trainer: Trainer) -> None:
        """Write the kept histograms, in the order of their steps."""
        if not self._pending:
            return
        copies = [values.reshape(-1) for _, step_copies in self._pending for values in step_copies]
        on_host = torch.cat(copies).cpu().split([len(values) for values in copies])
        tags = [f"histogram/{kind}/{name}" for name, _ in self._params for kind in ("param", "grad")]
        write = event_writing(tensorboard_writer(trainer))
        for index, (step, _) in enumerate(self._pending):
            for tag, values in zip(tags, on_host[index * len(tags) : (index + 1) * len(tags)], strict=True):
                summary = self.histogram(tag, values)
                if summary is not None:  # the event add_histogram makes, written from this thread
                    write(Event(summary=summary, step=step, wall_time=time.time()).SerializeToString())
        self._pending.clear()

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.flush(trainer)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self.flush(trainer)

    @staticmethod
    def histogram(tag: str, values: Tensor) -> Summary | None:
        """The summary ``add_histogram(tag, values, bins=30)`` writes: 30 buckets, TensorBoard's own default
        (torch's lays some 1500 fixed edges, a 10 KB event for a 16-value tensor). In float64, so that huge
        values still get 30 distinct bucket edges; values so large and alike that numpy can't split them in
        30 (a single value past 1e14) get one bucket. None for values that are not all finite (the
        divergence guard speaks for them)."""
        values = values.double().reshape(-1)
        if not torch.isfinite(values).all():
            return None
        try:
            return histogram(tag, values, bins=30)
        except ValueError:  # numpy: "Too many bins for data range"
            least, most = values.min().item(), values.max().item()
            counted = HistogramProto(
                min=least,
                max=most,
                num=len(values),
                sum=values.sum().item(),
                sum_squares=values.dot(values).item(),
                bucket_limit=[most],
                bucket=[len(values)],
            )
            return Summary(value=[Summary.Value(tag=tag, histo=counted)])


class FigureLogger(Callback):
    """The example's pictures (``figures/<name>`` in TensorBoard's images tab): the loss curve, the data with
    the model's predictions, descent paths, decision boundaries, as each example's ``figures()`` draws them.
    Drawn when training ends and every ``every_n_epochs`` epochs (0: only at the end)."""

    def __init__(self, every_n_epochs: int = 0, enabled: bool = True, step_logger: StepLogger | None = None):
        """
        Args:
            every_n_epochs: also draw after every this many epochs; 0 draws only when training ends.
            enabled: false draws nothing (matplotlib is then never imported).
            step_logger: the StepLogger whose record the figures are drawn from (lit-gd gives its own).
        """
        self.every_n_epochs = every_n_epochs
        self.enabled = enabled
        self.step_logger = step_logger
        self._drawn_at_step: int | None = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        skip_hooks_this_fit(self, ("on_train_epoch_end",), not (self.enabled and self.every_n_epochs))

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.every_n_epochs and (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._draw(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._draw(trainer, pl_module)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if isinstance(exception, TrainingStopped):  # a stopped run (signal, guard) still shows its pictures
            self._draw(trainer, pl_module)

    def _draw(self, trainer: Trainer, pl_module: GradientDescentExample) -> None:
        writer = tensorboard_writer(trainer)
        drawn = self._drawn_at_step == trainer.global_step
        if not self.enabled or writer is None or trainer.global_rank or drawn:
            return
        if self.step_logger is None:
            rank_zero_warn("FigureLogger draws from a StepLogger's record: give it one (step_logger=...).")
            return
        self.step_logger.flush(trainer)
        inputs, targets = trainer.datamodule.dataset.tensors
        for name, figure in pl_module.draw_figures(inputs, targets, self.step_logger.series).items():
            writer.add_figure(f"figures/{name}", figure, trainer.global_step)
        self._drawn_at_step = trainer.global_step


HEADLINE_HPARAMS = ("model", "optimizer", "lr", "batch_size", "epochs")  # what tells runs apart


def run_hyperparameters(trainer: Trainer, pl_module: LightningModule) -> dict[str, bool | int | float | str]:
    """The run's hyperparameters: the headline ones (``HEADLINE_HPARAMS``) and ``data``, then every other
    scalar constructor argument as ``model/<arg>``, ``data/<arg>``, ``optimizer/<arg>``."""
    optimizer, data = trainer.optimizers[0], trainer.datamodule
    params = {
        "model": type(pl_module).__name__,
        "data": type(data).__name__,
        "optimizer": type(optimizer).__name__,
        "lr": optimizer.defaults["lr"],
        "batch_size": str(data.hparams.get("batch_size", "")),
        "epochs": trainer.max_epochs,
    }
    for section, settings in (
        ("model", pl_module.hparams),
        ("data", data.hparams),
        ("optimizer", optimizer.defaults),
    ):
        params |= {
            f"{section}/{key}": value
            for key, value in settings.items()
            if key not in params and not key.startswith("_") and isinstance(value, (bool, int, float, str))
        }
    return params


def _hparam_info(name: str, value: bool | int | float | str) -> api_pb2.HParamInfo:
    """A column of TensorBoard's hparams table. Booleans get the domain {false, true}: shown and filtered
    as booleans, not as 0.0000 and 1.0000. TensorBoard lists the columns ``differs`` first, then by name,
    and ticks the first five: ``differs`` marks the headline ones, so those five are the columns shown."""
    info = api_pb2.HParamInfo(name=name, differs=name in HEADLINE_HPARAMS)
    if isinstance(value, bool):
        Discrete([False, True]).update_hparam_info(info)
    else:
        info.type = api_pb2.DATA_TYPE_STRING if isinstance(value, str) else api_pb2.DATA_TYPE_FLOAT64
    return info


def _metric_info(tag: str) -> api_pb2.MetricInfo:
    stage = {"train": Metric.TRAINING, "val": Metric.VALIDATION}.get(tag.partition("/")[0])
    return Metric(tag, dataset_type=stage).as_proto()


def _hparams_summary(tag: str, **plugin_data) -> Summary:
    """One of the hparams plugin's summaries, made as its own writers (``summary_v2``) make them."""
    data = plugin_data_pb2.HParamsPluginData(**plugin_data)
    value = Summary.Value(
        tag=tag, metadata=metadata.create_summary_metadata(data), tensor=metadata.NULL_TENSOR
    )
    return Summary(value=[value])


class HParamsLogger(Callback):
    """Writes the run's hyperparameters for TensorBoard's hparams tab when training ends, with the run's
    metrics (their last values) as its columns, so that runs compare side by side.

    TensorBoard shows the first five hyperparameters and the first five metrics ticked: the headline
    hyperparameters (``model``, ``optimizer``, ``lr``, ``batch_size``, ``epochs``), then ``train/loss``,
    ``val/loss`` and the validation metrics; the others (``data``, ``model/<arg>``, ``data/<arg>``,
    ``optimizer/<arg>``, the train metrics) follow, to tick in its list.
    """

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if isinstance(exception, TrainingStopped):  # a stopped run compares beside the others too
            self.on_train_end(trainer, pl_module)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        writer = tensorboard_writer(trainer)
        if writer is None or trainer.global_rank:
            return
        params = run_hyperparameters(trainer, pl_module)
        tags = dict.fromkeys(["train/loss", *trainer.callback_metrics])  # StepLogger's, then self.log's
        # train/loss, val/loss, the other val/ metrics, then the rest, each in the order they were logged
        metrics = sorted(tags, key=lambda tag: (tag != "train/loss", tag != "val/loss", tag[:4] != "val/"))
        experiment = api_pb2.Experiment(
            hparam_infos=[_hparam_info(name, value) for name, value in params.items()],
            metric_infos=[
                _metric_info(tag) for tag in metrics
            ],  # each column filled with the tag's last value
        )
        end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=time.time())
        for summary in (
            _hparams_summary(metadata.EXPERIMENT_TAG, experiment=experiment),
            hparams_pb(params, trial_id=""),  # no group: TensorBoard shows the run, named as it names it
            _hparams_summary(metadata.SESSION_END_INFO_TAG, session_end_info=end),
        ):
            writer.file_writer.add_summary(summary)


def skip_idle_checkpoint_hooks(checkpoint: ModelCheckpoint, trainer: Trainer) -> None:
    """Sets to None the step and epoch hooks of a ModelCheckpoint that cannot save under its settings and the
    trainer's, as ``skip_idle_hooks`` does for no-op hooks: Lightning would call them at every step of a
    one-step epoch, each checking the trainer's state before it finds it has nothing to do.
    ``on_train_batch_end`` saves only every ``every_n_train_steps`` or ``train_time_interval``;
    ``on_train_epoch_end`` and ``on_validation_end`` only every ``every_n_epochs`` (0 where a step or time
    trigger is set), a save deferred to validation for want of its ``monitor``, or a ``save_last="link"``;
    ``on_train_epoch_end`` moreover only where it saves at the end of training epochs rather than of
    validations (its ``save_on_train_epoch_end``, which Lightning leaves false unless validation comes after
    every epoch, ``check_val_every_n_epoch=1``, and not by time); with ``save_top_k=0`` and no ``save_last``,
    no hook saves anything."""
    batch_trigger = checkpoint._every_n_train_steps >= 1 or checkpoint._train_time_interval is not None
    epoch_trigger = (
        checkpoint._every_n_epochs >= 1
        or checkpoint.save_last == "link"
        or (batch_trigger and checkpoint.monitor is not None)
    )
    # as ModelCheckpoint._should_save_on_train_epoch_end decides, where that is known before training
    at_train_epoch_end = checkpoint._save_on_train_epoch_end
    if at_train_epoch_end is None:
        by_time = getattr(trainer, "_val_check_time_interval", None) is not None
        at_train_epoch_end = trainer.check_val_every_n_epoch == 1 and not by_time
    saves = checkpoint.save_top_k or checkpoint.save_last
    saves_by_epoch = saves and epoch_trigger
    skip_hooks_this_fit(checkpoint, ("on_train_batch_end",), not (saves and batch_trigger))
    skip_hooks_this_fit(checkpoint, ("on_train_epoch_end",), not (saves_by_epoch and at_train_epoch_end))
    skip_hooks_this_fit(checkpoint, ("on_validation_end",), not saves_by_epoch)


class LastCheckpoint(ModelCheckpoint):
    """Lightning's ModelCheckpoint keeping ``last.ckpt``: lit-gd has it write every ``train_time_interval``
    of training (a kill or a power cut then costs at most that much) and always when fit ends. Lightning's
    own skips the end when a timed save came before; ``save_last_now`` writes it on demand (a signal).
    Each write is atomic (Lightning's): a failed one leaves the previous file whole."""

    _state_key: tuple[tuple, str] = ((), "")  # (the settings it was made from, the key)

    @property
    def state_key(self) -> str:
        """ModelCheckpoint's, made again only when the settings it is made from change: Lightning names the
        callback at every hook it calls on it (its profiler's label), and ModelCheckpoint's name is a repr of
        five settings, 35 us of every step of a large batch, for ``on_train_batch_end``."""
        settings = (
            self.monitor,
            self.mode,
            self._every_n_train_steps,
            self._every_n_epochs,
            self._train_time_interval,
        )
        if settings != self._state_key[0]:
            self._state_key = (settings, super().state_key)
        return self._state_key[1]

    def save_last_now(self, trainer: Trainer) -> None:
        if self.save_last and not trainer.fast_dev_run:  # Lightning's few batches keep nothing
            trainer.save_checkpoint(
                self.format_checkpoint_name({}, self.CHECKPOINT_NAME_LAST), self.save_weights_only
            )

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.save_last_now(trainer)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args) -> None:
        # Under manual optimization, which lit-gd's examples use, Lightning 2.6's ModelCheckpoint saves here
        # by every_n_train_steps only and never by train_time_interval (Lightning-AI/pytorch-lightning#21699):
        # the time is checked here as its automatic-optimization branch checks it
        super().on_train_batch_end(trainer, pl_module, *args)
        interval = self._train_time_interval
        if interval is None:
            return
        now = time.monotonic()
        due = (
            self._last_time_checked is not None and now - self._last_time_checked >= interval.total_seconds()
        )
        # rank 0 decides for every process (their clocks differ); the trainer's state is checked only then
        if trainer.strategy.broadcast(due) and not self._should_skip_saving_checkpoint(trainer):
            self._last_time_checked = now
            self.save_last_now(trainer)


class PredictionWriter(Callback):
    """``lit-gd predict``: writes each input with its prediction to ``predictions.csv`` in the folder of the
    run whose checkpoint predicts (``predictions-2.csv`` where one is there already), and prints the table on
    stdout, alone: ``lit-gd predict ... > file.csv`` is the same CSV."""

    def __init__(self):
        self._outputs: list[Tensor] = []

    def on_predict_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._outputs.clear()

    def on_predict_batch_end(
        self, trainer: Trainer, pl_module: LightningModule, outputs, batch, batch_idx, dataloader_idx=0
    ) -> None:
        self._outputs.append(outputs.detach())

    def on_predict_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        folder = Path(trainer.log_dir or ".")  # on every process: log_dir is collective
        if not trainer.is_global_zero:
            return
        inputs = trainer.datamodule.prediction_rows()
        outputs = torch.cat(self._outputs).reshape(len(inputs), -1).cpu()
        names = (
            [f"prediction{i + 1}" for i in range(outputs.shape[1])]
            if outputs.shape[1] > 1
            else ["prediction"]
        )
        header = trainer.datamodule.feature_names() + names
        rows = [[f"{value:.7g}" for value in row] for row in torch.cat([inputs, outputs], dim=1).tolist()]
        folder.mkdir(parents=True, exist_ok=True)
        path = first_free(folder / "predictions.csv")
        with path.open("x", newline="") as file:
            csv.writer(file).writerows([header, *rows])
        print("\n".join(",".join(row) for row in [header, *rows]))
        print(f"lit-gd: predictions written to {path}", file=sys.stderr)
