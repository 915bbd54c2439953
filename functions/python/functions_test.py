"""Tests of the shipped Python functions: each runs with {} and with catalog
parameters and gives a checkable result. A function whose library is not
installed here is skipped (the host's python3 may lack numpy and friends;
inside the rootfs every one runs).

  python3 functions/python/functions_test.py
  chroot ROOTFS /usr/bin/python3 - < functions/python/functions_test.py   (HOTMEM_FUNCTIONS_DIR=/opt/hotmem/functions)
"""

import importlib.util
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__)) if "__file__" in globals() else "."
FUNCTIONS_DIR = os.environ.get("HOTMEM_FUNCTIONS_DIR", HERE)
# pyaes.py and chameleon.py are named after the libraries they import: keep
# their own directory off the module path, or they would import themselves.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.abspath(FUNCTIONS_DIR)]


def load(name):
    """The function module, or a skip when its library is missing here."""
    path = os.path.join(FUNCTIONS_DIR, name + ".py")
    spec = importlib.util.spec_from_file_location("hotmem_fn_" + name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as e:
        raise unittest.SkipTest("%s needs %s, not installed here" % (name, e.name))
    return module


class PyaesTest(unittest.TestCase):
    def test_defaults_round_trip(self):
        r = load("pyaes").main({})
        self.assertEqual(r["message_length"], 1024)
        self.assertTrue(r["round_trip_ok"])
        self.assertEqual(len(r["ciphertext_sha256"]), 64)

    def test_catalog_parameters_are_deterministic(self):
        fn = load("pyaes")
        a = fn.main({"message_length": 48, "num_iterations": 3})
        b = fn.main({"message_length": 48, "num_iterations": 3})
        self.assertEqual(a["ciphertext_sha256"], b["ciphertext_sha256"])
        self.assertEqual(a["num_iterations"], 3)

    def test_rejects_bad_parameters(self):
        with self.assertRaises(ValueError):
            load("pyaes").main({"message_length": "long"})


class ChameleonTest(unittest.TestCase):
    def test_renders_every_cell(self):
        r = load("chameleon").main({"nrow": 12, "ncol": 7})
        self.assertEqual(r["cells"], 84)
        self.assertGreater(r["html_bytes"], 84 * len("<td></td>"))

    def test_defaults(self):
        self.assertEqual(load("chameleon").main({})["cells"], 100 * 100)


class MatmulTest(unittest.TestCase):
    def test_product_is_exact(self):
        fn = load("matmul")
        import numpy as np
        rng = np.random.default_rng(0)
        a = rng.integers(-8, 8, size=(20, 30)).astype(np.float64)
        b = rng.integers(-8, 8, size=(30, 20)).astype(np.float64)
        r = fn.main({"N": 20, "M": 30})
        self.assertEqual(r["shape"], [20, 20])
        self.assertEqual(r["checksum"], int((a @ b).sum()))
        self.assertEqual(r["trace"], int(np.trace(a @ b)))

    def test_defaults(self):
        self.assertEqual(load("matmul").main({})["shape"], [128, 128])


class JsonSerdesTest(unittest.TestCase):
    def test_catalog_file_names_give_record_counts(self):
        fn = load("json_serdes")
        self.assertEqual(fn.main({"file_name": "gen02_n1024.json"})["records"], 1024)
        self.assertEqual(fn.main({"file_name": "search.json"})["records"], 2048)

    def test_round_trip(self):
        r = load("json_serdes").main({"n": 50, "iterations": 2})
        self.assertTrue(r["round_trip_ok"])
        self.assertEqual(r["records"], 50)

    def test_defaults_and_bad_names(self):
        fn = load("json_serdes")
        self.assertEqual(fn.main({})["records"], 1024)
        with self.assertRaises(ValueError):
            fn.main({"file_name": "../etc/passwd"})


class ImageRotateTest(unittest.TestCase):
    def setUp(self):
        self.fn = load("image_rotate")
        if not os.path.isdir(os.path.join(self.fn.DATA_DIR, "images")):
            self.skipTest("no sample images in %s (they are made at rootfs build time)" % self.fn.DATA_DIR)

    def test_rotate_swaps_width_and_height(self):
        from PIL import Image
        with Image.open(os.path.join(self.fn.DATA_DIR, "images", "img072k.jpeg")) as img:
            w, h = img.size
        r = self.fn.main({})
        self.assertEqual(r["size"], [h, w])
        self.assertEqual(r["ops"], ["rotate"])

    def test_all_ops(self):
        r = self.fn.main({"img_name": "img016k.jpeg", "ops": "filter-flip-gray_scale-resize-rotate"})
        self.assertEqual(r["mode"], "L")
        self.assertEqual(len(r["output_sha256"]), 64)

    def test_rejects_unknown_ops_and_paths(self):
        with self.assertRaises(ValueError):
            self.fn.main({"ops": "explode"})
        with self.assertRaises(ValueError):
            self.fn.main({"img_name": "../../etc/passwd"})


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[1:], verbosity=2)
