"""Everything that reads or writes files: atomic writes, CSV datasets, project files and the weight
exports (npz, safetensors, JSON, PyTorch script, ONNX).

The top of the core's layers: may import every other core package, none of them imports it.
"""
