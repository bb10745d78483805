"""Every bad input of SCHEMA.md §2 through the real `kpi extract`: a dead letter with its reason, or
exit code 2 with a one-line message — never a traceback, and counts always balance."""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from extract_inputs import LAYOUTS, jsonl, run, summary_of

import kpi.extractor.extract
from kpi.cli import cli

SIMPLIFIED = "今年力争认定高新技术企业130家，地区生产总值增长6.5%左右。"
TRADITIONAL = "香港特別行政區政府今年將興建公營房屋三萬個單位，經濟增長預測為3.2%。"
TEN_MB = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def quiet_extractor(monkeypatch):
    """These tests are about inputs: the extractor (work in progress) is replaced by one that finds nothing."""
    seen: list[tuple[str, str]] = []

    def extract(text, *, doc_id, published=None, region=None):
        seen.append((doc_id, text))
        return []

    monkeypatch.setattr(kpi.extractor.extract, "extract", extract)
    return seen


def _gbk(d: Path) -> Path:
    (d / "gbk.txt").write_bytes(SIMPLIFIED.encode("gbk"))
    return d / "gbk.txt"


def _big5(d: Path) -> Path:
    (d / "big5.txt").write_bytes(TRADITIONAL.encode("big5hkscs"))
    return d / "big5.txt"


