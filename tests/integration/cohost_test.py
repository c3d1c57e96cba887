# Co-host (issue 17 point 5): a host pushes red by RTMP (signed, auth on), the admin
# API opens a co-host session (a program of host + guest), a guest publishes blue by
# WHIP (libdatachannel) on the signed URL the API gave while a second client watches
# the host on the WHEP URL it gave; the program, read over RTMP, is all red, then red
# with the guest's blue inset, then all red again after the guest hangs up, its
# frame timestamps continuous all along. Then (issue 17 point 8) the host and the guest
# both publish from Chromium: the side-by-side program shows the red and the blue.
# Owner: integration tests. Real time: ~45 s.
import json
import os
import shutil
import subprocess
import threading
import time

import harness as h
import room_fixture
from mixer_program_test import COLOURS, colour_source, frames_rgb, is_colour, mean
from browser_test import WEB_ROOT
from webrtc_test import WHIP_SCRIPT, ndc

AUTH_KEY = "cohost-test-signing-key-0123456789"
W, H, FPS = 320, 180, 15
# On the 32x18 thumbnail: the default pip rect (x 0.72, y 0.7, w/h 0.25: x 23..31,
# y 12.6..17) and a part of the host's picture far from it.
INSET, HOST_AREA = (24, 14, 30, 17), (2, 2, 14, 9)
SLATE = (0x20, 0x20, 0x40)  # mixer.slate_color, set below


def blue_h264(tmp):
    """2 s of solid blue, H.264 baseline Annex-B at 15 fps, a keyframe each second."""
    path = os.path.join(tmp, "blue.h264")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
                    "-f", "lavfi", "-i", "color=c=blue:s=%dx%d:r=%d:d=2" % (W, H, FPS),
                    "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", str(FPS),
                    "-pix_fmt", "yuv420p", "-f", "h264", path], check=True, timeout=60)
    return path


class CohostTest(room_fixture.RoomServerTest):
    def state(self):
        st, js = self.api.call("GET", "/api/v1/cohost/live/host")
        self.assertEqual(st, 200, js)
        return js["state"]

    def test_guest_joins_and_leaves_without_a_gap(self):
        sets = {"auth.enabled": True, "auth.key": '"%s"' % AUTH_KEY, "auth.protect_play": False,
                "auth.protect_publish": True, "stream.reconnect_grace_ms": 1000,
                "mixer.slate_color": '"#202040"'}
        with self.serve(**sets) as srv:
            query = h.signed_query(AUTH_KEY, "live", "host", int(time.time()) + 120)
            host = colour_source(srv.rtmp_url("host", query=query), "red", tone=440).start()
            self.addCleanup(host.kill)
            srv.wait_stream("host")

            path = "/api/v1/cohost/live/host"
            body = {"width": W, "height": H, "fps": FPS, "kbps": 300, "preset": "ultrafast"}
            st, js = self.api.call("POST", path, dict(body, layout="3x3"))
            self.assertEqual(st, 400, js)
            self.assertIn("layout", js["error"])
            st, js = self.api.call("POST", path, "{not json")
            self.assertEqual(st, 400, js)
            self.assertIn("not JSON", js["error"])
            st, js = self.api.call("POST", path, body, auth=False)  # admins only
            self.assertIn(st, (401, 403), js)
            self.assertEqual(self.api.call("DELETE", "/api/v1/cohost/live/nobody")[0], 404)
            st, js = self.api.call("POST", path, body)
            self.assertEqual(st, 201, js)
            self.assertEqual((js["program"], js["guest"], js["state"]),
                             ("live/host_live", "live/host_guest", "waiting_for_guest"))
            whip, whep = js["guest_whip_url"], js["host_whep_url"]
            self.assertTrue(whip.startswith(srv.http_url("/whip/live/host_guest?expire=")), whip)
            self.assertEqual(whep, srv.http_url("/whep/live/host"))  # play is not protected
            st, js = self.api.call("POST", path, body)
            self.assertEqual(st, 409, js)
            self.assertEqual(self.api.call("GET", "/api/v1/cohost/live/nobody")[0], 404)

            # The program from before the guest to after it left, as the audience gets it.
            srv.wait_stream("host_live")
            rec = os.path.join(h.make_tmpdir(), "program.flv")
            recorder = h.FfmpegProc(["-v", "error", "-i", srv.rtmp_url("host_live"), "-t", "40",
                                     "-c", "copy", "-f", "flv", rec], "record").start()
            self.addCleanup(recorder.kill)
            time.sleep(2.0)

            # The guest publishes on the signed URL; a second client watches the host
            # by WHEP meanwhile (as the guest's own player would).
            results = {}
            media = blue_h264(h.make_tmpdir())
            guest = threading.Thread(target=lambda: results.update(
                whip=ndc("whip", whip, "--h264", media, "--fps", str(FPS), seconds=5)))
            viewer = threading.Thread(target=lambda: results.update(
                whep=ndc("whep", whep, seconds=3)))
            guest.start()
            viewer.start()
            h.wait_until(lambda: self.state() == "guest_live", 15, 0.1, "the guest live")
            guest.join(60)
            viewer.join(60)
            self.assertEqual(results["whip"][0], 0, results["whip"][1])
            self.assertEqual(results["whep"][0], 0, results["whep"][1])
            h.wait_until(lambda: self.state() == "waiting_for_guest", 10, 0.1, "the guest gone")
            time.sleep(2.0)

            st, js = self.api.call("DELETE", path)
            self.assertEqual((st, js["state"]), (200, "closed"), js)
            self.assertEqual(self.api.call("GET", path)[0], 404)
            # The program's stream ends (after the grace period): the recording closes.
            self.assertEqual(recorder.wait(20), 0, h.tail(recorder.log_path))
            self.assertEqual(self.api.call("GET", "/api/v1/programs")[1]["programs"], [])

            # What the audience saw: all red, the blue inset on red, all red again.
            frames = frames_rgb(rec)
            # The recording may open with the program's first frames (its GOP), from
            # before the host's picture was decoded: the slate, skipped.
            while frames and is_colour(mean(frames[0], *HOST_AREA), SLATE):
                frames.pop(0)
            self.assertGreater(len(frames), 6 * FPS, "too few frames of the host")
            seq = []
            for f in frames:
                self.assertTrue(is_colour(mean(f, *HOST_AREA), COLOURS["red"]),
                                mean(f, *HOST_AREA))
                inset = mean(f, *INSET)
                name = ("blue" if is_colour(inset, COLOURS["blue"]) else
                        "red" if is_colour(inset, COLOURS["red"]) else "other")
                if not seq or seq[-1] != name:
                    seq.append(name)
            h.log("inset: %r" % seq)
            self.assertEqual(seq, ["red", "blue", "red"])

            # Timestamps run on through the join and the leave: no gap > 2 frames.
            js = h.ffprobe_json(["-select_streams", "v", "-show_entries", "packet=pts_time",
                                 rec])
            pts = [float(p["pts_time"]) for p in js["packets"]]
            deltas = [b - a for a, b in zip(pts, pts[1:])]
            self.assertGreater(len(pts), 6 * FPS, "too few frames recorded")
            h.log("frame intervals: min %.3f max %.3f over %d frames" % (
                min(deltas), max(deltas), len(pts)))
            self.assertTrue(all(0 < d <= 2.0 / FPS for d in deltas),
                            [round(d, 3) for d in deltas if not 0 < d <= 2.0 / FPS])




