from .heat_math import (cached_dct_matrix, dct2d, dct_matrix, decay_map,
                        frequency_grid, heat_transform, idct2d, stage_sizes)

__all__ = [
    'dct_matrix', 'cached_dct_matrix', 'frequency_grid', 'decay_map',
    'heat_transform', 'dct2d', 'idct2d', 'stage_sizes'
]
