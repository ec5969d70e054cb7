"""lit_gd: the classic gradient-descent worked examples as PyTorch Lightning modules.

Every class a config names is importable from here (``class_path: lit_gd.NotGate``). Which examples exist
is said in one place, the registry in ``lit_gd/examples/__init__.py``; the shared machinery lives in
``module.py`` (the LightningModule), ``data.py`` and ``csv_data.py`` (the LightningDataModules).
"""

from lit_gd.csv_data import CSVClassificationData, CSVRegressionData
from lit_gd.data import TensorDataModule
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
    "GradientDescentExample",
    "LinearRegression",
    "LinearRegressionData",
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
    "TwoLayerData",
    "TwoLayerReLU",
]
