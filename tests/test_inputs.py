"""infer.inputs reads JSONL lazily, line by line, with errors that name the line."""
import pytest

from infer.inputs import InputError, read_documents


def test_jsonl_lines_end_at_newlines_only(tmp_path):
    src = tmp_path / "in.jsonl"
    # a raw U+2028 inside a JSON string is legal JSON; CRLF endings and blank lines are tolerated
    src.write_bytes('{"id": "a", "text": "聊城\u2028产业链"}\r\n\r\n{"id": "b", "text": "信发集团"}\n'.encode())
    assert [(d.id, d.text) for d in read_documents(src)] == [("a", "聊城\u2028产业链"), ("b", "信发集团")]


def test_a_bad_line_is_named_after_the_good_ones_are_read(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes('{"id": "a", "text": "聊城"}\n'.encode() + '{"id": "b", "text": "聊城"}\n'.encode("gb18030"))
    docs = read_documents(src)
    assert next(docs).id == "a"
    with pytest.raises(InputError, match=r"in\.jsonl:2: not UTF-8"):
        next(docs)


def test_atomic_outputs_get_the_usual_file_mode(tmp_path):
    import os

    from infer.io import write_json

    umask = os.umask(0o022)
    try:
        write_json(tmp_path / "out.json", {"a": 1})
    finally:
        os.umask(umask)
    assert (tmp_path / "out.json").stat().st_mode & 0o777 == 0o644


def test_an_output_that_is_a_pipe_is_written_in_place_not_replaced(tmp_path):
    """`--output /dev/null` as root once replaced /dev/null with a regular file (the atomic rename);
    a FIFO stands in for the device here."""
    import json
    import os
    import stat
    import threading

    from infer.io import write_json

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    write_json(fifo, {"a": 1})
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still the pipe
    assert received and json.loads(received[0]) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.fifo"]  # no temporary file left beside it


def test_offsets_count_the_files_exact_characters_crlf_kept_bom_dropped(tmp_path):
    raw = "\ufeff第一段信发集团。\r\n第二段：规上工业增加值增长7.5%。\r\n"
    path = tmp_path / "crlf.txt"
    path.write_bytes(raw.encode("utf-8"))
    [doc] = read_documents(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        assert doc.text == handle.read()  # what Label Studio or any other reader of the file sees
    assert "\r\n" in doc.text and not doc.text.startswith("\ufeff")


def test_a_jsonl_suffix_in_capitals_is_still_jsonl(tmp_path):
    path = tmp_path / "x.JSONL"
    path.write_text('{"id": "a", "text": "信发集团"}\n{"id": "b", "text": "规上工业"}\n', encoding="utf-8")
    assert [d.id for d in read_documents(path)] == ["a", "b"]
