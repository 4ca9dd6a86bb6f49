"""Bad input to tools/train.py and tools/test.py ends with one line that
names the file or setting and the fix (exit 1), never a raw upstream
traceback: a work dir that is a file, resume from a truncated checkpoint
or from one written by plain mmengine, --amp without a GPU, an empty
dataset folder, a broken .pth as CHECKPOINT / load_from / init_cfg, a
pretrained checkpoint that is not there."""
import shutil
import subprocess
import sys

import pytest
import torch

from tool_helpers import REPO, run_tool, scope_restored, write_seg_cfg

sys.path.insert(0, str(REPO / 'tools'))
import test as test_tool  # noqa: E402
import train as train_tool  # noqa: E402


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    """A 4-iteration run: checkpoints iter_2.pth and iter_4.pth."""
    root = tmp_path_factory.mktemp('errors')
    cfg = write_seg_cfg(root / 'cfg.py', root / 'data')
    with scope_restored():
        train_tool.main([str(cfg), '--work-dir', str(root / 'w')])
    assert (root / 'w' / 'iter_4.pth').is_file()
    return root, cfg


def _exit_message(fn, argv) -> str:
    with pytest.raises(SystemExit) as e:
        fn(argv)
    msg = str(e.value.code)
    assert msg.startswith('error: '), msg
    return msg


def test_work_dir_that_is_a_file(run, tmp_path):
    root, cfg = run
    afile = tmp_path / 'notes.txt'
    afile.write_text('keep me')
    msg = _exit_message(train_tool.main,
                        [str(cfg), '--work-dir', str(afile)])
    assert f'--work-dir {afile} is a file, not a folder' in msg
    msg = _exit_message(train_tool.main,
                        [str(cfg), '--work-dir', str(afile / 'sub')])
    assert f'lies under {afile}, which is a file' in msg
    assert afile.read_text() == 'keep me'
    # as a user sees it: one line on stderr, exit 1, no traceback
    p = run_tool(['train.py', str(cfg), '--work-dir', str(afile)],
                 cwd=tmp_path, check=False)
    assert p.returncode == 1
    assert 'Traceback' not in p.stderr and 'FileExistsError' not in p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith('error: --work-dir')


