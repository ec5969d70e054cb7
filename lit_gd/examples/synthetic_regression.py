"""Linear regression on a synthetic data set of any size: y = x @ w + b + noise, learnt by ``nn.Linear``.

Not from a tutorial: the data set the speed measures run on (``make bench``), sized by flags. The inputs
are standard normal; the true ``w`` and ``b`` are drawn from the same seeded generator; the noise has
standard deviation ``noise``, so a well-trained model's MSE is near noise². A tenth of the points is held
out for validation.

    lit-gd fit --config configs/synthetic_regression.yaml
    lit-gd fit --config configs/synthetic_regression.yaml --data.samples 1000000 --data.batch_size 8192
    lit-gd fit --config configs/synthetic_regression.yaml --data.features 64
"""

import torch
from torch import Tensor, nn

from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError, check_whole_number
from lit_gd.module import GradientDescentExample, regression_metrics


class SyntheticRegression(GradientDescentExample):
    """``nn.Linear(in_features, 1)`` trained with MSE."""

    def __init__(self, lr: float = 0.1, in_features: int = 16):
        """
        Args:
            lr: learning rate of plain SGD.
            in_features: the number of input columns (set by lit-gd from the data).
        """
        super().__init__(lr, in_features)
        self.linear = nn.Linear(in_features, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)

    def configure_metrics(self):
        return regression_metrics()


class SyntheticRegressionData(TensorDataModule):
    """``samples`` points (x, x @ w + b + noise) with ``features`` input columns."""

    def __init__(
        self,
        samples: int = 10_000,
        features: int = 16,
        noise: float = 0.1,
        seed: int = 0,
        val_fraction: float = 0.1,
        **kwargs,
    ):
        """
        Args:
            samples: how many points, held-out ones included.
            features: how many input columns.
            noise: the standard deviation of the noise added to the targets.
            seed: seeds the generator that draws the true weights, the points and the noise.
            val_fraction: the share of points held out for validation.
        """
        check_whole_number("data.samples", samples)
        check_whole_number("data.features", features)
        if not noise >= 0:
            raise InputError(f"--data.noise must be at least 0, got {noise}")
        super().__init__(val_fraction=val_fraction, **kwargs)
        self.samples, self.features, self.noise, self.seed = samples, features, noise, seed

    def true_parameters(self, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """The weight, shape (features, 1), and the bias, shape (1,), that the targets were made with: the
        first draws of the seeded generator."""
        generator = generator or torch.Generator().manual_seed(self.seed)
        return torch.randn(self.features, 1, generator=generator), torch.randn(1, generator=generator)

    def make_tensors(self) -> tuple[Tensor, Tensor]:
        generator = torch.Generator().manual_seed(self.seed)  # the weights, then the points, then the noise
        weight, bias = self.true_parameters(generator)
        inputs = torch.randn(self.samples, self.features, generator=generator)
        noise = self.noise * torch.randn(self.samples, 1, generator=generator)
        return inputs, inputs @ weight + bias + noise
