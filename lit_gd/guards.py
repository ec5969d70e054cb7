"""Callbacks that watch a run for what a learner should be told in words: divergence, dead ReLUs, Ctrl-C."""

import math
import signal
from pathlib import Path
from typing import Literal

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn

from lit_gd.callbacks import LastCheckpoint, StepLogger
from lit_gd.errors import TrainingStopped
from lit_gd.module import skip_hooks_this_fit


class DivergenceGuard(Callback):
    """Stops training at the first step whose loss or a gradient's norm is NaN or infinite, saves the
    parameters of the step before (the last good state) as ``checkpoints/last-good.ckpt``, and says what
    happened. It reads the loss and the norms from the step logger's row of the step."""

    def __init__(self, step_logger: StepLogger, enabled: bool = True):
        """
        Args:
            step_logger: the StepLogger whose rows hold each step's loss and gradient norms (lit-gd gives
                its own).
            enabled: false lets a run go on through NaN and infinity.
        """
        self.step_logger = step_logger
        self.enabled = enabled
        self.diagnoses: list[str] = []  # what it said of the run, for TensorBoard's story of it
        self._params: list[Tensor] = []
        self._previous: list[Tensor] = []  # the parameters of the last step whose loss was finite
        self._last_finite_loss: float | None = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Listed once (the module walk is slow next to a step), detached: the same memory, copied from and
        # into with no autograd to record, so with no torch.no_grad() around it (some 20 us of every step of
        # a large batch: the step's callbacks run inside the optimizer's closure, with gradients on)
        self._params = [p.detach() for p in pl_module.parameters()]
        skip_hooks_this_fit(self, ("on_before_optimizer_step",), not self.enabled)
        self._previous = [p.clone() for p in self._params]

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer) -> None:
        row = self.step_logger.step_row(trainer, pl_module)  # its loss is the mean over processes, under DDP
        # One small host synchronisation per step: the row is a few dozen values at most, checked on the host
        # (torch.isfinite is four kernels, and picking the columns out one more)
        values = row.tolist()
        loss = values[0]
        if all(math.isfinite(values[i]) for i in self.step_logger.loss_and_norm_columns):
            torch._foreach_copy_(self._previous, self._params)  # one call for every parameter
            self._last_finite_loss = loss
            return
        step = trainer.global_step
        what = f"the loss is {loss}" if not math.isfinite(loss) else "a gradient is not finite"
        saved = self._save_last_good(trainer, pl_module)
        last = "none" if self._last_finite_loss is None else f"{self._last_finite_loss:.6g}"
        message = (
            f"training diverged at step {step}: {what}; the last finite loss was {last}; the parameters"
            f" before this step are in {saved}. Try a lower learning rate (--model.lr or --optimizer.lr)."
        )
        self.diagnoses.append(message)
        raise TrainingStopped(message)

    def _save_last_good(self, trainer: Trainer, pl_module: LightningModule) -> Path:
        torch._foreach_copy_(self._params, self._previous)
        path = Path(trainer.log_dir or ".", "checkpoints", "last-good.ckpt")
        trainer.save_checkpoint(path, weights_only=True)
        return path


class StuckUnitMonitor(Callback):
    """Notices when every unit of a layer of one kind (``watched``) stops passing gradient on all the
    training points, epoch after epoch: gradient descent can then no longer move what comes before it. Says
    which layer and since which step, and warns or stops as ``action`` says."""

    watched: type[nn.Module]

    def __init__(self, patience: int = 3, action: Literal["warn", "stop"] = "warn"):
        """
        Args:
            patience: how many whole epochs in a row a layer must be stuck before it is reported.
            action: ``warn`` reports once and trains on; ``stop`` ends the run with the report.
        """
        self.patience, self.action = patience, action
        self.diagnoses: list[str] = []  # what it said of the run, for TensorBoard's story of it
        self._learning: dict[str, Tensor] = {}  # layer -> whether any of its units passed gradient this epoch
        self._units: dict[str, int] = {}  # layer -> its units per point, for the diagnosis
        self._stuck_since: dict[str, tuple[int, int]] = {}  # layer -> (first stuck epoch, its first step)
        self._reported: set[str] = set()
        self._hooks = []
        self._distributed = False  # whether this fit has several processes: set when it starts

    def passes_gradient(self, output: Tensor) -> Tensor:
        """Per element of a batch's output (as the layer gave it, in the graph): nonzero where a gradient
        flows back through it."""
        raise NotImplementedError

    def diagnosis(self, name: str, units: int, step: int) -> str:
        raise NotImplementedError

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for name, module in pl_module.named_modules():
            if isinstance(module, self.watched):
                self._hooks.append(module.register_forward_hook(self._recorder(name)))
        # a model without such a layer has nothing to check at each epoch
        skip_hooks_this_fit(self, ("on_train_epoch_end",), not self._hooks)
        self._distributed = trainer.world_size > 1  # read once, not at every epoch's end
        self._start_epoch(trainer)  # a run resumed mid-epoch too, which has no on_train_epoch_start

    def _recorder(self, name: str):
        def record(module: nn.Module, inputs, output: Tensor) -> None:
            if module.training:
                # A layer is stuck when none of its units passes gradient on any point: one flag for its
                # whole output, not one per unit (a reshape and a reduction fewer at every step)
                learning = self.passes_gradient(output).any()
                previous = self._learning.get(name)
                self._learning[name] = learning if previous is None else previous | learning
                if name not in self._units:  # the same at every step
                    self._units[name] = output.numel() // len(output)

        return record

    def _start_epoch(self, trainer: Trainer) -> None:
        """Nothing recorded yet; the epoch's first step is the next. Called when training starts and at the
        end of every epoch (for the next one): one hook fewer per epoch than ``on_train_epoch_start``."""
        self._learning.clear()
        self._epoch_first_step = trainer.global_step

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for name, learning in self._learning.items():
            if self._distributed:
                learning = trainer.strategy.reduce(learning.float(), reduce_op="sum") > 0  # in any process
            if learning:
                self._stuck_since.pop(name, None)
                continue
            epoch, step = self._stuck_since.setdefault(name, (trainer.current_epoch, self._epoch_first_step))
            if trainer.current_epoch - epoch + 1 >= self.patience and name not in self._reported:
                self._reported.add(name)
                message = self.diagnosis(name, self._units[name], step)
                self.diagnoses.append(message)
                if self.action == "stop":
                    raise TrainingStopped(message)
                rank_zero_info(f"warning: {message}")
        self._start_epoch(trainer)

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks.clear()


