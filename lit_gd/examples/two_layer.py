"""Tutorial 003's 2-3-1 network with a ReLU after both layers, on the single point [3, 5] -> 10
(docs/tutorials.md).

MSE loss, SGD at lr 0.1. As in the tutorial, the first steps overshoot (the loss jumps to thousands), the
update pushes every hidden unit below zero, and from then on the output is relu(...) = 0: the loss sticks
at exactly 100.0 = (0 - 10)² and no gradient flows. The units are dead, and gradient descent cannot revive
them.

    lit-gd fit --config configs/two_layer.yaml
"""

import torch
from torch import Tensor, nn
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from lit_gd import plots
from lit_gd.data import TensorDataModule
from lit_gd.module import FigureData, GradientDescentExample, hidden_layers


class TwoLayerReLU(GradientDescentExample):
    """Linear(in_features, hidden), ReLU, Linear(hidden, 1), ReLU: the tutorial's ``ComplexNetwork``,
    2-3-1 by default."""

    def __init__(self, lr: float = 0.1, in_features: int = 2, hidden: int = 3):
        """
        Args:
            lr: learning rate of plain SGD (tutorial 003: 0.1).
            in_features: the number of input columns (set by lit-gd from the data).
            hidden: the width of the hidden layer.
        """
        super().__init__(lr, in_features)
        self.linear1, self.linear2 = hidden_layers(in_features, hidden)
        self.hidden_relu, self.output_relu = nn.ReLU(), nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.output_relu(self.linear2(self.hidden_relu(self.linear1(x))))

    def configure_metrics(self):
        return MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()})  # R² needs 2+ points

    def figures(self, data: FigureData) -> plots.Figures:
        return {"predictions": plots.predictions_vs_targets(data.predict(data.inputs), data.targets)}


class TwoLayerData(TensorDataModule):
    """The tutorial's one training point: [3, 5] -> 10."""

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        return torch.tensor([[3.0, 5.0]]), torch.tensor([[10.0]])
