"""Tests of the RSvHeat backbone: shapes, options, deploy and bad input."""
import numpy as np
import pytest
import torch

from rsvheat_mm.models.backbones import HeatConduction, RSvHeat

TINY = dict(embed_dims=8, depths=[1, 2, 1, 1])


def tiny(**kw):
    kw.setdefault('arch', TINY)
    kw.setdefault('img_size', 64)
    return RSvHeat(**kw)


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.abs(a - b).max() / np.abs(b).max()


# ------------------------------------------------------------------ arch
@pytest.mark.parametrize('arch,dims,depths', [('tiny', 96, [2, 2, 6, 2]),
                                              ('small', 96, [2, 2, 18, 2]),
                                              ('base', 128, [2, 2, 18, 2])])
def test_named_archs_shapes(arch, dims, depths):
    m = RSvHeat(arch=arch)
    assert m.depths == depths
    assert [len(s.blocks) for s in m.stages] == depths
    with torch.no_grad():
        outs = m.eval()(torch.rand(1, 3, 64, 96))
    assert [o.shape[1] for o in outs] == [dims, 2 * dims, 4 * dims, 8 * dims]
    assert [o.shape[-2:] for o in outs] == [(16, 24), (8, 12), (4, 6), (2, 3)]


def test_arch_validation_errors():
    with pytest.raises(ValueError, match='Unknown arch'):
        RSvHeat(arch='huge')
    with pytest.raises(ValueError, match='missing keys'):
        RSvHeat(arch=dict(embed_dims=8))
    with pytest.raises(ValueError, match='unknown keys'):
        RSvHeat(arch=dict(embed_dims=8, depths=[1], heads=3))
    with pytest.raises(ValueError, match='even int'):
        RSvHeat(arch=dict(embed_dims=7, depths=[1, 1]))
    with pytest.raises(ValueError, match='out of range'):
        tiny(out_indices=(4, ))
    with pytest.raises(ValueError, match='fve_resize'):
        tiny(fve_resize='nearest')


