"""Linear regression y = w·x + b by gradient descent (seed 000; without the bias, seed 002).

Data x = 1, 2, 3, 4 with y = 2x; w = b = 0 at the start; MSE loss; plain SGD at lr 0.01 on the whole data
set per step. After 100 epochs: w = 1.846347, b = 0.451757. Without the bias, f(5) = 9.612 after 20 epochs
and 10.000 after 100.

    lit-gd fit --config configs/linear_regression.yaml
    lit-gd fit --config configs/linear_regression.yaml --model.bias false
"""

from collections.abc import Sequence

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


class LinearRegression(GradientDescentExample):
    """y = w·x + b with scalar parameters named as the seeds name them, ``w`` and ``b``."""

    def __init__(self, lr: float = 0.01, bias: bool = True, w: float = 0.0, b: float = 0.0):
        """
        Args:
            lr: learning rate of plain SGD (seed 000 and 002: 0.01).
            bias: learn b too; ``false`` gives seed 002's model y = w·x.
            w: the initial weight.
            b: the initial bias (ignored without one).
        """
        super().__init__(lr)
        self.example_input_array = torch.zeros(4, 1)  # for the graph in TensorBoard
        self.criterion = nn.MSELoss()
        self.w = nn.Parameter(torch.tensor(w))
        self.b = nn.Parameter(torch.tensor(b)) if bias else None

    def metrics(self) -> MetricCollection:
        return regression_metrics()

    def forward(self, x: Tensor) -> Tensor:
        return self.w * x if self.b is None else self.w * x + self.b

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
