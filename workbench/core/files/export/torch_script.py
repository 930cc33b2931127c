"""A standalone PyTorch script that rebuilds the network and loads the weights saved next to it.

The weights go to a sibling ``.npz`` with the same stem (it needs only numpy and torch to read, no
safetensors). The script never imports Workbench, so it can be handed to anyone with PyTorch installed.
`build_model()` returns a module whose ``state_dict()`` keys are exactly the file's keys (`layout`): an
``nn.Sequential`` for a chain, a small ``nn.Module`` written out node by node for a graph. A regression
network's ``predict()`` returns the values (N,) instead of class probabilities.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.files.export.layout import (
    FEATURE_FORMULAS,
    TORCH_MODULES,
    connection_name,
    connections_in_order,
    expected_shapes,
    forward_formulas,
    module_descriptions,
)
from workbench.core.model.spec import Link, NetworkSpec

_TORCH_FEATURES = {
    "x": "x",
    "y": "y",
    "x2": "x * x",
    "y2": "y * y",
    "xy": "x * y",
    "sinx": "torch.sin(x)",
    "siny": "torch.sin(y)",
}

_TEMPLATE = '''\
"""Classifier exported by Neural Network Workbench: a PyTorch {kind} plus its input features.

Needs only torch and numpy. The weights (a PyTorch state_dict saved by numpy) live in the .npz file named
by WEIGHTS_FILE, next to this file. Run it to print the class probabilities of a few points, or import it
and call predict(points) with an (N, 2) array of raw x, y coordinates. build_model() gives the network
without weights (input features in, logits out), features(points) the input features it reads.
"""

from pathlib import Path

import numpy as np
import torch
from torch import nn

FEATURES = {features!r}  # {formulas}
CLASS_NAMES = {class_names!r}
WEIGHTS_FILE = Path(__file__).with_name({weights_name!r})
# Input standardization the network was trained with (x, y): features are computed from
# (point - INPUT_MEAN) / INPUT_STD, so predict() takes raw coordinates. (0, 0) and (1, 1) = none.
INPUT_MEAN = {input_mean!r}
INPUT_STD = {input_std!r}


class InputFeatures(nn.Module):
    """Raw (N, 2) points -> the (N, {n_features}) features the first Linear layer expects."""

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        points = (points - torch.tensor(INPUT_MEAN)) / torch.tensor(INPUT_STD)
        x = points[:, 0:1]
        y = points[:, 1:2]
        return torch.cat([{feature_terms}], dim=1)


class Step(nn.Module):
    """Heaviside step as the Workbench engine computes it: 1 where the input is > 0, else 0."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z > 0).to(z.dtype)

{model}
def load_model(weights_file: Path = WEIGHTS_FILE) -> nn.Module:
    model = build_model()
    with np.load(weights_file, allow_pickle=False) as tensors:
        model.load_state_dict({{key: torch.from_numpy(tensors[key]) for key in tensors.files}})
    return model.eval()


_MODEL = None
_FEATURES = InputFeatures()


def features(points) -> torch.Tensor:
    """(N, 2) raw x, y points (array, list or tensor) -> the (N, {n_features}) float32 input features."""
    if not isinstance(points, torch.Tensor):
        points = torch.as_tensor(np.asarray(points, dtype=np.float32))
    return _FEATURES(points.to(torch.float32).reshape(-1, 2))


def predict(points) -> np.ndarray:
    """(N, 2) raw x, y points -> (N, {n_classes}) class probabilities (columns follow CLASS_NAMES)."""
    global _MODEL
    if _MODEL is None:
        _MODEL = load_model()
    with torch.no_grad():
        return torch.softmax(_MODEL(features(points)), dim=1).numpy()


if __name__ == "__main__":
    demo = np.array([[0.0, 0.0], [1.0, 0.5], [-1.0, -0.5]], dtype=np.float32)
    for point, probabilities in zip(demo, predict(demo)):
        best = CLASS_NAMES[int(probabilities.argmax())]
        shares = ", ".join(f"{{name}} {{p:.4f}}" for name, p in zip(CLASS_NAMES, probabilities))
        print(f"({{point[0]:g}}, {{point[1]:g}}) -> {{best}}  ({{shares}})")
