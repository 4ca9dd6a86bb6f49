"""Official vHeat / RS-vHeat checkpoints -> rsvheat_mm, output for output."""
import sys
from pathlib import Path

import pytest
import torch

from rsvheat_mm.models.backbones import RSvHeat

sys.path.insert(0, str(Path(__file__).parent))
from official_layout import OfficialVHeat, randomize_  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'tools' / 'model_converters'))
import vheat2rsvheat  # noqa: E402

DEPTHS = [1, 2, 1, 1]


def convert(src, dst, *extra):
    return vheat2rsvheat.main([str(src), str(dst), *extra])


def rel(a, b):
    return ((a - b).abs().max() / b.abs().max()).item()


@pytest.mark.parametrize('post_norm,layer_scale', [(False, None),
                                                   (True, 0.5)])
def test_vheat_classification_release_round_trip(tmp_path, capsys, post_norm,
                                                 layer_scale):
    off = randomize_(OfficialVHeat(depths=DEPTHS, post_norm=post_norm,
                                   layer_scale=layer_scale)).double()
    torch.save({'model': off.state_dict(), 'epoch': 3}, tmp_path / 'in.pth')
    assert convert(tmp_path / 'in.pth', tmp_path / 'out.pth') == 0
    printed = capsys.readouterr().out
    assert 'map  patch_embed.conv1.weight -> stems.opt.conv1.weight' in printed
    assert 'drop classifier' in printed
    sd = torch.load(tmp_path / 'out.pth', weights_only=True)
    m = RSvHeat(arch=dict(embed_dims=16, depths=DEPTHS, post_norm=post_norm,
                          layer_scale=layer_scale), img_size=64,
                use_sce=False).double()
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert not unexpected and missing == []
    x = torch.rand(2, 3, 64, 64, dtype=torch.float64) + 0.1
    with torch.no_grad():
        ref = off(x)
        out = m.eval()(x)
    for a, b in zip(out, ref):
        assert rel(a, b) < 1e-10


def test_rsvheat_pretraining_checkpoint_with_two_stems(tmp_path, capsys):
    off = randomize_(OfficialVHeat(depths=DEPTHS, rs=True, post_norm=True,
                                   layer_scale=1.0,
                                   stems={'_opt': 3, '_sar': 1})).double()
    sd = {'encoder.' + k: v for k, v in off.state_dict().items()
          if not k.startswith('classifier')}
    sd['fuse_frequency.0.weight'] = torch.rand(4, 4)
    sd['decoder.proj.weight'] = torch.rand(4, 4)
    torch.save(sd, tmp_path / 'rs.pth')
    assert convert(tmp_path / 'rs.pth', tmp_path / 'out.pth') == 0
    out = capsys.readouterr().out
    assert "prefix 'encoder.'" in out and 'fuse_frequency' in out
    m = RSvHeat(arch=dict(embed_dims=16, depths=DEPTHS, post_norm=True,
                          layer_scale=1.0), img_size=64,
                in_channels=dict(opt=3, sar=1)).double()
    m.load_state_dict(torch.load(tmp_path / 'out.pth', weights_only=True))
    m.eval()
    for stem, cin in (('_opt', 3), ('_sar', 1)):
        x = torch.rand(1, cin, 64, 64, dtype=torch.float64) + 0.1
        with torch.no_grad():
            ref = off(x, stem)
            got = m(x, modality=stem[1:])
        for a, b in zip(got, ref):
            assert rel(a, b) < 1e-10


def test_dense_release_via_init_cfg_pretrained(tmp_path):
    """mmengine wrapper, backbone. prefix, outnorm, neck keys, another size."""
    off = randomize_(OfficialVHeat(depths=DEPTHS, img=128))
    sd = {'backbone.' + k: v for k, v in off.state_dict().items()
          if not k.startswith('classifier')}
    sd['neck.lateral.0.weight'] = torch.rand(3, 3)
    torch.save({'state_dict': sd, 'meta': {'epoch': 1}}, tmp_path / 'det.pth')
    m = RSvHeat(arch=dict(embed_dims=16, depths=DEPTHS), img_size=64,
                use_sce=False, fve_resize='bicubic',
                init_cfg=dict(type='Pretrained',
                              checkpoint=str(tmp_path / 'det.pth'),
                              prefix='backbone.'))
    m.init_weights()
    # stored FVE was resized 32 -> 16 with the model's policy
    assert m.fve[0].shape == (16, 16, 16)
    assert torch.equal(m.norm2.weight, off.outnorm2.weight)
    assert torch.equal(m.stages[1].blocks[1].op.to_k.weight,
                       off.layers[1][1].op.to_k[0].weight)


def test_init_cfg_shape_mismatch_lists_keys(tmp_path):
    a = RSvHeat(arch=dict(embed_dims=16, depths=DEPTHS), img_size=64)
    torch.save({'state_dict': {'backbone.' + k: v
                               for k, v in a.state_dict().items()}},
               tmp_path / 'a.pth')
    b = RSvHeat(arch=dict(embed_dims=8, depths=DEPTHS), img_size=64,
                init_cfg=dict(type='Pretrained', prefix='backbone.',
                              checkpoint=str(tmp_path / 'a.pth')))
    with pytest.raises(ValueError) as e:
        b.init_weights()
    assert 'shape mismatches' in str(e.value)
    assert 'stems.opt.conv1.weight: checkpoint (8, 3, 3, 3) vs model ' \
           '(4, 3, 3, 3)' in str(e.value)
    c = RSvHeat(arch=dict(embed_dims=16, depths=DEPTHS), img_size=64,
                init_cfg=dict(type='Pretrained', prefix='model.',
                              checkpoint=str(tmp_path / 'a.pth')))
    with pytest.raises(ValueError, match="top-level prefixes are"):
        c.init_weights()


