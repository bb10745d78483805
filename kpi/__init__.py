"""kpi: turn Chinese government and news text into validated, tracked KPI records.

>>> from kpi import extract
>>> [(r.value, r.unit, r.kind) for r in extract("今年力争认定高新技术企业130家。", doc_id="d", published=None)]
[(130.0, 'count', 'target')]
"""

__version__ = "0.1.0"
__all__ = ["Record", "__version__", "extract", "extract_frame"]


def __getattr__(name: str):  # lazy: keep `import kpi` and `kpi --version` fast
    if name == "Record":
        from kpi.record import Record

        return Record
    if name == "extract":
        from kpi.extractor.extract import extract

        return extract
    if name == "extract_frame":
        from kpi.frame import extract_frame

        return extract_frame
    raise AttributeError(name)
