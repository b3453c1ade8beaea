#!/usr/bin/env python3
"""Seeds the fuzz corpus with function bodies taken from modules, each prefixed with 0x01
(the harness wraps odd-first-byte inputs in a module as one function body)."""
import os, sys

def leb(data, i):
    result = shift = 0
    while True:
        b = data[i]; i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i

def bodies(data):
    i = 8
    while i < len(data):
        section, size_at = data[i], i + 1
        size, i = leb(data, size_at)
        end = i + size
        if section == 10:
            count, i = leb(data, i)
            for _ in range(count):
                length, i = leb(data, i)
                yield data[i:i + length]
                i += length
        i = end

out = sys.argv[1]
for path in sys.argv[2:]:
    try:
        data = open(path, 'rb').read()
        for n, body in enumerate(bodies(data)):
            if 0 < len(body) < 4096:
                open(os.path.join(out, 'body-%s-%d' % (os.path.basename(path), n)), 'wb').write(b'\x01' + body)
    except (IndexError, ValueError):
        pass  # malformed on purpose (assert_malformed modules): no bodies to take
