"""kpi.io.readers: discovery, decoding and the document/dead-letter generator (SCHEMA.md §2, §4)."""

from __future__ import annotations

import codecs
import io
import json
import os
import tempfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.io import formats, readers
from kpi.io.readers import (
    DeadLetter,
    Decoded,
    DecodeFailure,
    Document,
    InputError,
    decode,
    decode_bytes,
    discover,
    discover_inputs,
    iter_inputs,
    parse_published,
)

SIMPLIFIED = "今年力争认定高新技术企业130家，地区生产总值增长6.5%左右，城镇新增就业11万人。"
TRADITIONAL = "香港特別行政區政府今年將興建公營房屋三萬個單位，經濟增長預測為3.2%，失業率維持低水平。"
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV_INPUT = next(
    (
        p
        for p in (SHARED / "corpus/dev/input.jsonl", Path("/work/shared/corpus/dev/input.jsonl"))
        if p.exists()
    ),
    None,
)


def items(paths, **kw):
    return list(iter_inputs(paths, **kw))


def only(paths, **kw):
    (item,) = items(paths, **kw)
    return item


# --- discovery ---------------------------------------------------------------------------------


def test_discover_walks_folders_sorted_and_skips_other_and_hidden_files(tmp_path):
    for name in ("b/2.txt", "b/1.html", "a.jsonl", "c.parquet", "notes.md", ".hidden.txt", ".git/x.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])]
    assert found == ["a.jsonl", "b/1.html", "b/2.txt", "c.parquet"]


def test_discover_keeps_stdin_and_removes_repeats(tmp_path):
    (tmp_path / "a.txt").write_text("x")
    assert discover(["-", tmp_path / "a.txt", tmp_path / "a.txt"]) == [Path("-"), tmp_path / "a.txt"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.txt", "no such file or folder"),
        (lambda d: d, "no inputs found"),
        (lambda d: (d / "x.csv").write_text("a") and d / "x.csv", "not a .txt, .html, .jsonl or .parquet"),
    ],
    ids=["missing", "empty-folder", "unknown-type"],
)
def test_discover_raises_input_error(tmp_path, make, message):
    with pytest.raises(InputError, match=message):
        discover([make(tmp_path)])


def test_manifest_inside_an_input_folder_is_not_an_input(tmp_path):
    (tmp_path / "a.txt").write_text("正文")
    (tmp_path / "manifest.jsonl").write_text('{"doc_id": "a", "region": "福建省"}\n')
    docs = items([tmp_path], manifest=tmp_path / "manifest.jsonl")
    assert [d.doc_id for d in docs] == ["a"] and docs[0].region == "福建省"


# --- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [SIMPLIFIED, TRADITIONAL, "plain ASCII text"])
def test_utf8_with_and_without_bom(text):
    assert decode_bytes(text.encode()) == text
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode()) == text


@pytest.mark.parametrize("codec", ["gbk", "gb18030"])
@pytest.mark.parametrize("text", [SIMPLIFIED, TRADITIONAL])
def test_gb_encodings_decode(codec, text):
    assert decode_bytes(text.encode(codec)) == text


@pytest.mark.parametrize("codec", ["big5", "big5hkscs"])
def test_big5_decodes(codec):
    assert decode_bytes(TRADITIONAL.encode(codec)) == TRADITIONAL


@pytest.mark.skipif(DEV_INPUT is None, reason="shared/corpus/dev not present")
@pytest.mark.parametrize("codec", ["gbk", "big5hkscs"])
def test_every_dev_corpus_paragraph_decodes_in_gbk_and_big5(codec):
    docs = [json.loads(line) for line in DEV_INPUT.read_text(encoding="utf-8").splitlines()]
    tried = wrong = 0
    for paragraph in (p for d in docs for p in d["text"].split("\n")):
        try:
            data = paragraph.encode(codec)
        except UnicodeEncodeError:
            continue
        if len(data) >= 32 and data != paragraph.encode():
            tried += 1
            wrong += decode_bytes(data) != paragraph
    assert tried > 20 and wrong == 0


