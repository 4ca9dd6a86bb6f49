"""Class names of the detection datasets, importable without any host library.

The splitting and conversion tools check class names against these tuples
(so a typo stops the split instead of reaching training); the dataset classes
use the same tuples as their ``METAINFO``.

* DOTA v1.0 / v1.5 / v2.0: the names and order of mmrotate's
  ``DOTADataset`` / ``DOTAv15Dataset`` / ``DOTAv2Dataset``.
* FAIR1M (1.0 and 2.0): the 37 fine-grained names as written in the release
  XML (with spaces).
* DIOR / DIOR-R: mmrotate's ``DIORDataset`` names (lower case; the release
  XMLs mix cases, matched case-insensitively).
* SAR-AIRcraft-1.0: the 7 types of the release.
"""
from typing import Dict, Tuple

__all__ = ['DOTA_V1_CLASSES', 'DOTA_V15_CLASSES', 'DOTA_V2_CLASSES',
           'FAIR1M_CLASSES', 'DIOR_CLASSES', 'SAR_AIRCRAFT_CLASSES',
           'CLASS_SETS']

DOTA_V1_CLASSES = ('plane', 'baseball-diamond', 'bridge',
                   'ground-track-field', 'small-vehicle', 'large-vehicle',
                   'ship', 'tennis-court', 'basketball-court',
                   'storage-tank', 'soccer-ball-field', 'roundabout',
                   'harbor', 'swimming-pool', 'helicopter')
DOTA_V15_CLASSES = DOTA_V1_CLASSES + ('container-crane', )
DOTA_V2_CLASSES = DOTA_V15_CLASSES + ('airport', 'helipad')

FAIR1M_CLASSES = (
    'Boeing737', 'Boeing747', 'Boeing777', 'Boeing787', 'C919', 'A220',
    'A321', 'A330', 'A350', 'ARJ21', 'other-airplane', 'Passenger Ship',
    'Motorboat', 'Fishing Boat', 'Tugboat', 'Engineering Ship',
    'Liquid Cargo Ship', 'Dry Cargo Ship', 'Warship', 'other-ship',
    'Small Car', 'Bus', 'Cargo Truck', 'Dump Truck', 'Van', 'Trailer',
    'Tractor', 'Excavator', 'Truck Tractor', 'other-vehicle',
    'Basketball Court', 'Tennis Court', 'Football Field', 'Baseball Field',
    'Intersection', 'Roundabout', 'Bridge')

DIOR_CLASSES = ('airplane', 'airport', 'baseballfield', 'basketballcourt',
                'bridge', 'chimney', 'expressway-service-area',
                'expressway-toll-station', 'dam', 'golffield',
                'groundtrackfield', 'harbor', 'overpass', 'ship', 'stadium',
                'storagetank', 'tenniscourt', 'trainstation', 'vehicle',
                'windmill')

SAR_AIRCRAFT_CLASSES = ('A220', 'A320/321', 'A330', 'ARJ21', 'Boeing737',
                        'Boeing787', 'other')

#: name of a class set (``--classes`` of the tools) -> class names
CLASS_SETS: Dict[str, Tuple[str, ...]] = {
    'dota1.0': DOTA_V1_CLASSES, 'dota1.5': DOTA_V15_CLASSES,
    'dota2.0': DOTA_V2_CLASSES, 'fair1m': FAIR1M_CLASSES,
    'dior': DIOR_CLASSES, 'sar-aircraft': SAR_AIRCRAFT_CLASSES,
}
