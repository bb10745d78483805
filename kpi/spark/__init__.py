"""kpi on Apache Spark (`pip install "kpi[spark]"`; docs/spark.md).

session (a SparkSession safe on a laptop) → extract (documents → records with mapInArrow) → validate
(the records suite through GX's Spark engine) → batch (`kpi spark extract`) and stream
(`kpi spark stream`, exactly once for plain Parquet readers). pyspark is imported only inside
functions, so importing these modules works without it.
"""
