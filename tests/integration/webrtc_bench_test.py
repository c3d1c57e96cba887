# The pieces of bench/webrtc-bench that its figures rest on (issue 17 point 9): the clock
# code in the picture survives H.264 at a low rate and reads the same in Python and in
# JavaScript (a check rejects a damaged band), and the WHEP load client counts every
# viewer's packets (and fails when viewers get none). The bench itself is not run here.
# Owner: integration tests. ~8 s.
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import time
import unittest

import harness as h

BENCH = os.path.join(h.SOURCE, "bench")
WEB_ROOT = os.path.join(h.SOURCE, "web")
HAVE_NDC = os.path.isdir(os.path.join(WEB_ROOT, "node_modules", "node-datachannel"))
LIVE_H264 = ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-c:v", "libx264",
             "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0", "-g", "30",
             "-pix_fmt", "yuv420p", "-b:v", "400k"]


def load_bench():
    loader = importlib.machinery.SourceFileLoader("webrtc_bench", os.path.join(BENCH, "webrtc-bench"))
    spec = importlib.util.spec_from_loader("webrtc_bench", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def node_read_codes(path, w, h):
    """The codes rcClock.read (bench/webrtc_clock.js) finds in a file of gray8 frames."""
    script = ("const fs = require('fs'); require(process.argv[1]);"
              "const [w, h] = [Number(process.argv[3]), Number(process.argv[4])];"
              "const b = fs.readFileSync(process.argv[2]); const out = [];"
              "for (let o = 0; o + w * h <= b.length; o += w * h)"
              " out.push(globalThis.rcClock.read((x, y) => b[o + y * w + x], w, h));"
              "console.log(JSON.stringify(out));")
    r = subprocess.run([shutil.which("node"), "-e", script, os.path.join(BENCH, "webrtc_clock.js"), path,
                        str(w), str(h)], stdout=subprocess.PIPE, check=True, timeout=30)
    return json.loads(r.stdout)


@unittest.skipUnless(shutil.which("node"), "node is needed")
class WebrtcBenchTest(unittest.TestCase):
    def test_01_clock_code_survives_h264_and_reads_alike_in_python_and_js(self):
        b = load_bench()
        w, hgt, n = 640, 360, 12
        stamps = [1765000000000 + i * 33 + (i * 7919 % 1000) for i in range(n)]
        band_h = b.clock_geometry(w, hgt)[2]
        body = bytes((x * 3 + y) % 256 for y in range(hgt - band_h) for x in range(w))
        raw = b"".join(b.clock_row(ms, w, hgt) * band_h + body for ms in stamps)
        tmp = h.make_tmpdir()
        decoded = os.path.join(tmp, "decoded.gray")
        # Through H.264 at 300 kbit/s (an eighth of the bench's rate) and back.
        enc = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt",
                              "gray", "-s", "%dx%d" % (w, hgt), "-framerate", "30", "-i", "-",
                              "-vf", "noise=alls=12:allf=t+u,format=yuv420p", "-c:v", "libx264",
                              "-preset", "ultrafast", "-b:v", "300k", "-maxrate", "300k", "-bufsize", "150k",
                              "-f", "h264", "-"], input=raw, stdout=subprocess.PIPE, check=True, timeout=60)
        with open(decoded, "wb") as f:
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "h264", "-i", "-",
                            "-pix_fmt", "gray", "-f", "rawvideo", "-"], input=enc.stdout, stdout=f,
                           check=True, timeout=60)
        with open(decoded, "rb") as f:
            data = f.read()
        frames = [data[i:i + w * hgt] for i in range(0, len(data), w * hgt)]
        self.assertEqual(len(frames), n)
        wrap = [ms % (1 << 32) for ms in stamps]
        self.assertEqual([b.clock_read(f, w, hgt) for f in frames], wrap)
        self.assertEqual(node_read_codes(decoded, w, hgt), wrap)
        # One block flipped (a bit of the time): the check rejects it in both.
        bw, x0, _ = b.clock_geometry(w, hgt)
        bad = bytearray(frames[0])
        for y in range(band_h):
            for x in range(x0 + 20 * bw, x0 + 21 * bw):
                bad[y * w + x] ^= 0xFF
        self.assertIsNone(b.clock_read(bytes(bad), w, hgt))
        with open(decoded, "wb") as f:
            f.write(bytes(bad))
        self.assertEqual(node_read_codes(decoded, w, hgt), [None])
        self.assertEqual(b.clock_age(stamps[3] + 120, wrap[3]), 120)

    @unittest.skipUnless(HAVE_NDC, "web/node_modules/node-datachannel is needed")
    def test_02_whep_load_client_counts_every_viewers_packets(self):
        sets = {"web.root": WEB_ROOT, "hls.enabled": False}
        with h.Server(sets=sets) as srv:
            url = srv.http_url("/whep/live/demo")
            # No stream: the client says so and fails (what makes the bench's check real).
            r = self.viewers(url, 1, 1)
            self.assertFalse(r["ok"], r)
            self.assertEqual(r["connected"], 0, r)
            self.assertIn("404", " ".join(r["errors"]), r)
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                r = self.viewers(url, 2, 2)
            finally:
                pub.stop()
            self.assertTrue(r["ok"], r)
            self.assertEqual(r["connected"], 2, r)
            win = r["window"]
            self.assertEqual((win["starved"], win["noKeyframe"]), (0, 0), win)
            # 2 s of 30 fps H.264 at 400 kbit/s: at least a packet per picture each.
            self.assertGreater(win["videoPkts"]["min"], 50, win)
            self.assertGreater(win["kbps"]["min"], 100, win)

    def viewers(self, url, n, window_s):
        at = int(time.time() * 1000) + 2500
        args = [shutil.which("node"), os.path.join(BENCH, "whep_viewers.mjs"), "--url", url, "--viewers", str(n),
                "--window-at", str(at), "--window-s", str(window_s), "--timeout", "10"]
        h.log("viewers: " + " ".join(args))
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           timeout=60)
        lines = p.stdout.decode().strip().splitlines()
        self.assertTrue(lines and lines[0].startswith("READY "), (lines, p.stderr.decode()[-1000:]))
        r = json.loads(lines[-1])
        h.log("viewers: exit %d %r" % (p.returncode, r))
        self.assertEqual(p.returncode, 0 if r["ok"] else 1, r)
        return r


if __name__ == "__main__":
    unittest.main()