def test_undecodable_bytes_name_the_byte():
    data = SIMPLIFIED.encode("gbk") + b"\xff" * 30 + SIMPLIFIED.encode("gbk")
    with pytest.raises(
        DecodeFailure,
        match=r"not UTF-8, GB18030 or Big5-HKSCS at byte 77: more than 4 of its 184 bytes cannot be decoded",
    ):
        decode_bytes(data)


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04\x00\x00binary\x00", b"text with a NUL\x00 inside", bytes(range(256)) * 4],
    ids=["zip-header", "utf8-nul", "all-bytes"],
)
def test_binary_is_not_text(data):
    with pytest.raises(DecodeFailure):
        decode_bytes(data)


def test_random_high_bytes_are_not_gb18030_text():
    import random

    rng = random.Random(7)
    accepted = 0
    for _ in range(200):
        data = bytes(rng.randint(0x81, 0xFE) for _ in range(300))
        try:
            decode_bytes(data)
            accepted += 1
        except DecodeFailure as exc:
            assert "GB18030" in str(exc)
    assert accepted == 0


# --- text files and the manifest ---------------------------------------------------------------


def test_text_file_becomes_a_document(tmp_path):
    path = tmp_path / "d01.txt"
    path.write_bytes(SIMPLIFIED.encode("gbk"))
    assert only([path]) == Document("d01", SIMPLIFIED, None, None, str(path))


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
def test_manifest_supplies_metadata(tmp_path, kind):
    (tmp_path / "d01.txt").write_text(SIMPLIFIED, encoding="utf-8")
    manifest = tmp_path.parent / f"{tmp_path.name}-manifest.{kind}"
    if kind == "csv":
        manifest.write_text("doc_id,published,region\nd01,2024-03-05,福建省\n", encoding="utf-8")
    else:
        manifest.write_text(
            '{"doc_id": "d01", "published": "2024-03-05", "region": "福建省"}\n', encoding="utf-8"
        )
    doc = only([tmp_path], manifest=manifest)
    assert (doc.published, doc.region) == (date(2024, 3, 5), "福建省")


def test_bad_published_in_manifest_dead_letters_that_document(tmp_path):
    (tmp_path / "d01.txt").write_text(SIMPLIFIED, encoding="utf-8")
    manifest = tmp_path.parent / "m.jsonl"
    manifest.write_text('{"doc_id": "d01", "published": "2024-13-45"}\n')
    letter = only([tmp_path], manifest=manifest)
    assert letter.reason_code == "bad_published" and "2024-13-45" in letter.detail
    assert letter.raw == SIMPLIFIED.encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [("{broken\n", "line 1: not valid JSON"), ('{"published": "2024-01-01"}\n', "no doc_id")],
)
def test_unusable_manifest_is_an_input_error(tmp_path, content, message):
    (tmp_path / "a.txt").write_text("x")
    manifest = tmp_path.parent / "m.jsonl"
    manifest.write_text(content)
    with pytest.raises(InputError, match=message):
        iter_inputs([tmp_path], manifest=manifest)
    with pytest.raises(InputError, match="no such file|No such file"):
        iter_inputs([tmp_path], manifest=tmp_path.parent / "absent.csv")


def test_dangling_link_is_unreadable(tmp_path):
    (tmp_path / "ok.txt").write_text("正文")
    os.symlink(tmp_path / "nowhere", tmp_path / "broken.txt")
    letter, doc = items([tmp_path])
    assert (letter.reason_code, letter.doc_id, letter.raw) == ("unreadable", "broken", None)
    assert doc.doc_id == "ok"


def test_huge_text_file_is_too_large_without_being_read(tmp_path, monkeypatch):
    path = tmp_path / "big.txt"
    path.write_bytes(("字" * 1000).encode())
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a file that cannot fit"))
    letter = only([path], max_doc_chars=100)
    assert letter.reason_code == "too_large" and letter.raw is None


