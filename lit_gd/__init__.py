"""lit_gd: the classic gradient-descent worked examples as PyTorch Lightning modules.

Each example is one module holding its LightningModule and its LightningDataModule; importing them here
lets LightningCLI find them by class name (``--model NotGate --data NotGateData``).
"""

from lit_gd.base import GradientDescentExample, TensorDataModule
from lit_gd.bce_classifier import BCEClassifier, BCEClassifierData
from lit_gd.csv_data import CSVClassificationData, CSVRegressionData
from lit_gd.linear_regression import LinearRegression, LinearRegressionData
from lit_gd.not_gate import NotGate, NotGateData
from lit_gd.quadratic import Quadratic, QuadraticData
from lit_gd.relu_regression import ReLURegression, ReLURegressionData
from lit_gd.synthetic_regression import SyntheticRegression, SyntheticRegressionData
from lit_gd.two_layer import TwoLayerData, TwoLayerReLU

__all__ = [
    "BCEClassifier",
    "BCEClassifierData",
    "CSVClassificationData",
    "CSVRegressionData",
    "GradientDescentExample",
    "LinearRegression",
    "LinearRegressionData",
    "NotGate",
    "NotGateData",
    "Quadratic",
    "QuadraticData",
    "ReLURegression",
    "ReLURegressionData",
    "SyntheticRegression",
    "SyntheticRegressionData",
    "TensorDataModule",
    "TwoLayerData",
    "TwoLayerReLU",
]
