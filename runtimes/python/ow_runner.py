"""HotMem's Python runner for OpenWhisk actions.

Serves the OpenWhisk action protocol on 127.0.0.1:$PORT (default 8080), one
activation at a time, with the Python 3 standard library only:

  POST /init  {"value": {"code": "...", "main": "main", "binary": false}}
              loads the action: runs its code, then looks up the function
              `main` names. A second /init is refused (403), as in OpenWhisk.
              With "binary": true, "code" is a base64 zip whose __main__.py
              is the action.
  POST /run   {"value": {...}, ...} calls main(value) and answers its dict
              as JSON. The other top-level fields (action_name,
              activation_id, ...) become environment variables __OW_<FIELD>.
              Errors answer {"error": "..."}: 502 when the action fails or
              returns something other than a dict, 403 before /init.

Environment:
  PORT               the port to listen on (127.0.0.1 only)
  HOTMEM_ACTION      a file with the action's code, loaded at start, so the
                     runner is ready without /init (a later /init is a 403)
  HOTMEM_ACTION_MAIN the function to call in it (default: main)
  HOTMEM_READY_FD    the agent's status pipe: "ready" is written to it once
                     the port listens (and the action, if given, is loaded)

Logs go to stderr; after each activation the OpenWhisk log sentinel is
written to stdout and stderr, as OpenWhisk's own runtimes do.
"""

import base64
import http.server
import io
import json
import logging
import os
import signal
import sys
import tempfile
import time
import traceback
import zipfile

MAX_BODY_BYTES = 48 << 20  # OpenWhisk's default payload limit
SENTINEL = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"

log = logging.getLogger("ow_runner")


class ActionError(Exception):
    """The action could not be loaded or run; the message goes to the caller."""


class Action:
    """The one action this runner serves."""

    def __init__(self):
        self.main = None
        self.source = None

    @property
    def loaded(self):
        return self.main is not None

    def load_code(self, code, main_name="main", filename="<action>"):
        namespace = {"__name__": "__ow_action__", "__file__": filename}
        try:
            compiled = compile(code, filename, "exec")
            exec(compiled, namespace)  # noqa: S102 - running the action is the point
        except Exception as e:  # the action's own error, reported to the caller
            log.error("loading the action failed:\n%s", traceback.format_exc())
            raise ActionError("cannot load the action: %s: %s" % (type(e).__name__, e)) from e
        fn = namespace.get(main_name)
        if not callable(fn):
            raise ActionError("the action has no function '%s'" % main_name)
        self.main = fn
        self.source = filename

    def load_zip(self, encoded, main_name="main"):
        try:
            data = base64.b64decode(encoded, validate=True)
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (ValueError, zipfile.BadZipFile) as e:
            raise ActionError("'code' is not a base64-encoded zip file: %s" % e) from e
        where = tempfile.mkdtemp(prefix="ow-action-")
        archive.extractall(where)
        entry = os.path.join(where, "__main__.py")
        if not os.path.isfile(entry):
            raise ActionError("the zip file has no __main__.py")
        sys.path.insert(0, where)
        with open(entry, encoding="utf-8") as f:
            self.load_code(f.read(), main_name, entry)

    def load_file(self, path, main_name="main"):
        try:
            with open(path, encoding="utf-8") as f:
                code = f.read()
        except OSError as e:
            raise ActionError("cannot read the action %s: %s" % (path, e.strerror)) from e
        self.load_code(code, main_name, path)

    def run(self, args):
        try:
            result = self.main(args)
        except Exception as e:
            log.error("the action failed:\n%s", traceback.format_exc())
            raise ActionError("the action failed: %s: %s" % (type(e).__name__, e)) from e
        if not isinstance(result, dict):
            raise ActionError("the action did not return a dictionary (it returned %s)" % type(result).__name__)
        return result


def set_activation_env(message):
    """OpenWhisk passes activation metadata as __OW_* environment variables."""
    for key, value in message.items():
        if key == "value":
            continue
        if isinstance(value, str):
            os.environ["__OW_" + key.upper()] = value


