"""Tutorial 002's gradient by hand, beside autograd's: linear regression's ``--model.gradient manual``
(docs/tutorials.md).

Tutorial 002 computes the MSE gradient in numpy as ``np.dot(2*x, y_pred - y).mean()``: a sum over the points
(the mean of a scalar), four times the true gradient on its 4 points. Here the formula is the right one,
d/dw = mean(2x(ŷ - y)), d/db = mean(2(ŷ - y)), and the optimizer steps with it. Autograd's gradient is
logged beside it (``grad_autograd/*``) with the difference (``grad_difference/*``): zero to float precision.
"""

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch import Tensor, nn


def mse_gradients(x: Tensor, y: Tensor, w: Tensor, b: Tensor | None) -> dict[str, Tensor]:
    """The gradient of mean((w·x + b - y)²) by hand: d/dw = mean(2x(ŷ - y)), d/db = mean(2(ŷ - y))."""
    error = w * x - y if b is None else w * x + b - y
    gradients = {"w": (2 * x * error).mean()}
    if b is not None:
        gradients["b"] = (2 * error).mean()
    return gradients


class ManualGradient(Callback):
    """Makes the optimizer step with ``mse_gradients`` of the batch instead of autograd's gradient, which
    Lightning's backward has just computed and which is logged beside it. For a module with scalar
    parameters ``w`` and ``b`` (or None), as ``LinearRegression`` has."""

    def __init__(self):
        self._params: dict[str, nn.Parameter] = {}

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._params = dict(pl_module.named_parameters())

    def on_after_backward(self, trainer: Trainer, pl_module: LightningModule) -> None:
        inputs, targets = pl_module.last_batch
        with torch.no_grad():
            gradients = mse_gradients(inputs, targets, pl_module.w, pl_module.b)
        logged = {}
        for name, param in self._params.items():
            manual = gradients[name]
            logged |= {
                f"grad_autograd/{name}": param.grad.clone(),
                f"grad_difference/{name}": manual - param.grad,
            }
            param.grad.copy_(manual)
        pl_module.log_dict(logged, on_step=True, on_epoch=False, batch_size=len(inputs))
