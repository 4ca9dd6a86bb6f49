from .embed import EMBED_RESIZE_MODES, resize_embedding
from .heat_math import (cached_dct_matrix, dct2d, dct_matrix, decay_map,
                        frequency_grid, heat_transform, idct2d, stage_sizes)
from .param_cache import cached_on_params
from .precision import at_least_fp32

__all__ = [
    'dct_matrix', 'cached_dct_matrix', 'frequency_grid', 'decay_map',
    'heat_transform', 'dct2d', 'idct2d', 'stage_sizes', 'at_least_fp32',
    'resize_embedding', 'EMBED_RESIZE_MODES', 'cached_on_params'
]