'''


def _regression_template() -> str:
    """The same script for a regression network: one predicted value per point, no class names."""
    template = _TEMPLATE
    for old, new in (
        ('"""Classifier exported', '"""Regression model exported'),
        ("print the class probabilities of", "print the predicted values of"),
        ("(input features in, logits out)", "(input features in, the value out, no softmax)"),
        ("CLASS_NAMES = {class_names!r}\n", ""),
        (
            "(N, {n_classes}) class probabilities (columns follow CLASS_NAMES).",
            "(N,) predicted values.",
        ),
        ("torch.softmax(_MODEL(features(points)), dim=1).numpy()", "_MODEL(features(points))[:, 0].numpy()"),
        (
            "    for point, probabilities in zip(demo, predict(demo)):\n"
            "        best = CLASS_NAMES[int(probabilities.argmax())]\n"
            """        shares = ", ".join(f"{{name}} {{p:.4f}}" """
            "for name, p in zip(CLASS_NAMES, probabilities))\n"
            """        print(f"({{point[0]:g}}, {{point[1]:g}}) -> {{best}}  ({{shares}})")\n""",
            "    for point, value in zip(demo, predict(demo)):\n"
            """        print(f"({{point[0]:g}}, {{point[1]:g}}) -> {{value:.6g}}")\n""",
        ),
    ):
        assert template.count(old) == 1, old
        template = template.replace(old, new)
    return template


_REGRESSION_TEMPLATE = _regression_template()


_CHAIN_MODEL = '''
def build_model() -> nn.Module:
    """The nn.Sequential without weights; its state_dict keys are '0.weight', '0.bias', '2.weight', ..."""
    return nn.Sequential(
{modules}
    )

'''

_GRAPH_MODEL = '''
class Network(nn.Module):
    """Input features in, logits out. Each layer's Linear reads the layer before it; a connection adds its
    own bias-free Linear of an earlier output before the activation; a residual link adds an earlier
    output after it ("in" is the input features, hN hidden layer N):

{formulas}
    """

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.ModuleDict(
            {{
{linear}
            }}
        )
        self.connections = nn.ModuleDict(
            {{
{connections}
            }}
        )
        self.activations = nn.ModuleDict(
            {{
{activations}
            }}
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
{forward}


def build_model() -> nn.Module:
    """The network without weights; its state_dict keys are {keys}, ..."""
    return Network()

'''


def torch_script_text(spec: NetworkSpec, class_names: list[str], weights_path: Path) -> str:
    scaling = spec.input_scaling
    template = _REGRESSION_TEMPLATE if spec.is_regression else _TEMPLATE
    return template.format(
        kind="nn.Sequential" if spec.is_chain else "nn.Module",
        features=tuple(spec.features),
        formulas=", ".join(FEATURE_FORMULAS[name] for name in spec.features),
        class_names=tuple(class_names),
        weights_name=weights_path.name,
        input_mean=tuple(scaling.mean) if scaling else (0.0, 0.0),
        input_std=tuple(scaling.std) if scaling else (1.0, 1.0),
        n_features=len(spec.features),
        n_classes=spec.n_classes,
        feature_terms=", ".join(_TORCH_FEATURES[name] for name in spec.features),
        model=_chain_model(spec) if spec.is_chain else _graph_model(spec),
    )


def _torch_module(text: str) -> str:
    return text if text == "Step()" else f"nn.{text}"


def _chain_model(spec: NetworkSpec) -> str:
    modules = "\n".join(f"        {_torch_module(module)}," for module in module_descriptions(spec))
    return _CHAIN_MODEL.format(modules=modules)


def _graph_model(spec: NetworkSpec) -> str:
    sizes, out = spec.layer_sizes, spec.output_node
    indent = " " * 16
    linear = [
        f'{indent}"{spec.node_name(n)}": nn.Linear({sizes[n - 1]}, {sizes[n]}),' for n in range(1, out + 1)
    ]
    connections = [
        f'{indent}"{connection_name(spec, link).removeprefix("connections.")}": '
        f"nn.Linear({sizes[link.source]}, {sizes[link.target]}, bias=False),"
        for link in connections_in_order(spec)
    ]
    activations = [
        f'{indent}"{n}": {_torch_module(TORCH_MODULES[layer.activation])},'
        for n, layer in enumerate(spec.hidden, start=1)
    ]

    def value(node: int) -> str:
        return "inputs" if node == 0 else f"h{node}"

    forward = []
    for node in range(1, out + 1):
        terms = [f'self.linear["{spec.node_name(node)}"]({value(node - 1)})']
        for source in spec.sources(node)[1:]:
            key = connection_name(spec, Link(source, node)).removeprefix("connections.")
            terms.append(f'self.connections["{key}"]({value(source)})')
        total = " + ".join(terms)
        if node < out:
            total = f'self.activations["{node}"]({total})'
        total = " + ".join([total, *(value(source) for source in spec.residual_sources(node))])
        forward.append(f"        {'return' if node == out else value(node) + ' ='} {total}")
    return _GRAPH_MODEL.format(
        formulas="\n".join(f"        {line}" for line in forward_formulas(spec)),
        linear="\n".join(linear),
        connections="\n".join(connections),
        activations="\n".join(activations),
        forward="\n".join(forward),
        keys=", ".join(repr(key) for key in list(expected_shapes(spec))[:2]),
    )
