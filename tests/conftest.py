"""Shared fixtures: the real data tiles in ``../shared/data``."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_root() -> Path:
    """``$RSVHEAT_SHARED_DATA`` or ``<repo>/../shared/data``."""
    env = os.environ.get('RSVHEAT_SHARED_DATA')
    return Path(env) if env else REPO.parent / 'shared' / 'data'


@pytest.fixture(scope='session')
def shared_data() -> Path:
    root = shared_data_root()
    if not root.is_dir():
        pytest.skip(f'real data tiles not found at {root} (set '
                    f'RSVHEAT_SHARED_DATA or place shared/ beside the repo)')
    return root


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO
