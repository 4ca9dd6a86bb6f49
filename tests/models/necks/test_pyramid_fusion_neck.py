"""Fusion of two feature pyramids, against plain torch on float64."""
import pytest
import torch

from rsvheat_mm.models.necks import PyramidFusionNeck


@pytest.mark.parametrize('policy', sorted(PyramidFusionNeck.policies))
def test_fusion_policies(policy):
    torch.manual_seed(0)
    a = [torch.randn(2, 4, 8, 8, dtype=torch.float64),
         torch.randn(2, 8, 4, 4, dtype=torch.float64)]
    b = [torch.randn_like(t) for t in a]
    ref = {'concat': lambda x, y: torch.cat([x, y], 1),
           'sum': lambda x, y: x + y, 'diff': lambda x, y: y - x,
           'abs_diff': lambda x, y: (x - y).abs(),
           'concat_abs_diff': lambda x, y: torch.cat([x, y, (x - y).abs()],
                                                     1)}[policy]
    out = PyramidFusionNeck(policy)(a, b)
    for o, x, y, c in zip(out, a, b,
                          PyramidFusionNeck.out_channels([4, 8], policy)):
        torch.testing.assert_close(o, ref(x, y), rtol=0, atol=0)
        assert o.shape[1] == c
    with pytest.raises(ValueError, match='policy'):
        PyramidFusionNeck('max')
