"""Generate a multi-UAV scene dataset for RS-DFM (format: docs/rsdfm.md).

Example::

    python tools/rsdfm/generate_scenes.py data/rsdfm_synth \
        --num-train 256 --num-val 64 --seed 0
"""
import argparse
import json
import time

from rsvheat_mm.datasets.synthetic_multi_uav import SceneConfig, generate_dataset


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out', help='output folder')
    p.add_argument('--num-train', type=int, default=256,
                   help='training scenes (default 256)')
    p.add_argument('--num-val', type=int, default=64,
                   help='held-out scenes (default 64)')
    p.add_argument('--seed', type=int, default=0,
                   help='scene i uses default_rng(seed + i) (default 0)')
    p.add_argument('--num-frames', type=int, default=1,
                   help='frames per scene, vehicles move (default 1)')
    p.add_argument('--image-size', type=int, nargs=2, default=(64, 64),
                   metavar=('H', 'W'), help='image size (default 64 64)')
    p.add_argument('--hfov', type=float, default=40.0,
                   help='horizontal field of view, degrees (default 40)')
    p.add_argument('--altitude', type=float, nargs=2, default=(30.0, 80.0),
                   metavar=('LO', 'HI'),
                   help='flight height range in m (default 30 80)')
    p.add_argument('--agents', type=int, nargs=2, default=(2, 4),
                   metavar=('LO', 'HI'), help='UAVs per scene (default 2 4)')
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    cfg = SceneConfig(image_size=tuple(args.image_size), hfov=args.hfov,
                      altitude=tuple(args.altitude),
                      num_agents=tuple(args.agents))
    start = time.time()
    meta = generate_dataset(args.out, args.num_train, args.num_val,
                            args.seed, args.num_frames, cfg)
    print(json.dumps(meta['stats'], indent=2))
    print(f'wrote {args.out} in {time.time() - start:.1f} s')
    return meta


if __name__ == '__main__':
    main()
