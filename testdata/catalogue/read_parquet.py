"""A minimal Parquet reader written from the format specification, independent of parquet-go,
used by probcat's tests to check that our files follow the standard (Debian has no pyarrow).

It handles what a flat table of required INT32/INT64/FLOAT/DOUBLE columns needs: the Thrift
compact protocol of the footer and page headers, data pages v1 and v2, dictionary pages,
PLAIN and RLE_DICTIONARY encodings, UNCOMPRESSED and GZIP codecs. Anything else is an error.

Usage: read_parquet.py FILE  ->  JSON {"num_rows", "columns": [[name, type], ...],
"key_value": {...}, "created_by", "values": {name: [...]}} on standard output.
"""
import json
import struct
import sys
import zlib


class Compact:
    """Thrift compact protocol reader over a bytes object."""

    def __init__(self, buf, pos=0):
        self.buf, self.pos = buf, pos

    def byte(self):
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, t):
        if t == 1:
            return True
        if t == 2:
            return False
        if t == 3:
            v = self.byte()
            return v - 256 if v > 127 else v
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            v = struct.unpack_from("<d", self.buf, self.pos)[0]
            self.pos += 8
            return v
        if t == 8:
            n = self.varint()
            v = self.buf[self.pos:self.pos + n]
            self.pos += n
            return v
        if t in (9, 10):
            h = self.byte()
            n, et = h >> 4, h & 0x0F
            if n == 15:
                n = self.varint()
            # Booleans inside lists are one byte each.
            return [(self.byte() == 1) if et in (1, 2) else self.value(et) for _ in range(n)]
        if t == 11:
            n = self.varint()
            if n == 0:
                return {}
            kt = self.byte()
            return {self.value(kt >> 4): self.value(kt & 0x0F) for _ in range(n)}
        if t == 12:
            return self.struct()
        raise ValueError("thrift type %d" % t)

    def struct(self):
        fields, last = {}, 0
        while True:
            h = self.byte()
            if h == 0:
                return fields
            delta, t = h >> 4, h & 0x0F
            fid = last + delta if delta else self.zigzag()
            fields[fid] = self.value(t)
            last = fid


PLAIN_FORMATS = {1: "<i", 2: "<q", 4: "<f", 5: "<d"}  # INT32, INT64, FLOAT, DOUBLE
TYPE_NAMES = {1: "INT32", 2: "INT64", 4: "FLOAT", 5: "DOUBLE"}


def plain(data, ptype, n):
    fmt = PLAIN_FORMATS[ptype]
    size = struct.calcsize(fmt)
    return [struct.unpack_from(fmt, data, i * size)[0] for i in range(n)]


def rle_bitpacked(data, pos, bit_width, n):
    """Decode n values of the RLE/bit-packing hybrid starting at data[pos]."""
    out = []
    r = Compact(data, pos)
    while len(out) < n:
        h = r.varint()
        if h & 1:  # bit-packed groups of 8
            count = (h >> 1) * 8
            nbytes = (h >> 1) * bit_width
            bits = int.from_bytes(data[r.pos:r.pos + nbytes], "little")
            r.pos += nbytes
            mask = (1 << bit_width) - 1
            out.extend((bits >> (i * bit_width)) & mask for i in range(count))
        else:
            width = (bit_width + 7) // 8
            v = int.from_bytes(data[r.pos:r.pos + width], "little")
            r.pos += width
            out.extend([v] * (h >> 1))
    return out[:n]


def decompress(codec, data, size):
    if codec == 0:
        return data
    if codec == 2:
        return zlib.decompress(data, 47)  # gzip or zlib header
    raise ValueError("compression codec %d not supported" % codec)


def read(path):
    buf = open(path, "rb").read()
    if buf[:4] != b"PAR1" or buf[-4:] != b"PAR1":
        raise ValueError("not a Parquet file")
    footer_len = struct.unpack_from("<i", buf, len(buf) - 8)[0]
    meta = Compact(buf, len(buf) - 8 - footer_len).struct()
    schema = meta[2]
    leaves = []
    for el in schema[1:]:
        if el.get(5):  # num_children: a group
            raise ValueError("nested schema")
        if el.get(3, 0) != 0:  # repetition_type REQUIRED
            raise ValueError("column %s is not REQUIRED" % el[4].decode())
        leaves.append((el[4].decode(), el[1]))
    values = {name: [] for name, _ in leaves}
    for rg in meta[4]:
        for (name, ptype), chunk in zip(leaves, rg[1]):
            md = chunk[3]
            codec, nvalues = md[4], md[5]
            pos = md.get(11, md[9])  # dictionary page offset, else first data page
            dictionary, got = None, 0
            while got < nvalues:
                r = Compact(buf, pos)
                ph = r.struct()
                ptype_page, usize, csize = ph[1], ph[2], ph[3]
                body = buf[r.pos:r.pos + csize]
                pos = r.pos + csize
                if ptype_page == 2:  # DICTIONARY_PAGE
                    dh = ph[7]
                    dictionary = plain(decompress(codec, body, usize), ptype, dh[1])
                    continue
                if ptype_page == 0:  # DATA_PAGE (v1): levels and values compressed together
                    dh = ph[5]
                    n, enc = dh[1], dh[2]
                    data = decompress(codec, body, usize)
                elif ptype_page == 3:  # DATA_PAGE_V2: levels stored uncompressed first
                    dh = ph[8]
                    n, enc = dh[1], dh[4]
                    skip = dh[5] + dh[6]
                    vals = body[skip:]
                    if dh.get(7, True):
                        vals = decompress(codec, vals, usize - skip)
                    data = vals
                else:
                    raise ValueError("page type %d" % ptype_page)
                if enc == 0:  # PLAIN
                    values[name].extend(plain(data, ptype, n))
                elif enc in (2, 8):  # PLAIN_DICTIONARY / RLE_DICTIONARY
                    idx = rle_bitpacked(data, 1, data[0], n)
                    values[name].extend(dictionary[i] for i in idx)
                else:
                    raise ValueError("encoding %d in column %s" % (enc, name))
                got += n
    kv = {e[1].decode(): e[2].decode() for e in meta.get(5, [])}
    return {
        "num_rows": meta[3],
        "columns": [[n, TYPE_NAMES[t]] for n, t in leaves],
        "key_value": kv,
        "created_by": meta.get(6, b"").decode(),
        "values": values,
    }


if __name__ == "__main__":
    json.dump(read(sys.argv[1]), sys.stdout)
