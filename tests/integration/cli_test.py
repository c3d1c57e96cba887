# CLI: --check on good and bad configs, --set validation, `roomcast sign` URLs.
# Owner: integration tests. Runs the binary to completion; no network.
import hashlib
import hmac
import os
import re
import time
import urllib.parse

import harness as h


class CliTest(h.IntegrationTest):
    def write_config(self, text):
        path = os.path.join(h.make_tmpdir(), "bad.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def assertMentionsLine(self, output, path, line):
        # "file:line" with the path as given, or at least its basename.
        rx = r"(%s|%s):%d\b" % (re.escape(path), re.escape(os.path.basename(path)), line)
        self.assertRegex(output, rx, "error must name %s:%d" % (path, line))

    def test_check_default_config_ok(self):
        r = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--check"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout + r.stderr, r"configuration file .*roomcast\.toml.* test is successful")

    def test_check_default_config_is_default(self):
        # Without --config the binary reads conf/roomcast.toml (cwd = repo root).
        r = h.run_roomcast(["--check"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout + r.stderr, r"roomcast\.toml.* test is successful")

    def test_bad_value_names_file_line_and_key(self):
        text, line = h.toml_set(h.base_config_text(), "rtmp", "chunk_size", "5")
        path = self.write_config(text)
        r = h.run_roomcast(["--config", path, "--check"])
        out = r.stdout + r.stderr
        self.assertNotEqual(r.returncode, 0, out)
        self.assertMentionsLine(out, path, line)
        self.assertIn("rtmp.chunk_size", out)
        self.assertNotRegex(out, r"test is successful")

    def test_wrong_type_rejected(self):
        text, line = h.toml_set(h.base_config_text(), "rtmp", "chunk_size", '"big"')
        path = self.write_config(text)
        r = h.run_roomcast(["--config", path, "--check"])
        out = r.stdout + r.stderr
        self.assertNotEqual(r.returncode, 0, out)
        self.assertMentionsLine(out, path, line)
        self.assertIn("rtmp.chunk_size", out)

    def test_unknown_key_rejected(self):
        text, line = h.toml_set(h.base_config_text(), "rtmp", "chunk_sise", "4096")
        path = self.write_config(text)
        r = h.run_roomcast(["--config", path, "--check"])
        out = r.stdout + r.stderr
        self.assertNotEqual(r.returncode, 0, out)
        self.assertMentionsLine(out, path, line)
        self.assertIn("rtmp.chunk_sise", out)

    def test_unknown_section_rejected(self):
        text, line = h.toml_set(h.base_config_text(), "bogus_section", "x", "1")
        path = self.write_config(text)
        r = h.run_roomcast(["--config", path, "--check"])
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("bogus_section", r.stdout + r.stderr)

    def test_set_override_valid(self):
        r = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--set", "rtmp.chunk_size=4096",
                            "--set", "rtmp.listen=127.0.0.1:19999", "--check"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_set_override_invalid_value(self):
        r = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--set", "rtmp.chunk_size=5", "--check"])
        out = r.stdout + r.stderr
        self.assertNotEqual(r.returncode, 0, out)
        self.assertIn("rtmp.chunk_size", out)

    def test_set_override_unknown_key(self):
        r = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--set", "rtmp.no_such_key=1", "--check"])
        out = r.stdout + r.stderr
        self.assertNotEqual(r.returncode, 0, out)
        self.assertIn("rtmp.no_such_key", out)

    def test_set_override_bad_listen(self):
        r = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--set", "rtmp.listen=nonsense", "--check"])
        out = r.stdout + r.stderr
        self.assertNotEqual(r.returncode, 0, out)
        self.assertIn("rtmp.listen", out)

    def test_missing_config_file(self):
        r = h.run_roomcast(["--config", "/nonexistent/roomcast.toml", "--check"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/roomcast.toml", r.stdout + r.stderr)

    def test_sign_prints_verifiable_urls(self):
        key = "integration-test-key-42"
        text, _ = h.toml_set(h.base_config_text(), "auth", "key", '"%s"' % key)
        path = self.write_config(text)
        now = int(time.time())
        r = h.run_roomcast(["sign", "--app", "live", "--name", "demo", "--ttl", "3600",
                            "--config", path])
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        rtmp = re.findall(r"rtmp://[^\s\"']+", r.stdout)
        flv = re.findall(r"https?://[^\s\"']+\.flv\?[^\s\"']+", r.stdout)
        self.assertTrue(rtmp, "no rtmp:// URL in output:\n" + out)
        self.assertTrue(flv, "no http://...flv URL in output:\n" + out)
        for url in (rtmp[0], flv[0]):
            u = urllib.parse.urlsplit(url)
            q = urllib.parse.parse_qs(u.query)
            self.assertIn("expire", q, url)
            self.assertIn("sign", q, url)
            expire = int(q["expire"][0])
            self.assertTrue(now + 3600 - 5 <= expire <= int(time.time()) + 3600 + 5,
                            "expire %d not now+3600 (%d)" % (expire, now + 3600))
            want = hmac.new(key.encode(), ("live/demo:%d" % expire).encode(),
                            hashlib.sha256).hexdigest()
            self.assertEqual(q["sign"][0], want, "signature of %s" % url)
        self.assertTrue(urllib.parse.urlsplit(rtmp[0]).path.endswith("/live/demo"), rtmp[0])
        self.assertTrue(urllib.parse.urlsplit(flv[0]).path.endswith("/live/demo.flv"), flv[0])

    def test_sign_differs_with_key(self):
        outs = []
        for key in ("key-one-0123456789abcdef", "key-two-0123456789abcdef"):
            text, _ = h.toml_set(h.base_config_text(), "auth", "key", '"%s"' % key)
            path = self.write_config(text)
            r = h.run_roomcast(["sign", "--app", "live", "--name", "demo", "--ttl", "60",
                                "--config", path])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            outs.append(re.findall(r"sign=([0-9a-f]{64})", r.stdout))
        self.assertTrue(outs[0] and outs[1], outs)
        self.assertNotEqual(outs[0][0], outs[1][0])

    def test_a_sixth_admin_is_a_config_error(self):
        ok = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--check",
                             "--set", 'room.admins=["a","b","c","d","e"]'])
        self.assertEqual(ok.returncode, 0, ok.stderr)
        bad = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--check",
                              "--set", 'room.admins=["a","b","c","d","e","f"]'])
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("room.admins", bad.stderr)
        self.assertIn("at most 5", bad.stderr)

    # ---- [mixer] profiles: core/config reads them, --check runs the caster's own
    # validator (mixer::PipelineSpec, the API's) on each.

    def shipped_profile_lines(self):
        """(text, header line, {kbps: line}) of the shipped config's "default" profile."""
        text = h.base_config_text()
        lines = text.split("\n")
        header = lines.index("[[mixer.profile]]") + 1
        self.assertIn('name = "default"', lines[header:header + 3], "the shipped profile moved")
        rungs = {int(m.group(1)): i + 1 for i, l in enumerate(lines)
                 for m in [re.search(r"^  \{ height = \d+, fps = 30, kbps = (\d+) \},$", l)] if m}
        return text, header, rungs

    def test_shipped_config_has_the_default_profile_and_passes_check(self):
        text, header, rungs = self.shipped_profile_lines()
        self.assertEqual(sorted(rungs), [700, 1200, 2500])
        self.assertRegex(text, r"(?m)^streams = \[\]$")  # started only through the API
        r = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--check"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_absurd_rung_in_profile_names_profile_line_and_field(self):
        text, header, rungs = self.shipped_profile_lines()
        lines = text.split("\n")
        line = rungs[1200]
        lines[line - 1] = lines[line - 1].replace("kbps = 1200", "kbps = 100000")
        path = self.write_config("\n".join(lines))
        start = ["--set", "rtmp.listen=127.0.0.1:%d" % h.free_port(),
                 "--set", "http.listen=127.0.0.1:%d" % h.free_port(),
                 "--set", "webrtc.listen=127.0.0.1:%d" % h.free_udp_port(),
                 "--set", "state.dir=" + os.path.join(h.make_tmpdir(), "state")]
        for args in (["--check"], start):  # --check and a real start fail alike
            r = h.run_roomcast(["--config", path] + args, timeout=10)
            out = r.stdout + r.stderr
            self.assertNotEqual(r.returncode, 0, out)
            self.assertIn('%s:%d: mixer.profile "default" (line %d): rungs[1].kbps: 100000 out '
                          "of 50..20000" % (path, line, header), out)
            self.assertNotRegex(out, r"test is successful|roomcast started")

    def test_every_profile_field_reaches_the_spec_validator(self):
        # Each TOML field must arrive under the name PipelineSpec reads: it rejects
        # unknown fields, so a field mapped wrongly fails --check.
        fields = [
            ("name", '"full"'), ("streams", '["live/*", "tv/one"]'), ("preset", '"veryfast"'),
            ("tune", '""'), ("gop_ms", "4000"), ("keyframes", '"fixed"'), ("audio", '"aac"'),
            ("audio_kbps", "96"), ("master_source", "false"),
            ("rungs", '[\n  { height = 540, width = 960, fps = 25, kbps = 1500, '
                      'preset = "faster", tune = "film" },\n  { height = 270, kbps = 400 },\n]'),
            ("overlays", '[\n  { id = "logo", type = "image", file = "logo.png", '
                         'anchor = "top-right", x = 24, y = 24, opacity = 0.8 },\n'
                         '  { id = "title", type = "text", text = "ライブ配信中 \'a:b\' '
                         '%{localtime}", unit = "fraction", x = 0.05, y = 0.9, size = 32, '
                         'box = { color = "#00000080" } },\n]')]
        base = h.base_config_text() + "\n"
        header = len(base.split("\n"))  # the line [[mixer.profile]] lands on

        def check(fields):
            text = "[[mixer.profile]]\n" + "".join("%s = %s\n" % f for f in fields)
            path = self.write_config(base + text)
            return path, h.run_roomcast(["--config", path, "--check"])

        path, r = check(fields)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for key, value, expect in (("gop_msec", "4000", "gop_msec"),
                                   ("keyframes", '"never"', "keyframes"),
                                   ("rungs", "[]", "rungs")):
            bad = [f for f in fields if f[0] != key]
            bad.insert(2, (key, value))
            path, r = check(bad)
            self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
            # Line: the header, name, streams, then the bad field.
            self.assertIn('%s:%d: mixer.profile "full" (line %d): %s' %
                          (path, header + 3, header, expect), r.stderr)

    def test_usersig_is_a_tlssigapiv2_token(self):
        """`roomcast usersig` output checked with an independent decoder."""
        import base64
        import json
        import zlib
        key, app = "room-secret-0123456789", 1400000123
        t0 = int(time.time())
        r = h.run_roomcast(["usersig", "--user", "alice", "--ttl", "86400",
                            "--config", h.DEFAULT_CONFIG,
                            "--set", "room.key=" + key, "--set", "room.app_id=%d" % app])
        self.assertEqual(r.returncode, 0, r.stderr)
        sig = r.stdout.strip()
        self.assertNotRegex(sig, r"[+/=]", "the IM's base64 variant uses * - _")
        raw = base64.b64decode(sig.replace("*", "+").replace("-", "/").replace("_", "="))
        doc = json.loads(zlib.decompress(raw))
        self.assertEqual(doc["TLS.ver"], "2.0")
        self.assertEqual(doc["TLS.identifier"], "alice")
        self.assertEqual(doc["TLS.sdkappid"], app)
        self.assertEqual(doc["TLS.expire"], 86400)
        self.assertLessEqual(abs(doc["TLS.time"] - t0), 5)
        content = "TLS.identifier:alice\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:86400\n" % (
            app, doc["TLS.time"])
        want = base64.b64encode(hmac.new(key.encode(), content.encode(), hashlib.sha256).digest())
        self.assertEqual(doc["TLS.sig"], want.decode())

    # ---- the room key kept in state.dir when room.key is empty (issue 14.1)

    def usersig_signed_with(self, sig, user, app, key):
        import base64
        import json
        import zlib
        raw = base64.b64decode(sig.replace("*", "+").replace("-", "/").replace("_", "="))
        doc = json.loads(zlib.decompress(raw))
        content = "TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n" % (
            user, app, doc["TLS.time"], doc["TLS.expire"])
        want = base64.b64encode(hmac.new(key.encode(), content.encode(), hashlib.sha256).digest())
        return doc["TLS.sig"] == want.decode()

    def test_without_room_key_usersig_and_check_share_the_kept_key(self):
        state = os.path.join(h.make_tmpdir(), "st")
        base = ["--config", h.DEFAULT_CONFIG, "--set", "state.dir=" + state]
        check = h.run_roomcast(base + ["--check"])
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertIn("none yet", check.stdout)
        self.assertFalse(os.path.exists(state), "--check must not write anything")

        first = h.run_roomcast(["usersig", "--user", "administrator"] + base)
        self.assertEqual(first.returncode, 0, first.stderr)
        key_path = os.path.join(state, "room.key")
        self.assertEqual(os.stat(key_path).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(state).st_mode & 0o777, 0o700)
        key = open(key_path).read().strip()
        self.assertRegex(key, r"^[0-9a-f]{64}$")
        self.assertTrue(self.usersig_signed_with(first.stdout.strip(), "administrator", 0, key))
        self.assertIn("generated", first.stderr)

        second = h.run_roomcast(["usersig", "--user", "bob"] + base)
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertTrue(self.usersig_signed_with(second.stdout.strip(), "bob", 0, key))
        self.assertEqual(open(key_path).read().strip(), key, "the kept key must not change")

        check = h.run_roomcast(base + ["--check"])
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertIn("kept in " + key_path, check.stdout)
        self.assertNotIn(key, check.stdout + check.stderr, "--check must not print the key")

    def test_a_configured_room_key_always_wins(self):
        state = os.path.join(h.make_tmpdir(), "st")
        base = ["--config", h.DEFAULT_CONFIG, "--set", "state.dir=" + state]
        h.run_roomcast(["usersig", "--user", "a"] + base)  # keeps a key in state
        configured = "configured-room-key-0123456789"
        r = h.run_roomcast(["usersig", "--user", "alice"] + base + ["--set", "room.key=" + configured])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.usersig_signed_with(r.stdout.strip(), "alice", 0, configured))
        check = h.run_roomcast(base + ["--set", "room.key=" + configured, "--check"])
        self.assertIn("room.key from the configuration", check.stdout)
        self.assertNotIn(configured, check.stdout + check.stderr)

    def test_a_bad_kept_key_is_a_clear_error(self):
        state = h.make_tmpdir()
        key_path = os.path.join(state, "room.key")
        with open(key_path, "w") as f:
            f.write("0123456789abcdef0123456789abcdef\n")
        os.chmod(key_path, 0o644)
        base = ["--config", h.DEFAULT_CONFIG, "--set", "state.dir=" + state]
        for args in (["--check"], ["usersig", "--user", "a"]):
            r = h.run_roomcast(args + base if args[0] == "usersig" else base + args)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn(key_path, r.stderr)
            self.assertIn("readable by other users (mode 0644)", r.stderr)


if __name__ == "__main__":
    h.main()
