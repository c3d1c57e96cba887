# README.md's examples, run as written against the shipped config on a fresh
# working directory (issue 14.1): the server generates and keeps its room key, the
# start-up log prints a working admin login, and every ```sh block of the README
# runs and succeeds. Owner: integration tests.
#
# A block is run in order, with bash -euo pipefail, from a working directory laid
# out like a clone (conf/roomcast.toml, build/roomcast, web/). The one change made
# to the commands is the ports: the server listens on free ports, so the README's
# default addresses (rtmp://127.0.0.1/..., 127.0.0.1:1935, 127.0.0.1:8080) are
# pointed at them. A comment line `<!-- readme-test: skip (why) -->` or
# `<!-- readme-test: background -->` right before a block skips it or runs it in the
# background (a pusher) for the rest of the test.
import os
import re
import shutil
import signal
import subprocess
import time

import harness as h
import room_client as rc

README = os.path.join(h.SOURCE, "README.md")
BLOCK = re.compile(r"(?:<!--\s*readme-test:\s*([a-z]+)[^>]*-->\s*\n)?```sh\n(.*?)```", re.S)
MAX_BLOCK_S = 60


def readme_blocks():
    """[(mode, text)] for every ```sh block: mode is "run", "skip" or "background"."""
    with open(README) as f:
        text = f.read()
    return [(m.group(1) or "run", m.group(2)) for m in BLOCK.finditer(text)]