@pytest.mark.parametrize('hw', [(32, 32), (33, 77), (100, 45), (65, 129)])
def test_odd_and_non_square_sizes(hw):
    m = tiny(out_indices=(0, 2, -1))
    assert m.out_indices == (0, 2, 3)
    outs = m(torch.rand(2, 3, *hw))
    ceil = lambda a, b: -(-a // b)  # noqa: E731
    for o, i in zip(outs, (0, 2, 3)):  # returned in stage order
        s = 2**(i + 2)
        assert o.shape == (2, 8 * 2**i, ceil(hw[0], s), ceil(hw[1], s))
    sum(o.mean() for o in outs).backward()
    assert m.fve[0].grad is not None and m.sce[3].grad is not None


def test_drop_path_increases_linearly():
    m = RSvHeat(arch=dict(embed_dims=8, depths=[2, 2, 2, 2]),
                drop_path_rate=0.7)
    rates = [b.drop_path_rate for s in m.stages for b in s.blocks]
    assert rates[0] == 0 and abs(rates[-1] - 0.7) < 1e-6
    assert np.allclose(np.diff(rates), 0.1)


def test_use_sce_off_is_plain_vheat():
    m = tiny(use_sce=False)
    assert m.sce is None
    assert not any('sce' in k or 'op.norm1' in k for k in m.state_dict())
    assert m(torch.rand(1, 3, 64, 64))[0].shape == (1, 8, 16, 16)


def test_state_dict_has_no_dct_basis_or_decay():
    m = tiny()
    m.switch_to_deploy(64)
    keys = list(m.state_dict())
    assert not any('dct' in k or 'deploy' in k or 'k_exp' in k for k in keys)


# ------------------------------------------------------------------ options
def test_frozen_stages_and_norm_eval():
    m = tiny(frozen_stages=2, norm_eval=True)
    m.train()
    for p in list(m.stems.parameters()) + list(m.stages[0].parameters()) + \
            list(m.stages[1].parameters()) + list(m.downsamples[1].parameters()):
        assert not p.requires_grad
    assert not m.fve[1].requires_grad and not m.sce[0].requires_grad
    assert not m.norm1.weight.requires_grad
    assert m.fve[2].requires_grad and m.stages[2].blocks[0].op.to_k.weight \
        .requires_grad
    assert not m.stages[1].training and m.stages[2].training
    norms = [x for x in m.modules() if isinstance(x, torch.nn.LayerNorm)]
    assert norms and not any(x.training for x in norms)
    m2 = tiny(frozen_stages=0)
    m2.train()
    assert not any(p.requires_grad for p in m2.stems.parameters())
    assert all(p.requires_grad for p in m2.stages[0].parameters())


def test_with_cp_same_outputs_and_gradients():
    torch.manual_seed(0)
    a = tiny(with_cp=False)
    b = tiny(with_cp=True)
    b.load_state_dict(a.state_dict())
    x = torch.rand(2, 3, 48, 40)
    la = sum(o.square().mean() for o in a(x))
    lb = sum(o.square().mean() for o in b(x))
    la.backward()
    lb.backward()
    assert torch.allclose(la, lb, rtol=1e-6)
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.allclose(p.grad, q.grad, rtol=1e-4, atol=1e-7), n


def test_deploy_mode_same_outputs_and_undone_by_train():
    m = tiny().eval()
    x = torch.rand(2, 3, 64, 80)
    with torch.no_grad():
        ref = m(x)
        m.switch_to_deploy((64, 80))
        assert m.deploy
        blk = m.stages[0].blocks[0].op
        assert blk.deploy_decay.shape == (16, 20, 8)
        out = m(x)
        other = m(torch.rand(1, 3, 96, 96))  # other sizes still work
    assert other[0].shape[-2:] == (24, 24)
    for a, b in zip(ref, out):
        assert torch.allclose(a, b, rtol=1e-6, atol=1e-6)
    m.train()
    assert not m.deploy
    assert getattr(m.stages[0].blocks[0].op, 'deploy_decay', None) is None


def test_hco_owns_its_deploy_decay():
    op = HeatConduction(8)
    fve = torch.randn(6, 5, 8)
    assert op.cached_decay((6, 5)) is None
    assert op.k_parameters() == [op.to_k.weight, op.to_k.bias]
    op.cache_decay(fve)
    assert not op.deploy_decay.requires_grad
    assert torch.equal(op.cached_decay((6, 5)), op.compute_decay(fve))
    assert op.cached_decay((5, 6)) is None  # kept for one size only
    assert 'deploy_decay' not in op.state_dict()
    assert op.double().cached_decay((6, 5)).dtype == torch.float64
    op.clear_decay_cache()
    assert op.cached_decay((6, 5)) is None and op.deploy_decay is None


def test_load_state_dict_resizes_embeddings_of_another_size():
    src = tiny(img_size=96, fve_resize='zero_pad')
    m = tiny(fve_resize='zero_pad')  # img_size 64
    sd = src.state_dict()
    m.load_state_dict(sd)
    assert sd['fve.0'].shape == (24, 24, 8)  # the caller's dict untouched
    assert torch.equal(m.fve[0], src.fve[0][:16, :16])
    adapted = dict(sd)
    m.adapt_state_dict(adapted)
    assert adapted['fve.1'].shape == m.fve[1].shape
    assert adapted['sce.0'].shape == m.sce[0].shape
    pre = {'backbone.' + k: v for k, v in sd.items()}
    m.adapt_state_dict(pre, 'backbone.')
    assert pre['backbone.fve.0'].shape == m.fve[0].shape


def test_old_import_paths():
    from rsvheat_mm.models import backbones, layers
    from rsvheat_mm.models.backbones import rsvheat
    from rsvheat_mm.models.utils.embed import resize_embedding
    assert rsvheat.RSvHeat is backbones.RSvHeat
    assert rsvheat.LayerNorm2d is backbones.LayerNorm2d is layers.LayerNorm2d
    assert rsvheat.FFN is layers.FFN
    assert rsvheat.resize_embedding is resize_embedding
    assert {backbones.HeatBlock, backbones.HeatConduction} == {
        rsvheat.HeatBlock, rsvheat.HeatConduction}


@pytest.mark.parametrize('post_norm,chunk', [(False, False), (True, True)])
def test_inference_without_autograd_equals_with_autograd(post_norm, chunk,
                                                         monkeypatch):
    """The in-place inference path (no_grad; FFN in row bands) gives the
    autograd path's outputs and leaves the caller's input untouched."""
    from rsvheat_mm.models.layers import FFN
    if chunk:  # every FFN of the tiny model runs in bands of rows
        monkeypatch.setattr(FFN, 'CHUNK_BYTES', 0)
    arch = dict(TINY, post_norm=post_norm, layer_scale=0.5, mlp_ratio=3.5)
    m = tiny(arch=arch).double().eval()
    x = torch.rand(2, 3, 48, 56, dtype=torch.float64) + 0.1
    x0 = x.clone()
    ref = m(x)
    with torch.no_grad():
        out = m(x)
    assert torch.equal(x, x0)
    for a, b in zip(ref, out):
        assert rel_err(b, a.detach()) < 1e-12


@pytest.mark.parametrize('with_cp', [False, True])
def test_lean_mode_same_outputs_and_gradients_and_keeps_nothing(with_cp):
    torch.manual_seed(0)
    arch = dict(TINY, post_norm=True, layer_scale=0.5)
    a = tiny(arch=arch, drop_path_rate=0., with_cp=with_cp).double()
    b = tiny(arch=arch, drop_path_rate=0., with_cp=with_cp,
             cache_decays=False).double()
    with torch.no_grad():  # non-trivial FVE / SCE (no zeros)
        for p in list(a.fve) + list(a.sce):
            p.copy_(torch.rand_like(p) + 0.05)
    b.load_state_dict(a.state_dict())
    x = torch.rand(2, 3, 72, 52, dtype=torch.float64, requires_grad=True)
    la = sum(o.square().mean() for o in a(x))
    lb = sum(o.square().mean() for o in b(x))
    la.backward()
    lb.backward()
    assert rel_err(lb.item(), la.item()) < 1e-12
    for (n, p), q in zip(a.named_parameters(), b.parameters()):
        assert rel_err(q.grad, p.grad) < 1e-10, n
    a.eval()
    b.switch_to_deploy((72, 52))  # lean: records the size, keeps nothing
    with torch.no_grad():
        ref, out = a(x), b(x)
    for p, q in zip(ref, out):
        assert rel_err(q, p) < 1e-12
    assert a._embed_cache and not b._embed_cache
    assert b.deploy and all(
        getattr(blk.op, 'deploy_decay', None) is None
        for st in b.stages for blk in st.blocks)
    assert not any(t.shape[:2] == (18, 13) for t in b.buffers())


def test_training_block_keeps_fewer_maps():
    """Per block, autograd keeps 15 feature-map-sized tensors (the fused
    backward passes drop GELU's output, SiLU(z), the gate product and the
    DCT intermediates, and the layer scale is folded into the norms)."""
    m = tiny(arch=dict(TINY, post_norm=True, layer_scale=0.5),
             drop_path_rate=0.)
    x = torch.rand(1, 3, 64, 64)
    block = m.stages[0].blocks[0]
    unit = 16 * 16 * 8  # one stage-0 map (B=1, 64 px input, C=8)
    sizes, inside = {}, []
    block.register_forward_pre_hook(lambda *a: inside.append(1) or None)
    block.register_forward_hook(lambda *a: inside.clear() or None)

    def pack(t):
        if inside:
            sizes[t.untyped_storage().data_ptr()] = t.numel()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        m(x)
    maps = sum(n for n in sizes.values() if n >= unit) / unit
    assert maps == 15, maps


def test_auto_decay_cache_keeps_within_budget_only(monkeypatch):
    m = tiny().eval()  # cache_decays='auto' (default)
    ref = tiny(cache_decays=True).eval()
    ref.load_state_dict(m.state_dict())
    x = torch.rand(1, 3, 64, 72)
    assert m.keeps_decays(64, 72)  # a few KB: within 512 MiB
    with torch.no_grad():
        m(x)
    assert m._embed_cache
    big = RSvHeat(arch='base')  # 0.26 GB at 1024 px, 1 GB at 2048 px
    assert big.keeps_decays(1024, 1024) and not big.keeps_decays(2048, 2048)
    monkeypatch.setattr(RSvHeat, 'decay_cache_budget', 0)
    m.train().eval()  # clears the cache
    m.switch_to_deploy((64, 72))
    with torch.no_grad():
        out, expect = m(x), ref(x)
    assert not m._embed_cache and m.deploy
    assert getattr(m.stages[0].blocks[0].op, 'deploy_decay', None) is None
    for a, b in zip(out, expect):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="True, False or 'auto'"):
        tiny(cache_decays='yes')


