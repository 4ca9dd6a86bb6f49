"""ONNX export (onnxruntime parity) and ``torch.compile(fullgraph=True)`` of
tiny RS-vHeat models; checkpoint / config mismatch before export."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rsvheat_mm.apis.deployment import (CheckpointMismatchError,
                                        build_export_model, export_onnx,
                                        relative_error, run_onnxruntime,
                                        torch_outputs)
from rsvheat_mm.models.backbones.rsvheat import RSvHeat

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))
from tool_helpers import write_cd_cfg, write_seg_cfg  # noqa: E402

pytest.importorskip('onnxruntime')
TINY = dict(embed_dims=8, depths=[1, 1, 1, 1])


def _parity(model, part, size, path, channels=None, n_inputs=1):
    """Export, then compare onnxruntime with PyTorch on fresh inputs."""
    info = export_onnx(model, path, part, size, in_channels=channels)
    names = [n for n, _, _ in info['inputs']]
    assert len(names) == n_inputs
    c = channels or info['inputs'][0][1][1]
    arrays = [torch.randn(1, c, *size) for _ in names]
    ref, _ = torch_outputs(model, part, size, arrays, in_channels=channels)
    got, _ = run_onnxruntime(path, {n: a.numpy()
                                    for n, a in zip(names, arrays)})
    return info, ref, got


@pytest.mark.parametrize('size', [(64, 64), (48, 80), (33, 47)])
def test_backbone_parity(tmp_path, size):
    torch.manual_seed(0)
    bb = RSvHeat(arch=TINY, img_size=64).eval()
    info, ref, got = _parity(bb, 'backbone', size, tmp_path / 'b.onnx')
    assert [n for n, _, _ in info['outputs']] == [f'feat{i}' for i in range(4)]
    for i, (r, g) in enumerate(zip(ref, got)):
        # stride 4 .. 32, rounded up (the odd size included)
        assert r.shape[-2:] == tuple(-(-s // 2**(i + 2)) for s in size)
        assert g.shape == r.shape
        assert relative_error(r, g) < 1e-4
    # the exported graph is the fixed-size deploy graph: no FFT node, and
    # nothing but the file is left behind
    import onnx
    ops = {n.op_type for n in onnx.load(str(tmp_path / 'b.onnx')).graph.node}
    assert not ops & {'DFT', 'STFT'}
    assert sorted(p.name for p in tmp_path.iterdir()) == ['b.onnx']


def test_backbone_dynamic_batch(tmp_path):
    torch.manual_seed(1)
    bb = RSvHeat(arch=TINY, img_size=64).eval()
    info = export_onnx(bb, tmp_path / 'd.onnx', 'backbone', (64, 48),
                       dynamic=True)
    assert info['inputs'][0][1] == ['batch', 3, 64, 48]
    x = torch.randn(3, 3, 64, 48)
    ref, _ = torch_outputs(bb, 'backbone', (64, 48), [x])
    got, _ = run_onnxruntime(tmp_path / 'd.onnx', {'input': x.numpy()})
    assert all(relative_error(r, g) < 1e-4 for r, g in zip(ref, got))


def test_segmentor_parity(tmp_path):
    torch.manual_seed(2)
    cfg = write_seg_cfg(tmp_path / 'seg.py', tmp_path / 'data')
    model = build_export_model(cfg, None, 'model')
    info, ref, got = _parity(model, 'model', (64, 96), tmp_path / 's.onnx')
    assert [n for n, _, _ in info['outputs']] == ['logits']
    assert ref[0].shape[-2:] == (64, 96) and got[0].shape == ref[0].shape
    assert relative_error(ref[0], got[0]) < 1e-4
    np.testing.assert_array_equal(ref[0].argmax(1), got[0].argmax(1))


def test_change_detector_parity(tmp_path):
    torch.manual_seed(3)
    cfg = write_cd_cfg(tmp_path / 'cd.py', tmp_path / 'data')
    model = build_export_model(cfg, None, 'model')
    info, ref, got = _parity(model, 'model', (64, 64), tmp_path / 'c.onnx',
                             channels=3, n_inputs=2)
    assert [n for n, _, _ in info['inputs']] == ['img_a', 'img_b']
    assert relative_error(ref[0], got[0]) < 1e-4
    np.testing.assert_array_equal(ref[0].argmax(1), got[0].argmax(1))


@pytest.mark.parametrize('config', [
    'faster_rcnn/faster-rcnn_rsvheat-tiny16_fpn_1xb2-200it_dior-256.py',
    'oriented_rcnn/oriented-rcnn-le90_rsvheat-tiny16_fpn_1xb2-200it_dota-256.py',
])
def test_detector_backbone_neck_parity(tmp_path, repo_root, config):
    """A detector (mmdet, mmrotate) exports its backbone + FPN: the maps its
    RPN / RoI heads read, equal to ``extract_feat`` in onnxruntime."""
    torch.manual_seed(6)
    model = build_export_model(repo_root / 'configs' / config, None, 'model')
    size = (96, 128)
    info, ref, got = _parity(model, 'model', size, tmp_path / 'det.onnx')
    n = model.neck.num_outs
    assert [o for o, _, _ in info['outputs']] == [f'neck{i}'
                                                  for i in range(n)]
    with torch.no_grad():
        x = torch.randn(1, 3, *size)
        direct = model.extract_feat(x)
    assert [tuple(r.shape) for r in ref] == [tuple(d.shape) for d in direct]
    for r, g in zip(ref, got):
        assert g.shape == r.shape and relative_error(r, g) < 1e-4


def test_mismatching_checkpoint_fails_before_export(tmp_path):
    cfg = write_seg_cfg(tmp_path / 'seg.py', tmp_path / 'data')
    model = build_export_model(cfg, None, 'model')
    sd = model.state_dict()
    sd.pop('decode_head.conv_seg.weight')
    sd['backbone.extra.weight'] = torch.zeros(1)
    key = 'backbone.stages.0.blocks.0.op.linear.weight'
    sd[key] = torch.zeros(3, 3)
    torch.save(dict(state_dict=sd, meta={}), tmp_path / 'bad.pth')
    with pytest.raises(CheckpointMismatchError) as e:
        build_export_model(cfg, tmp_path / 'bad.pth', 'model')
    msg = str(e.value)
    assert 'bad.pth' in msg and 'seg.py' in msg
    assert 'missing keys' in msg and 'decode_head.conv_seg.weight' in msg
    assert 'unexpected keys' in msg and 'backbone.extra.weight' in msg
    assert 'shape mismatches' in msg and key in msg and '(3, 3)' in msg
    # a matching checkpoint loads
    torch.save(dict(state_dict=model.state_dict(), meta={}),
               tmp_path / 'ok.pth')
    loaded = build_export_model(cfg, tmp_path / 'ok.pth', 'backbone')
    assert isinstance(loaded, RSvHeat)


# ------------------------------------------------------------ torch.compile
def _rel(a, b):
    return float((a - b).abs().max() / a.abs().max().clamp_min(1e-30))


def test_compile_fullgraph_inference_lean():
    """Lean mode (``cache_decays=False``) has no per-size cache: the whole
    inference forward compiles as one graph and equals eager."""
    torch._dynamo.reset()
    torch.manual_seed(4)
    bb = RSvHeat(arch=TINY, img_size=64, cache_decays=False,
                 check_finite=False).eval()
    x = torch.randn(2, 3, 48, 64)
    with torch.no_grad():
        ref = bb(x)
        out = torch.compile(bb, fullgraph=True, backend='aot_eager')(x)
    assert all(_rel(r, o) < 1e-5 for r, o in zip(ref, out))


def test_compile_fullgraph_training_step():
    """One training step (forward, backward through the written-out
    autograd functions, SGD step) compiled with ``fullgraph=True`` equals
    eager: outputs, gradients and updated weights."""
    torch._dynamo.reset()
    torch.manual_seed(5)
    eager = RSvHeat(arch=TINY, img_size=64, check_finite=False).train()
    comp = RSvHeat(arch=TINY, img_size=64, check_finite=False).train()
    comp.load_state_dict(eager.state_dict())
    x = torch.randn(2, 3, 64, 64)
    compiled = torch.compile(comp, fullgraph=True, backend='aot_eager')
    # features against fixed random weights: a loss whose gradients are not
    # rounding noise (the mean square of a LayerNorm output is ~constant)
    with torch.no_grad():
        wts = [torch.randn_like(f) for f in eager(x)]
    outs = []
    for net, fwd in ((eager, eager), (comp, compiled)):
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        feats = fwd(x)
        loss = sum((f * w).mean() for f, w in zip(feats, wts))
        loss.backward()
        grads = {n: p.grad.clone() for n, p in net.named_parameters()
                 if p.grad is not None}
        opt.step()
        outs.append((feats, grads, net.state_dict()))
    (f0, g0, s0), (f1, g1, s1) = outs
    assert all(_rel(a, b) < 1e-5 for a, b in zip(f0, f1))
    assert g0.keys() == g1.keys() and len(g0) > 10
    assert all(_rel(g0[k], g1[k]) < 1e-5 for k in g0)
    assert all(_rel(s0[k].float(), s1[k].float()) < 1e-5 for k in s0)


def test_compile_fullgraph_inference_cached():
    """The deployed defaults (per-size decay cache on, NaN / Inf input check
    on) compile as one graph: the cache computes in-graph and the input
    check is skipped while dynamo traces."""
    torch._dynamo.reset()
    bb = RSvHeat(arch=TINY, img_size=64).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ref = bb(x)
        out = torch.compile(bb, fullgraph=True, backend='aot_eager')(x)
    assert all(_rel(r, o) < 1e-5 for r, o in zip(ref, out))
