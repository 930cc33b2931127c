"""An ONNX graph that takes raw (x, y) points and returns class probabilities (or for a regression network
the predicted value, output ``prediction`` of shape (batch, 1), without softmax).

The graph computes the input features, the Linear layers (as Gemm with the PyTorch-layout weights, so the
initializer names are the state_dict keys), one more Gemm and an Add per extra connection, the activations,
an Add per residual link and the softmax, so a consumer such as onnxruntime-web needs nothing from
Workbench. Opset 17 with IR version 8 keeps older runtimes able to load it.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from workbench.core.files.export.layout import connection_name, linear_keys
from workbench.core.model.activations import ACTIVATION_INFO
from workbench.core.model.spec import Link, NetworkSpec

OPSET = 17
IR_VERSION = 8  # the IR version that came with opset 17 (onnx 1.12)
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
#: The output of a regression model: the predicted value, (batch, 1).
REGRESSION_OUTPUT_NAME = "prediction"


def onnx_bytes(spec: NetworkSpec, state: dict[str, np.ndarray], metadata: dict[str, Any]) -> bytes:
    model = build_onnx_model(spec, state, metadata)
    return model.SerializeToString()


def build_onnx_model(spec: NetworkSpec, state: dict[str, np.ndarray], metadata: dict[str, Any]) -> Any:
    from onnx import TensorProto, checker, helper, numpy_helper

    nodes: list[Any] = []
    initializers = [numpy_helper.from_array(array, name) for name, array in state.items()]

    def constant(name: str, values: list[int] | float) -> str:
        dtype = np.int64 if isinstance(values, list) else np.float32
        initializers.append(numpy_helper.from_array(np.array(values, dtype=dtype), name))
        return name

    # Only the columns and constants the graph uses: onnxruntime warns about unused initializers.
    feature_inputs = {
        "x": ["x"],
        "y": ["y"],
        "x2": ["x"],
        "y2": ["y"],
        "xy": ["x", "y"],
        "sinx": ["x"],
        "siny": ["y"],
    }
    columns = [c for c in ("x", "y") if any(c in feature_inputs[f] for f in spec.features)]
    source = INPUT_NAME
    if spec.input_scaling is not None:  # the graph takes raw coordinates and standardizes them itself
        mean = numpy_helper.from_array(np.array([spec.input_scaling.mean], np.float32), "input_mean")
        std = numpy_helper.from_array(np.array([spec.input_scaling.std], np.float32), "input_std")
        initializers.extend([mean, std])
        nodes.append(helper.make_node("Sub", [INPUT_NAME, "input_mean"], ["input_centred"], name="centre"))
        nodes.append(helper.make_node("Div", ["input_centred", "input_std"], ["input_scaled"], name="scale"))
        source = "input_scaled"
    if columns:
        axis = constant("column_axis", [1])
    for column in columns:
        index = 0 if column == "x" else 1
        start, end = constant(f"{column}_start", [index]), constant(f"{column}_end", [index + 1])
        nodes.append(helper.make_node("Slice", [source, start, end, axis], [column], name=f"column_{column}"))
    feature_nodes = {
        "x2": ("Mul", ["x", "x"]),
        "y2": ("Mul", ["y", "y"]),
        "xy": ("Mul", ["x", "y"]),
        "sinx": ("Sin", ["x"]),
        "siny": ("Sin", ["y"]),
    }
    feature_outputs = []
    for feature in spec.features:
        if feature in ("x", "y"):
            feature_outputs.append(feature)
            continue
        op, inputs = feature_nodes[feature]
        nodes.append(helper.make_node(op, inputs, [f"feature_{feature}"], name=f"feature_{feature}"))
        feature_outputs.append(f"feature_{feature}")
    nodes.append(helper.make_node("Concat", feature_outputs, ["features"], axis=1, name="features"))

    outputs = {0: "features"}  # node number -> the ONNX value holding its output
    for node, (weight_key, bias_key) in enumerate(linear_keys(spec), start=1):
        linear_out = f"linear_{node}"
        nodes.append(
            helper.make_node(
                "Gemm", [outputs[node - 1], weight_key, bias_key], [linear_out], transB=1, name=linear_out
            )
        )
        current = linear_out
        for source in spec.sources(node)[1:]:  # z_j = W h_{j-1} + b + Σ W_{s→j} h_s
            name = connection_name(spec, Link(source, node))
            product, total = f"{name}_out", f"{linear_out}_plus_{spec.node_name(source)}"
            nodes.append(
                helper.make_node("Gemm", [outputs[source], f"{name}.weight"], [product], transB=1, name=name)
            )
            nodes.append(helper.make_node("Add", [current, product], [total], name=total))
            current = total
        if node < spec.output_node:
            current = _activation(helper, nodes, spec.hidden[node - 1].activation, current, f"hidden_{node}")
        for source in spec.residual_sources(node):  # residual links add after the activation
            total = f"{current}_plus_{spec.node_name(source)}"
            nodes.append(helper.make_node("Add", [current, outputs[source]], [total], name=total))
            current = total
        outputs[node] = current
    if spec.is_regression:
        output, width, graph_name = REGRESSION_OUTPUT_NAME, 1, "workbench_regressor"
        nodes.append(helper.make_node("Identity", [outputs[spec.output_node]], [output], name="prediction"))
        doc = "Neural Network Workbench regression model: (batch, 2) raw x, y in, (batch, 1) values out."
    else:
        output, width, graph_name = OUTPUT_NAME, spec.n_classes, "workbench_classifier"
        nodes.append(
            helper.make_node("Softmax", [outputs[spec.output_node]], [output], axis=-1, name="softmax")
        )
        doc = "Neural Network Workbench classifier: (batch, 2) raw x, y in, class probabilities out."

    graph = helper.make_graph(
        nodes,
        graph_name,
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["batch", 2])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", width])],
        initializer=initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="workbench", doc_string=doc
    )
    model.ir_version = IR_VERSION
    helper.set_model_props(
        model,
        {
            key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for key, value in metadata.items()
        },
    )
    checker.check_model(model, full_check=True)
    return model


def _activation(helper: Any, nodes: list[Any], activation: str, source: str, out: str) -> str:
    """Append the registry's ONNX nodes for one activation; returns the name of its output."""
    steps = ACTIVATION_INFO[activation].onnx_nodes
    for i, (op, attributes) in enumerate(steps):
        name = out if i == len(steps) - 1 else f"{out}_{op.lower()}"
        nodes.append(helper.make_node(op, [source], [name], name=name, **attributes))
        source = name
    return source
