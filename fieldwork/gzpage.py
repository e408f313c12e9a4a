"""A kept page (fieldwork/pagecache.py) packed so that it is served gzip-compressed without compressing it again.

A kept page differs from one reader to the next only by the CSRF token, which appears a few times in it. Compressing
the whole page for every request (gzip level 6) cost 0.11 ms of the 17.8 KB household page, more than anything else
done to serve it again; unpacking it and hashing it for the offline copy's ETag another 0.05 ms. So the page is
compressed once, when it is built, in pieces cut at the token:

- the text between two tokens is compressed as raw DEFLATE, each piece ended by a *sync flush* (byte-aligned);
- at serving time each token goes in between as a *stored* DEFLATE block (its bytes as they are, 5 bytes of
  header), behind gzip's header, and the gzip trailer is written: the CRC-32 and the length of the whole text.

The pieces share one compressor, so the page compresses as well as in one go (a few bytes more per token): the
compressor is given zero bytes in each token's place, and their output is dropped. A later piece may refer back to
any earlier text at the same distance the reader's decompressor sees, and never to those zero bytes when the text
has none: a match copies bytes equal to the ones it stands for. HTML has no zero byte, but ``pack`` checks; a text
with one is compressed with a *full flush* after each piece instead (nothing after it refers back), at some cost in
size.

The CRC-32 of the whole text is had without the text: CRC-32 is affine over GF(2), so for the text T with the
tokens, Z the same text with zero bytes where the tokens are, and B the tokens at their places among zero bytes,
``crc(T) = crc(Z) ^ crc(B) ^ crc(zeros)``; crc(Z) and crc(zeros) are computed once, crc(B) per request (4 µs for
the household page). Serving the page gzip-compressed this way took 9 µs against 0.11 ms, and gives the same text
(tests/test_gzpage.py decompresses it with Python's gzip module, which checks the CRC and the length).

Also kept: the offline copy's ETag (fieldwork/offline/web.py: the SHA-256 of the text without the token).

The price is in bytes: each token ends a DEFLATE block and the next piece starts one with its own code tables, about
90 bytes a token. The bench province's worklist (3 tokens) went from 3,569 to 3,821 bytes, a household page (4
tokens) from 4,528 to 4,898: 7–9 %, well inside the phone's budgets (tests/browser/test_offline_size.py). For it,
serving a kept page again took 18–20 % less CPU in process on PostgreSQL (household 1.47–1.51 → 1.17–1.24 ms,
worklist 1.43 → 1.16 ms): no compression, no unpacking, no hashing, no token search per request.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Optional

MAGIC = b"FWG1"
# The text's length (tokens included), CRC-32 of the text with zeros for the tokens, CRC-32 of as many zeros, the
# token's length, the number of pieces.
_HEAD = struct.Struct("<4sIIIHH")
_PIECE = struct.Struct("<II")  # the piece's length, its compressed length
_ETAG = 32
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # DEFLATE, no name, no time, unknown system
LEVEL = 6  # as fieldwork/offline/web.py compresses every other page


def pack(text: bytes, token: Optional[bytes]) -> Optional[bytes]:
    """``text`` packed; ``token`` (the CSRF token in it, if any) is left out, to be put back by the reader's. None
    when the token cannot be a stored block (over 65,535 bytes) or comes more than 65,534 times: not kept."""
    pieces = text.split(token) if token else [text]
    width = len(token) if token else 0
    if width > 0xFFFF or len(pieces) > 0xFFFF:
        return None
    zeroed = (b"\x00" * width).join(pieces)
    deflate = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    one_window = b"\x00" not in text  # see the module's text
    compressed = []
    for piece in pieces[:-1]:
        flush = zlib.Z_SYNC_FLUSH if one_window else zlib.Z_FULL_FLUSH
        compressed.append(deflate.compress(piece) + deflate.flush(flush))
        if one_window:  # the token's place, as zero bytes, in the window only: what they compress to is dropped
            deflate.compress(b"\x00" * width)
            deflate.flush(zlib.Z_SYNC_FLUSH)
    compressed.append(deflate.compress(pieces[-1]) + deflate.flush(zlib.Z_FINISH))
    etag = hashlib.sha256(b"".join(pieces)).hexdigest()[:_ETAG].encode()
    head = _HEAD.pack(MAGIC, len(zeroed), zlib.crc32(zeroed), zlib.crc32(bytes(len(zeroed))), width, len(pieces))
    return b"".join([head, *(_PIECE.pack(len(p), len(c)) for p, c in zip(pieces, compressed)), etag, *compressed])


def _read(packed: bytes):
    magic, length, crc_zeroed, crc_zeros, width, count = _HEAD.unpack_from(packed)
    if magic != MAGIC:
        raise ValueError("not a packed page")
    at = _HEAD.size
    pieces = [_PIECE.unpack_from(packed, at + i * _PIECE.size) for i in range(count)]
    at += count * _PIECE.size
    return length, crc_zeroed, crc_zeros, width, pieces, packed[at:at + _ETAG].decode(), at + _ETAG


def etag(packed: bytes) -> str:
    """The ETag of the text without its token."""
    return _read(packed)[5]


def text_length(packed: bytes) -> int:
    return _read(packed)[0]


def gzipped(packed: bytes, token: bytes) -> Optional[bytes]:
    """The text with ``token`` in its places, gzip-compressed; None if ``token`` is not as long as the one it
    replaces (the text's length and CRC were computed for that length)."""
    length, crc_zeroed, crc_zeros, width, pieces, _etag, at = _read(packed)
    if len(pieces) > 1 and len(token) != width:
        return None
    stored = _stored(token)
    parts = [GZIP_HEADER]
    tokens = bytearray(length)
    offset = 0
    for i, (piece_length, compressed_length) in enumerate(pieces):
        parts.append(packed[at:at + compressed_length])
        at += compressed_length
        offset += piece_length
        if i < len(pieces) - 1:
            parts.append(stored)
            tokens[offset:offset + width] = token
            offset += width
    crc = crc_zeroed ^ zlib.crc32(tokens) ^ crc_zeros if len(pieces) > 1 else crc_zeroed
    parts.append(struct.pack("<II", crc, length & 0xFFFFFFFF))
    return b"".join(parts)


def unpacked(packed: bytes, token: bytes) -> bytes:
    """The text with ``token`` in its places (for a client that does not take gzip)."""
    _length, _crc, _crc_zeros, width, pieces, _etag, at = _read(packed)
    inflate = zlib.decompressobj(-15)
    texts = []
    for i, (_piece_length, compressed_length) in enumerate(pieces):
        texts.append(inflate.decompress(packed[at:at + compressed_length]))
        at += compressed_length
        if i < len(pieces) - 1:  # the token's place in the window, which later pieces count back across
            inflate.decompress(_stored(b"\x00" * width))
    return token.join(texts)


def _stored(data: bytes) -> bytes:
    """``data`` as a stored DEFLATE block, not the last one, starting on a byte boundary."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
