"""Shim for legacy editable installs (``pip install -e . --no-use-pep517``).

All metadata lives in setup.cfg / pyproject.toml. The legacy (egg-link)
editable mode is what lets ``mim`` find ``rsvheat_mm/.mim/{configs,tools}``
in the repository, so ``mim train rsvheat_mm CONFIG`` works in development.
"""
from setuptools import setup

setup()
