# A managed-runtime workload: json, hashlib, re, dicts, sorting and the collector.
# Deterministic: prints checksums only.
import hashlib
import json
import re
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
state = 42


def rnd():
    global state
    state = (state * 1103515245 + 12345) % 2147483648
    return state


records = []
for i in range(n):
    name = "".join(chr(97 + rnd() % 26) for _ in range(rnd() % 9 + 3))
    records.append({"id": i, "name": name, "score": rnd() % 1000 / 7.0, "tags": [name[:2], name[-2:]]})

text = json.dumps(records, sort_keys=True)
back = json.loads(text)
assert back == records
print("json", len(text), hashlib.sha256(text.encode()).hexdigest()[:16])

words = re.findall(r"\"name\": \"([a-z]+)\"", text)
vowels = sum(len(re.findall("[aeiou]", w)) for w in words)
print("re", len(words), vowels)

by_prefix = {}
for r in records:
    by_prefix.setdefault(r["name"][:2], []).append(r["score"])
top = sorted(by_prefix.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:3]
print("groups", len(by_prefix), [(k, len(v), round(sum(v), 3)) for k, v in top])

digest = hashlib.md5()
for w in sorted(words):
    digest.update(w.encode())
print("md5", digest.hexdigest())


class Node:
    __slots__ = ("value", "next")

    def __init__(self, value, nxt):
        self.value = value
        self.next = nxt


head = None
for i in range(n * 4):
    head = Node(i, head if i % 100 else None)
length = 0
while head:
    length += 1
    head = head.next
print("chain", length)
print("float %.6f" % (2 ** 0.5 * 3.141592653589793))
