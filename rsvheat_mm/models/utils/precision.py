"""The dtype the spectral path (DCT, decay) of the HCO runs in."""
import torch

__all__ = ['at_least_fp32']


def at_least_fp32(dtype: torch.dtype) -> torch.dtype:
    """Promote a dtype to at least float32.

    fp16 / bf16 (and integers) give float32; float32 and float64 are
    returned unchanged. The DCT sums ``H * W`` terms and the decay is
    ``exp`` of large negative numbers, both fragile in half precision.

    Args:
        dtype: Dtype of the incoming tensor or weight.

    Returns:
        ``torch.promote_types(dtype, torch.float32)``.
    """
    return torch.promote_types(dtype, torch.float32)
