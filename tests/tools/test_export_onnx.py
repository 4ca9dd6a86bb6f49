"""tools/deployment/export_onnx.py and verify_onnx.py, run as a user runs
them (subprocess, cwd outside the repository)."""
import pytest

from tool_helpers import (run_tool, save_model_checkpoint, tree,
                          write_cd_cfg, write_seg_cfg)

pytest.importorskip('onnxruntime')


def test_export_and_verify_segmentor(tmp_path, shared_data):
    cfg = write_seg_cfg(tmp_path / 'seg.py', tmp_path / 'data')
    ckpt = save_model_checkpoint(cfg, tmp_path / 'seg.pth', 'mmseg')
    before = tree(tmp_path)
    p = run_tool(['deployment/export_onnx.py', str(cfg), str(ckpt),
                  '--shape', '64', '96', '--out', 'out/seg.onnx'],
                 cwd=tmp_path)
    assert 'onnx.checker: ok' in p.stdout
    assert 'logits' in p.stdout and '[1, 3, 64, 96]' in p.stdout
    # only the output appeared (no temporary file left)
    assert tree(tmp_path) - before == {'out', 'out/seg.onnx'}
    tile = sorted((shared_data / 'levir_cd' / 'A').glob('*.png'))[0]
    p = run_tool(['deployment/verify_onnx.py', str(cfg), str(ckpt),
                  'out/seg.onnx', '--runs', '2', '--repeat', '2',
                  '--image', str(tile)], cwd=tmp_path)
    assert p.stdout.count('class map identical') == 3, p.stdout
    assert f'tile {tile.name}' in p.stdout
    assert 'parity: ok' in p.stdout and 'onnxruntime' in p.stdout


def test_export_backbone_and_change_detector(tmp_path):
    cfg = write_cd_cfg(tmp_path / 'cd.py', tmp_path / 'data')
    ckpt = save_model_checkpoint(cfg, tmp_path / 'cd.pth', 'mmseg')
    p = run_tool(['deployment/export_onnx.py', str(cfg), str(ckpt),
                  '--shape', '33', '47', '--part', 'backbone', '--dynamic',
                  '--out', 'bb.onnx'], cwd=tmp_path)
    for i in range(4):
        assert f'feat{i}' in p.stdout
    assert "['batch', 3, 33, 47]" in p.stdout
    p = run_tool(['deployment/verify_onnx.py', str(cfg), str(ckpt),
                  'bb.onnx', '--part', 'backbone', '--runs', '1',
                  '--repeat', '1'], cwd=tmp_path)
    assert 'parity: ok' in p.stdout
    p = run_tool(['deployment/export_onnx.py', str(cfg), str(ckpt),
                  '--shape', '64', '64', '--out', 'cd.onnx'], cwd=tmp_path)
    assert 'img_a' in p.stdout and 'img_b' in p.stdout
    p = run_tool(['deployment/verify_onnx.py', str(cfg), str(ckpt),
                  'cd.onnx', '--runs', '1', '--repeat', '1'], cwd=tmp_path)
    assert 'class map identical' in p.stdout and 'parity: ok' in p.stdout


def test_bad_inputs(tmp_path):
    seg = write_seg_cfg(tmp_path / 'seg.py', tmp_path / 'data')
    cd = write_cd_cfg(tmp_path / 'cd.py', tmp_path / 'data')
    ckpt = save_model_checkpoint(cd, tmp_path / 'cd.pth', 'mmseg')
    before = tree(tmp_path)
    # a change-detection checkpoint for the segmentation config
    p = run_tool(['deployment/export_onnx.py', str(seg), str(ckpt),
                  '--shape', '64', '64', '--out', 'x.onnx'], cwd=tmp_path,
                 check=False)
    assert p.returncode == 1
    assert 'does not match the model of' in p.stderr
    assert 'cd.pth' in p.stderr and 'unexpected keys' in p.stderr
    p = run_tool(['deployment/export_onnx.py', str(cd), str(ckpt),
                  '--shape', '31', '64', '--out', 'x.onnx'], cwd=tmp_path,
                 check=False)
    assert p.returncode == 1 and '>= 32' in p.stderr
    p = run_tool(['deployment/export_onnx.py', str(cd), str(ckpt),
                  '--shape', '64', '64', '--out', str(ckpt)], cwd=tmp_path,
                 check=False)
    assert p.returncode == 1 and 'overwrite' in p.stderr
    assert tree(tmp_path) == before
