"""cached_on_params: valid while the parameters are unchanged."""
import torch

from rsvheat_mm.models.utils.param_cache import cached_on_params
from rsvheat_mm.models.utils.precision import at_least_fp32


def test_cache_follows_version_counters_and_grad_mode():
    p = torch.nn.Parameter(torch.ones(3))
    cache, calls = {}, []

    def fn():
        calls.append(1)
        return p * 2

    with torch.no_grad():
        a = cached_on_params(cache, ('x', 1), [p], fn)
        assert cached_on_params(cache, ('x', 1), [p], fn) is a
        assert len(calls) == 1 and len(cache) == 1
        p.add_(1)  # in-place update: a new version
        b = cached_on_params(cache, ('x', 1), [p], fn)
    assert len(calls) == 2 and len(cache) == 1  # the stale entry dropped
    assert torch.equal(b, torch.full((3, ), 4.)) and not b.requires_grad
    c = cached_on_params(cache, ('x', 1), [p], fn)  # gradient needed
    assert c.requires_grad and len(calls) == 3 and len(cache) == 1


def test_at_least_fp32():
    for dtype, want in ((torch.float16, torch.float32),
                        (torch.bfloat16, torch.float32),
                        (torch.float32, torch.float32),
                        (torch.float64, torch.float64)):
        assert at_least_fp32(dtype) == want