def test_eval_cache_is_invalidated_by_an_optimizer_step():
    m = tiny()
    x = torch.rand(1, 3, 64, 64)
    m.eval()
    with torch.no_grad():
        before = m(x)[0].clone()
    assert m._embed_cache  # cached per size in eval / no-grad
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    m.train()
    sum(o.sum() for o in m(x)).backward()
    opt.step()
    m.eval()
    with torch.no_grad():
        after = m(x)[0]
        fresh = RSvHeat(arch=TINY, img_size=64)
        fresh.load_state_dict(m.state_dict())
        ref = fresh.eval()(x)[0]
    assert not torch.allclose(before, after)
    assert torch.allclose(after, ref, atol=1e-6)


def test_eval_cache_is_invalidated_by_load_state_dict():
    m = tiny().eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        m(x)
        other = tiny()
        with torch.no_grad():
            for p in other.fve:
                p.mul_(50)
        m.load_state_dict(other.state_dict())
        assert torch.allclose(m(x)[3], other.eval()(x)[3], atol=1e-6)


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_close_to_fp32(dtype):
    m = tiny().eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        ref = m(x)
        with torch.autocast('cpu', dtype=dtype):
            out = m(x)
    for a, b in zip(out, ref):
        assert torch.isfinite(a).all()
        assert rel_err(a.float(), b) < 0.1


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_training_gradients_close_to_fp32(dtype):
    """The fused backward functions under autocast (half GEMMs)."""
    torch.manual_seed(0)
    m = tiny(arch=dict(TINY, post_norm=True, layer_scale=0.5),
             drop_path_rate=0.)
    x = torch.rand(2, 3, 64, 64)

    def grads(enabled):
        m.zero_grad()
        with torch.autocast('cpu', dtype=dtype, enabled=enabled):
            out = m(x)
        sum((o.float() * torch.linspace(0.5, 1.5, o.shape[1]).view(
            1, -1, 1, 1)).sum() for o in out).backward()
        return torch.cat([p.grad.flatten() for p in m.parameters()
                          if p.grad is not None])

    ref, half = grads(False), grads(True)
    assert torch.isfinite(half).all()
    assert rel_err(half, ref) < 0.05


