"""A 2-3-1 network with a sigmoid output, trained with binary cross-entropy (tutorial 001, told in
docs/tutorials.md).

Ten points with features drawn from 1..10; SGD at lr 0.01 for 500 epochs. The tutorial's labels are random
coin flips, so nothing can be learnt and the loss only plateaus (the tutorial's near 0.62, lit_gd's seeded
data at 0.59); ``labels: random`` ships that data, seeded. ``labels: rule`` labels each point by a rule
the network can learn (first feature larger than the second), so accuracy can be seen to rise.

    lit-gd fit --config configs/bce_classifier.yaml
    lit-gd fit --config configs/bce_classifier.yaml --data.labels rule
"""

from typing import Literal

import torch
from torch import Tensor, nn

from lit_gd.data import TensorDataModule
from lit_gd.module import BinaryClassifier, GradientDescentExample, hidden_layers


class BCEClassifier(BinaryClassifier, GradientDescentExample):
    """Linear(in_features, hidden), ReLU, Linear(hidden, 1), Sigmoid: the tutorial's ``NeuralNetwork``,
    2-3-1 by default; logistic regression (``logistic_regression.py``) on ``hidden`` features that a hidden
    layer learns."""

    def __init__(self, lr: float = 0.01, in_features: int = 2, hidden: int = 3):
        """
        Args:
            lr: learning rate of plain SGD (tutorial 001: 0.01).
            in_features: the number of input columns (set by lit-gd from the data).
            hidden: the width of the hidden layer.
        """
        super().__init__(lr, in_features)
        self.fc1, self.fc2 = hidden_layers(in_features, hidden)
        self.relu, self.sigmoid = nn.ReLU(), nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return self.sigmoid(self.fc2(self.relu(self.fc1(x))))


class BCEClassifierData(TensorDataModule):
    """Points with integer features in 1..10, drawn from a generator seeded by ``seed``."""

    def __init__(
        self,
        samples: int = 10,
        labels: Literal["random", "rule"] = "random",
        seed: int = 0,
        val_fraction: float | None = None,
        **kwargs,
    ):
        """
        Args:
            samples: how many points.
            labels: ``random`` coin flips as in the tutorial, or ``rule``: 1 where the first feature is
                larger.
            seed: seeds the generator that draws the points.
            val_fraction: the share of points held out for validation; by default 0.2 with ``rule`` labels,
                which can be generalised, and 0 with ``random`` ones, which cannot (validation then reports
                on the training points).
        """
        if val_fraction is None:
            val_fraction = 0.2 if labels == "rule" else 0.0
        super().__init__(val_fraction=val_fraction, **kwargs)
        self.samples, self.labels, self.seed = samples, labels, seed

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        generator = torch.Generator().manual_seed(self.seed)
        inputs = torch.randint(1, 11, (self.samples, 2), generator=generator).float()
        if self.labels == "random":
            targets = torch.randint(0, 2, (self.samples, 1), generator=generator).float()
        else:
            targets = (inputs[:, :1] > inputs[:, 1:]).float()
        return inputs, targets
