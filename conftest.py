"""pytest: the package's doctests are collected with the tests (pyproject `--doctest-modules`)."""

from importlib.util import find_spec

# kpi.spark needs the spark extra (kpi[spark]); without pyspark its modules are not collected.
collect_ignore_glob = [] if find_spec("pyspark") else ["kpi/spark/*"]