class DeadReLUMonitor(StuckUnitMonitor):
    """Dead ReLUs: every unit of a ``nn.ReLU`` outputs zero on all the training points, so no gradient flows
    through it and gradient descent cannot revive it."""

    watched = nn.ReLU

    def passes_gradient(self, output: Tensor) -> Tensor:
        # where the output is not 0 (it is never negative): the output itself, no comparison made at every
        # step. NaN, from a run diverging with the guard off, is not 0: such a unit is not called dead.
        return output

    def diagnosis(self, name: str, units: int, step: int) -> str:
        return (
            f"dead ReLUs: all {units} unit(s) of '{name}' have output 0 on every training point since step"
            f" {step}, so no gradient flows through them and gradient descent cannot revive them."
            " Try a lower learning rate or another initialisation (--seed_everything)."
        )


class SaturationMonitor(StuckUnitMonitor):
    """Saturated sigmoids: every unit of a ``nn.Sigmoid`` outputs within ``1e-6`` of 0 or 1 on all the
    training points, where its gradient σ(1 - σ) all but vanishes (in float32, often to exactly 0): the
    loss stops moving whether the outputs are right or wrong."""

    watched = nn.Sigmoid
    smallest_gradient = 1e-6

    def passes_gradient(self, output: Tensor) -> Tensor:
        output = output.detach()  # arithmetic on it would grow the graph
        return output * (1 - output) >= self.smallest_gradient

    def diagnosis(self, name: str, units: int, step: int) -> str:
        return (
            f"saturated sigmoid: all {units} unit(s) of '{name}' output within about"
            f" {self.smallest_gradient:g} of 0 or 1 on every training point since step {step}, where their"
            " gradient σ(1 - σ) all but vanishes and gradient descent has stopped moving them. If the loss is"
            " still high, try a lower learning rate."
        )


class GracefulInterrupt(Callback):
    """Ctrl-C (SIGINT), SIGTERM or SIGHUP to any process of a run, during fit: every process finishes the
    same step, ``last.ckpt`` is written once, with the place in the epoch (resuming goes on with the next
    batch), and the run ends with exit status 128 + the signal's number and one line saying how to resume.
    Under DDP the processes agree after every step whether any of them was signalled (one small
    all-reduce); Lightning's own SIGTERM handler, which broadcasts from inside the handler, is replaced
    while training runs (before, during set-up, Lightning's answer the signal). A second Ctrl-C
    interrupts at once, as Lightning does by default."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self, last_checkpoint: "LastCheckpoint | None" = None):
        self.last_checkpoint = last_checkpoint
        self.received = 0
        self._previous_handlers = {}

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        # Lightning sets its own handlers just before training starts; they are replaced until fit ends
        self.received = 0

        def stop_after_this_step(signum, frame):
            self.received = signum
            signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once
            rank_zero_info(f"\n{signal.Signals(signum).name} received: stopping after this step")

        for signum in self.SIGNALS:
            self._previous_handlers[signum] = signal.signal(signum, stop_after_this_step)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args) -> None:
        # Here, after a whole step, not in the handler: every process reaches this point at the same step
        received = self.received
        if trainer.world_size > 1:
            signalled = torch.tensor(received, device=trainer.strategy.root_device)
            received = int(trainer.strategy.reduce(signalled, reduce_op="max"))
        if not received:
            return
        if trainer.fit_loop.epoch_loop.batch_progress.is_last_batch:
            # The epoch's last step: its validation and end run as in a run never stopped, then fit ends
            # and on_train_end stops with the epoch complete (stopped here, they would be skipped for good)
            self.received, trainer.should_stop = received, True
        else:
            self._stop(trainer, received)  # mid-epoch: the checkpoint keeps the place in the epoch

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._restore_handlers()
        if self.received:  # signalled after the last step
            self._stop(trainer, self.received)

    def _stop(self, trainer: Trainer, received: int) -> None:
        kept = self.last_checkpoint is not None and self.last_checkpoint.save_last
        if kept:
            self.last_checkpoint.save_last_now(trainer)
        name = "Ctrl-C (SIGINT)" if received == signal.SIGINT else signal.Signals(received).name
        raise TrainingStopped(
            f"stopped by {name} at step {trainer.global_step}; "
            + ("last.ckpt is saved" if kept else "no checkpoint is kept"),
            exit_code=128 + received,
        )

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self._restore_handlers()

    def _restore_handlers(self) -> None:
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers.clear()
