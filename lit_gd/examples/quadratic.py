"""Minimising y = x² + 2x + 1 by gradient descent on x itself (tutorial 003 in docs/tutorials.md).

x = 5 at the start, where the gradient is 2x + 2 = 12; SGD at lr 0.1. After one step x = 3.8 (y was 36.0);
after 10 steps x = -0.35575491 (y was 0.6485183 before the last step); the minimum is at x = -1.

There is no data set: each step gets one empty batch, and the loss is y itself.

    lit-gd fit --config configs/quadratic.yaml
"""

import numpy as np
import torch
from torch import Tensor, nn

from lit_gd import plots
from lit_gd.data import TensorDataModule
from lit_gd.module import FigureData, GradientDescentExample


class Quadratic(GradientDescentExample):
    """The one parameter ``x``; the model's output and loss are y = x² + 2x + 1."""

    def __init__(self, lr: float = 0.1, x: float = 5.0, in_features: int = 0):
        """
        Args:
            lr: learning rate of plain SGD (tutorial 003: 0.1).
            x: the starting point (tutorial 003: 5).
            in_features: the data's input columns, set by lit-gd from the data: none.
        """
        super().__init__(lr, in_features)
        self.require_input_columns(0)
        self.x = nn.Parameter(torch.tensor(x))

    def forward(self, batch_inputs: Tensor | None = None) -> Tensor:
        return self.x**2 + 2 * self.x + 1

    def model_step(self, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor, Tensor | None]:
        y = self()
        return y, y, None  # no targets: the loss is the function itself

    def optimum(self, inputs: Tensor, targets: Tensor) -> dict[str, float]:
        return {"x": -1.0}  # x² + 2x + 1 = (x + 1)²

    def figures(self, data: FigureData) -> plots.Figures:
        path = np.append(data.series("param/x"), self.x.item())  # each step's x, and where it ended
        return {"descent": plots.descent_on_curve(lambda x: x**2 + 2 * x + 1, path, "x² + 2x + 1")}


class QuadraticData(TensorDataModule):
    """One empty batch per step: the quadratic has no data, only its parameter."""

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        return torch.empty(1, 0), torch.empty(1, 0)
