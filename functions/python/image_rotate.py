"""image_rotate: applies PIL operations to a local JPEG (FunctionBench's image_processing).

Parameters: img_name (default "img072k.jpeg"; the catalog's names, made at
rootfs build time in $HOTMEM_DATA_DIR/images, default /opt/hotmem/data/images),
ops (default "rotate"): operations joined by "-", applied in order, from
filter (blur), flip (left-right), gray_scale, resize (to half), rotate (90
degrees). The result is re-encoded as JPEG in memory; the answer gives its
size and digest.
"""

import hashlib
import io
import os
import time

from PIL import Image, ImageFilter

DATA_DIR = os.environ.get("HOTMEM_DATA_DIR", "/opt/hotmem/data")

OPS = {
    "filter": lambda img: img.filter(ImageFilter.BLUR),
    "flip": lambda img: img.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "gray_scale": lambda img: img.convert("L"),
    "resize": lambda img: img.resize((max(1, img.width // 2), max(1, img.height // 2))),
    "rotate": lambda img: img.rotate(90, expand=True),
}


def main(args):
    name = args.get("img_name", "img072k.jpeg")
    ops_text = args.get("ops", "rotate")
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ValueError("'img_name' must be a file name such as img072k.jpeg")
    if not isinstance(ops_text, str):
        raise ValueError("'ops' must be a string such as filter-flip-rotate")
    ops = [op for op in ops_text.split("-") if op]
    for op in ops:
        if op not in OPS:
            raise ValueError("unknown op %r: use %s" % (op, ", ".join(sorted(OPS))))
    images = os.path.join(DATA_DIR, "images")
    path = os.path.join(images, name)
    if not os.path.isfile(path):
        have = sorted(os.listdir(images)) if os.path.isdir(images) else []
        raise ValueError("no image %r in %s (have: %s)" % (name, images, ", ".join(have) or "none"))
    started = time.monotonic()
    with Image.open(path) as original:
        img = original.convert("RGB")
    for op in ops:
        img = OPS[op](img)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    data = out.getvalue()
    return {
        "img_name": name,
        "ops": ops,
        "input_bytes": os.path.getsize(path),
        "size": [img.width, img.height],
        "mode": img.mode,
        "output_bytes": len(data),
        "output_sha256": hashlib.sha256(data).hexdigest(),
        "compute_ms": round((time.monotonic() - started) * 1000, 3),
    }
