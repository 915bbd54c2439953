"""Tests of ow_runner.py over real HTTP, with the standard library only (any
host python3 runs them): readiness on HOTMEM_READY_FD, /init, /run, the
errors OpenWhisk's runtimes give, and an action given at start.

  python3 runtimes/python/ow_runner_test.py
"""

import base64
import http.client
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import unittest
import zipfile

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ow_runner.py")

ACTION = textwrap.dedent("""
    import os
    calls = 0

    def main(args):
        global calls
        calls += 1
        if args.get("fail"):
            raise RuntimeError("asked to fail")
        if args.get("not_a_dict"):
            return [1, 2]
        return {"greeting": "hello " + args.get("name", "world"), "calls": calls,
                "activation": os.environ.get("__OW_ACTIVATION_ID", "")}
""")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Runner:
    """ow_runner.py in a child process, ready when it said so on its pipe."""

    def __init__(self, env=None):
        self.port = free_port()
        read_fd, write_fd = os.pipe()
        full_env = dict(os.environ, PORT=str(self.port), HOTMEM_READY_FD=str(write_fd))
        full_env.update(env or {})
        self.process = subprocess.Popen([sys.executable, RUNNER], env=full_env, pass_fds=(write_fd,),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as status:
            self.status = status.readline()

    def post(self, path, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        conn.request("POST", path, data, {"Content-Type": "application/json"})
        response = conn.getresponse()
        result = response.status, json.loads(response.read())
        conn.close()
        return result

    def stop(self):
        self.process.terminate()
        _, err = self.process.communicate(timeout=10)
        return self.process.returncode, err.decode()


class OwRunnerTest(unittest.TestCase):
    def start(self, env=None):
        runner = Runner(env)
        self.addCleanup(lambda: runner.process.poll() is None and runner.stop())
        return runner

    def test_reports_ready_then_serves_init_and_run(self):
        r = self.start()
        self.assertEqual(r.status, b"ready\n")
        self.assertEqual(r.post("/init", {"value": {"code": ACTION, "main": "main", "binary": False}}),
                         (200, {"ok": True}))
        status, body = r.post("/run", {"value": {"name": "hotmem"}, "activation_id": "a1"})
        self.assertEqual(status, 200)
        self.assertEqual(body, {"greeting": "hello hotmem", "calls": 1, "activation": "a1"})
        # Warm: the same module, its state kept between activations.
        self.assertEqual(r.post("/run", {"value": {}})[1]["calls"], 2)

    def test_second_init_is_refused(self):
        r = self.start()
        r.post("/init", {"value": {"code": ACTION}})
        status, body = r.post("/init", {"value": {"code": ACTION}})
        self.assertEqual(status, 403)
        self.assertIn("more than once", body["error"])

    def test_run_before_init_is_refused(self):
        status, body = self.start().post("/run", {"value": {}})
        self.assertEqual(status, 403)
        self.assertIn("/init", body["error"])

    def test_action_errors_are_502_and_the_runner_keeps_serving(self):
        r = self.start()
        r.post("/init", {"value": {"code": ACTION}})
        status, body = r.post("/run", {"value": {"fail": True}})
        self.assertEqual(status, 502)
        self.assertIn("asked to fail", body["error"])
        status, body = r.post("/run", {"value": {"not_a_dict": True}})
        self.assertEqual(status, 502)
        self.assertIn("did not return a dictionary", body["error"])
        self.assertEqual(r.post("/run", {"value": {}})[0], 200)

    def test_bad_code_and_missing_main_fail_init(self):
        r = self.start()
        status, body = r.post("/init", {"value": {"code": "def main(:\n"}})
        self.assertEqual(status, 502)
        self.assertIn("SyntaxError", body["error"])
        status, body = r.post("/init", {"value": {"code": ACTION, "main": "nope"}})
        self.assertEqual(status, 502)
        self.assertIn("no function 'nope'", body["error"])

    def test_malformed_requests(self):
        r = self.start()
        self.assertEqual(r.post("/init", b"{not json")[0], 400)
        self.assertEqual(r.post("/init", {"value": {"code": 5}})[0], 400)
        self.assertEqual(r.post("/elsewhere", {})[0], 404)
        r.post("/init", {"value": {"code": ACTION}})
        self.assertEqual(r.post("/run", {"value": [1]})[0], 404)

    def test_binary_zip_action(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("__main__.py", "from helper import twice\ndef main(args):\n    return {'x': twice(args['x'])}\n")
            z.writestr("helper.py", "def twice(v):\n    return 2 * v\n")
        r = self.start()
        code = base64.b64encode(buf.getvalue()).decode()
        self.assertEqual(r.post("/init", {"value": {"code": code, "binary": True}})[0], 200)
        self.assertEqual(r.post("/run", {"value": {"x": 21}}), (200, {"x": 42}))

    def test_action_given_at_start_needs_no_init(self):
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write(ACTION.replace("def main", "def handler"))
        self.addCleanup(os.unlink, f.name)
        r = self.start({"HOTMEM_ACTION": f.name, "HOTMEM_ACTION_MAIN": "handler"})
        self.assertEqual(r.status, b"ready\n")
        self.assertEqual(r.post("/run", {"value": {"name": "x"}})[1]["greeting"], "hello x")
        self.assertEqual(r.post("/init", {"value": {"code": ACTION}})[0], 403)

    def test_unloadable_action_at_start_exits_without_ready(self):
        r = Runner({"HOTMEM_ACTION": "/nonexistent/action.py"})
        self.assertEqual(r.status, b"")
        code, err = r.stop()
        self.assertEqual(code, 1)
        self.assertIn("cannot read the action", err)

    def test_sigterm_ends_it_cleanly_and_logs_go_to_stderr(self):
        r = self.start()
        r.post("/init", {"value": {"code": ACTION}})
        code, err = r.stop()
        self.assertEqual(code, 0)
        self.assertIn("listening on 127.0.0.1:%d" % r.port, err)
        self.assertIn("action initialized", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
