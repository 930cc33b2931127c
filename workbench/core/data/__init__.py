"""The user's dataset: points, labels and class names as an immutable value, the edits that change it
(each knowing its inverse), the toy-dataset generators and the drawing tools' geometry.

Built on `workbench.core.model` (class limits, spec errors); knows nothing about training or files.
"""
