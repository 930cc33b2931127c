"""The one registry of activations: everything the app says or writes about an activation comes from here.

Why: an activation appears in the engine, the builder's menu and hover texts, the thumbnails' colour range,
the initialisation, the PyTorch script and the ONNX graph. Adding an activation is one `ActivationInfo`
entry here plus its module in `engine.modules` (registered by its ``name``); tests check that every entry
has a module, a gradient check, an export and a picture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: Slope of leaky ReLU for z <= 0 (the engine, the PyTorch script and the ONNX graph all use it).
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class ActivationInfo:
    """What the app knows about one activation besides its computation (which is the engine module's)."""

    name: str
    label: str
    formula: str
    #: Fixed output range (thumbnails and overlays are coloured on it); None = scale to what the grid gives.
    output_range: tuple[float, float] | None
    #: Thumbnails run from "off" (0) to "on" rather than around a middle zero.
    one_sided: bool
    #: Xavier/Glorot uniform, or He normal for the rectifiers.
    initialization: Literal["xavier", "he"]
    #: The PyTorch module written into exported scripts (``Step`` is defined in the script itself).
    torch_module: str
    #: ONNX nodes applied in order, as (op type, attributes); empty for the identity.
    onnx_nodes: tuple[tuple[str, dict[str, Any]], ...] = field(default=())


ACTIVATION_INFO: dict[str, ActivationInfo] = {
    info.name: info
    for info in (
        ActivationInfo(
            "step", "step", "step(z) = 1 if z > 0 else 0", (0.0, 1.0), True, "xavier", "Step()",
            # Sign gives 1 / 0 / -1 and Relu keeps the 1: exactly the engine's strict threshold.
            (("Sign", {}), ("Relu", {})),
        ),
        ActivationInfo(
            "sigmoid", "sigmoid", "σ(z) = 1 / (1 + e^−z)", (0.0, 1.0), True, "xavier", "Sigmoid()",
            (("Sigmoid", {}),),
        ),
        ActivationInfo(
            "tanh", "tanh", "tanh(z) = (e^z − e^−z) / (e^z + e^−z)", (-1.0, 1.0), False, "xavier", "Tanh()",
            (("Tanh", {}),),
        ),
        ActivationInfo(
            "relu", "ReLU", "ReLU(z) = max(0, z)", None, True, "he", "ReLU()", (("Relu", {}),),
        ),
        ActivationInfo(
            "leaky_relu", "leaky ReLU", f"leaky ReLU(z) = z if z > 0 else {LEAKY_SLOPE}·z", None, False, "he",
            f"LeakyReLU(negative_slope={LEAKY_SLOPE})", (("LeakyRelu", {"alpha": LEAKY_SLOPE}),),
        ),
        ActivationInfo("linear", "linear", "linear(z) = z", None, False, "xavier", "Identity()", ()),
    )
}


def activation_info(name: str) -> ActivationInfo:
    """The registry entry; KeyError for unknown names (specs are validated before they get here)."""
    return ACTIVATION_INFO[name]