def test_raw_is_kept_up_to_one_megabyte(tmp_path):
    (tmp_path / "small.txt").write_bytes(b"\x01\x02\x00\x00" * 10)
    (tmp_path / "large.txt").write_bytes(b"\x00" * (readers.RAW_LIMIT + 1))
    large, small = items([tmp_path])
    assert small.raw == b"\x01\x02\x00\x00" * 10 and large.raw is None
    assert {small.reason_code, large.reason_code} == {"decode_error"}


# --- JSON lines and standard input -------------------------------------------------------------


def write_jsonl(path: Path, lines: list[str | dict]) -> Path:
    text = "\n".join(json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x for x in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_jsonl_documents_and_dead_letters(tmp_path):
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "id": "a",
                "text": SIMPLIFIED,
                "published": "2024-01-05",
                "region": "福建省",
                "url": "u",
                "title": "t",
            },
            {"doc_id": 7, "text": TRADITIONAL, "published": "2024-01-05T08:00:00"},
            "",
            '{"id": "b", "text": ',
            {"id": "c"},
            {"id": "d", "text": "x", "published": "yesterday"},
            {"id": "e", "text": " \u3000\n"},
            "[1, 2]",
            {"text": "没有编号"},
        ],
    )
    got = items([path])
    a, seven = got[0], got[1]
    assert (a.doc_id, a.published, a.region, a.source) == ("a", date(2024, 1, 5), "福建省", f"{path}:1")
    assert (seven.doc_id, seven.published) == ("7", date(2024, 1, 5))
    reasons = [(g.source.rsplit(":", 1)[1], g.reason_code) for g in got[2:7]]
    assert reasons == [
        ("4", "bad_json"),
        ("5", "missing_text"),
        ("6", "bad_published"),
        ("7", "empty"),
        ("8", "bad_json"),
    ]
    assert got[2].raw == b'{"id": "b", "text": ' and got[3].doc_id == "c"
    assert got[7].doc_id == "in.jsonl:9"


def test_gbk_encoded_jsonl_line_decodes(tmp_path):
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(json.dumps({"id": "g", "text": SIMPLIFIED}, ensure_ascii=False).encode("gbk") + b"\n")
    assert only([path]).text == SIMPLIFIED


def test_overlong_jsonl_line_is_skipped_unread(tmp_path):
    path = write_jsonl(
        tmp_path / "in.jsonl", [{"id": "big", "text": "字" * 400_000}, {"id": "ok", "text": "正文"}]
    )
    big, ok = items([path], max_doc_chars=10)
    assert (big.reason_code, big.source, big.raw) == ("too_large", f"{path}:1", None)
    assert ok.doc_id == "ok"


@pytest.mark.parametrize("stream", [io.BytesIO, lambda b: io.StringIO(b.decode())], ids=["binary", "text"])
def test_stdin_json_lines(stream):
    data = (json.dumps({"id": "s", "text": SIMPLIFIED}, ensure_ascii=False) + "\nnot json\n").encode()
    doc, letter = items(["-"], stdin=stream(data))
    assert (doc.doc_id, doc.source) == ("s", "<stdin>:1")
    assert (letter.source, letter.reason_code) == ("<stdin>:2", "bad_json")


# --- Parquet -----------------------------------------------------------------------------------


def test_parquet_is_read_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(formats, "PARQUET_BATCH_ROWS", 7)
    n = 30
    table = pa.table(
        {
            "id": [f"p{i}" for i in range(n)],
            "text": [None if i == 3 else f"正文{i}" for i in range(n)],
            "published": [date(2024, 1, 1)] * n,
            "region": ["澳门特别行政区"] * n,
            "extra": list(range(n)),
        }
    )
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=10)
    got = items([tmp_path / "in.parquet"])
    assert len(got) == n and got[3].reason_code == "missing_text" and got[3].source.endswith("#3")
    assert json.loads(got[3].raw)["id"] == "p3"
    assert (got[29].doc_id, got[29].published, got[29].region) == ("p29", date(2024, 1, 1), "澳门特别行政区")


