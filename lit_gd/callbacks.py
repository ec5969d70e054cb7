"""Callbacks that record what gradient descent did, for every example alike."""

import itertools

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import grad_norm
from torch import Tensor


class StepLogger(Callback):
    """Logs, at every optimizer step: ``train/loss``; for small models ``param/<name>`` and ``grad/<name>``,
    each parameter as it was in the step's forward pass and its gradient, before the update; and the
    gradient norms from Lightning's ``grad_norm`` as ``grad_norm/<name>`` and ``grad_norm/total``.

    Values are gathered on the model's device into one row per step, with no host synchronisation, and
    handed to the loggers every ``flush_every_n_steps`` steps and when training ends.
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
        self._log_elements = False
        self._rows: list[Tensor] = []
        self._steps: list[int] = []

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        params = list(pl_module.named_parameters())
        self._log_elements = sum(p.numel() for _, p in params) <= self.max_param_elements
        names = [
            name if p.numel() == 1 else ".".join([name, *map(str, index)])
            for name, p in params
            for index in itertools.product(*map(range, p.shape))
        ]
        elements = [f"param/{n}" for n in names] + [f"grad/{n}" for n in names] if self._log_elements else []
        norms = [f"grad_norm/{name}" for name, _ in params] + ["grad_norm/total"]
        self.tags = ["train/loss", *elements, *norms]

    def on_before_optimizer_step(self, trainer: Trainer, pl_module: LightningModule, optimizer) -> None:
        params = list(pl_module.parameters())
        values = [pl_module.last_loss.reshape(1)]
        if self._log_elements:
            values += [p.detach().reshape(-1) for p in params]
            values += [p.grad.reshape(-1) for p in params]
        norms = grad_norm(pl_module, self.norm_type)  # each parameter's, then the total, as the tags say
        values += [norm.reshape(1).to(values[0].device) for norm in norms.values()]
        self._rows.append(torch.cat(values))
        self._steps.append(trainer.global_step)
        if len(self._rows) >= self.flush_every_n_steps:
            self.flush(trainer)

    def flush(self, trainer: Trainer) -> None:
        """Write the buffered steps to every logger: one transfer to the host for all of them."""
        if not self._rows:
            return
        table = torch.stack(self._rows).cpu().tolist()
        for logger in trainer.loggers:
            for step, row in zip(self._steps, table, strict=True):
                logger.log_metrics(dict(zip(self.tags, row, strict=True)), step=step)
        self._rows.clear()
        self._steps.clear()

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.flush(trainer)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self.flush(trainer)
