"""LayerNorm2d (with the folded layer scale) and drop path."""
import torch
import torch.nn.functional as F

from rsvheat_mm.models.layers import LayerNorm2d, drop_path


def test_layer_norm_2d_normalises_channels_and_folds_the_scale():
    torch.manual_seed(0)
    norm = LayerNorm2d(5)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    x = torch.randn(2, 5, 4, 3)
    ref = F.layer_norm(x.permute(0, 2, 3, 1), (5, ), norm.weight, norm.bias,
                       norm.eps).permute(0, 3, 1, 2)
    torch.testing.assert_close(norm(x), ref)
    scale = torch.rand(5) + 0.5
    torch.testing.assert_close(norm(x, scale),
                               ref * scale.view(1, -1, 1, 1))


def test_drop_path_is_identity_in_eval_and_keeps_the_expectation():
    x = torch.ones(4000, 3)
    assert drop_path(x, 0.5, training=False) is x
    assert drop_path(x, 0., training=True) is x
    torch.manual_seed(0)
    y = drop_path(x, 0.25, training=True)
    rows = y[:, 0]
    torch.testing.assert_close(rows.unique(), torch.tensor([0., 1. / 0.75]))
    assert (y == y[:, :1]).all()  # whole samples dropped
    assert abs(rows.mean().item() - 1.) < 0.05