def test_parquet_binary_text_column_is_decoded(tmp_path):
    pq.write_table(pa.table({"doc_id": ["b"], "text": [TRADITIONAL.encode("big5")]}), tmp_path / "b.parquet")
    assert only([tmp_path / "b.parquet"]).text == TRADITIONAL


@pytest.mark.parametrize(
    "columns", [{"id": ["a"], "body": ["x"]}, {"id": ["a"], "text": [1]}], ids=["none", "int"]
)
def test_parquet_without_a_text_column_is_an_input_error(tmp_path, columns):
    pq.write_table(pa.table(columns), tmp_path / "x.parquet")
    with pytest.raises(InputError, match="text"):
        iter_inputs([tmp_path / "x.parquet"])


def test_corrupt_parquet_is_unreadable(tmp_path):
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    letter = only([tmp_path / "bad.parquet"])
    assert letter.reason_code == "unreadable"


# --- published ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("2024-02-29", date(2024, 2, 29)), ("2024-02-29 10:00", date(2024, 2, 29))],
)
def test_parse_published(value, expected):
    assert parse_published(value) == expected


@pytest.mark.parametrize("value", ["2023-02-29", "5 March 2024", 20240101, ["2024-01-01"]])
def test_parse_published_rejects(value):
    with pytest.raises(ValueError, match="not an ISO date"):
        parse_published(value)


# --- fuzzing: never raises, one item per input -------------------------------------------------

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(st.binary(max_size=400), min_size=1, max_size=5))
def test_fuzz_random_files_yield_one_item_each(blobs):
    with tempfile.TemporaryDirectory() as folder:
        for i, blob in enumerate(blobs):
            Path(folder, f"{i}.txt").write_bytes(blob)
        got = items([folder])
    assert len(got) == len(blobs)
    assert all(isinstance(g, Document | DeadLetter) for g in got)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
json_objects = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "text": json_values | st.text(),
        "published": json_values,
        "region": json_values,
    },
)
json_ish_lines = st.one_of(
    json_objects.map(lambda o: json.dumps(o, ensure_ascii=False).encode()),
    st.binary(max_size=80),
    st.text(max_size=80).map(str.encode),
).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" "))


@FUZZ
@given(st.lists(json_ish_lines, min_size=1, max_size=8))
def test_fuzz_json_lines_never_raise_and_balance(lines):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "in.jsonl")
        path.write_bytes(b"\n".join(lines) + b"\n")
        got = items([path], max_doc_chars=50)
    assert len(got) == sum(1 for line in lines if line.strip())
    for g in got:
        assert isinstance(g, Document) or g.reason_code in readers_reasons()


def readers_reasons():
    from kpi.record import DEAD_LETTER_REASONS

    return DEAD_LETTER_REASONS


@FUZZ
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1))
def test_fuzz_utf8_round_trip(text):
    assert decode_bytes(text.encode()) == text


