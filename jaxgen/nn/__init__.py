"""Layers that more than one family uses (``conv``: convolutions as im2col + matmul where
XLA:CPU's own are slow)."""
