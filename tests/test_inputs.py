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
