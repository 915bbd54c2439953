"""chameleon: renders an HTML table with Chameleon templates (FunctionBench's chameleon).

Parameters: nrow (default 100), ncol (default 100). The result gives the
page's size and digest; the table has nrow rows of ncol numbered cells.
"""

import hashlib
import time

from chameleon import PageTemplate

TEMPLATE = """<table xmlns:tal="http://xml.zope.org/namespaces/tal">
<tr tal:repeat="row rows"><td tal:repeat="cell row" tal:content="cell"/></tr>
</table>"""
MAX_CELLS = 4 << 20

_template = None


def _int(args, name, default, low, high):
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError("'%s' must be an integer in %d..%d" % (name, low, high))
    return value


def main(args):
    global _template
    nrow = _int(args, "nrow", 100, 1, 1 << 16)
    ncol = _int(args, "ncol", 100, 1, 1 << 16)
    if nrow * ncol > MAX_CELLS:
        raise ValueError("nrow * ncol must be at most %d" % MAX_CELLS)
    started = time.monotonic()
    if _template is None:  # compiled once per instance, as a warm action would
        _template = PageTemplate(TEMPLATE)
    rows = [[r * ncol + c for c in range(ncol)] for r in range(nrow)]
    html = _template(rows=rows)
    data = html.encode("utf-8")
    return {
        "nrow": nrow,
        "ncol": ncol,
        "cells": html.count("<td>"),
        "html_bytes": len(data),
        "html_sha256": hashlib.sha256(data).hexdigest(),
        "compute_ms": round((time.monotonic() - started) * 1000, 3),
    }