def test_deploy_checkpoint_is_refused_unless_partial(tmp_path, capsys):
    off = randomize_(OfficialVHeat(depths=DEPTHS))
    sd = {k: v for k, v in off.state_dict().items()
          if not k.startswith('freq_embed') and '.to_k.' not in k}
    for i, d in enumerate(DEPTHS):
        for j in range(d):
            s = 16 // 2**i
            sd[f'layers.{i}.{j}.op.k_exp'] = torch.rand(s, s, 16 * 2**i)
    torch.save({'model': sd}, tmp_path / 'deploy.pth')
    assert convert(tmp_path / 'deploy.pth', tmp_path / 'o.pth') == 2
    err = capsys.readouterr().err
    assert 'Not recoverable: the FVE and to_k' in err
    assert not (tmp_path / 'o.pth').exists()
    assert convert(tmp_path / 'deploy.pth', tmp_path / 'o.pth',
                   '--allow-partial') == 0
    part = torch.load(tmp_path / 'o.pth', weights_only=True)
    assert 'stems.opt.conv1.weight' in part
    assert not any(k.startswith('fve') or 'to_k' in k for k in part)


def test_unknown_layout_exits_nonzero_and_writes_nothing(tmp_path, capsys):
    torch.save({'state_dict': {'conv1.weight': torch.rand(3, 3),
                               'layer1.0.bn1.weight': torch.rand(3)}},
               tmp_path / 'resnet.pth')
    dst = tmp_path / 'o.pth'
    assert convert(tmp_path / 'resnet.pth', dst) == 2
    assert 'unknown layout' in capsys.readouterr().err
    assert not dst.exists()


def test_img_size_option_resizes_and_reports(tmp_path, capsys):
    off = randomize_(OfficialVHeat(depths=DEPTHS, img=64))
    torch.save(off.state_dict(), tmp_path / 'bare.pth')
    assert convert(tmp_path / 'bare.pth', tmp_path / 'o.pth', '--img-size',
                   '128', '--fve-resize', 'zero_pad') == 0
    assert 'resize fve.0: (16, 16) -> (32, 32) (zero_pad)' in \
        capsys.readouterr().out
    sd = torch.load(tmp_path / 'o.pth', weights_only=True)
    assert torch.equal(sd['fve.0'][:16, :16], off.freq_embed[0].data)
    assert sd['fve.0'][16:].eq(0).all()


def _pretrained(tmp_path, sd, **kw):
    torch.save({'state_dict': sd}, tmp_path / 'ck.pth')
    kw.setdefault('arch', dict(embed_dims=16, depths=DEPTHS))
    kw.setdefault('img_size', 64)
    strict = kw.pop('strict', None)
    init = dict(type='Pretrained', checkpoint=str(tmp_path / 'ck.pth'))
    if strict is not None:
        init['strict'] = strict
    return RSvHeat(init_cfg=init, **kw)


def test_init_cfg_refuses_other_depth_layout_or_no_backbone(tmp_path):
    """Issue 16 item 4: missing / unexpected backbone keys raise, listing
    them, unless strict=False."""
    deep = RSvHeat(arch=dict(embed_dims=16, depths=[1, 2, 3, 1],
                             post_norm=True, layer_scale=1e-5), img_size=64)
    m = _pretrained(tmp_path, deep.state_dict())
    with pytest.raises(ValueError) as e:
        m.init_weights()
    msg = str(e.value)
    assert 'stages.2.blocks.1-2.* (' in msg  # the extra blocks, listed
    assert 'gamma1,gamma2' in msg and 'strict=False' in msg
    assert "'depths': [1, 2, 3, 1]" in msg  # what the checkpoint implies
    # a classifier head only, and foreign stages.* keys: nothing to load
    for sd in ({'head.fc.weight': torch.rand(10, 128)},
               {'stages.0.blocks.0.attn.qkv.weight': torch.rand(48, 16)}):
        with pytest.raises(ValueError, match=r'missing from it.*stems\.opt'):
            _pretrained(tmp_path, sd).init_weights()
    # opting out loads what matches and keeps the rest
    m = _pretrained(tmp_path, deep.state_dict(), strict=False)
    m.init_weights()
    assert torch.equal(m.stages[2].blocks[0].op.linear.weight,
                       deep.stages[2].blocks[0].op.linear.weight)


def test_init_cfg_allows_new_parts_by_design(tmp_path):
    """Documented differences still load: plain vHeat (no SCE) into
    RS-vHeat, an optical stem for a SAR model, no output norms."""
    off = randomize_(OfficialVHeat(depths=DEPTHS, img=64))
    sd = {k: v for k, v in off.state_dict().items()
          if not k.startswith(('classifier', 'outnorm'))}
    m = _pretrained(tmp_path, sd, in_channels=1, use_sce=True)
    sce_before = m.sce[0].detach().clone()
    m.init_weights()
    assert torch.equal(m.stages[1].blocks[1].op.to_k.weight,
                       off.layers[1][1].op.to_k[0].weight)
    assert torch.equal(m.sce[0], sce_before)  # new part keeps its init