@pytest.mark.parametrize(("make", "text"), [(_gbk, SIMPLIFIED), (_big5, TRADITIONAL)], ids=["gbk", "big5"])
def test_gbk_and_big5_files_become_documents(tmp_path, quiet_extractor, make, text):
    result = run(make(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 0
    assert quiet_extractor == [(make(tmp_path).stem, text)]
    assert summary_of(tmp_path / "out")["documents_processed"] == 1


def _undecodable(d: Path) -> Path:
    (d / "bad.txt").write_bytes(SIMPLIFIED.encode("gbk")[:20] + b"\xff\xfe\xff" + b"\x80" * 40)
    return d / "bad.txt"


def _binary(d: Path) -> Path:
    (d / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    return d / "image.txt"


def _empty(d: Path) -> Path:
    (d / "empty.txt").write_text(" \n\u3000\t\n", encoding="utf-8")
    return d / "empty.txt"


def _ten_mb(d: Path) -> Path:
    (d / "huge.txt").write_bytes("字".encode() * (TEN_MB // 3))
    return d / "huge.txt"


def _broken_json(d: Path) -> Path:
    return jsonl(d / "in.jsonl", '{"id": "a", "text": "正文')


def _missing_text(d: Path) -> Path:
    return jsonl(d / "in.jsonl", {"id": "a", "title": "只有标题"})


def _bad_published(d: Path) -> Path:
    return jsonl(d / "in.jsonl", {"id": "a", "text": SIMPLIFIED, "published": "2024年3月5日"})


def _unreadable(d: Path) -> Path:
    (d / "in").mkdir()
    (d / "in" / "gone.txt").symlink_to(d / "nowhere.txt")
    return d / "in"


def _parquet_null_text(d: Path) -> Path:
    pq.write_table(pa.table({"id": ["a"], "text": pa.array([None], pa.string())}), d / "in.parquet")
    return d / "in.parquet"


@pytest.mark.parametrize(
    ("make", "reason", "source_suffix"),
    [
        (_undecodable, "decode_error", "bad.txt"),
        (_binary, "decode_error", "image.txt"),
        (_empty, "empty", "empty.txt"),
        (_ten_mb, "too_large", "huge.txt"),
        (_broken_json, "bad_json", "in.jsonl:1"),
        (_missing_text, "missing_text", "in.jsonl:1"),
        (_bad_published, "bad_published", "in.jsonl:1"),
        (_unreadable, "unreadable", "gone.txt"),
        (_parquet_null_text, "missing_text", "in.parquet#0"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_bad_input_is_a_dead_letter(tmp_path, make, reason, source_suffix):
    path = make(tmp_path)
    result = run(path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_in"], summary["dead_letters"], summary["dead_letters_by_reason"][reason]) == (
        1,
        1,
        1,
    )
    (letter,) = pl.read_parquet(tmp_path / "out" / "dead_letter.parquet").to_dicts()
    assert letter["reason_code"] == reason and letter["source"].endswith(source_suffix)
    assert letter["detail"] and "\n" not in letter["detail"]
    assert f"{reason} 1" in result.stdout


def test_decode_error_detail_names_the_byte(tmp_path):
    run(_undecodable(tmp_path), "--out", tmp_path / "out")
    (letter,) = pl.read_parquet(tmp_path / "out" / "dead_letter.parquet").to_dicts()
    assert letter["detail"] == (
        "not UTF-8, GB18030 or Big5-HKSCS at byte 20: more than 4 of its 63 bytes cannot be decoded"
    )
    assert letter["raw"] == (tmp_path / "bad.txt").read_bytes()


def test_ten_megabytes_fit_when_the_limit_is_raised(tmp_path):
    path = _ten_mb(tmp_path)
    result = run(path, "--out", tmp_path / "out", "--max-doc-chars", 4_000_000)
    assert result.exit_code == 0
    assert summary_of(tmp_path / "out")["documents_processed"] == 1


def test_max_doc_chars_applies_to_json_lines(tmp_path):
    path = jsonl(
        tmp_path / "in.jsonl", {"id": "short", "text": "一二三四五"}, {"id": "long", "text": "一二三四五六"}
    )
    run(path, "--out", tmp_path / "out", "--max-doc-chars", 5)
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_processed"], summary["dead_letters_by_reason"]["too_large"]) == (1, 1)
    letter = pl.read_parquet(tmp_path / "out" / "dead_letter.parquet").row(0, named=True)
    assert letter["doc_id"] == "long" and json.loads(letter["raw"])["id"] == "long"


def test_everything_at_once_balances(tmp_path):
    for make in (_gbk, _big5, _undecodable, _binary, _empty, _stray_byte, _cut_last_character):
        make(tmp_path)
    _bom("utf16", codecs.BOM_UTF16_LE, "utf-16-le")(tmp_path)
    jsonl(
        tmp_path / "in.jsonl",
        {"id": "ok", "text": SIMPLIFIED},
        "{",
        {"id": "x"},
        "",
        {"text": "无编号"},
        {"id": "ok", "text": TRADITIONAL},
    )
    result = run(tmp_path, "--out", tmp_path.parent / "out")
    summary = summary_of(tmp_path.parent / "out")
    assert (summary["documents_in"], summary["documents_processed"], summary["dead_letters"]) == (13, 7, 6)
    assert (summary["decoded_with_replacement"], summary["replaced_bytes"]) == (2, 3)
    assert summary["dead_letters_by_reason"]["duplicate_id"] == 1
    assert result.exit_code == 0


# --- lenient decoding and unique ids (issue 11) -------------------------------------------------

REPORT = "\n".join(["今年力争新招引科技型企业100家，技术合同交易额达3.9亿元。", SIMPLIFIED] * 100)


def _stray_byte(d: Path) -> tuple[Path, str]:
    half = REPORT.index("\n", len(REPORT) // 2)
    (d / "stray.txt").write_bytes(REPORT[:half].encode() + b"\xff" + REPORT[half:].encode())
    return d / "stray.txt", REPORT[:half] + "\ufffd" + REPORT[half:]


def _cut_last_character(d: Path) -> tuple[Path, str]:
    (d / "cut.txt").write_bytes(REPORT.encode()[:-1])
    return d / "cut.txt", REPORT[:-1] + "\ufffd"


def _gb18030_stray_byte(d: Path) -> tuple[Path, str]:
    (d / "gb.txt").write_bytes(b"\xff" + REPORT.encode("gb18030"))
    return d / "gb.txt", "\ufffd" + REPORT


def _bom(name: str, bom: bytes, codec: str) -> Callable[[Path], tuple[Path, str]]:
    def make(d: Path) -> tuple[Path, str]:
        (d / f"{name}.txt").write_bytes(bom + TRADITIONAL.encode(codec))
        return d / f"{name}.txt", TRADITIONAL

    make.__name__ = name
    return make


@pytest.mark.parametrize(
    ("make", "replaced"),
    [
        (_stray_byte, 1),
        (_cut_last_character, 2),
        (_gb18030_stray_byte, 1),
        (_bom("utf16_le", codecs.BOM_UTF16_LE, "utf-16-le"), 0),
        (_bom("utf16_be", codecs.BOM_UTF16_BE, "utf-16-be"), 0),
        (_bom("utf32_le", codecs.BOM_UTF32_LE, "utf-32-le"), 0),
        (_bom("utf32_be", codecs.BOM_UTF32_BE, "utf-32-be"), 0),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_nearly_clean_and_bom_inputs_are_documents(tmp_path, quiet_extractor, make, replaced):
    path, text = make(tmp_path)
    result = run(path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert quiet_extractor == [(path.stem, text)]
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_processed"], summary["dead_letters"]) == (1, 0)
    assert (summary["decoded_with_replacement"], summary["replaced_bytes"]) == (min(replaced, 1), replaced)


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda v: v.__name__)
def test_repeated_id_is_a_duplicate_id_dead_letter(tmp_path, quiet_extractor, layout):
    inputs, first, _ = layout(tmp_path, "a", SIMPLIFIED, TRADITIONAL)
    result = run(*inputs, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    summary = summary_of(tmp_path / "out")
    assert (summary["documents_in"], summary["documents_processed"], summary["dead_letters"]) == (2, 1, 1)
    (letter,) = pl.read_parquet(tmp_path / "out" / "dead_letter.parquet").to_dicts()
    assert (letter["reason_code"], letter["doc_id"]) == ("duplicate_id", "a")
    assert letter["detail"].startswith("the id 'a' was already taken by ") and letter["detail"].endswith(
        first
    )
    assert TRADITIONAL.encode() in letter["raw"]
    assert quiet_extractor == [("a", SIMPLIFIED)]
    assert "duplicate_id 1" in result.stdout


def test_same_named_files_in_two_folders_are_both_read(tmp_path, quiet_extractor):
    for folder, text in (("a", SIMPLIFIED), ("b", SIMPLIFIED)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(text, encoding="utf-8")
    run(tmp_path / "a", tmp_path / "b", "--out", tmp_path / "out")
    assert summary_of(tmp_path / "out")["documents_processed"] == 2
    assert [doc_id for doc_id, _ in quiet_extractor] == ["a/report", "b/report"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (lambda d: [d / "absent.txt"], "absent.txt: no such file or folder"),
        (lambda d: [d], "no inputs found"),
        (lambda d: [d / "notext.parquet"], "has no `text` column"),
        (lambda d: [d / "a.txt", "--manifest", d / "absent.csv"], "manifest"),
    ],
    ids=["missing-path", "no-inputs", "parquet-without-text", "missing-manifest"],
)
def test_unusable_input_exits_2_with_one_line(tmp_path, args, message):
    src = tmp_path / "src"
    src.mkdir()
    pq.write_table(pa.table({"id": ["a"], "body": ["正文"]}), tmp_path / "notext.parquet")
    (tmp_path / "a.txt").write_text("正文", encoding="utf-8")
    target = args(tmp_path if message != "no inputs found" else src)
    result = run(*target, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1 and result.stdout == ""
    assert not (tmp_path / "out" / "records.parquet").exists()


@pytest.mark.parametrize("args", [[], ["x.txt"], ["x.txt", "--out", "o", "--max-doc-chars", "0"]])
def test_bad_invocation_exits_2(args):
    result = CliRunner().invoke(cli, ["extract", *args])
    assert result.exit_code == 2 and "Usage" in result.stderr
