# The caster panel of the player page (web/caster.js, issue 18 point 7) in headless
# Chromium as an admin (browser/caster.mjs): two colour streams pushed by RTMP are
# listed as inputs; a 2x2 program of them is created from the panel; its layout is
# changed at once; a preview scene is set and its stream plays in the panel; the preview
# is taken to the program with a fade; a bad program name shows the server's error; the
# program is relayed to a target that refuses (backoff and its error shown) and the relay
# stopped; the program is stopped. Each step is checked on the API too. Owner: integration tests.
# Real time: ~20 s.
import json
import os
import shutil
import subprocess

import harness as h
import room_client as rc
import room_fixture
import room_test as rt
from mixer_program_test import colour_source

WEB_ROOT = os.path.join(h.SOURCE, "web")
CASTER_SCRIPT = os.path.join(h.HERE, "browser", "caster.mjs")
CHROMIUM = "/usr/bin/chromium"


class CasterPanelTest(room_fixture.RoomServerTest):
    def run_panel(self, srv, inputs, output, timeout=20):
        node = shutil.which("node")
        if node is None:
            raise AssertionError("node is not installed (scripts/packages.txt: nodejs)")
        for need in (CHROMIUM, os.path.join(WEB_ROOT, "node_modules", "playwright-core")):
            if not os.path.exists(need):
                raise AssertionError("%s is missing: run scripts/test" % need)
        args = [node, CASTER_SCRIPT, "--base", srv.http_url(""), "--stream", inputs[0],
                "--inputs", ",".join(inputs), "--output", output,
                "--relay-url", "rtmp://127.0.0.1:%d/live/x" % h.free_port(), "--admin-sig",
                rc.user_sig(rt.APP_ID, rt.KEY, "administrator"), "--timeout", str(timeout),
                "--web-root", WEB_ROOT, "--chromium", CHROMIUM]
        h.log("browser: caster.mjs --base %s" % srv.http_url(""))
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=240)
        out = r.stdout.decode("utf-8", "replace").strip().splitlines()
        try:
            return json.loads(out[-1])
        except (IndexError, ValueError):
            raise AssertionError("caster.mjs printed no JSON (exit %d):\n%s\n%s" % (
                r.returncode, r.stdout.decode()[-2000:], r.stderr.decode()[-3000:]))

    def test_program_from_the_panel(self):
        with self.serve(**{"web.root": WEB_ROOT}) as srv:
            for colour in ("red", "blue"):
                p = colour_source(srv.rtmp_url(colour), colour).start()
                self.addCleanup(p.kill)
                srv.wait_stream(colour)
            r = self.run_panel(srv, ["live/red", "live/blue"], "live/show")
            h.log("caster.mjs: " + json.dumps({k: v for k, v in r.items() if k not in (
                "console",)})[:3000])

            def step(name, **want):
                s = r.get(name)
                self.assertIsNotNone(s, "%s: missing (%s)" % (name, r.get("reason")))
                self.assertTrue(s.get("met", True), "%s: not met: %s" % (name, s))
                for k, v in want.items():
                    self.assertEqual(s.get(k), v, "%s.%s: %s" % (name, k, s))
                return s

            step("panel", visible=True)
            step("create", error=None, doneAction="create")
            step("listed")
            step("apply", error=None, doneAction="apply")
            step("applied")
            step("preview", error=None, doneAction="preview")
            s = step("previewPlays")
            self.assertGreater(s["preview"]["frames"], 5, s)
            step("take", error=None, doneAction="take-fade")
            step("taken")
            bad = step("bad")
            self.assertIsNotNone(bad["error"], bad)
            self.assertEqual(bad["error"]["status"], 400, bad)
            step("relay", error=None, doneAction="relay")
            s = step("relayRefused")
            self.assertIn("refused", s["relays"][0]["text"], s)
            step("relayStop", error=None, doneAction="relay-stop")
            step("relayGone")
            step("stop", error=None, doneAction="delete")
            step("stopped")
            self.assertEqual(r["pageErrors"], [])
            self.assertTrue(r["ok"], r.get("reason"))
            # The API saw the same: no program is left.
            st, js = self.api.call("GET", "/api/v1/programs")
            self.assertEqual((st, js), (200, {"programs": []}))


if __name__ == "__main__":
    h.main()
