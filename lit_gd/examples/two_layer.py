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
from lit_gd.module import FigureData, HiddenLayerNetwork


class TwoLayerReLU(HiddenLayerNetwork):
    """Linear(2, 3), ReLU, Linear(3, 1), ReLU, as in the tutorial's ``ComplexNetwork``."""

    def __init__(self, lr: float = 0.1, **kwargs):
        """
        Args:
            lr: learning rate of plain SGD (tutorial 003: 0.1).
        """
        super().__init__(lr, **kwargs)  # in_features and hidden
        self.linear1, self.linear2 = nn.Linear(self.in_features, self.hidden), nn.Linear(self.hidden, 1)
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
