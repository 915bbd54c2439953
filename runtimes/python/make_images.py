"""Makes the sample JPEGs image_rotate reads, named as in FunctionBench's
catalog (img016k.jpeg is about 16 KiB): a gradient with seeded noise, so the
same PIL gives the same bytes. Run at rootfs build time with the rootfs's
own python3 and PIL: make_images.py OUT_DIR.
"""

import os
import random
import sys

from PIL import Image

SIZES_KIB = [16, 20, 32, 72, 99, 107, 146, 201, 230]


def picture(width, height, seed):
    rng = random.Random(seed)
    gradient = Image.linear_gradient("L").resize((width, height))
    red = gradient
    green = gradient.rotate(90).resize((width, height))
    blue = Image.radial_gradient("L").resize((width, height))
    base = Image.merge("RGB", (red, green, blue))
    noise = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
    return Image.blend(base, noise, 0.12)


def encoded_size(img, path):
    img.save(path, format="JPEG", quality=85)
    return os.path.getsize(path)


def make(path, target_kib, seed):
    # JPEG size grows with the pixel count: search the width (4:3) that
    # lands closest to the target.
    low, high = 16, 4096
    best = None
    while low <= high:
        width = (low + high) // 2
        size = encoded_size(picture(width, width * 3 // 4, seed), path)
        if best is None or abs(size - target_kib * 1024) < abs(best[1] - target_kib * 1024):
            best = (width, size)
        if size < target_kib * 1024:
            low = width + 1
        else:
            high = width - 1
    encoded_size(picture(best[0], best[0] * 3 // 4, seed), path)
    return best


def main(argv):
    if len(argv) != 2:
        print("usage: make_images.py OUT_DIR", file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    for seed, kib in enumerate(SIZES_KIB):
        width, size = make(os.path.join(out, "img%03dk.jpeg" % kib), kib, seed)
        print("img%03dk.jpeg: %dx%d, %d bytes" % (kib, width, width * 3 // 4, size), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
