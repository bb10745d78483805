"""Messy input through the real `kpi extract` (issue 11, SCHEMA.md §2): a few bad bytes, byte-order
marks and repeated ids lose nothing and merge nothing, and the counts always balance."""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from extract_inputs import LAYOUTS, jsonl, run, summary_of

import kpi

PARAGRAPH = (
    "今年力争新招引科技型企业100家，技术合同交易额达3.9亿元。全年地区生产总值增长6.5%左右，"
    "城镇新增就业11万人。今年力争认定高新技术企业130家，研发经费投入增长10%以上。"
)
TRADITIONAL = "香港特別行政區政府今年將興建公營房屋三萬個單位，經濟增長預測為3.2%。"
REPORT = "\n".join([PARAGRAPH] * 220)  # about 20,000 characters, six records a paragraph
HK_REPORT = "\n".join([TRADITIONAL] * 300)


def n_records(*texts: str) -> int:
    """How many records the extractor finds in `texts` (at least one each)."""
    counts = [len(kpi.extract(text, doc_id="x")) for text in texts]
    assert all(counts)
    return sum(counts)


def mentions(out: Path) -> Counter:
    return Counter(pl.read_parquet(out / "records.parquet")["mention"].to_list())


def stray(text: str, codec: str) -> bytes:
    """`text` in `codec` with one 0xFF byte put in before its middle paragraph."""
    at = text.index("\n", len(text) // 2) + 1
    return text[:at].encode(codec) + b"\xff" + text[at:].encode(codec)


def with_bom(text: str, bom: bytes, codec: str) -> bytes:
    return bom + text.encode(codec)


# (name, the report, its bytes, bytes replaced by U+FFFD)
LENIENT: list[tuple[str, str, Callable[[str], bytes], int]] = [
    ("utf8-stray-byte", REPORT, lambda t: stray(t, "utf-8"), 1),
    ("utf8-cut-last-character", REPORT, lambda t: t.encode()[:-1], 2),
    ("gb18030-stray-byte", REPORT, lambda t: stray(t, "gb18030"), 1),
    ("gbk-cut-last-character", REPORT, lambda t: t.encode("gbk")[:-1], 1),
    ("big5-stray-byte", HK_REPORT, lambda t: stray(t, "big5hkscs"), 1),
    ("utf16-le-bom", REPORT, lambda t: with_bom(t, codecs.BOM_UTF16_LE, "utf-16-le"), 0),
    ("utf16-be-bom", REPORT, lambda t: with_bom(t, codecs.BOM_UTF16_BE, "utf-16-be"), 0),
    ("utf16-le-bom-cut", REPORT, lambda t: with_bom(t, codecs.BOM_UTF16_LE, "utf-16-le")[:-1], 1),
    ("utf32-le-bom", REPORT, lambda t: with_bom(t, codecs.BOM_UTF32_LE, "utf-32-le"), 0),
    ("utf32-be-bom", REPORT, lambda t: with_bom(t, codecs.BOM_UTF32_BE, "utf-32-be"), 0),
    ("utf8-bom", REPORT, lambda t: with_bom(t, codecs.BOM_UTF8, "utf-8"), 0),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Counter]:
    """The mentions of each report read from clean UTF-8."""
    found = {}
    for name, text in (("report", REPORT), ("hk", HK_REPORT)):
        folder = tmp_path_factory.mktemp(name)
        (folder / "report.txt").write_text(text, encoding="utf-8")
        assert run(folder / "report.txt", "--out", folder / "out").exit_code == 0
        found[text] = mentions(folder / "out")
    return found


@pytest.mark.parametrize(("name", "text", "encode", "replaced"), LENIENT, ids=[c[0] for c in LENIENT])
def test_a_few_bad_bytes_or_a_bom_lose_no_record(tmp_path, clean, name, text, encode, replaced):
    (tmp_path / "report.txt").write_bytes(encode(text))
    result = run(tmp_path / "report.txt", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_processed"], summary["dead_letters"]) == (1, 0)
    assert (summary["decoded_with_replacement"], summary["replaced_bytes"]) == (int(replaced > 0), replaced)
    expected = clean[text]
    assert sum(expected.values()) > 200
    got = mentions(tmp_path / "out")
    if name.endswith(("cut-last-character", "bom-cut")):
        assert sum((expected - got).values()) <= 1  # at most the cut sentence's last figure
    else:
        assert got == expected


def test_mostly_undecodable_is_a_decode_error_naming_the_share(tmp_path):
    data = bytearray(REPORT[:2000].encode())
    data[::7] = b"\xff" * len(data[::7])  # one byte in seven spoiled
    (tmp_path / "junk.txt").write_bytes(bytes(data))
    run(tmp_path / "junk.txt", "--out", tmp_path / "out")
    summary = summary_of(tmp_path / "out")
    assert summary["dead_letters_by_reason"]["decode_error"] == 1 and summary["replaced_bytes"] == 0
    (letter,) = pl.read_parquet(tmp_path / "out" / "dead_letter.parquet").to_dicts()
    assert f"more than {len(data) // 100} of its {len(data):,} bytes cannot be decoded" in letter["detail"]
    assert letter["raw"] == bytes(data)


# --- ids -----------------------------------------------------------------------------------------


def two_reports(root: Path, same: bool) -> None:
    for folder, text in (("a", PARAGRAPH), ("b", PARAGRAPH if same else TRADITIONAL)):
        (root / folder).mkdir(parents=True)
        (root / folder / "report.txt").write_text(text, encoding="utf-8")


@pytest.mark.parametrize("same", [False, True], ids=["different-texts", "identical-copies"])
@pytest.mark.parametrize("invocation", ["two-folders", "one-parent-folder"])
def test_same_named_files_in_two_folders_are_two_documents(tmp_path, same, invocation):
    root = tmp_path / "in"
    two_reports(root, same)
    inputs = [root / "a", root / "b"] if invocation == "two-folders" else [root]
    result = run(*inputs, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_processed"], summary["dead_letters"], summary["quarantined"]) == (2, 0, 0)
    records = pl.read_parquet(tmp_path / "out" / "records.parquet")
    assert sorted(records["doc_id"].unique()) == ["a/report", "b/report"]
    assert records.height == (2 * n_records(PARAGRAPH) if same else n_records(PARAGRAPH, TRADITIONAL))
    assert records["record_id"].n_unique() == records.height


def test_single_file_keeps_its_stem(tmp_path):
    (tmp_path / "report.txt").write_text(PARAGRAPH, encoding="utf-8")
    run(tmp_path / "report.txt", "--out", tmp_path / "out")
    assert pl.read_parquet(tmp_path / "out" / "records.parquet")["doc_id"].unique().to_list() == ["report"]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda v: v.__name__)
def test_a_repeated_id_is_a_duplicate_id_dead_letter_naming_the_first(tmp_path, layout):
    inputs, first, second = layout(tmp_path, "r1", PARAGRAPH, TRADITIONAL)
    result = run(*inputs, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_in"], summary["documents_processed"]) == (2, 1)
    assert summary["dead_letters_by_reason"]["duplicate_id"] == 1
    (letter,) = pl.read_parquet(tmp_path / "out" / "dead_letter.parquet").to_dicts()
    assert letter["reason_code"] == "duplicate_id" and letter["source"].endswith(second)
    assert letter["doc_id"] == "r1" and letter["detail"].endswith(first)
    assert TRADITIONAL.encode() in letter["raw"]  # nothing lost
    records = pl.read_parquet(tmp_path / "out" / "records.parquet")
    assert records["doc_id"].unique().to_list() == ["r1"] and records.height == n_records(PARAGRAPH)
    assert "duplicate_id 1" in result.stdout


def test_json_lines_without_ids_in_two_folders_do_not_collide(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / "in" / folder).mkdir(parents=True)
        jsonl(tmp_path / "in" / folder / "in.jsonl", {"text": PARAGRAPH})
    run(tmp_path / "in", "--out", tmp_path / "out")
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_processed"], summary["dead_letters"]) == (2, 0)
    doc_ids = pl.read_parquet(tmp_path / "out" / "records.parquet")["doc_id"].unique().sort().to_list()
    assert doc_ids == ["a/in.jsonl:1", "b/in.jsonl:1"]


def test_everything_messy_at_once_balances(tmp_path):
    root = tmp_path / "in"
    two_reports(root, same=False)
    (root / "stray.txt").write_bytes(stray(REPORT[:3000], "utf-8"))
    (root / "utf16.txt").write_bytes(with_bom(PARAGRAPH, codecs.BOM_UTF16_LE, "utf-16-le"))
    (root / "junk.txt").write_bytes(b"\x81" * 10 + b"\xff\xfe\xfd" * 10)
    jsonl(root / "in.jsonl", {"id": "x", "text": PARAGRAPH}, {"id": "x", "text": PARAGRAPH})
    run(root, "--out", tmp_path / "out")
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_in"], summary["documents_processed"], summary["dead_letters"]) == (7, 5, 2)
    assert summary["decoded_with_replacement"] == 1 and summary["replaced_bytes"] == 1
    assert {k: v for k, v in summary["dead_letters_by_reason"].items() if v} == {
        "decode_error": 1,
        "duplicate_id": 1,
    }
