"""Issue 16 item 2: vheat2rsvheat.py never writes over its input, refuses a
folder as output and leaves nothing half-written."""
import hashlib
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from tool_helpers import run_tool  # noqa: E402

from rsvheat_mm.models.backbones import RSvHeat  # noqa: E402

TOOL = 'model_converters/vheat2rsvheat.py'


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_converter_refuses_its_input_and_folders(tmp_path):
    m = RSvHeat(arch=dict(embed_dims=8, depths=[1, 1, 1, 1]), img_size=64)
    full = {'state_dict': {**{'backbone.' + k: v
                              for k, v in m.state_dict().items()},
                           'decode_head.conv.weight': torch.rand(2, 8)},
            'meta': {'epoch': 3}}
    src = tmp_path / 'full.pth'
    torch.save(full, src)
    before = sha(src)
    link = tmp_path / 'link.pth'
    link.symlink_to(src)
    hard = tmp_path / 'hard.pth'
    os.link(src, hard)
    for dst in (src, Path('full.pth'), link, hard):
        p = run_tool([TOOL, str(src), str(dst)], tmp_path, check=False)
        assert p.returncode == 2, p.stdout + p.stderr
        assert 'is the input checkpoint' in p.stderr
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    p = run_tool([TOOL, str(src), str(out_dir)], tmp_path, check=False)
    assert p.returncode == 2 and 'is a folder' in p.stderr, p.stderr
    assert sha(src) == before and src.read_bytes() == hard.read_bytes()
    assert sorted(os.listdir(tmp_path)) == ['full.pth', 'hard.pth',
                                            'link.pth', 'out']
    assert os.listdir(out_dir) == []
    # a valid output: written whole, no temporary file left
    run_tool([TOOL, str(src), str(out_dir / 'bb.pth')], tmp_path)
    assert os.listdir(out_dir) == ['bb.pth'] and sha(src) == before
    sd = torch.load(out_dir / 'bb.pth', weights_only=True)
    assert set(sd) == set(m.state_dict())
