"""The network: its serialisable spec, input features, presets, the builder's spec edits and the numpy
engine (modules with forward/backward, the network graph, optimisers).

The bottom of the core's layers: imports only `workbench.core.limits`.
"""
