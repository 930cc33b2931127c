"""The numpy engine: modules with explicit forward/backward, a Network built from a spec, and optimisers.

See `modules` for the module contract and loss conventions, `network` for initialisation and the weights
layout, `optimizers` for the exact update formulas.
"""

from workbench.core.model.engine.modules import (
    ACTIVATIONS,
    LOSSES,
    Activation,
    Concat,
    EuclideanLoss,
    Identity,
    LeakyReLU,
    Linear,
    Loss,
    Module,
    ReLU,
    ResidualAdd,
    Sigmoid,
    SoftmaxCrossEntropy,
    Step,
    Tanh,
    make_activation,
    make_loss,
    one_hot,
)
from workbench.core.model.engine.network import (
    Network,
    Weights,
    Workspace,
    kept_layers,
    softmax,
    source_slices,
)
from workbench.core.model.engine.optimizers import OPTIMIZERS, SGD, Adam, Momentum, Optimizer, make_optimizer

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "OPTIMIZERS",
    "SGD",
    "Activation",
    "Adam",
    "Concat",
    "EuclideanLoss",
    "Identity",
    "LeakyReLU",
    "Linear",
    "Loss",
    "Module",
    "Momentum",
    "Network",
    "Optimizer",
    "ReLU",
    "ResidualAdd",
    "Sigmoid",
    "SoftmaxCrossEntropy",
    "Step",
    "Tanh",
    "Weights",
    "Workspace",
    "kept_layers",
    "make_activation",
    "make_loss",
    "make_optimizer",
    "one_hot",
    "softmax",
    "source_slices",
]
