#!/usr/bin/env python3
"""Builds IPFS blocks and CARs (dag-pb/UnixFS, dag-cbor, raw) with the standard library only, for
tests/cli/probe_regressions_test.sh and the seeds of the repo_fuzz corpus:

  dag.py shared-file MIB OUT.car   a file declaring MIB MiB through shared subtrees (prints the root)
  dag.py cbor OUT.car              a dag-cbor map linking a raw block and a dag-cbor list
  dag.py block-file CID            the block file name of a base32 CIDv1 in a repository
  dag.py corpus DIR                writes the repo_fuzz seeds into DIR
"""
import base64, hashlib, sys

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def field(num, wire, payload):
    key = varint(num << 3 | wire)
    return key + (varint(payload) if wire == 0 else varint(len(payload)) + payload)

def cid(codec, block):
    return bytes([1]) + varint(codec) + bytes([0x12, 0x20]) + hashlib.sha256(block).digest()

def text(c):
    return "b" + base64.b32encode(c).decode().lower().rstrip("=")

def pb_node(links, data):
    # dag-pb: Links (2) before Data (1), as the canonical encoding writes them.
    out = b""
    for h, name, tsize in links:
        out += field(2, 2, field(1, 2, h) + field(2, 2, name.encode()) + field(3, 0, tsize))
    return out + field(1, 2, data)

def unixfs_file(blocksizes):
    return field(1, 0, 2) + field(3, 0, sum(blocksizes)) + b"".join(field(4, 0, b) for b in blocksizes)

def cbor_head(major, arg):
    if arg < 24:
        return bytes([major << 5 | arg])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * size):
            return bytes([major << 5 | info]) + arg.to_bytes(size, "big")

def cbor_link(c):
    return cbor_head(6, 42) + cbor_head(2, len(c) + 1) + b"\0" + c

def car(roots, blocks):
    header = cbor_head(5, 2) + cbor_head(3, 5) + b"roots" + cbor_head(4, len(roots))
    header += b"".join(cbor_link(r) for r in roots) + cbor_head(3, 7) + b"version" + cbor_head(0, 1)
    out = varint(len(header)) + header
    for c, b in blocks:
        out += varint(len(c) + len(b)) + c + b
    return out

def shared_file(total_mib):
    # A file of `total_mib` MiB declared through shared subtrees: one 1 MiB leaf, linked 1024 times
    # by a middle node, which the top node links as often as needed. The CAR stays near 1 MiB.
    leaf = bytes(range(256)) * 4096
    lc = cid(0x55, leaf)
    mid = pb_node([(lc, "", len(leaf))] * 1024, unixfs_file([len(leaf)] * 1024))
    mc = cid(0x70, mid)
    n = total_mib // 1024
    top = pb_node([(mc, "", len(mid) + 1024 * len(leaf))] * n, unixfs_file([1024 * len(leaf)] * n))
    tc = cid(0x70, top)
    return tc, [(tc, top), (mc, mid), (lc, leaf)]

cmd = sys.argv[1]
if cmd == "shared-file":  # dag.py shared-file MIB OUT.car -> prints the root CID
    root, blocks = shared_file(int(sys.argv[2]))
    open(sys.argv[3], "wb").write(car([root], blocks))
    print(text(root))
elif cmd == "cbor":  # dag.py cbor OUT.car -> a dag-cbor map linking a raw block and a dag-cbor list
    leaf = b"a leaf under dag-cbor"
    lc = cid(0x55, leaf)
    inner = cbor_head(4, 2) + cbor_head(0, 7) + cbor_link(lc)
    ic = cid(0x71, inner)
    root = cbor_head(5, 2) + cbor_head(3, 4) + b"leaf" + cbor_link(lc) + cbor_head(3, 4) + b"list" + cbor_link(ic)
    rc = cid(0x71, root)
    # Blocks in the order an export walks them: depth first, links in order.
    open(sys.argv[2], "wb").write(car([rc], [(rc, root), (lc, leaf), (ic, inner)]))
    print(text(rc))
elif cmd == "corpus":
    d = sys.argv[2]
    def write(name, roots, blocks):
        open(d + "/" + name, "wb").write(car(roots, blocks))
    # The same bytes as a file (raw) and as a directory (dag-pb) in one DAG.
    f = b"a file below the subdirectory"
    fc = cid(0x55, f)
    sub = pb_node([(fc, "f", len(f))], field(1, 0, 1))
    subc = cid(0x70, sub)
    twin = cid(0x55, sub)
    top = pb_node([(twin, "copy", len(sub)), (subc, "sub", len(sub) + len(f))], field(1, 0, 1))
    topc = cid(0x70, top)
    write("raw_and_dag_pb_twins.car", [topc], [(topc, top), (twin, sub), (subc, sub), (fc, f)])
    write("raw_and_dag_pb_twins_missing_leaf.car", [topc], [(topc, top), (twin, sub), (subc, sub)])
    leaf = b"a leaf under dag-cbor"
    lc = cid(0x55, leaf)
    inner = cbor_head(4, 2) + cbor_head(0, 7) + cbor_link(lc)
    ic = cid(0x71, inner)
    root = cbor_head(5, 1) + cbor_head(3, 4) + b"list" + cbor_link(ic)
    rc = cid(0x71, root)
    write("dag_cbor.car", [rc], [(rc, root), (ic, inner), (lc, leaf)])
    write("dag_cbor_missing_leaf.car", [rc], [(rc, root), (ic, inner)])
    write("two_roots.car", [rc, topc], [(rc, root), (ic, inner), (lc, leaf), (topc, top), (twin, sub), (subc, sub), (fc, f)])
elif cmd == "block-file":  # dag.py block-file CID -> the block's file name in a repository
    c = base64.b32decode(sys.argv[2][1:].upper() + "=" * (-len(sys.argv[2][1:]) % 8))
    mh = c[2:]  # version 1 and a one-byte codec
    print(base64.b32encode(mh).decode().lower().rstrip("=") + ".data")
