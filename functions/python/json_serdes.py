"""json_serdes: serializes and parses a JSON document (FunctionBench's json_serdes).

Parameters: n (records, default 1024) or file_name as in the catalog
("gen02_n1024.json" means 1024 records; "1.json", "2.json" and
"search.json" are fixed sizes), iterations (default 1), seed (default 0).
The document is generated in memory (no network, no object store); each
iteration dumps it and parses it back.
"""

import hashlib
import json
import random
import re
import time

NAMED_SIZES = {"1.json": 256, "2.json": 512, "search.json": 2048}
MAX_RECORDS = 1 << 20


def _int(args, name, default, low, high):
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError("'%s' must be an integer in %d..%d" % (name, low, high))
    return value


def _records(args):
    file_name = args.get("file_name")
    if file_name is not None and "n" not in args:
        if not isinstance(file_name, str):
            raise ValueError("'file_name' must be a string")
        match = re.fullmatch(r"gen\d+_n(\d+)\.json", file_name)
        if match:
            return min(int(match.group(1)), MAX_RECORDS)
        if file_name in NAMED_SIZES:
            return NAMED_SIZES[file_name]
        raise ValueError("unknown 'file_name' %r: use genNN_n<records>.json or one of %s"
                         % (file_name, ", ".join(sorted(NAMED_SIZES))))
    return _int(args, "n", 1024, 0, MAX_RECORDS)


def _document(records, seed):
    rng = random.Random(seed)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    return {
        "generator": "hotmem json_serdes",
        "records": [
            {
                "id": i,
                "name": "-".join(rng.choice(words) for _ in range(3)),
                "score": round(rng.random() * 100, 4),
                "tags": [rng.choice(words) for _ in range(rng.randint(0, 4))],
                "active": rng.random() < 0.5,
                "location": {"lat": round(rng.uniform(-90, 90), 5), "lon": round(rng.uniform(-180, 180), 5)},
            }
            for i in range(records)
        ],
    }


def main(args):
    records = _records(args)
    iterations = _int(args, "iterations", 1, 1, 1000)
    seed = _int(args, "seed", 0, 0, 2**32 - 1)
    document = _document(records, seed)
    started = time.monotonic()
    text = ""
    for _ in range(iterations):
        text = json.dumps(document, sort_keys=True)
        parsed = json.loads(text)
    elapsed = time.monotonic() - started
    return {
        "records": len(parsed["records"]),
        "iterations": iterations,
        "json_bytes": len(text),
        "json_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "round_trip_ok": parsed == document,
        "compute_ms": round(elapsed * 1000, 3),
    }
