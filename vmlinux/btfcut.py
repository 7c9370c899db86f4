"""btfcut.py - cut the kernel's BTF blob out of an uncompressed kernel image (arm64 Image): python3 btfcut.py IMAGE OUT."""
import struct
import sys

# struct btf_header: magic 0xeb9f (little endian), version 1, flags 0, hdr_len 24,
# then type_off, type_len, str_off, str_len (offsets after the header)
MAGIC = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"


def find_btf(data):
    """(offset, size) of every plausible vmlinux BTF blob in data."""
    found, i = [], 0
    while True:
        i = data.find(MAGIC, i)
        if i < 0:
            return found
        type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, i + 8)
        size = 24 + str_off + str_len
        # the kernel's own BTF: types first, strings right after, and big
        if type_off == 0 and str_off == type_len and type_len > (1 << 20) and i + size <= len(data):
            found.append((i, size))
        i += 1


def main():
    if len(sys.argv) != 3:
        print("usage: btfcut.py IMAGE OUT", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    found = find_btf(data)
    if len(found) != 1:
        print(f"btfcut.py: {len(found)} BTF blobs in {sys.argv[1]} (want exactly one; is it compressed?)",
              file=sys.stderr)
        return 1
    off, size = found[0]
    with open(sys.argv[2], "wb") as f:
        f.write(data[off:off + size])
    return 0


if __name__ == "__main__":
    sys.exit(main())