def test_hco_runs_the_transform_in_fp32_under_autocast():
    op = HeatConduction(8)
    fve = torch.randn(6, 6, 8)
    decay = op.compute_decay(fve)
    x = torch.rand(1, 8, 6, 6)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert op.compute_decay(fve).dtype == torch.float32
        y = op(x, decay, torch.zeros(8, 6, 6))
    assert torch.isfinite(y).all()


@pytest.mark.parametrize('mode', ['bilinear', 'bicubic', 'zero_pad'])
def test_fve_resize_policies(mode):
    m = tiny(fve_resize=mode)
    e = m._stage_embedding('fve', 0, (20, 24))
    assert e.shape == (20, 24, 8)
    if mode == 'zero_pad':
        assert torch.equal(e[:16, :16], m.fve[0]) and e[16:].eq(0).all()
    else:
        assert not torch.equal(e[:16, :16], m.fve[0])
    assert m(torch.rand(1, 3, 80, 96))[0].shape[-2:] == (20, 24)


# ------------------------------------------------------------------ modalities
def test_single_stem_modalities():
    assert list(tiny(in_channels=1).stems) == ['sar']
    assert list(tiny(in_channels=3).stems) == ['opt']
    m = tiny(in_channels=5)
    assert list(m.stems) == ['ms']
    assert m(torch.rand(1, 5, 32, 32))[0].shape[1] == 8


def test_two_modality_mode():
    m = tiny(in_channels=dict(opt=3, sar=1)).eval()
    opt, sar = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64)
    with torch.no_grad():
        fo = m(opt)  # picked by channel count
        fs = m(sar, modality='sar')
        fused = m(torch.cat([opt, sar], 1))
    for a, b, c in zip(fo, fs, fused):
        assert torch.allclose(c, (a + b) / 2, atol=1e-5)
    cat = tiny(in_channels=dict(opt=3, sar=1), modality_fusion='concat')
    assert cat.out_channels == [16, 32, 64, 128]
    assert cat(torch.rand(1, 4, 32, 32))[0].shape[1] == 16


