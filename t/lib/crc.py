"""t/lib/crc.py - CRC32C and CRC64/NVME in plain Python (botocore needs awscrt for them), for
checking the x-amz-checksum-crc32c / -crc64nvme values the server computes.  Table-driven,
reflected; fine for the few hundred KiB the tests use."""
import base64
import zlib


def _table(poly, bits):
    mask = (1 << bits) - 1
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        t.append(c & mask)
    return t


_T32C = _table(0x82F63B78, 32)
_T64NVME = _table(0x9A6C9329AC4BC9B5, 64)


def crc32c(data, crc=0):
    c = crc ^ 0xFFFFFFFF
    t = _T32C
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc64nvme(data, crc=0):
    m = 0xFFFFFFFFFFFFFFFF
    c = crc ^ m
    t = _T64NVME
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ m


def b64(value, nbytes):
    return base64.b64encode(value.to_bytes(nbytes, "big")).decode()


def checksum_b64(algorithm, data):
    """The base64 value S3 puts in x-amz-checksum-<algorithm> for DATA."""
    import hashlib
    a = algorithm.upper()
    if a == "CRC32":
        return b64(zlib.crc32(data), 4)
    if a == "CRC32C":
        return b64(crc32c(data), 4)
    if a == "CRC64NVME":
        return b64(crc64nvme(data), 8)
    if a == "SHA1":
        return base64.b64encode(hashlib.sha1(data).digest()).decode()
    if a == "SHA256":
        return base64.b64encode(hashlib.sha256(data).digest()).decode()
    raise ValueError(algorithm)


# Check values from the CRC catalogue ("123456789").
assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888
