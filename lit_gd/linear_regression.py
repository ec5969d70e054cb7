"""Linear regression y = w·x + b by gradient descent (seed 000; without the bias, seed 002).

Data x = 1, 2, 3, 4 with y = 2x; w = b = 0 at the start; MSE loss; plain SGD at lr 0.01 on the whole data
set per step. After 100 epochs: w = 1.846347, b = 0.451757. Without the bias, f(5) = 9.612 after 20 epochs
and 10.000 after 100.

With ``--model.gradient manual`` the update uses the hand-derived gradient of seed 002, corrected: the
seed's numpy ``np.dot(2*x, y_pred - y).mean()`` is a sum over the points (the mean of a scalar), four
times the true gradient on 4 points. Autograd's gradient is logged beside it (``grad_autograd/*``) with
the difference (``grad_difference/*``): zero to float precision.

    lit-gd fit --config configs/linear_regression.yaml
    lit-gd fit --config configs/linear_regression.yaml --model.bias false
    lit-gd fit --config configs/linear_regression.yaml --model.bias false --model.gradient manual
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn
from torchmetrics import MetricCollection

from lit_gd.base import (
    Figures,
    GradientDescentExample,
    InputError,
    Series,
    TensorDataModule,
    regression_metrics,
)


def mse_gradients(x: Tensor, y: Tensor, w: Tensor, b: Tensor | None) -> dict[str, Tensor]:
    """The gradient of mean((w·x + b - y)²) by hand: d/dw = mean(2x(ŷ - y)), d/db = mean(2(ŷ - y))."""
    error = w * x - y if b is None else w * x + b - y
    gradients = {"w": (2 * x * error).mean()}
    if b is not None:
        gradients["b"] = (2 * error).mean()
    return gradients


class LinearRegression(GradientDescentExample):
    """y = w·x + b with scalar parameters named as the seeds name them, ``w`` and ``b``."""

    input_columns = 1

    def __init__(
        self,
        lr: float = 0.01,
        bias: bool = True,
        w: float = 0.0,
        b: float = 0.0,
        gradient: Literal["autograd", "manual"] = "autograd",
        in_features: int = 1,
    ):
        """
        Args:
            lr: learning rate of plain SGD (seed 000 and 002: 0.01).
            bias: learn b too; ``false`` gives seed 002's model y = w·x.
            w: the initial weight.
            b: the initial bias (ignored without one).
            gradient: ``manual`` updates with the hand-derived gradient instead of autograd's.
            in_features: the data's input columns, set by lit-gd from the data: 1.
        """
        super().__init__(lr, in_features)
        self.example_input_array = torch.zeros(4, 1)  # for the graph in TensorBoard
        self.criterion = nn.MSELoss()
        self.w = nn.Parameter(torch.tensor(w))
        self.b = nn.Parameter(torch.tensor(b)) if bias else None
        self.gradient = gradient
        self._manual_gradients: dict[str, Tensor] = {}

    def metrics(self) -> MetricCollection:
        return regression_metrics()

    def forward(self, x: Tensor) -> Tensor:
        return self.w * x if self.b is None else self.w * x + self.b

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        if self.gradient == "manual":
            with torch.no_grad():
                self._manual_gradients = mse_gradients(*batch, self.w, self.b)
        return super().training_step(batch, batch_idx)

    def on_after_backward(self) -> None:
        """With ``gradient: manual``, the optimizer steps with the hand-derived gradient; autograd's, just
        computed by Lightning's backward, is logged beside it."""
        if self.gradient != "manual":
            return
        logged = {}
        for name, param in self.named_parameters():
            manual = self._manual_gradients[name]
            logged |= {
                f"grad_autograd/{name}": param.grad.clone(),
                f"grad_difference/{name}": manual - param.grad,
            }
            param.grad.copy_(manual)
        self.log_dict(logged, on_step=True, on_epoch=False)

    def figures(self, inputs: Tensor, targets: Tensor, series: Series) -> Figures:
        from lit_gd import plots

        figures = super().figures(inputs, targets, series)
        x, y = inputs.cpu().numpy().ravel(), targets.cpu().numpy().ravel()
        figures["fit"] = plots.fitted_line(x, y, lambda grid: self.predict_numpy(grid[:, None]).ravel())
        w_path = np.append(series("param/w"), self.w.item())  # each step's w, and where it ended
        if self.b is None:
            figures["landscape"] = plots.loss_along_w(lambda w: ((w[:, None] * x - y) ** 2).mean(-1), w_path)
        else:
            b_path = np.append(series("param/b"), self.b.item())
            mse = lambda w, b: ((w[..., None] * x + b[..., None] - y) ** 2).mean(-1)  # noqa: E731
            figures["landscape"] = plots.loss_landscape(mse, w_path, b_path)
        return figures


class LinearRegressionData(TensorDataModule):
    """Points (x, y) in one column each; by default seed 000's x = 1, 2, 3, 4 with y = 2x."""

    def __init__(self, x: Sequence[float] = (1, 2, 3, 4), y: Sequence[float] = (2, 4, 6, 8), **kwargs):
        """
        Args:
            x: the inputs.
            y: the targets, one for each input.
        """
        super().__init__(**kwargs)
        self.x, self.y = list(x), list(y)

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        if len(self.x) != len(self.y):
            raise InputError(
                f"--data.x has {len(self.x)} values but --data.y has {len(self.y)}: give one target per input"
            )
        return torch.tensor(self.x).unsqueeze(1), torch.tensor(self.y).unsqueeze(1)