# ------------------------------------------------------------------ bad input
def test_bad_input_errors_name_the_fix():
    m = tiny()
    with pytest.raises(ValueError, match=r'1 channels.*in_channels'):
        m(torch.rand(1, 1, 64, 64))
    with pytest.raises(ValueError, match=r'below.*32 px.*pad'):
        m(torch.rand(1, 3, 16, 64))
    x = torch.rand(1, 3, 64, 64)
    x[0, 0, 3, 3] = float('nan')
    with pytest.raises(ValueError, match='NaN'):
        m(x)
    with pytest.raises(ValueError, match='4-D'):
        m(torch.rand(3, 64, 64))
    two = tiny(in_channels=dict(opt=3, sar=1))
    with pytest.raises(ValueError, match=r"'sar' stem takes 1"):
        two(torch.rand(1, 3, 64, 64), modality='sar')
    with pytest.raises(ValueError, match='Unknown modality'):
        two(torch.rand(1, 3, 64, 64), modality='ir')



@pytest.mark.parametrize('idx', [(3, 0), (1, 1), (0, 2, 1), (-1, 3), ()])
def test_unsorted_or_repeated_out_indices_are_refused(idx):
    """Issue 16 item 5: the maps come in stage order, so out_indices that
    are not strictly increasing would disagree with out_channels."""
    with pytest.raises(ValueError, match=r'strictly increasing|is empty'):
        tiny(out_indices=idx)
    m = tiny(out_indices=(1, 3))  # a valid subset: channels match the maps
    outs = m(torch.rand(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == m.out_channels == [16, 64]


def test_bad_input_kinds_name_the_fix():
    """Issue 16 item 8: empty batch, integer / other-dtype input,
    channels-last layout, overflow to NaN with check_finite on."""
    m = tiny().eval()
    with pytest.raises(ValueError, match=r'empty batch.*at least one'):
        m(torch.rand(0, 3, 64, 64))
    with pytest.raises(TypeError, match=r'uint8.*data preprocessor'):
        m(torch.randint(0, 255, (1, 3, 64, 64), dtype=torch.uint8))
    with pytest.raises(TypeError, match=r'float32.*float64.*x\.to'):
        m(torch.rand(1, 3, 64, 64, dtype=torch.float64))
    with pytest.raises(ValueError, match=r'channels-last.*permute\(0, 3, 1'):
        m(torch.rand(1, 64, 64, 3))
    with pytest.raises(ValueError, match=r'NaN or Inf although the input is '
                       r'finite.*1e\+30.*Normalise'):
        m(torch.full((1, 3, 64, 64), 1e30))
    # the same model in float64 takes float64 input (no silent cast)
    d = tiny().double().eval()
    assert d(torch.rand(1, 3, 64, 64, dtype=torch.float64))[0].dtype == \
        torch.float64
    # without check_finite the overflow is returned as it is
    off = tiny(check_finite=False).eval()
    assert not torch.isfinite(off(torch.full((1, 3, 64, 64), 1e30))[0]).all()


@pytest.mark.parametrize('kw,match', [
    (dict(img_size=0), 'img_size must be a positive int'),
    (dict(img_size=(64, -1)), 'img_size must be a positive int'),
    (dict(drop_path_rate=1.5), r'drop_path_rate=1\.5.*\[0, 1\)'),
    (dict(drop_path_rate=-0.1), 'drop_path_rate'),
    (dict(arch=dict(embed_dims=8, depths=[1, 1], drop_path_rate=1.0)),
     'drop_path_rate'),
])
def test_bad_arguments_fail_at_construction(kw, match):
    with pytest.raises(ValueError, match=match):
        tiny(**kw)


def test_get_layer_depth():
    m = tiny()
    n = sum(m.depths) + 2
    assert m.get_layer_depth('backbone.stems.opt.conv1.weight',
                             'backbone.') == (0, n)
    assert m.get_layer_depth('backbone.stages.1.blocks.1.op.linear.weight',
                             'backbone.') == (3, n)
    assert m.get_layer_depth('backbone.norm3.weight', 'backbone.') == (n - 1,
                                                                        n)
