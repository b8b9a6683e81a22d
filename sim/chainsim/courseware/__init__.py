"""Courseware tooling: turning text sources into the notebooks students and graders use.

:mod:`chainsim.courseware.assignments` builds nbgrader assignment notebooks from
jupytext text sources kept in ``assignments/src/``.
"""
