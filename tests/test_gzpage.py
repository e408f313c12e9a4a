"""Kept pages packed for gzip (fieldwork/gzpage.py): whatever the text and wherever the token, the gzip stream
built at serving time decompresses (Python's gzip module checks the CRC-32 and the length) to the text with the
reader's token in every place of the builder's."""

from __future__ import annotations

import gzip
import hashlib
import random
import zlib

import pytest

from fieldwork import gzpage

TOKEN = b"ImQ5ZTRiNGRmNzQ2YzE2ZDg0YjJmNTJlY2E2MmU4ZTc1ZTQ1MWE0NzEi.aSXtLw.Fv3yqg6Jq4Z4y8pTQ1n0oD5QkSo"


def _text(rng: random.Random, pieces: int) -> list[bytes]:
    alphabet = "abc <>\"=/\nđĐứ Nguyễn Văn Thôn".encode()
    return [bytes(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 7, 300, 5000, 70000])))
            for _ in range(pieces)]


def _reader_token(rng: random.Random) -> bytes:
    return bytes(rng.choice(b"ABCDEFabcdef0123456789-_.") for _ in range(len(TOKEN)))


def test_any_text_with_tokens_anywhere_comes_back_whole():
    rng = random.Random(9)
    for _ in range(300):
        pieces = _text(rng, rng.randint(1, 6))  # tokens at the start, the end, side by side, or none
        packed = gzpage.pack(TOKEN.join(pieces), TOKEN)
        reader = _reader_token(rng)
        expected = reader.join(pieces)
        assert gzip.decompress(gzpage.gzipped(packed, reader)) == expected
        assert gzpage.unpacked(packed, reader) == expected
        assert gzpage.text_length(packed) == len(expected)
        assert gzpage.etag(packed) == hashlib.sha256(b"".join(pieces)).hexdigest()[:32]


def test_a_page_without_a_token_is_served_as_it_was_built():
    text = "<p>Thôn Đông — không có biểu mẫu</p>".encode() * 50
    for token in (None, TOKEN):
        packed = gzpage.pack(text, token)
        assert gzip.decompress(gzpage.gzipped(packed, b"")) == text == gzpage.unpacked(packed, b"")


def test_a_token_of_another_length_is_refused_not_spliced_wrong():
    packed = gzpage.pack(b"<form>" + TOKEN + b"</form>" * 100, TOKEN)
    assert gzpage.gzipped(packed, TOKEN + b"x") is None
    assert gzpage.unpacked(packed, TOKEN + b"x") == b"<form>" + TOKEN + b"x" + b"</form>" * 100


def test_each_token_costs_about_a_hundred_bytes_against_compressing_the_page_whole():
    """One compressor for the whole page: each token costs a block's end, its own stored block and a new block's
    code tables (about 90 bytes on the app's pages), not a fresh start. With a full flush after each piece (the
    fallback for a text with a zero byte) this text grew by 23 %."""
    rng = random.Random(3)
    words = ["Nguyễn", "Văn", "Đức", "hộ", "thôn", "<td>", "</td>", "BHYT", "hẹn", "2026-12-02", "\n"]
    pieces = [" ".join(rng.choice(words) for _ in range(900)).encode() for _ in range(4)]
    reader = _reader_token(rng)
    whole = len(gzip.compress(reader.join(pieces), 6))
    assert len(gzpage.gzipped(gzpage.pack(TOKEN.join(pieces), TOKEN), reader)) <= whole + 120 * (len(pieces) - 1)


def test_a_text_with_a_zero_byte_still_comes_back_whole():
    pieces = [b"<p>a\x00b</p>" * 300, b"<p>c</p>" * 300, b"\x00" * 40]
    packed = gzpage.pack(TOKEN.join(pieces), TOKEN)
    reader = _reader_token(random.Random(5))
    assert gzip.decompress(gzpage.gzipped(packed, reader)) == reader.join(pieces) == gzpage.unpacked(packed, reader)


def test_something_else_is_not_read_as_a_packed_page():
    with pytest.raises(ValueError):
        gzpage.etag(zlib.compress(b"<html>an entry of the format before</html>" * 10, 1))


def test_a_token_too_long_for_a_stored_block_is_not_kept():
    token = b"t" * 70000
    assert gzpage.pack(b"<form>" + token + b"</form>", token) is None
