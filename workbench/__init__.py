"""Neural Network Workbench: draw 2D data, build a network, watch it learn."""

__version__ = "0.1.0"
