"""The registry of worked examples: each name is a file here (beside ``manual_gradient.py``, linear
regression's gradient by hand), a config ``configs/<name>.yaml`` and the run folder ``logs/<name>/``, and
maps to the example's LightningModule and LightningDataModule.

``lit_gd.cli`` imports this registry, so that LightningCLI knows every example's classes by name
(``--model NotGate --data NotGateData``). To add an example, see "How the code is laid out" in the README.
"""

from lit_gd.data import TensorDataModule
from lit_gd.examples.bce_classifier import BCEClassifier, BCEClassifierData
from lit_gd.examples.linear_regression import LinearRegression, LinearRegressionData
from lit_gd.examples.logistic_regression import LogisticRegression, LogisticRegressionData
from lit_gd.examples.not_gate import NotGate, NotGateData
from lit_gd.examples.quadratic import Quadratic, QuadraticData
from lit_gd.examples.relu_regression import ReLURegression, ReLURegressionData
from lit_gd.examples.synthetic_regression import SyntheticRegression, SyntheticRegressionData
from lit_gd.examples.two_layer import TwoLayerData, TwoLayerReLU
from lit_gd.module import GradientDescentExample

EXAMPLES: dict[str, tuple[type[GradientDescentExample], type[TensorDataModule]]] = {
    "bce_classifier": (BCEClassifier, BCEClassifierData),
    "linear_regression": (LinearRegression, LinearRegressionData),
    "logistic_regression": (LogisticRegression, LogisticRegressionData),
    "not_gate": (NotGate, NotGateData),
    "quadratic": (Quadratic, QuadraticData),
    "relu_regression": (ReLURegression, ReLURegressionData),
    "synthetic_regression": (SyntheticRegression, SyntheticRegressionData),
    "two_layer": (TwoLayerReLU, TwoLayerData),
}


def example_name(model_class: type[GradientDescentExample]) -> str:
    """The name of the example a model class belongs to (``NotGate`` -> ``not_gate``); a model of the
    user's own, outside the registry, is named after its module."""
    names = {model: name for name, (model, _) in EXAMPLES.items()}
    return names.get(model_class, model_class.__module__.rpartition(".")[2])
