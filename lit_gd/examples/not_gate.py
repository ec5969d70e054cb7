"""The NOT gate as one sigmoid neuron, a = sigmoid(w·x + b) (tutorial 003 in docs/tutorials.md).

Data x = 0, 1 with targets 1, 0; w = 3, b = 1 at the start; MSE loss; SGD at lr 10. Mean loss at steps
0..4: 0.5183403, 0.50608575, 0.50116986, 0.49811363, 0.4955888; after 5 steps w = 2.243242, b = 1.768915.

The tutorial's last version (``nn.Linear``) compares a [2, 1] output with a [2] target, which broadcasts to
a [2, 2] loss; here targets have the predictions' shape, and the shared step refuses any other.

    lit-gd fit --config configs/not_gate.yaml
"""

import torch
from torch import Tensor, nn

from lit_gd import plots
from lit_gd.data import TensorDataModule
from lit_gd.module import FigureData, GradientDescentExample, classification_metrics


class NotGate(GradientDescentExample):
    """One neuron with scalar weight ``w`` and bias ``b`` and a sigmoid, trained with MSE as tutorial 003
    does."""

    def __init__(self, lr: float = 10.0, w: float = 3.0, b: float = 1.0, in_features: int = 1):
        """
        Args:
            lr: learning rate of plain SGD (tutorial 003: 10).
            w: the initial weight (tutorial 003: 3).
            b: the initial bias (tutorial 003: 1).
            in_features: the data's input columns, set by lit-gd from the data: 1.
        """
        super().__init__(lr, in_features)
        self.require_input_columns(1)
        self.w = nn.Parameter(torch.tensor(w))
        self.b = nn.Parameter(torch.tensor(b))
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return self.sigmoid(self.w * x + self.b)

    def configure_metrics(self):
        return classification_metrics()

    def figures(self, data: FigureData) -> plots.Figures:
        return {"decision": plots.decision_curve(data.inputs.ravel(), data.targets, data.predict)}


class NotGateData(TensorDataModule):
    """The NOT gate's truth table: 0 -> 1, 1 -> 0."""

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        return torch.tensor([[0.0], [1.0]]), torch.tensor([[1.0], [0.0]])
