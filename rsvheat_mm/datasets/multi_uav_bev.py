"""Dataset class reading the generated multi-UAV format (see ``synth.py``)."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.structures import BaseDataElement

from ..registry import DATASETS, register
from .synthetic_multi_uav import CLASSES, FORMAT_NAME, FORMAT_VERSION

__all__ = ['MultiUAVBEVDataset']


@register(DATASETS)
class MultiUAVBEVDataset(BaseDataset):
    """Frames of multi-UAV scenes with BEV labels.

    Each item is ``dict(inputs=..., data_samples=...)``:

    * ``inputs``: ``imgs`` uint8 [N, 3, H, W], ``cam2img`` [N, 3, 3],
      ``cam2world`` [N, 4, 4], ``agent_mask`` bool [N], ``height`` float32
      [N, H, W], padded to ``N = max_agents`` (padding: zero images,
      identity poses lifted to 1 m, ``agent_mask`` False).
    * ``data_samples``: a ``BaseDataElement`` with ``gt_bev_seg`` long
      [Hb, Wb], ``gt_boxes`` [M, 7], ``gt_labels`` [M], ``gt_visible``
      [N_real, M] and metainfo ``frame``, ``num_agents``.

    Args:
        data_root: Folder written by ``tools/rsdfm/generate_scenes.py``.
        split: ``'train'`` or ``'val'`` (the ``<split>.txt`` list).
            Defaults to 'train'.
        max_agents: Platforms per item after padding. Defaults to 4.
        drop_agents: Optional ``dict(agents=[i, ...], after_frame=t)``:
            those platforms are absent (``agent_mask`` False) in every frame
            ``>= t`` of each scene, i.e. they drop out mid-sequence.
            Defaults to None.
        **kwargs: Forwarded to ``mmengine.dataset.BaseDataset``
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    METAINFO = dict(classes=CLASSES)

    def __init__(self, data_root: str, split: str = 'train',
                 max_agents: int = 4, drop_agents: Optional[Dict] = None,
                 **kwargs) -> None:
        self.split = split
        self.max_agents = int(max_agents)
        self.drop_agents = drop_agents
        if drop_agents is not None and 0 in drop_agents.get('agents', []):
            raise ValueError('MultiUAVBEVDataset.drop_agents: platform 0 is '
                             'the receiver and cannot drop out.')
        super().__init__(data_root=data_root, ann_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        meta_path = osp.join(self.data_root, 'meta.json')
        if not osp.isfile(meta_path):
            raise FileNotFoundError(
                f'{meta_path} not found: {self.data_root} is not a generated '
                f'multi-UAV dataset. Run `python tools/rsdfm/'
                f'generate_scenes.py {self.data_root}` first.')
        with open(meta_path) as fh:
            meta = json.load(fh)
        if meta.get('format') != FORMAT_NAME or \
                meta.get('version') != FORMAT_VERSION:
            raise ValueError(
                f'{meta_path}: format {meta.get("format")!r} v'
                f'{meta.get("version")} is not {FORMAT_NAME!r} v'
                f'{FORMAT_VERSION}; regenerate the data with '
                f'tools/rsdfm/generate_scenes.py.')
        self.scene_meta = meta
        lst = osp.join(self.data_root, f'{self.split}.txt')
        if not osp.isfile(lst):
            raise FileNotFoundError(f'{lst} not found: split '
                                    f'{self.split!r} does not exist.')
        with open(lst) as fh:
            names = [ln.strip() for ln in fh if ln.strip()]
        out = []
        for name in names:
            scene, frame = osp.splitext(name)[0].split('_')
            out.append(dict(path=osp.join(self.data_root, 'frames', name),
                            frame_name=name, scene=int(scene),
                            frame=int(frame)))
        return out

    def _dropped(self, frame: int) -> Sequence[int]:
        if self.drop_agents is None:
            return ()
        if frame >= int(self.drop_agents.get('after_frame', 0)):
            return tuple(self.drop_agents.get('agents', ()))
        return ()

    def prepare_data(self, idx: int) -> dict:
        info = self.get_data_info(idx)
        with np.load(info['path']) as z:
            arr = {k: z[k] for k in z.files}
        n = arr['imgs'].shape[0]
        if n > self.max_agents:
            raise ValueError(
                f'{info["path"]}: {n} platforms but max_agents='
                f'{self.max_agents}; raise max_agents in the dataset config.')
        if not (arr['cam2img'].shape[0] == arr['cam2world'].shape[0] == n):
            raise ValueError(f'{info["path"]}: mismatched platform counts '
                             f'(imgs {n}, cam2img {arr["cam2img"].shape[0]},'
                             f' cam2world {arr["cam2world"].shape[0]}); '
                             f'regenerate the file.')
        m = self.max_agents
        h, w = arr['imgs'].shape[1:3]
        imgs = torch.zeros(m, 3, h, w, dtype=torch.uint8)
        imgs[:n] = torch.from_numpy(arr['imgs']).permute(0, 3, 1, 2)
        cam2img = torch.eye(3).repeat(m, 1, 1)
        cam2img[:n] = torch.from_numpy(arr['cam2img'])
        cam2world = torch.eye(4).repeat(m, 1, 1)
        cam2world[:, 2, 3] = 1.0
        cam2world[:n] = torch.from_numpy(arr['cam2world'])
        height = torch.full((m, h, w), -1.0)
        height[:n] = torch.from_numpy(arr['height'].astype(np.float32))
        mask = torch.zeros(m, dtype=torch.bool)
        mask[:n] = True
        for a in self._dropped(info['frame']):
            if a < m:
                mask[a] = False
        ds = BaseDataElement(metainfo=dict(frame=info['frame_name'],
                                           num_agents=n))
        ds.gt_bev_seg = torch.from_numpy(arr['bev_seg'].astype(np.int64))
        ds.gt_boxes = torch.from_numpy(arr['boxes'])
        ds.gt_labels = torch.from_numpy(arr['labels'])
        ds.gt_visible = torch.from_numpy(arr['visible'])
        data = dict(inputs=dict(imgs=imgs, cam2img=cam2img,
                                cam2world=cam2world, agent_mask=mask,
                                height=height), data_samples=ds)
        return self.pipeline(data)
