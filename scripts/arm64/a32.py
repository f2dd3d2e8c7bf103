#!/usr/bin/env python3
"""Writes a static 32-bit ARM (A32, EABI5) program by hand, so that no 32-bit toolchain is
needed: `hello` writes "AArch32 runs\\n" through the AArch32 entry point (write, svc #0), calls
getpid, and exits with status 42.

  a32.py hello OUT
"""
import os
import struct
import sys

BASE = 0x10000
HEADERS = 52 + 32
MSG = b"AArch32 runs\n"


def hello():
    code = [
        0xE3A00001,               # mov r0, #1
        None,                     # add r1, pc, #MSG - (here + 8)
        0xE3A02000 | len(MSG),    # mov r2, #len
        0xE3A07004,               # mov r7, #4 (write)
        0xEF000000,               # svc #0
        0xE3A07014,               # mov r7, #20 (getpid)
        0xEF000000,               # svc #0
        0xE3A0002A,               # mov r0, #42
        0xE3A07001,               # mov r7, #1 (exit)
        0xEF000000,               # svc #0
    ]
    code[1] = 0xE28F1000 | (len(code) * 4 - (4 + 8))
    return b"".join(struct.pack("<I", c) for c in code) + MSG


def elf(body):
    size = HEADERS + len(body)
    h = b"\x7fELF\x01\x01\x01" + b"\0" * 9
    # ET_EXEC, EM_ARM, version, entry, phoff, shoff, flags (EABI 5: the kernel needs a version)
    h += struct.pack("<HHIIIII", 2, 40, 1, BASE + HEADERS, 52, 0, 0x05000000)
    h += struct.pack("<HHHHHH", 52, 32, 1, 0, 0, 0)
    h += struct.pack("<8I", 1, 0, BASE, BASE, size, size, 5, 0x1000)  # PT_LOAD r-x
    return h + body


def main():
    if len(sys.argv) != 3 or sys.argv[1] != "hello":
        sys.exit(__doc__)
    with open(sys.argv[2], "wb") as f:
        f.write(elf(hello()))
    os.chmod(sys.argv[2], 0o755)


if __name__ == "__main__":
    main()