def test_raw_control_character_in_a_json_line_is_bad_json(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a", "text": "tab\x01here"}\n{"id": "b", "text": "NUL \\u0000 escaped"}\n')
    letter, doc = items([path])
    assert letter.reason_code == "bad_json" and doc.text == "NUL \x00 escaped"


# --- lenient decoding (issue 11) ---------------------------------------------------------------

REPORT_LINE = "今年力争新招引科技型企业100家，技术合同交易额达3.9亿元。"
LONG = "\n".join([REPORT_LINE, SIMPLIFIED] * 30)
LONG_HK = "\n".join([TRADITIONAL] * 40)


def _insert(data: bytes, at: int, junk: bytes = b"\xff") -> bytes:
    return data[:at] + junk + data[at:]


@pytest.mark.parametrize(
    ("data", "text", "codec", "replaced"),
    [
        (_insert(LONG.encode(), len(LONG[:500].encode())), LONG[:500] + "\ufffd" + LONG[500:], "utf-8", 1),
        (LONG.encode()[:-1], LONG[:-1] + "\ufffd", "utf-8", 2),
        (LONG.encode()[:-2], LONG[:-1] + "\ufffd", "utf-8", 1),
        (
            _insert(LONG.encode("gb18030"), len(LONG[:500].encode("gb18030"))),
            LONG[:500] + "\ufffd" + LONG[500:],
            "gb18030",
            1,
        ),
        (LONG.encode("gbk")[:-1], LONG[:-1] + "\ufffd", "gb18030", 1),
        (LONG_HK.encode("big5hkscs")[:-1], LONG_HK[:-1] + "\ufffd", "big5hkscs", 1),
        (codecs.BOM_UTF16_LE + LONG.encode("utf-16-le"), LONG, "utf-16", 0),
        (codecs.BOM_UTF16_BE + LONG.encode("utf-16-be"), LONG, "utf-16", 0),
        (codecs.BOM_UTF16_LE + LONG.encode("utf-16-le")[:-1], LONG[:-1] + "\ufffd", "utf-16", 1),
        (codecs.BOM_UTF32_LE + LONG.encode("utf-32-le"), LONG, "utf-32", 0),
        (codecs.BOM_UTF32_BE + LONG.encode("utf-32-be"), LONG, "utf-32", 0),
        (codecs.BOM_UTF8 + LONG.encode()[:-1], LONG[:-1] + "\ufffd", "utf-8-sig", 2),
        (REPORT_LINE.encode()[:-1], REPORT_LINE[:-1] + "\ufffd", "utf-8", 2),  # short: the 4-byte floor
        (SIMPLIFIED.encode("gbk"), SIMPLIFIED, "gb18030", 0),  # strict GB18030 still wins
    ],
    ids=[
        "utf8-stray",
        "utf8-cut-1",
        "utf8-cut-2",
        "gb18030-stray",
        "gbk-cut",
        "big5-cut",
        "utf16le-bom",
        "utf16be-bom",
        "utf16-bom-cut",
        "utf32le-bom",
        "utf32be-bom",
        "utf8-bom-cut",
        "short-utf8-cut",
        "plain-gbk",
    ],
)
def test_lenient_decoding_table(data, text, codec, replaced):
    assert decode(data) == Decoded(text, codec, replaced)


@pytest.mark.parametrize(
    "data",
    [
        bytes(b if i % 20 else 0xFF for i, b in enumerate(LONG.encode())),  # one byte in twenty spoiled
        b"\xff" * 3 + b"ab",  # more than half replaced
        codecs.BOM_UTF16_LE + bytes(range(0x80, 0x100)) * 8,  # a BOM, then no text
        codecs.BOM_UTF32_LE + b"\xff\xff\xff\xff" * 50,  # a BOM, then nothing decodable
    ],
    ids=["five-percent", "mostly-junk", "utf16-bom-then-binary", "utf32-bom-then-junk"],
)
def test_mostly_undecodable_is_a_failure(data):
    with pytest.raises(DecodeFailure):
        decode(data)


def test_a_utf8_line_cut_in_a_character_is_not_read_as_gb18030():
    """Strict GB18030 decodes many cut UTF-8 lines into mojibake; enough UTF-8 evidence wins."""
    line = "来源URL：https://gaoyang.gov.cn/info_show，全年地区生产总值增长6.5%左右，城镇新增就业11万人。"
    assert decode(line.encode()[:-1]).text == line[:-1] + "\ufffd"


@FUZZ
@given(
    st.text(
        alphabet="今年力争新招引科技型企业家技术合同交易额达亿元地区生产总值增长左右，。0123456789%\n",
        min_size=100,
    ),
    st.integers(min_value=0),
    st.sampled_from([b"\xff", b"\x80", b"\xfe\xfe"]),
)
def test_fuzz_one_stray_sequence_in_utf8_costs_only_those_bytes(text, at, junk):
    at %= len(text) + 1
    decoded = decode(text[:at].encode() + junk + text[at:].encode())
    assert decoded.codec == "utf-8" and decoded.replaced_bytes == len(junk)
    assert decoded.text.replace("\ufffd", "") == text


# --- ids -----------------------------------------------------------------------------------------


def test_input_names_are_relative_to_their_folder(tmp_path):
    for name in ("a/report.txt", "a/sub/report.html", "b/report.txt", "b/in.jsonl"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    one = {i.name: i.doc_id for i in discover_inputs([tmp_path])}
    assert one == {"a/report.txt": "a/report", "a/sub/report.html": "a/sub/report", "b/in.jsonl": "b/in",
                   "b/report.txt": "b/report"}  # fmt: skip
    two = [i.name for i in discover_inputs([tmp_path / "a", tmp_path / "b"])]
    assert two == ["a/report.txt", "a/sub/report.html", "b/in.jsonl", "b/report.txt"]
    single = discover_inputs([tmp_path / "a" / "report.txt"])
    assert [(i.name, i.doc_id) for i in single] == [("report.txt", "report")]


def test_repeated_ids_become_duplicate_id_dead_letters(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", [{"id": "r", "text": SIMPLIFIED}, {"id": "r", "text": TRADITIONAL}])
    (tmp_path / "r.txt").write_text(SIMPLIFIED, encoding="utf-8")
    doc, again, file = items([tmp_path / "in.jsonl", tmp_path / "r.txt"])
    assert isinstance(doc, Document) and doc.doc_id == "r"
    for letter, source in ((again, f"{tmp_path / 'in.jsonl'}:2"), (file, str(tmp_path / "r.txt"))):
        assert (letter.reason_code, letter.doc_id, letter.source) == ("duplicate_id", "r", source)
        assert letter.detail == f"the id 'r' was already taken by {tmp_path / 'in.jsonl'}:1"
        assert letter.raw


def test_a_rejected_input_does_not_take_its_id(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", [{"id": "r", "text": " "}, {"id": "r", "text": SIMPLIFIED}])
    empty, doc = items([tmp_path / "in.jsonl"])
    assert empty.reason_code == "empty" and isinstance(doc, Document)


def test_manifest_matches_the_relative_id_or_the_stem(tmp_path):
    (tmp_path / "in" / "a").mkdir(parents=True)
    (tmp_path / "in" / "a" / "x.txt").write_text(SIMPLIFIED, encoding="utf-8")
    (tmp_path / "in" / "y.txt").write_text(SIMPLIFIED, encoding="utf-8")
    manifest = tmp_path / "m.jsonl"
    write_jsonl(manifest, [{"doc_id": "a/x", "region": "福建省"}, {"doc_id": "y", "region": "江苏省"}])
    got = {d.doc_id: d.region for d in items([tmp_path / "in"], manifest=manifest)}
    assert got == {"a/x": "福建省", "y": "江苏省"}


def test_replaced_bytes_reach_the_document(tmp_path):
    (tmp_path / "r.txt").write_bytes(LONG.encode()[:-1])
    write_jsonl(tmp_path / "in.jsonl", [])
    (tmp_path / "in.jsonl").write_bytes(
        json.dumps({"id": "j", "text": LONG}, ensure_ascii=False).encode()[:300] + b"\xff"
        + json.dumps({"id": "j", "text": LONG}, ensure_ascii=False).encode()[300:] + b"\n"
    )  # fmt: skip
    line, text = items([tmp_path / "in.jsonl", tmp_path / "r.txt"])
    assert (line.doc_id, line.replaced_bytes, text.replaced_bytes) == ("j", 1, 2)
