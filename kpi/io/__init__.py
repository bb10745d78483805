"""Input and output of kpi runs (SCHEMA.md §2–§4).

- `kpi.io.readers`: the inputs of a run; every input becomes a `Document` or a `DeadLetter`. Built on
  `kpi.io.decoding` (bytes -> text, leniently), `kpi.io.discovery` (files and their unique names),
  `kpi.io.documents` (Document, DeadLetter, the checks) and `kpi.io.formats` (JSON lines, Parquet).
- `kpi.io.writers`: atomic Parquet (row group by row group) and JSON files with lineage metadata.
- `kpi.io.datapackage`: the Frictionless `datapackage.json` describing the tables.

Import the submodule you need; this package imports nothing itself, so `import kpi` stays fast.
"""
