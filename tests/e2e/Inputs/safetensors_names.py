#!/usr/bin/python3
"""Prints the tensor names of a safetensors file, sorted, one per line; with
--rename OLD NEW first renames, in place, the tensors whose names start with
OLD to start with NEW instead (OLD and NEW of one length).

usage: safetensors_names.py FILE [--rename OLD NEW]
"""
import json
import struct
import sys


def main(argv):
    path = argv[1]
    with open(path, "r+b") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = f.read(size)
        if len(argv) == 5 and argv[2] == "--rename":
            old, new = (f'"{prefix}'.encode() for prefix in argv[3:5])
            if len(old) != len(new) or old not in header:
                sys.exit(f"safetensors_names: cannot rename {argv[3]} to {argv[4]}")
            f.seek(8)
            f.write(header.replace(old, new))
            header = header.replace(old, new)
    for name in sorted(json.loads(header)):
        if name != "__metadata__":
            print(name)


if __name__ == "__main__":
    main(sys.argv)
