"""mp4_faststart.py IN OUT: rewrite an MP4 with its index ('moov') before the media data, as
`ffmpeg -movflags +faststart` does, so that a copy cut short with `head -c` still has its
index and its first frames stay decodable (the shared videos keep 'moov' at the end, where a
cut removes it). Boxes (ISO/IEC 14496-12, 4.2): 32-bit big-endian size, 4-char type, 64-bit
size when size is 1. Chunk offsets (stco: 32-bit, co64: 64-bit, in moov/trak/mdia/minf/stbl)
grow by the size of the moved 'moov'. Test helper only."""
import struct
import sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


def boxes(data, start, end):
    off = start
    while off + 8 <= end:
        size, kind = struct.unpack(">I4s", data[off:off + 8])
        head = 8
        if size == 1:
            size = struct.unpack(">Q", data[off + 8:off + 16])[0]
            head = 16
        elif size == 0:
            size = end - off
        if size < head or off + size > end:
            raise ValueError("bad box at %d" % off)
        yield off, size, head, kind
        off += size


def shift_offsets(buf, start, end, delta):
    for off, size, head, kind in boxes(buf, start, end):
        if kind in CONTAINERS:
            shift_offsets(buf, off + head, off + size, delta)
        elif kind in (b"stco", b"co64"):
            n = struct.unpack(">I", buf[off + head + 4:off + head + 8])[0]
            width, fmt = (4, ">I") if kind == b"stco" else (8, ">Q")
            p = off + head + 8
            for i in range(n):
                v = struct.unpack(fmt, buf[p + i * width:p + (i + 1) * width])[0]
                buf[p + i * width:p + (i + 1) * width] = struct.pack(fmt, v + delta)


def main():
    data = open(sys.argv[1], "rb").read()
    top = list(boxes(data, 0, len(data)))
    moov = [b for b in top if b[3] == b"moov"]
    mdat = [b for b in top if b[3] == b"mdat"]
    if len(moov) != 1 or not mdat or moov[0][0] < mdat[0][0]:
        raise SystemExit("expected one moov after the media data")
    m_off, m_size = moov[0][0], moov[0][1]
    new_moov = bytearray(data[m_off:m_off + m_size])
    shift_offsets(new_moov, 0, len(new_moov), m_size)
    out = bytearray()
    for off, size, _, kind in top:
        if kind == b"mdat" and off == mdat[0][0]:
            out += new_moov          # just before the first media data
        if kind != b"moov":
            out += data[off:off + size]
    open(sys.argv[2], "wb").write(out)


if __name__ == "__main__":
    main()
