"""Qt-free view computations: the decision image, hidden-space projections, neuron thumbnails, the
network drawing's geometry and the neuron overlay. The Qt layer only paints what these return.

Built on `model` and `data`; knows nothing about training processes or files.
"""
