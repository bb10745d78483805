"""The extractor's stages, in pipeline order: normalise → segment → find → resolve → reject →
classify / period / context → extract (the entry point, exposed as `kpi.extract`)."""
