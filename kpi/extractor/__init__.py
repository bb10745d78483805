"""The extractor's stages, in pipeline order (`extract` wires them together):

normalise → layout (`segment`) → document model (`document`, with `region` and `structure`) → find →
resolve → reject → indicator (with `clause` and `phrase`) → interpret (kind and period: `period` gives
the year, then `classify` the kind where the document model gives no paragraph mode) → records
(`extract`, the entry point, exposed as `kpi.extract`). Window sizes are in `reach`."""
