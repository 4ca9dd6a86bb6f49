"""ONNX export of RS-vHeat models at a fixed input size.

Build a model from (config, checkpoint), check that the checkpoint matches
the config *before* any export work, wrap the part to export (the backbone,
a segmentor's logits, or a siamese change detector's logits from two
inputs) and export it with the TorchScript-based exporter
(``torch.onnx.export(..., dynamo=False)``).

Why that exporter: for a fixed size the backbone's size-dependent tensors
(the DCT bases, the resized FVE / SCE and every block's decay, kept by
``RSvHeat.switch_to_deploy``) become graph constants, and the whole graph is
plain MatMul / Conv / element-wise ops. The DCT runs as the matrix product
during export (``RSVHEAT_DCT_METHOD=matrix``) so no FFT op enters the graph.

Host toolboxes (mmseg) are imported when these functions run.
"""
import contextlib
import os
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'CheckpointMismatchError', 'check_state_dict', 'build_export_model',
    'export_wrapper', 'export_onnx', 'onnx_summary', 'run_onnxruntime',
    'relative_error', 'torch_outputs', 'deploy_context', 'DEFAULT_OPSET'
]

PathT = Union[str, Path]
#: ONNX opset used unless ``--opset`` says otherwise
DEFAULT_OPSET = 17
PARTS = ('backbone', 'model')


class CheckpointMismatchError(ValueError):
    """The checkpoint's weights do not fit the model the config builds."""


def _state_dict_of(ckpt) -> Dict[str, Tensor]:
    if isinstance(ckpt, dict):
        for key in ('state_dict', 'model'):
            if isinstance(ckpt.get(key), dict):
                ckpt = ckpt[key]
                break
    if not isinstance(ckpt, dict):
        raise CheckpointMismatchError('the checkpoint holds no state dict')
    return {k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in ckpt.items() if isinstance(v, Tensor)}


