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


@pytest.fixture(autouse=True)
def _module_default_scope(request):
    """Run each test under its module's ``DEFAULT_SCOPE`` (if it sets one).

    mmengine's default scope is process-global: a module-level
    ``init_default_scope`` is overwritten by whichever module is collected
    last, and a test that calls it leaks into the next ones. Declaring
    ``DEFAULT_SCOPE = 'mmseg'`` in a test module scopes it per test instead,
    and whatever scope a test (or a Runner in it) sets is undone after it.
    """
    import copy

    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    scope = getattr(request.module, 'DEFAULT_SCOPE', None)
    try:
        with DefaultScope.overwrite_default_scope(scope):
            yield
    finally:  # runners and init_default_scope calls must not leak
        DefaultScope._instance_dict = saved
