"""Shim for the develop (egg-link) install that ``make install`` performs.

All metadata lives in setup.cfg / pyproject.toml. ``tools/install.sh`` runs
``python setup.py develop`` with setuptools 79 (the last release whose
``develop`` writes an egg-link instead of deferring to a PEP 660 editable
wheel): only then does ``pkg_resources`` locate the distribution in the
repository, which is where ``mim train|test rsvheat_mm`` (openmim 0.3.9)
looks for ``rsvheat_mm/.mim/{configs,tools}``.
"""
from setuptools import setup

setup()