class ReadmeTest(h.IntegrationTest):
    def setUp(self):
        self.work = h.make_tmpdir("roomcast-readme-")
        self.rtmp_port, self.http_port = h.free_port(), h.free_port()
        os.makedirs(os.path.join(self.work, "conf"))
        os.makedirs(os.path.join(self.work, "build"))
        with open(h.DEFAULT_CONFIG) as f:
            conf = f.read()
        # The shipped file with its two listen lines on free ports; nothing else.
        conf, n1 = re.subn(r'(?m)^listen = "0\.0\.0\.0:1935"$',
                           'listen = "127.0.0.1:%d"' % self.rtmp_port, conf)
        conf, n2 = re.subn(r'(?m)^listen = "0\.0\.0\.0:8080"$',
                           'listen = "127.0.0.1:%d"' % self.http_port, conf)
        self.assertEqual((n1, n2), (1, 1), "the shipped config's listen lines moved")
        with open(os.path.join(self.work, "conf", "roomcast.toml"), "w") as f:
            f.write(conf)
        os.symlink(h.BIN, os.path.join(self.work, "build", "roomcast"))
        os.symlink(os.path.join(h.SOURCE, "web"), os.path.join(self.work, "web"))
        self.starts = 0
        self.background = []

    def tearDown(self):
        for p in self.background:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def ports(self, text):
        text = text.replace("rtmp://127.0.0.1/", "rtmp://127.0.0.1:%d/" % self.rtmp_port)
        text = text.replace("127.0.0.1:1935", "127.0.0.1:%d" % self.rtmp_port)
        return text.replace("127.0.0.1:8080", "127.0.0.1:%d" % self.http_port)

    def start_server(self):
        # As scripts/run does, from the clone's root.
        args = ["build/roomcast", "--config", "conf/roomcast.toml"]
        self.starts += 1
        self.log_path = os.path.join(self.work, "server-%d.log" % self.starts)
        f = open(self.log_path, "ab")
        proc = subprocess.Popen(args, cwd=self.work, stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        f.close()
        h._children.append(proc)
        h.wait_until(lambda: "ready: player page" in h.read_text(self.log_path) or
                     proc.poll() is not None, 20, what="the server's ready lines")
        self.assertIsNone(proc.poll(), h.read_text(self.log_path))
        return proc

    def stop_server(self, proc):
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, h.tail(self.log_path))
        rep = h.sanitizer_report(h.read_text(self.log_path))
        self.assertIsNone(rep, h.tail(self.log_path))

    def run_block(self, text):
        r = subprocess.run(["bash", "-euo", "pipefail", "-c", self.ports(text)], cwd=self.work,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=MAX_BLOCK_S)
        out = r.stdout.decode("utf-8", "replace")
        err = r.stderr.decode("utf-8", "replace")
        h.log("README block:\n%s-> exit %d\n%s%s" % (text, r.returncode, out, err))
        self.assertEqual(r.returncode, 0, "README block failed:\n%s\n%s%s" % (text, out, err))
        self.assertNotIn('"error"', out, "README block got an error reply:\n%s\n%s" % (text, out))
        return out

    def admin_login_from_log(self):
        m = re.search(r"ready: player page (http://127\.0\.0\.1:(\d+)/\?stream=live/demo"
                      r"&user=administrator&usersig=([A-Za-z0-9*_-]+))",
                      h.read_text(self.log_path))
        self.assertIsNotNone(m, "no player-page URL in the log:\n" + h.tail(self.log_path))
        self.assertEqual(int(m.group(2)), self.http_port)
        return m.group(1), m.group(3)

    def test_readme_examples_run_as_written_on_a_fresh_clone(self):
        blocks = readme_blocks()
        self.assertGreaterEqual(len([b for b in blocks if b[0] == "run"]), 2, blocks)
        self.assertEqual(len([b for b in blocks if b[0] == "background"]), 1, blocks)
        proc = self.start_server()
        key_path = os.path.join(self.work, "state", "room.key")
        self.assertEqual(os.stat(key_path).st_mode & 0o777, 0o600)
        log = h.read_text(self.log_path)
        self.assertIn("UserSigs are checked with a new key generated into state/room.key", log)
        with open(key_path) as f:
            key = f.read().strip()
        self.assertNotIn(key, log, "the key itself must never be logged")

        # The printed admin login works: the page loads and the chat logs in as admin.
        url, sig = self.admin_login_from_log()
        page = subprocess.run(["curl", "-sf", url], stdout=subprocess.PIPE, timeout=10)
        self.assertEqual(page.returncode, 0)
        self.assertIn(b"<html", page.stdout.lower())
        ws = rc.WsClient(self.http_port)
        ws.connect()
        reply = ws.login("administrator", sig)
        self.assertEqual(reply["role"], "admin", reply)
        ws.close()

        outputs = []
        for mode, text in blocks:
            if mode == "skip":
                continue
            if mode == "background":
                f = open(os.path.join(self.work, "background.log"), "ab")
                p = subprocess.Popen(["bash", "-euo", "pipefail", "-c", self.ports(text)],
                                     cwd=self.work, stdout=f, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
                f.close()
                self.background.append(p)
                h._children.append(p)
                self.wait_stream_up(p)
                continue
            outputs.append(self.run_block(text))
        joined = "\n".join(outputs)
        self.assertIn("h264,1280,720", joined)  # ffprobe of the RTMP pull
        self.assertIn('"announcement":"welcome"', joined)  # the admin's PATCH went through
        self.assertIn('"msgId"', joined)  # and its message

        # A restart keeps the key: the usersig made before still logs in.
        self.stop_server(proc)
        proc = self.start_server()
        with open(key_path) as f:
            self.assertEqual(f.read().strip(), key)
        self.assertIn("UserSigs are checked with the key kept in state/room.key",
                      h.read_text(self.log_path))
        ws = rc.WsClient(self.http_port)
        ws.connect()
        self.assertEqual(ws.login("administrator", sig)["role"], "admin")
        ws.close()
        self.stop_server(proc)

    def wait_stream_up(self, pusher):
        import json
        import urllib.request

        def up():
            if pusher.poll() is not None:
                raise AssertionError("the README's pusher exited:\n" + h.tail(
                    os.path.join(self.work, "background.log")))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/streams/live/demo"
                                            % self.http_port, timeout=2) as r:
                    return json.load(r).get("video") is not None
            except OSError:
                return False
        h.wait_until(up, 30, what="the README's stream live/demo")

        def hls_up():  # the first segment is cut ~2 s in; a user waits for it too
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/live/demo.m3u8"
                                            % self.http_port, timeout=2) as r:
                    return b"#EXTINF" in r.read()
            except OSError:
                return False
        h.wait_until(hls_up, 30, what="the README's stream's first HLS segment")


if __name__ == "__main__":
    h.main()