def check_state_dict(model: nn.Module, state_dict: Dict[str, Tensor],
                     source: str = 'checkpoint', config: str = 'config',
                     max_list: int = 20) -> None:
    """Raise if ``state_dict`` does not fit ``model`` exactly.

    Args:
        model: The model the config builds.
        state_dict: Weights to load.
        source: The checkpoint's name, for the message. Defaults to
            ``'checkpoint'``.
        config: The config's name, for the message. Defaults to
            ``'config'``.
        max_list: Keys listed per kind. Defaults to 20.

    Raises:
        CheckpointMismatchError: listing missing keys, unexpected keys and
            shape mismatches.
    """
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    shapes = sorted(f'{k}: checkpoint {tuple(state_dict[k].shape)} vs model '
                    f'{tuple(own[k].shape)}' for k in set(own) & set(state_dict)
                    if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if not (missing or unexpected or shapes):
        return

    def part(title, keys):
        if not keys:
            return ''
        more = (f'\n    ... and {len(keys) - max_list} more'
                if len(keys) > max_list else '')
        return (f'\n  {title} ({len(keys)}):\n    ' +
                '\n    '.join(keys[:max_list]) + more)

    raise CheckpointMismatchError(
        f'{source} does not match the model of {config}:' +
        part('missing keys (in the model, not in the checkpoint)', missing) +
        part('unexpected keys (in the checkpoint, not in the model)',
             unexpected) + part('shape mismatches', shapes) +
        '\nFix: pass the config the checkpoint was trained with, or convert '
        'official weights with tools/model_converters/vheat2rsvheat.py.')


def _load_config(config):
    from mmengine.config import Config
    if isinstance(config, (str, Path)):
        if not Path(config).is_file():
            raise FileNotFoundError(f'Config not found: {config}')
        return Config.fromfile(str(config))
    return config


def build_export_model(config, checkpoint: Optional[PathT] = None,
                       part: str = 'model') -> nn.Module:
    """Build the config's model (or only its backbone), load and check the
    checkpoint, and return it in eval mode on the CPU.

    Args:
        config: Config file or ``mmengine.Config``.
        checkpoint: Weights; None keeps the initialisation (for tests).
            Defaults to None.
        part: ``'backbone'`` or ``'model'``. Defaults to ``'model'``.

    Raises:
        CheckpointMismatchError: the checkpoint does not fit the model (raised
            before any export work).
    """
    from mmengine.registry import MODELS, DefaultScope

    import rsvheat_mm  # noqa: F401 - registers the modules
    from rsvheat_mm.utils.safe_load import load_checkpoint_file
    if part not in PARTS:
        raise ValueError(f'part={part!r}: use one of {PARTS}')
    cfg = _load_config(config)
    name = str(config) if isinstance(config, (str, Path)) else 'the config'
    scope = cfg.get('default_scope', None) or 'mmseg'
    model_cfg = cfg.model.copy()
    model_cfg.pop('pretrained', None)
    # never load pretrained weights while building: the checkpoint replaces them
    if isinstance(model_cfg.get('backbone'), dict):
        model_cfg['backbone'] = dict(model_cfg['backbone'], init_cfg=None)
    with DefaultScope.overwrite_default_scope(scope):
        with MODELS.switch_scope_and_registry(scope) as registry:
            model = registry.build(model_cfg)
    if checkpoint is not None:
        sd = _state_dict_of(load_checkpoint_file(checkpoint))
        check_state_dict(model, sd, str(checkpoint), name)
        model.load_state_dict(sd, strict=True)
    model.eval()
    return model.backbone if part == 'backbone' else model


class _Backbone(nn.Module):
    """The backbone's multi-scale features as a tuple."""

    def __init__(self, backbone: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        return tuple(self.backbone(x))


class _SegLogits(nn.Module):
    """Segmentation logits [B, K, H, W] at the input size (mmseg
    ``encode_decode``: backbone, neck, decode head, bilinear resize)."""

    def __init__(self, model: nn.Module, size: Tuple[int, int]) -> None:
        super().__init__()
        self.model = model
        self.metas = [dict(img_shape=size, ori_shape=size, pad_shape=size)]

    def forward(self, x: Tensor) -> Tensor:
        return self.model.encode_decode(x, self.metas * x.shape[0])


class _ChangeLogits(_SegLogits):
    """Change logits from the two dates as two inputs (concatenated along
    channels, as the siamese segmentor expects)."""

    def forward(self, a: Tensor, b: Tensor) -> Tensor:  # type: ignore
        return super().forward(torch.cat([a, b], dim=1))


class _DetFeatures(nn.Module):
    """A detector's backbone + neck (mmdet ``extract_feat``): the multi-scale
    maps its RPN / RoI heads read. The heads' RoIAlign and (rotated) NMS are
    mmcv custom ops and stay outside the graph."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        return tuple(self.model.extract_feat(x))


def _is_detector(model: nn.Module) -> bool:
    return (hasattr(model, 'extract_feat') and hasattr(model, 'neck')
            and not hasattr(model, 'encode_decode'))


def _backbone_of(model: nn.Module) -> nn.Module:
    return getattr(model, 'backbone', model)


def export_wrapper(model: nn.Module, part: str, size: Tuple[int, int],
                   in_channels: Optional[int] = None
                   ) -> Tuple[nn.Module, List[Tuple[str, Tuple[int, ...]]],
                              List[str]]:
    """Wrap ``model`` for export and describe its inputs and outputs.

    Args:
        model: From :func:`build_export_model` (the backbone for
            ``part='backbone'``).
        part: ``'backbone'`` or ``'model'``.
        size: Input (H, W).
        in_channels: Channels of one input; None reads the backbone's
            ``in_channels`` (per date for a change detector). Defaults to
            None.

    Returns:
        ``(module, [(input name, shape)], output names)``; the backbone's
        outputs are ``feat0 ... featN``, a segmentor's ``logits``, a
        detector's (mmdet / mmrotate) neck maps ``neck0 ... neckN`` (the
        RPN / RoI heads and NMS are not exported); a change detector takes
        ``img_a`` and ``img_b``.
    """
    h, w = size
    model.eval()  # a new wrapper is in train mode; keep everything in eval
    bb = _backbone_of(model)
    if in_channels is None:
        c = bb.in_channels
        in_channels = sum(c.values()) if isinstance(c, dict) else int(c)
    if part == 'backbone':
        n = len(bb.out_indices)
        return (_Backbone(bb).eval(), [('input', (1, in_channels, h, w))],
                [f'feat{i}' for i in range(n)])
    if _is_detector(model):  # mmdet / mmrotate: backbone + neck
        module = _DetFeatures(model).eval()
        n = getattr(model.neck, 'num_outs', None)
        if n is None:  # a neck without num_outs: count on a dry run
            with deploy_context(model, size), torch.no_grad():
                n = len(module(torch.zeros(1, in_channels, h, w)))
        return (module, [('input', (1, in_channels, h, w))],
                [f'neck{i}' for i in range(n)])
    if not hasattr(model, 'encode_decode'):
        raise ValueError(
            f'{type(model).__name__} is neither a segmentor nor a detector '
            f'with a neck; export --part backbone (see docs/deployment.md)')
    if hasattr(model, 'split_dates'):  # siamese change detector
        return (_ChangeLogits(model, (h, w)).eval(),
                [('img_a', (1, in_channels, h, w)),
                 ('img_b', (1, in_channels, h, w))], ['logits'])
    return (_SegLogits(model, (h, w)).eval(),
            [('input', (1, in_channels, h, w))], ['logits'])


def _pool_matrix(n_in: int, n_out: int) -> Tensor:
    """[n_out, n_in] averaging matrix of ``adaptive_avg_pool`` along one
    axis (bin i covers floor(i*n/m) .. ceil((i+1)*n/m), as torch does)."""
    m = torch.zeros(n_out, n_in, dtype=torch.float64)
    for i in range(n_out):
        a, b = (i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)
        m[i, a:b] = 1.0 / (b - a)
    return m


class _FixedAdaptiveAvgPool2d(nn.Module):
    """``AdaptiveAvgPool2d`` as two matrix products for a fixed input size.

    The TorchScript exporter needs the input size of ``adaptive_avg_pool2d``
    (UPerHead's pyramid pooling), which it loses after the backbone's
    channels-last permutes; the matrices (built at trace time, constants in
    the graph) compute the same averages.
    """

    def __init__(self, pool: nn.AdaptiveAvgPool2d) -> None:
        super().__init__()
        self.output_size = pool.output_size

    def forward(self, x: Tensor) -> Tensor:
        h, w = int(x.shape[-2]), int(x.shape[-1])
        oh, ow = ((self.output_size, ) * 2 if isinstance(
            self.output_size, int) else self.output_size)
        oh, ow = oh or h, ow or w  # None keeps that size
        ph = _pool_matrix(h, oh).to(x.dtype)
        pw = _pool_matrix(w, ow).to(x.dtype)
        return torch.matmul(torch.matmul(ph, x), pw.t())


@contextlib.contextmanager
def _static_pools(model: nn.Module):
    """Swap every ``AdaptiveAvgPool2d`` for :class:`_FixedAdaptiveAvgPool2d`
    while exporting; restored on exit."""
    swapped = []
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.AdaptiveAvgPool2d):
                setattr(parent, name, _FixedAdaptiveAvgPool2d(child))
                swapped.append((parent, name, child))
    try:
        yield
    finally:
        for parent, name, child in swapped:
            setattr(parent, name, child)


@contextlib.contextmanager
def _matrix_dct():
    """Run the DCT as a matrix product (constant bases, no FFT op)."""
    old = os.environ.get('RSVHEAT_DCT_METHOD')
    os.environ['RSVHEAT_DCT_METHOD'] = 'matrix'
    try:
        yield
    finally:
        if old is None:
            os.environ.pop('RSVHEAT_DCT_METHOD', None)
        else:
            os.environ['RSVHEAT_DCT_METHOD'] = old


def deploy_context(model: nn.Module, size: Tuple[int, int]):
    """Put the backbone in deploy mode for ``size`` (decays kept as
    constants, ``cache_decays=True``), skip the NaN / Inf input check (a
    data-dependent branch a graph cannot hold) and force the matrix DCT;
    restores ``cache_decays`` and ``check_finite`` on exit."""
    bb = _backbone_of(model)

    @contextlib.contextmanager
    def ctx():
        old = getattr(bb, 'cache_decays', None)
        finite = getattr(bb, 'check_finite', None)
        if old is not None:
            bb.cache_decays = True
        if finite is not None:  # a data-dependent check: not in a graph
            bb.check_finite = False
        try:
            with _matrix_dct():
                if hasattr(bb, 'switch_to_deploy'):
                    bb.switch_to_deploy(size)
                yield
        finally:
            if old is not None:
                bb.cache_decays = old
            if finite is not None:
                bb.check_finite = finite
    return ctx()


def export_onnx(model: nn.Module, out: PathT, part: str,
                size: Tuple[int, int], opset: int = DEFAULT_OPSET,
                dynamic: bool = False,
                in_channels: Optional[int] = None) -> Dict:
    """Export to ``out`` (written to a temporary name, checked with
    ``onnx.checker`` and renamed when complete).

    Args:
        model: From :func:`build_export_model`.
        out: The ``.onnx`` file to write.
        part: ``'backbone'`` or ``'model'``.
        size: Input (H, W), >= the backbone's ``min_size``.
        opset: ONNX opset. Defaults to :data:`DEFAULT_OPSET` (17).
        dynamic: Mark the batch axis dynamic (H and W stay fixed: the DCT
            bases and resized embeddings are constants). Defaults to False.
        in_channels: See :func:`export_wrapper`. Defaults to None.

    Returns:
        :func:`onnx_summary` of the written file.
    """
    import onnx
    out = Path(out)
    module, inputs, outputs = export_wrapper(model, part, size, in_channels)
    args = tuple(torch.randn(*shape) for _, shape in inputs)
    axes = None
    if dynamic:
        axes = {n: {0: 'batch'} for n, _ in inputs}
        axes.update({n: {0: 'batch'} for n in outputs})
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f'.{out.name}.tmp{os.getpid()}')
    try:
        with deploy_context(model, size), _static_pools(module), \
                torch.no_grad():
            torch.onnx.export(module, args, str(tmp),
                              input_names=[n for n, _ in inputs],
                              output_names=outputs, opset_version=opset,
                              dynamic_axes=axes, do_constant_folding=True,
                              dynamo=False)
        onnx.checker.check_model(str(tmp))
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return onnx_summary(out)


def onnx_summary(path: PathT) -> Dict:
    """Inputs, outputs (name, shape, dtype), opset and size of an ONNX
    file."""
    import onnx
    m = onnx.load(str(path))

    def io(values):
        return [(v.name, [d.dim_param or d.dim_value
                          for d in v.type.tensor_type.shape.dim],
                 onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type))
                for v in values]

    return dict(inputs=io(m.graph.input), outputs=io(m.graph.output),
                opset=max(o.version for o in m.opset_import),
                nodes=len(m.graph.node), bytes=Path(path).stat().st_size)


def relative_error(ref: np.ndarray, got: np.ndarray) -> float:
    """``max|ref - got| / max|ref|`` (0 when both are 0)."""
    ref = np.asarray(ref, np.float64)
    scale = np.abs(ref).max()
    err = np.abs(ref - np.asarray(got, np.float64)).max()
    return float(err / scale) if scale > 0 else float(err)


def run_onnxruntime(path: PathT, feeds: Dict[str, np.ndarray],
                    repeat: int = 1) -> Tuple[List[np.ndarray], float]:
    """Run the ONNX file on the CPU; returns (outputs, best seconds of
    ``repeat`` runs)."""
    import onnxruntime as ort
    sess = ort.InferenceSession(str(path),
                                providers=['CPUExecutionProvider'])
    best = float('inf')
    outs = None
    for _ in range(max(repeat, 1)):
        t = time.perf_counter()
        outs = sess.run(None, feeds)
        best = min(best, time.perf_counter() - t)
    return outs, best


def torch_outputs(model: nn.Module, part: str, size: Tuple[int, int],
                  inputs: Sequence[Tensor], repeat: int = 1,
                  in_channels: Optional[int] = None
                  ) -> Tuple[List[np.ndarray], float]:
    """The PyTorch reference for the exported part (same wrapper, deploy
    mode); returns (outputs, best seconds of ``repeat`` runs)."""
    module, _, _ = export_wrapper(model, part, size, in_channels)
    best = float('inf')
    with deploy_context(model, size), torch.no_grad():
        for _ in range(max(repeat, 1)):
            t = time.perf_counter()
            outs = module(*inputs)
            best = min(best, time.perf_counter() - t)
    outs = outs if isinstance(outs, (tuple, list)) else (outs, )
    return [o.numpy() for o in outs], best
