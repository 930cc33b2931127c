"""Training: the `Trainer` loop, its loss history, the training process and the GUI's link to it, the
messages they exchange, CPU priorities and the stuck-at-chance diagnosis.

Built on `model`, `data` and `present` (a training process computes view frames too).
"""
