"""Lists the files the Python runner and the given actions use: the
interpreter, every module they import (source and cached bytecode) and every
file mapped into the process (shared libraries). Run at rootfs build time,
inside the rootfs with /proc mounted:

  trace_files.py ACTION.py...   (prints absolute paths, one a line)

The host has the agent read these into node 0's page cache before the first
instance starts, so pages every instance maps (libpython's code, numpy's
libraries) never land in, and pin, one instance's partition.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ow_runner  # noqa: E402 - the runner as instances run it


def mapped_files():
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(None, 5)
            if len(fields) == 6 and fields[5].startswith("/"):
                yield fields[5].strip()


def module_files():
    for module in list(sys.modules.values()):
        for attr in ("__file__", "__cached__"):
            path = getattr(module, attr, None)
            if isinstance(path, str):
                yield path


def main(argv):
    for path in argv[1:]:
        action = ow_runner.Action()
        action.load_file(path)
        action.run({})
    files = {os.path.realpath(sys.executable), os.path.abspath(ow_runner.__file__)}
    files.update(argv[1:])
    files.update(os.path.realpath(p) for p in mapped_files())
    files.update(os.path.realpath(p) for p in module_files())
    for path in sorted(files):
        if path.startswith(("/proc/", "/dev/", "/tmp/", "/sys/")) or not os.path.isfile(path):
            continue
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
