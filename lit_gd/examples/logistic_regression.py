"""Logistic regression: P(y = 1 | x) = sigmoid(x @ w + b), trained with binary cross-entropy.

The canonical BCE classifier: ``nn.Linear(in_features, 1)`` and a sigmoid. The 2-3-1 net of tutorial 001
(``bce_classifier``) is this model on three features that its hidden layer learns. Not from a tutorial,
but on data in tutorial 001's style: 100 points with two features in 1..10, labelled 1 with probability
sigmoid(x1 - x2) (the tutorial's rule "the first feature is larger", blurred near the line x1 = x2, where
labels go either way); 20% are held out. SGD at lr 0.2 for 1000 epochs ends at w = (0.866, -0.927),
b = 0.411, loss 0.382791, next to the best fit to these 80 points (scikit-learn's: loss 0.382784); on
10,000 points (``--data.samples 10000``) it comes near the rule the labels were drawn from, w = (1, -1),
b = 0.

``l2`` adds the penalty (l2 / 2)·||w||² to the mean BCE (the bias is not penalised). That is exactly
scikit-learn's ``LogisticRegression(C=1 / (l2 · n))`` on the same n training points: scikit-learn minimises
0.5·||w||² + C·(the sum of the BCE), which is n·C times lit_gd's loss.

Without a penalty (``l2`` 0), points that a line separates exactly have no best model: the loss falls
towards 0 while the weights grow without bound, and every further step makes them larger. That happens on
more data sets than one might think: scikit-learn's breast-cancer set, standardised, is separable (all of
it, and lit_gd's 60% training split of it). lit-gd says so when training ends with every training point
classified correctly and no penalty; give ``--model.l2`` a positive value for a finite optimum.

    lit-gd fit --config configs/logistic_regression.yaml
    lit-gd fit --config configs/logistic_regression.yaml --model.l2 0.01
    lit-gd fit --model LogisticRegression --data CSVClassificationData --data.path examples/data/exams.csv \\
        --data.target passed --data.standardize true
"""

import math

import torch
from lightning.pytorch.utilities import rank_zero_info
from torch import Tensor, nn

from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError, check_whole_number
from lit_gd.module import BinaryClassifier, GradientDescentExample


class LogisticRegression(BinaryClassifier, GradientDescentExample):
    """``nn.Linear(in_features, 1)`` and a sigmoid, trained with BCE plus an optional L2 penalty."""

    def __init__(self, lr: float = 0.2, l2: float = 0.0, in_features: int = 2):
        """
        Args:
            lr: learning rate of plain SGD.
            l2: the L2 penalty: (l2 / 2)·||w||² is added to the mean BCE, the bias unpenalised; scikit-learn's
                C is 1 / (l2 · n) for n training points. 0, the default, has no penalty.
            in_features: the number of input columns (set by lit-gd from the data).
        """
        super().__init__(lr, in_features)
        if not (math.isfinite(l2) and l2 >= 0):
            raise InputError(f"--model.l2 must be a finite number of at least 0, got {l2}")
        self.l2 = l2
        self.linear, self.sigmoid = nn.Linear(in_features, 1), nn.Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        return self.sigmoid(self.linear(x))

    def loss(self, predictions: Tensor, targets: Tensor) -> Tensor:
        return super().loss(predictions, targets) + 0.5 * self.l2 * self.linear.weight.square().sum()

    def on_train_end(self) -> None:
        if self.l2 == 0 and self.separates(*self.trainer.datamodule.dataset.tensors):
            rank_zero_info(
                "warning: every training point is classified correctly, so a line separates them: without a"
                " penalty the loss has no minimum; it falls towards 0 while the weights grow without bound."
                " Give --model.l2 a positive value (scikit-learn's C = 1 / (l2 · n) for n training points)."
            )

    def separates(self, inputs: Tensor, targets: Tensor) -> bool:
        """Whether the model's boundary puts every point strictly on the side of its label."""
        with torch.no_grad():
            logits = self.linear(inputs.to(self.device, self.dtype))
        return bool(torch.where(targets > 0.5, logits > 0, logits < 0).all())


class LogisticRegressionData(TensorDataModule):
    """``samples`` points with features uniform in [1, 10], labelled 1 with probability sigmoid(x1 - x2)."""

    def __init__(self, samples: int = 100, seed: int = 0, val_fraction: float = 0.2, **kwargs):
        """
        Args:
            samples: how many points, held-out ones included.
            seed: seeds the generator that draws the points and their labels.
            val_fraction: the share of points held out for validation.
        """
        check_whole_number("data.samples", samples)
        super().__init__(val_fraction=val_fraction, **kwargs)
        self.samples, self.seed = samples, seed

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        generator = torch.Generator().manual_seed(self.seed)
        inputs = 1 + 9 * torch.rand(self.samples, 2, generator=generator)
        probability = torch.sigmoid(inputs[:, :1] - inputs[:, 1:])
        return inputs, torch.bernoulli(probability, generator=generator)