def chromium_whip(srv, stream, colour, seconds):
    """Chromium publishing a solid `colour` picture (and a tone) to `stream` by WHIP with
    the player page's whip.js (tests/integration/browser/whip.mjs); a running Popen."""
    args = [shutil.which("node"), WHIP_SCRIPT, "--origin", srv.http_url("").rstrip("/"),
            "--stream", stream, "--source", "pattern", "--color", colour,
            "--seconds", str(seconds), "--timeout", "40"]
    h.log("whip: " + " ".join(args))
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def finished(proc):
    out, err = proc.communicate(timeout=90)
    lines = out.decode("utf-8", "replace").strip().splitlines()
    return json.loads(lines[-1]) if lines else {"ok": False, "reason": err.decode()[-800:]}


class CohostBrowsersTest(room_fixture.RoomServerTest):
    def test_two_chromium_publishers_side_by_side(self):
        """Host and guest both go live from Chromium (WHIP, a red and a blue picture):
        the program shows the host's red in the left half and the guest's blue in the
        right one."""
        with self.serve(**{"web.root": WEB_ROOT}) as srv:
            host = chromium_whip(srv, "live/duo", "#ff0000", 25)
            self.addCleanup(host.kill)
            h.wait_until(lambda: (lambda s: s if s and s.get("video") else None)(
                srv.api_stream("live/duo")), 30, 0.25, "the host's WHIP stream")
            body = {"layout": "side_by_side", "width": W, "height": H, "fps": FPS, "kbps": 300,
                    "preset": "ultrafast"}
            st, js = self.api.call("POST", "/api/v1/cohost/live/duo", body)
            self.assertEqual(st, 201, js)
            self.assertTrue(js["guest_whip_url"].endswith("/whip/live/duo_guest"), js)
            guest = chromium_whip(srv, "live/duo_guest", "#0000ff", 12)
            self.addCleanup(guest.kill)
            st = None
            try:
                h.wait_until(lambda: self.api.call("GET", "/api/v1/cohost/live/duo")[1]["state"] == "guest_live",
                             30, 0.2, "the guest live")
                # Each 16:9 picture is fitted into its half (32x18 thumbnail: rows ~4..13).
                # (The RTMP reader starts at the cached GOP, up to 2 s old and so from
                # before the layout changed: 4 s of frames, the newest count.)
                frames = frames_rgb(srv.rtmp_url("duo_live"), count=4 * FPS)
                shown = [(mean(f, 3, 6, 13, 12), mean(f, 19, 6, 29, 12)) for f in frames]
                h.log("program: left | right of the last frames %r" % shown[-3:])
                self.assertTrue(all(is_colour(l, COLOURS["red"]) and is_colour(r, COLOURS["blue"])
                                    for l, r in shown[-10:]), shown[-10:])
            finally:
                g, hst = finished(guest), finished(host)
                self.api.call("DELETE", "/api/v1/cohost/live/duo")
            self.assertTrue(g.get("ok"), g.get("reason"))
            self.assertTrue(hst.get("ok"), hst.get("reason"))


if __name__ == "__main__":
    h.main()
