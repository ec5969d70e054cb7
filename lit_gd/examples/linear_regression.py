"""Linear regression y = w·x + b by gradient descent (tutorials 000 and 002 in docs/tutorials.md).

Data x = 1, 2, 3, 4 with y = 2x; w = b = 0 at the start; MSE loss; plain SGD at lr 0.01 on the whole data
set per step. After 100 epochs: w = 1.846347, b = 0.451757. Without the bias, f(5) = 9.612 after 20 epochs
and 10.000 after 100. ``--model.gradient manual`` steps with tutorial 002's gradient by hand, corrected
(``manual_gradient.py``).

    lit-gd fit --config configs/linear_regression.yaml
    lit-gd fit --config configs/linear_regression.yaml --model.bias false
    lit-gd fit --config configs/linear_regression.yaml --model.bias false --model.gradient manual
"""

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from lightning.pytorch import Callback
from torch import Tensor, nn

from lit_gd import plots
from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError
from lit_gd.examples.manual_gradient import ManualGradient
from lit_gd.module import FigureData, GradientDescentExample, regression_metrics


class LinearRegression(GradientDescentExample):
    """y = w·x + b with scalar parameters named as the tutorials name them, ``w`` and ``b``."""

    def __init__(
        self,
        lr: float = 0.01,
        bias: bool = True,
        w: float = 0.0,
        b: float = 0.0,
        gradient: Literal["autograd", "manual"] = "autograd",
        in_features: int = 1,
    ):
        """
        Args:
            lr: learning rate of plain SGD (tutorials 000 and 002: 0.01).
            bias: learn b too; ``false`` gives tutorial 002's model y = w·x.
            w: the initial weight.
            b: the initial bias (ignored without one).
            gradient: ``manual`` updates with the hand-derived gradient instead of autograd's.
            in_features: the data's input columns, set by lit-gd from the data: 1.
        """
        super().__init__(lr, in_features)
        self.require_input_columns(1)
        self.w = nn.Parameter(torch.tensor(w))
        self.b = nn.Parameter(torch.tensor(b)) if bias else None
        self.gradient = gradient

    def forward(self, x: Tensor) -> Tensor:
        return self.w * x if self.b is None else self.w * x + self.b

    def configure_metrics(self):
        return regression_metrics()

    def configure_callbacks(self) -> list[Callback]:
        return [ManualGradient()] if self.gradient == "manual" else []

    def optimum(self, inputs: Tensor, targets: Tensor) -> dict[str, float]:
        """The least-squares line through the training points: w = 2, b = 0 on the tutorials' y = 2x. None
        where every x is the same (every x is 0, without the bias): many lines then fit equally well."""
        x, y = inputs.double().ravel(), targets.double().ravel()
        if self.b is None:
            return {"w": (x @ y / (x @ x)).item()} if x.any() else {}
        x_centred = x - x.mean()
        if not x_centred.any():
            return {}
        w = x_centred @ (y - y.mean()) / (x_centred @ x_centred)
        return {"w": w.item(), "b": (y.mean() - w * x.mean()).item()}

    def figures(self, data: FigureData) -> plots.Figures:
        x, y = data.inputs.ravel(), data.targets
        w_path = np.append(data.series("param/w"), self.w.item())  # each step's w, and where it ended
        if self.b is None:
            landscape = plots.loss_along_w(lambda w: ((w[:, None] * x - y) ** 2).mean(-1), w_path)
        else:
            b_path = np.append(data.series("param/b"), self.b.item())
            mse = lambda w, b: ((w[..., None] * x + b[..., None] - y) ** 2).mean(-1)  # noqa: E731
            landscape = plots.loss_landscape(mse, w_path, b_path)
        return {"fit": plots.fitted_line(x, y, data.predict), "landscape": landscape}


class LinearRegressionData(TensorDataModule):
    """Points (x, y) in one column each; by default tutorial 000's x = 1, 2, 3, 4 with y = 2x."""

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
