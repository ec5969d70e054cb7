"""lit_gd: the classic gradient-descent worked examples as PyTorch Lightning modules.

Every class a config names is importable from here (``class_path: lit_gd.NotGate``), and so is ``fit``,
``lit-gd fit`` for a notebook (``api.py``). Which examples exist is said in one place, the registry in
``lit_gd/examples/__init__.py``; the shared machinery lives in ``module.py`` (the LightningModule),
``data.py`` and ``csv_data.py`` (the LightningDataModules).
"""

from lit_gd.api import FitResult, fit
from lit_gd.csv_data import CSVClassificationData, CSVRegressionData
from lit_gd.data import TensorDataModule
from lit_gd.errors import InputError, LitGdError, TrainingStopped
from lit_gd.examples import (
    BCEClassifier,
    BCEClassifierData,
    LinearRegression,
    LinearRegressionData,
    LogisticRegression,
    LogisticRegressionData,
    NotGate,
    NotGateData,
    Quadratic,
    QuadraticData,
    ReLURegression,
    ReLURegressionData,
    SyntheticRegression,
    SyntheticRegressionData,
    TwoLayerData,
    TwoLayerReLU,
)
from lit_gd.module import GradientDescentExample

__all__ = [
    "BCEClassifier",
    "BCEClassifierData",
    "CSVClassificationData",
    "CSVRegressionData",
    "FitResult",
    "GradientDescentExample",
    "InputError",
    "LinearRegression",
    "LinearRegressionData",
    "LitGdError",
    "LogisticRegression",
    "LogisticRegressionData",
    "NotGate",
    "NotGateData",
    "Quadratic",
    "QuadraticData",
    "ReLURegression",
    "ReLURegressionData",
    "SyntheticRegression",
    "SyntheticRegressionData",
    "TensorDataModule",
    "TrainingStopped",
    "TwoLayerData",
    "TwoLayerReLU",
    "fit",
]
