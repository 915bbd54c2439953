"""pyaes: AES-128 in CTR mode over a generated message (FunctionBench's pyaes).

Parameters: message_length (bytes, default 1024), num_iterations (default 1),
seed (default 0). Each iteration encrypts the message and decrypts it again;
the result says whether every round trip gave the message back, with a
digest of the last ciphertext.
"""

import hashlib
import random
import time

import pyaes

KEY = bytes(range(16))
MAX_MESSAGE = 16 << 20
MAX_ITERATIONS = 10000


def _int(args, name, default, low, high):
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError("'%s' must be an integer in %d..%d" % (name, low, high))
    return value


def main(args):
    length = _int(args, "message_length", 1024, 0, MAX_MESSAGE)
    iterations = _int(args, "num_iterations", 1, 1, MAX_ITERATIONS)
    seed = _int(args, "seed", 0, 0, 2**32 - 1)
    rng = random.Random(seed)
    message = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(length)).encode()
    started = time.monotonic()
    intact = True
    ciphertext = b""
    for _ in range(iterations):
        ciphertext = pyaes.AESModeOfOperationCTR(KEY).encrypt(message)
        plaintext = pyaes.AESModeOfOperationCTR(KEY).decrypt(ciphertext)
        intact = intact and plaintext == message
    return {
        "message_length": length,
        "num_iterations": iterations,
        "round_trip_ok": intact,
        "ciphertext_sha256": hashlib.sha256(ciphertext).hexdigest(),
        "compute_ms": round((time.monotonic() - started) * 1000, 3),
    }
