"""Callbacks that watch a run for what a learner should be told in words: divergence, dead ReLUs, Ctrl-C."""

import signal
from pathlib import Path
from typing import Literal

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn

from lit_gd.errors import TrainingStopped


class DivergenceGuard(Callback):
    """Stops training at the first step whose loss or gradient is NaN or infinite, saves the parameters of
    the step before (the last good state) as ``checkpoints/last-good.ckpt``, and says what happened."""

    def __init__(self, enabled: bool = True):
        """
        Args:
            enabled: false lets a run go on through NaN and infinity.
        """
        self.enabled = enabled
        self.diagnoses: list[str] = []  # what it said of the run, for TensorBoard's story of it
        self._params: list[Tensor] = []
        self._previous: list[Tensor] = []  # the parameters of the last step whose loss was finite
        self._last_finite_loss: Tensor | None = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._params = list(pl_module.parameters())  # listed once: the module walk is slow next to a step
        self._previous = [p.detach().clone() for p in self._params]

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer) -> None:
        if not self.enabled:
            return
        loss = trainer.strategy.reduce(pl_module.last_loss, reduce_op="mean")  # every process decides alike
        gradients = [p.grad for p in self._params if p.grad is not None]
        finite = torch.isfinite(torch.stack([loss, *(torch.linalg.vector_norm(g) for g in gradients)])).all()
        if finite:  # one small host synchronisation per step
            for kept, param in zip(self._previous, self._params, strict=True):
                kept.copy_(param.detach())
            self._last_finite_loss = loss
            return
        step = trainer.global_step
        what = f"the loss is {loss.item()}" if not torch.isfinite(loss) else "a gradient is not finite"
        saved = self._save_last_good(trainer, pl_module)
        last = "none" if self._last_finite_loss is None else f"{self._last_finite_loss.item():.6g}"
        message = (
            f"training diverged at step {step}: {what}; the last finite loss was {last}; the parameters"
            f" before this step are in {saved}. Try a lower learning rate (--model.lr or --optimizer.lr)."
        )
        self.diagnoses.append(message)
        raise TrainingStopped(message)

    def _save_last_good(self, trainer: Trainer, pl_module: LightningModule) -> Path:
        with torch.no_grad():
            for param, kept in zip(self._params, self._previous, strict=True):
                param.copy_(kept)
        path = Path(trainer.log_dir or ".", "checkpoints", "last-good.ckpt")
        trainer.save_checkpoint(path, weights_only=True)
        return path


class DeadReLUMonitor(Callback):
    """Notices when every unit of a ``nn.ReLU`` outputs zero on all the training points, epoch after epoch:
    no gradient flows through it any more and gradient descent cannot revive it. Says which layer and since
    which step, and warns or stops as ``action`` says."""

    def __init__(self, patience: int = 3, action: Literal["warn", "stop"] = "warn"):
        """
        Args:
            patience: how many whole epochs in a row a layer must be dead before it is reported.
            action: ``warn`` reports once and trains on; ``stop`` ends the run with the report.
        """
        self.patience, self.action = patience, action
        self.diagnoses: list[str] = []  # what it said of the run, for TensorBoard's story of it
        self._alive: dict[str, Tensor] = {}
        self._dead_since: dict[str, tuple[int, int]] = {}  # layer -> (first dead epoch, its first step)
        self._reported: set[str] = set()
        self._hooks = []

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for name, module in pl_module.named_modules():
            if isinstance(module, nn.ReLU):
                self._hooks.append(module.register_forward_hook(self._recorder(name)))

    def _recorder(self, name: str):
        def record(module: nn.Module, inputs, output: Tensor) -> None:
            if module.training:
                alive = (output > 0).flatten(1).any(dim=0)  # per unit: did it fire on any point of the batch?
                self._alive[name] = alive if name not in self._alive else self._alive[name] | alive

        return record

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._alive.clear()
        self._epoch_first_step = trainer.global_step

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for name, alive in self._alive.items():
            alive = trainer.strategy.reduce(alive.float(), reduce_op="sum") > 0  # fired in any process
            if alive.any():
                self._dead_since.pop(name, None)
                continue
            epoch, step = self._dead_since.setdefault(name, (trainer.current_epoch, self._epoch_first_step))
            if trainer.current_epoch - epoch + 1 >= self.patience and name not in self._reported:
                self._report(name, alive.numel(), step, trainer)

    def _report(self, name: str, units: int, step: int, trainer: Trainer) -> None:
        self._reported.add(name)
        message = (
            f"dead ReLUs: all {units} unit(s) of '{name}' have output 0 on every training point since step"
            f" {step}, so no gradient flows through them and gradient descent cannot revive them."
            " Try a lower learning rate or another initialisation (--seed_everything)."
        )
        self.diagnoses.append(message)
        if self.action == "stop":
            raise TrainingStopped(message)
        rank_zero_info(f"warning: {message}")

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks.clear()


class GracefulInterrupt(Callback):
    """Ctrl-C (SIGINT) or SIGTERM during fit: the current step finishes, training stops, last.ckpt is
    written as at any end of fit, and the run ends with a message saying how to resume. A second Ctrl-C
    interrupts at once, as Lightning does by default."""

    def __init__(self):
        self.received: int | None = None
        self._previous_handlers = {}

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.received = None

        def stop_after_this_step(signum, frame):
            self.received = signum
            signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once
            rank_zero_info(f"\n{signal.Signals(signum).name} received: stopping after this step")

        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous_handlers[signum] = signal.signal(signum, stop_after_this_step)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args) -> None:
        # Stopped here, after a whole step, not in the handler: a signal landing between steps would end the
        # next epoch before its first batch, and that empty epoch would count on resuming.
        if self.received is not None:
            trainer.should_stop = True

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers.clear()
