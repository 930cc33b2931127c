"""A standalone PyTorch script that rebuilds the network and loads the weights saved next to it.

The weights go to a sibling ``.npz`` with the same stem (it needs only numpy and torch to read, no
safetensors). The script never imports Workbench, so it can be handed to anyone with PyTorch installed.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.files.export.layout import FEATURE_FORMULAS, module_descriptions
from workbench.core.model.spec import NetworkSpec

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
"""Classifier exported by Neural Network Workbench: a PyTorch nn.Sequential plus its input features.

Needs only torch and numpy. The weights (a PyTorch state_dict saved by numpy) live in the .npz file named
by WEIGHTS_FILE, next to this file. Run it to print the class probabilities of a few points, or import it
and call predict(points) with an (N, 2) array of raw x, y coordinates.
"""

from pathlib import Path

import numpy as np
import torch
from torch import nn

FEATURES = {features!r}  # {formulas}
CLASS_NAMES = {class_names!r}
WEIGHTS_FILE = Path(__file__).with_name({weights_name!r})


class InputFeatures(nn.Module):
    """Raw (N, 2) points -> the (N, {n_features}) features the first Linear layer expects."""

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        x = points[:, 0:1]
        y = points[:, 1:2]
        return torch.cat([{feature_terms}], dim=1)


class Step(nn.Module):
    """Heaviside step as the Workbench engine computes it: 1 where the input is > 0, else 0."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (z > 0).to(z.dtype)


def build_model() -> nn.Sequential:
    """The layers without weights; its state_dict keys are '0.weight', '0.bias', '2.weight', ..."""
    return nn.Sequential(
{modules}
    )


def load_model(weights_file: Path = WEIGHTS_FILE) -> nn.Sequential:
    model = build_model()
    with np.load(weights_file, allow_pickle=False) as tensors:
        model.load_state_dict({{key: torch.from_numpy(tensors[key]) for key in tensors.files}})
    return model.eval()


_MODEL = None
_FEATURES = InputFeatures()


def predict(points) -> np.ndarray:
    """(N, 2) raw x, y points -> (N, {n_classes}) class probabilities (columns follow CLASS_NAMES)."""
    global _MODEL
    if _MODEL is None:
        _MODEL = load_model()
    inputs = torch.as_tensor(np.asarray(points, dtype=np.float32).reshape(-1, 2))
    with torch.no_grad():
        logits = _MODEL(_FEATURES(inputs))
        return torch.softmax(logits, dim=1).numpy()


if __name__ == "__main__":
    demo = np.array([[0.0, 0.0], [1.0, 0.5], [-1.0, -0.5]], dtype=np.float32)
    for point, probabilities in zip(demo, predict(demo)):
        best = CLASS_NAMES[int(probabilities.argmax())]
        shares = ", ".join(f"{{name}} {{p:.4f}}" for name, p in zip(CLASS_NAMES, probabilities))
        print(f"({{point[0]:g}}, {{point[1]:g}}) -> {{best}}  ({{shares}})")
'''


def torch_script_text(spec: NetworkSpec, class_names: list[str], weights_path: Path) -> str:
    modules = "\n".join(
        f"        {'' if module == 'Step()' else 'nn.'}{module}," for module in module_descriptions(spec)
    )
    return _TEMPLATE.format(
        features=tuple(spec.features),
        formulas=", ".join(FEATURE_FORMULAS[name] for name in spec.features),
        class_names=tuple(class_names),
        weights_name=weights_path.name,
        n_features=len(spec.features),
        n_classes=spec.n_classes,
        feature_terms=", ".join(_TORCH_FEATURES[name] for name in spec.features),
        modules=modules,
    )
