"""Input and output of kpi runs (SCHEMA.md §2–§4).

- `kpi.io.readers`: input discovery and decoding; every input becomes a `Document` or a `DeadLetter`.
- `kpi.io.writers`: atomic Parquet (row group by row group) and JSON files with lineage metadata.
- `kpi.io.datapackage`: the Frictionless `datapackage.json` describing the tables.

Import the submodule you need; this package imports nothing itself, so `import kpi` stays fast.
"""
