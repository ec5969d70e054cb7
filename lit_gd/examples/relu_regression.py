"""Regression through one ReLU neuron, y = relu(x @ W + b) (tutorial 001 in docs/tutorials.md).

Inputs [[1, 2], [3, 4], [5, 6], [7, 8]] with targets 10, 20, 30, 40; W (2, 1) and b (1,) drawn from
U[0, 1) (seeded); MSE loss; SGD at lr 0.01 for 1000 epochs. The loss falls from hundreds to under 1e-4.

    lit-gd fit --config configs/relu_regression.yaml
"""

import torch
from torch import Tensor, nn

from lit_gd import plots
from lit_gd.data import TensorDataModule
from lit_gd.module import FigureData, GradientDescentExample, regression_metrics


class ReLURegression(GradientDescentExample):
    """``relu(x @ weight + bias)`` with the tutorial's shapes and uniform initialisation."""

    def __init__(self, lr: float = 0.01, in_features: int = 2):
        """
        Args:
            lr: learning rate of plain SGD (tutorial 001: 0.01).
            in_features: the number of input columns (set by lit-gd from the data).
        """
        super().__init__(lr, in_features)
        self.weight = nn.Parameter(torch.rand(in_features, 1))
        self.bias = nn.Parameter(torch.rand(1))
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(x @ self.weight + self.bias)

    def configure_metrics(self):
        return regression_metrics()

    def figures(self, data: FigureData) -> plots.Figures:
        return {"predictions": plots.predictions_vs_targets(data.predict(data.inputs), data.targets)}


class ReLURegressionData(TensorDataModule):
    """Tutorial 001's four points: (1, 2) -> 10, (3, 4) -> 20, (5, 6) -> 30, (7, 8) -> 40."""

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        inputs = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
        return inputs, torch.tensor([[10.0], [20.0], [30.0], [40.0]])