def test_resume_from_truncated_last_checkpoint_names_it_and_an_earlier_one(
        run, tmp_path):
    root, cfg = run
    work = tmp_path / 'w'
    shutil.copytree(root / 'w', work)
    last = work / 'iter_4.pth'
    data = last.read_bytes()
    last.write_bytes(data[:len(data) // 3])  # killed while saving
    (work / 'last_checkpoint').write_text(str(last))
    msg = _exit_message(train_tool.main, [str(cfg), '--work-dir', str(work),
                                          '--resume'])
    assert f'{last} is truncated' in msg
    assert f'--resume {work / "iter_2.pth"}' in msg
    # ... and that advice works: the run resumes at iteration 2
    train_tool.main([str(cfg), '--work-dir', str(work), '--resume',
                     str(work / 'iter_2.pth')])
    resumed = torch.load(work / 'iter_4.pth', weights_only=True)
    assert resumed['meta']['iter'] == 4


def test_resume_of_plain_mmengine_checkpoint_gives_the_trusted_resave(
        run, tmp_path):
    root, cfg = run
    plain = tmp_path / 'plain.pth'
    # re-saved by a process without rsvheat_mm: plain mmengine pickling
    subprocess.run([sys.executable, '-c',
                    'import sys, torch; torch.save(torch.load(sys.argv[1], '
                    'weights_only=False), sys.argv[2])',
                    str(root / 'w' / 'iter_2.pth'), str(plain)], check=True)
    msg = _exit_message(train_tool.main, [str(cfg), '--work-dir',
                                          str(tmp_path / 'w'), '--resume',
                                          str(plain)])
    assert 'written by plain mmengine' in msg
    assert 'add_safe_globals' not in msg  # not torch's allow-list advice
    line = next(ln.strip() for ln in msg.splitlines()
                if ln.strip().startswith('python -c'))
    resaved = tmp_path / 'plain_resaved.pth'
    assert str(resaved) in line
    subprocess.run(line.replace('python', sys.executable, 1), shell=True,
                   check=True, cwd=tmp_path)
    before = plain.read_bytes()
    train_tool.main([str(cfg), '--work-dir', str(tmp_path / 'w'),
                     '--resume', str(resaved)])
    assert torch.load(tmp_path / 'w' / 'iter_4.pth',
                      weights_only=True)['meta']['iter'] == 4
    assert plain.read_bytes() == before  # the advice leaves the original


def test_amp_without_gpu_says_it_is_gpu_only(run, tmp_path, monkeypatch):
    import mmengine.device
    for name in ('is_cuda_available', 'is_npu_available', 'is_mlu_available',
                 'is_musa_available'):
        monkeypatch.setattr(mmengine.device, name, lambda: False)
    root, cfg = run
    msg = _exit_message(train_tool.main, [str(cfg), '--work-dir',
                                          str(tmp_path / 'w'), '--amp'])
    assert 'GPU-only' in msg and 'drop --amp' in msg
    assert not (tmp_path / 'w').exists()  # refused before anything ran


def test_empty_dataset_folder_is_named(tmp_path):
    empty = tmp_path / 'empty'
    (empty / 'img').mkdir(parents=True)
    (empty / 'ann').mkdir()
    cfg = write_seg_cfg(tmp_path / 'cfg.py', tmp_path / 'data', extra=f"""
train_dataloader = dict(dataset=dict(
    _delete_=True, type='BaseSegDataset', data_root={str(empty)!r},
    data_prefix=dict(img_path='img', seg_map_path='ann'),
    metainfo=dict(classes=('a', 'b')), pipeline=_pipe))
""")
    msg = _exit_message(train_tool.main, [str(cfg), '--work-dir',
                                          str(tmp_path / 'w')])
    assert 'need at least one array' not in msg
    assert f"BaseSegDataset (data_root='{empty}'" in msg
    assert 'has no samples' in msg


def _bad_files(tmp_path):
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    rand = tmp_path / 'random.pth'
    rand.write_bytes(bytes(range(7, 256)) * 4)
    text = tmp_path / 'text.pth'
    text.write_text('model weights will be here\n')
    return {'empty (0 bytes)': empty,
            'not a PyTorch checkpoint: it starts with bytes': rand,
            'a text file, not a PyTorch checkpoint': text}


def test_broken_pth_given_to_test_tool(run, tmp_path):
    root, cfg = run
    for problem, path in _bad_files(tmp_path).items():
        msg = _exit_message(test_tool.main, [str(cfg), str(path),
                                             '--work-dir',
                                             str(tmp_path / 't')])
        assert f'CHECKPOINT: {path} is {problem}' in msg, msg
        assert '101' not in msg and 'Unsupported operand' not in msg


def test_broken_pth_as_load_from_or_pretrained(run, tmp_path):
    root, cfg = run
    for problem, path in _bad_files(tmp_path).items():
        msg = _exit_message(train_tool.main, [
            str(cfg), '--work-dir', str(tmp_path / 'w'), '--cfg-options',
            f'load_from={path}'])
        assert f'load_from: {path}' in msg and problem.split(':')[0] in msg
    # mmengine's own loader (init_model, Pretrained, load_from) names it too
    from mmengine.runner import load_checkpoint

    from rsvheat_mm.utils.safe_load import CheckpointFileError
    text = tmp_path / 'text.pth'
    with pytest.raises(CheckpointFileError, match=f'{text} is a text file'):
        load_checkpoint(torch.nn.Linear(1, 1), str(text))


def test_missing_pretrained_checkpoint_points_to_weights_doc(run, tmp_path):
    root, _ = run
    missing = 'work_dirs/rsvheat_pretrain/epoch_200.pth'
    cfg = write_seg_cfg(tmp_path / 'cfg.py', root / 'data', extra=f"""
model = dict(backbone=dict(init_cfg=dict(
    type='Pretrained', checkpoint={missing!r}, prefix='backbone.')))
""")
    msg = _exit_message(train_tool.main, [str(cfg), '--work-dir',
                                          str(tmp_path / 'w')])
    assert f"model.backbone.init_cfg.checkpoint='{missing}' does not exist" \
        in msg
    assert 'docs/weights.md' in msg
    assert '--cfg-options model.backbone.init_cfg=None' in msg
    assert (REPO / 'docs' / 'weights.md').is_file()
