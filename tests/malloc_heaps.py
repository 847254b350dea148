"""How many extra malloc arenas a process has, read from outside it: glibc gives each arena but
the main one a heap of its own, an anonymous mapping reserved at a 64 MiB boundary (the part in
use read-write, the rest of the 64 MiB reserved with no access)."""

from __future__ import annotations

from pathlib import Path

HEAP_SIZE = 64 << 20  # glibc's HEAP_MAX_SIZE on 64-bit


def malloc_heaps(pid: int) -> int:
    regions = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split()
        low, high = (int(address, 16) for address in fields[0].split("-"))
        anonymous = len(fields) < 6
        regions.append((low, high, fields[1], anonymous))
    heaps = 0
    for index, (low, high, perms, anonymous) in enumerate(regions):
        if not anonymous or low % HEAP_SIZE or not perms.startswith("rw"):
            continue
        end = high
        following = regions[index + 1] if index + 1 < len(regions) else None
        if following and following[0] == high and following[3] and following[2].startswith("---"):
            end = following[1]
        heaps += end - low == HEAP_SIZE
    return heaps
