"""`kpi stream`: documents in as they arrive, records out exactly once (SCHEMA.md §3).

The tree follows a batch through the stream:

- `plan`: what a micro-batch covers (file identities, slices) and the ledger of committed progress;
- `checkpoint`: the write-ahead log under `DIR/_checkpoint/` (plans, states, commit markers, lock),
  and the crash points tests use (`KPI_CRASH_AT`);
- `sources`: scanning folders and files, planning the next batch, reading a slice as documents;
- `spool`: standard input, copied into the checkpoint before a batch reads it;
- `sinks`: the Parquet dataset or the Delta tables a batch is published to, idempotently;
- `hook`: `BatchHook`, the extension point inside the commit (tracking state);
- `runner`: the loop and the commit protocol (`run_stream`); `status`: `kpi status`.

Import the submodule you need; this package imports nothing itself.
"""
