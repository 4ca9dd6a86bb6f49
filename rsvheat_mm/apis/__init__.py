"""Inference APIs of rsvheat_mm.

* :mod:`.tiled_inference` -- tile-by-tile detection on huge images.
* :mod:`.raster_io` -- windowed GeoTIFF / COG reads, georeferenced writes.
* :mod:`.scene_blending` -- smooth stitching of window logits, bounded memory.
* :mod:`.scene_inference` -- whole-scene inferencers for detection,
  segmentation and change detection, built from (config, checkpoint, device).
* :mod:`.deployment` -- fixed-size ONNX export and onnxruntime parity.
* :mod:`.multi_image_inferencer` -- ``MultiImageSegInferencer``, mmseg's
  inferencer for change-detection, PolSAR and optical + SAR configs
  (imports mmseg on first use).

Host toolboxes are imported when these functions run, not at import time.
"""
from .deployment import (CheckpointMismatchError, build_export_model,
                         check_state_dict, export_onnx)
from .raster_io import (InputSpec, RasterSource, RowStripWriter, check_pair,
                        display_rgb, open_raster, overview_image,
                        write_geojson)
from .scene_blending import MaskPolygonizer, RowBlender, window_weight
from .scene_inference import (ChangeSceneInferencer, DetSceneInferencer,
                              SceneInferencer, SegSceneInferencer,
                              build_scene_inferencer, detect_task,
                              input_specs, run_scenes,
                              scene_outputs_complete)
from .tiled_inference import (build_tile_pipeline, clip_to_image,
                              crop_window, draw_detections, drop_outside,
                              format_detections, image_color_type,
                              tiled_inference)

__all__ = [
    'image_color_type', 'build_tile_pipeline', 'crop_window',
    'tiled_inference', 'draw_detections', 'format_detections',
    'drop_outside', 'clip_to_image', 'InputSpec', 'RasterSource',
    'open_raster', 'check_pair', 'RowStripWriter', 'write_geojson',
    'overview_image', 'RowBlender', 'MaskPolygonizer', 'window_weight',
    'SceneInferencer', 'SegSceneInferencer', 'ChangeSceneInferencer',
    'DetSceneInferencer', 'build_scene_inferencer', 'detect_task',
    'input_specs', 'run_scenes', 'scene_outputs_complete',
    'CheckpointMismatchError', 'build_export_model', 'check_state_dict',
    'export_onnx', 'MultiImageSegInferencer', 'display_rgb'
]


def __getattr__(name):
    # imports mmseg, so only when asked for
    if name == 'MultiImageSegInferencer':
        from .multi_image_inferencer import MultiImageSegInferencer
        return MultiImageSegInferencer
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
