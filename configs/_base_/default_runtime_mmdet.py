# Runtime of the mmdet configs (horizontal-box detection): mmdet's own runtime
# (scope 'mmdet', hooks, DetLocalVisualizer, checkpoint every epoch) + the
# plugin import.
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['rsvheat_mm'], allow_failed_imports=False)
