"""omnitorch: OmniStudio's architecture in PyTorch, reading and writing the same model folders.

The Swift engine (Sources/OmniModel) is the product; this package is its independent reference and the trainer
that runs on accelerators. Checkpoint keys equal the Swift module paths; tensors are stored in the Swift layouts
(channels-last convolution kernels), so a folder written here opens in `omnistudio` and the other way round.
"""
