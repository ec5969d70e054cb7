"""Seed 003's 2-3-1 network with a ReLU after both layers, on the single point [3, 5] -> 10.

MSE loss, SGD at lr 0.1. As in the seed, the first steps overshoot (the loss jumps to thousands), the
update pushes every hidden unit below zero, and from then on the output is relu(...) = 0: the loss sticks
at exactly 100.0 = (0 - 10)² and no gradient flows. The units are dead, and gradient descent cannot revive
them.

    lit-gd fit --config configs/two_layer.yaml
"""

import torch
from torch import Tensor, nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from lit_gd.base import GradientDescentExample, InputError, TensorDataModule


class TwoLayerReLU(GradientDescentExample):
    """Linear(2, 3), ReLU, Linear(3, 1), ReLU, as in the seed's ``ComplexNetwork``."""

    draws_predictions = True

    def __init__(self, lr: float = 0.1, in_features: int = 2, hidden: int = 3):
        """
        Args:
            lr: learning rate of plain SGD (seed 003: 0.1).
            in_features: the number of input columns (set by lit-gd from the data).
            hidden: the width of the hidden layer.
        """
        super().__init__(lr, in_features)
        if hidden < 1:
            raise InputError(f"--model.hidden must be at least 1 unit, got {hidden}")
        self.example_input_array = torch.zeros(1, in_features)  # for the graph in TensorBoard
        self.criterion = nn.MSELoss()
        self.linear1 = nn.Linear(in_features, hidden)
        self.linear2 = nn.Linear(hidden, 1)
        self.hidden_relu, self.output_relu = nn.ReLU(), nn.ReLU()

    def metrics(self) -> MetricCollection:
        return MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()})  # R² needs 2+ points

    def forward(self, x: Tensor) -> Tensor:
        return self.output_relu(self.linear2(self.hidden_relu(self.linear1(x))))


class TwoLayerData(TensorDataModule):
    """The seed's one training point: [3, 5] -> 10."""

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        return torch.tensor([[3.0, 5.0]]), torch.tensor([[10.0]])