class Handler(http.server.BaseHTTPRequestHandler):
    action = Action()  # replaced by serve()
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # http.server logs to stderr already; keep ours uniform
        log.info("%s %s", self.address_string(), fmt % args)

    def answer(self, status, body):
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        # One connection per request: an idle keep-alive client would
        # otherwise hold this one-request-at-a-time server.
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    def read_message(self):
        """The request's JSON object, or None once an error was answered."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.answer(413 if length > 0 else 400, {"error": "bad or oversized Content-Length"})
            self.close_connection = True
            return None
        raw = self.rfile.read(length) if length else b"{}"
        try:
            message = json.loads(raw)
        except ValueError as e:
            self.answer(400, {"error": "the body is not JSON: %s" % e})
            return None
        if not isinstance(message, dict):
            self.answer(400, {"error": "the body must be a JSON object"})
            return None
        return message

    def do_POST(self):
        if self.path == "/init":
            self.init()
        elif self.path == "/run":
            self.run()
        else:
            self.answer(404, {"error": "no such endpoint: use POST /init or POST /run"})

    def do_GET(self):
        self.answer(404, {"error": "no such endpoint: use POST /init or POST /run"})

    def init(self):
        message = self.read_message()
        if message is None:
            return
        if self.action.loaded:
            self.answer(403, {"error": "Cannot initialize the action more than once."})
            return
        value = message.get("value")
        if not isinstance(value, dict) or not isinstance(value.get("code"), str):
            self.answer(400, {"error": "/init needs {\"value\": {\"code\": \"...\"}}"})
            return
        main_name = value.get("main") or "main"
        try:
            if value.get("binary"):
                self.action.load_zip(value["code"], main_name)
            else:
                self.action.load_code(value["code"], main_name)
        except ActionError as e:
            self.answer(502, {"error": str(e)})
            return
        if isinstance(value.get("env"), dict):
            for k, v in value["env"].items():
                os.environ[str(k)] = v if isinstance(v, str) else json.dumps(v)
        log.info("action initialized (main: %s)", main_name)
        self.answer(200, {"ok": True})

    def run(self):
        message = self.read_message()
        if message is None:
            return
        if not self.action.loaded:
            self.answer(403, {"error": "Cannot run an action that is not initialized: POST /init first."})
            return
        args = message.get("value", {})
        if not isinstance(args, dict):
            self.answer(404, {"error": "The action did not receive a dictionary as an argument."})
            return
        set_activation_env(message)
        started = time.monotonic()
        try:
            result = self.action.run(args)
            status = 200
        except ActionError as e:
            result, status = {"error": str(e)}, 502
        log.info("activation done in %.1f ms (status %d)", (time.monotonic() - started) * 1000, status)
        try:
            self.answer(status, result)
        except (TypeError, ValueError) as e:  # the result does not serialize
            self.answer(502, {"error": "the action's result is not JSON: %s" % e})
        for stream in (sys.stdout, sys.stderr):
            stream.write(SENTINEL + "\n")
            stream.flush()


def signal_ready():
    fd_text = os.environ.get("HOTMEM_READY_FD")
    if not fd_text:
        return
    try:
        fd = int(fd_text)
        os.write(fd, b"ready\n")
        os.close(fd)
    except (ValueError, OSError) as e:
        log.warning("cannot report readiness on HOTMEM_READY_FD=%s: %s", fd_text, e)


def serve():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="ow_runner[%(process)d] %(levelname)s %(message)s")
    try:
        port = int(os.environ.get("PORT", "8080"))
        if not 0 < port < 65536:
            raise ValueError
    except ValueError:
        log.error("PORT=%r is not a port number", os.environ.get("PORT"))
        return 2
    action = Action()
    path = os.environ.get("HOTMEM_ACTION")
    if path:
        try:
            action.load_file(path, os.environ.get("HOTMEM_ACTION_MAIN") or "main")
        except ActionError as e:
            log.error("%s", e)
            return 1
        log.info("action %s loaded", path)

    def stop(signo, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    handler = type("ActionHandler", (Handler,), {"action": action})
    # One thread, one request at a time: one activation at a time.
    http.server.HTTPServer.allow_reuse_address = True
    try:
        server = http.server.HTTPServer(("127.0.0.1", port), handler)
    except OSError as e:
        log.error("cannot listen on 127.0.0.1:%d: %s", port, e.strerror)
        return 1
    log.info("listening on 127.0.0.1:%d", port)
    signal_ready()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(serve())
