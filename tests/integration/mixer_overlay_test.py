# Caster overlays (issue 16 point 5) on a real ladder: a PNG logo drawn where it is
# asked, a boxed text changed live through the API (commands, no restart), Japanese
# text drawn with the default CJK font, and a logo that is not a PNG or a font that
# is missing reported by the API while the rungs go on. Frames are read back from a
# rung with ffmpeg as raw RGB. Owner: integration tests. Real time: ~50 s.
import os
import subprocess

import harness as h
import room_fixture

W, H = 640, 360
LOGO = {"id": "logo", "type": "image", "file": "logo.png", "x": 24, "y": 24, "width": 64}
TITLE = {"id": "title", "type": "text", "text": "AAAA", "x": 320, "y": 200, "size": 48,
         "color": "#FFFFFF", "box": {"color": "#000000", "padding": 8}}
SPEC = {"rungs": [{"height": H, "fps": 30, "kbps": 1500}], "preset": "ultrafast",
        "overlays": [LOGO, TITLE]}


def grab(url, frames=75):
    """A decoded frame of a live URL as RGB bytes: the 75th, so that it comes after
    the joining viewer's burst of the last GOP (2 s), i.e. after what the test did."""
    r = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", url,
                        "-frames:v", str(frames), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    data = r.stdout[-W * H * 3:]
    if len(r.stdout) != frames * W * H * 3:
        raise AssertionError("%d bytes: %s" % (len(r.stdout), r.stderr[-500:]))
    return data


def mean(frame, x0, y0, x1, y1):
    """Mean (r, g, b) of the rectangle [x0, x1) x [y0, y1)."""
    n, acc = 0, [0, 0, 0]
    for y in range(y0, y1):
        row = frame[(y * W + x0) * 3:(y * W + x1) * 3]
        for c in range(3):
            acc[c] += sum(row[c::3])
        n += x1 - x0
    return [a / n for a in acc]


def bright(frame, x0, y0, x1, y1):
    """Share of pixels in the rectangle that are near white (drawn glyphs)."""
    n = hit = 0
    for y in range(y0, y1):
        row = frame[(y * W + x0) * 3:(y * W + x1) * 3]
        for i in range(0, len(row), 3):
            n += 1
            hit += row[i] > 200 and row[i + 1] > 200 and row[i + 2] > 200
    return hit / n


def diff(a, b, x0, y0, x1, y1):
    """Mean absolute difference of two frames over the rectangle."""
    n = total = 0
    for y in range(y0, y1):
        ra = a[(y * W + x0) * 3:(y * W + x1) * 3]
        rb = b[(y * W + x0) * 3:(y * W + x1) * 3]
        total += sum(abs(p - q) for p, q in zip(ra, rb))
        n += len(ra)
    return total / n


class MixerOverlayTest(room_fixture.RoomServerTest):
    def setUp(self):
        super().setUp()
        self.assets = h.make_tmpdir("roomcast-assets-")
        subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i",
                        "color=c=0xFF00FF:s=64x48", "-frames:v", "1",
                        os.path.join(self.assets, "logo.png")], check=True, timeout=30)
        with open(os.path.join(self.assets, "notes.png"), "w") as f:
            f.write("this is not a PNG\n")

    def caster(self):
        st, js = self.api.call("GET", "/api/v1/casters/live/demo")
        self.assertEqual(st, 200, js)
        return js

    def applied(self, revision):
        return h.wait_until(lambda: (lambda c: c if c["overlays"]["applied"] >= revision
                                     else None)(self.caster()), 10, 0.1,
                            "overlay revision %d applied" % revision)

    def test_logo_text_live_change_cjk_and_bad_assets(self):
        with self.serve(**{"mixer.assets_dir": self.assets}) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            st, js = self.api.call("POST", "/api/v1/casters", dict(SPEC, stream="live/demo"))
            self.assertEqual(st, 201, js)
            url = srv.flv_url("demo_%dp" % H)
            h.wait_until(lambda: srv.api_stream("live/demo_%dp" % H), 15, 0.2, "the rung")
            f = grab(url)
            logo = mean(f, 28, 28, 84, 66)  # inside the 64x48 logo at (24, 24)
            h.log("logo region %r" % logo)
            self.assertTrue(logo[0] > 200 and logo[1] < 60 and logo[2] > 200, logo)
            outside = mean(f, 120, 28, 176, 66)
            self.assertFalse(outside[0] > 200 and outside[1] < 60 and outside[2] > 200, outside)
            box = (330, 210, 430, 250)  # inside "AAAA" at 48 px from (320, 200)
            self.assertGreater(bright(f, *box), 0.05, "no text drawn")
            again = grab(url)  # the text over time: the same (an opaque box behind it)
            self.assertLess(diff(f, again, *box), 3)

            # A live change of the text: a drawtext command, no rebuild.
            c0 = self.caster()
            st, js = self.api.call("PATCH", "/api/v1/casters/live/demo/overlays/title",
                                   {"text": "WWWW"})
            self.assertEqual(st, 202, js)
            c = self.applied(js["revision"])
            self.assertIsNone(c["overlays"]["error"], c)
            self.assertEqual(c["filter"]["rebuilds"], c0["filter"]["rebuilds"])
            self.assertGreater(c["filter"]["commands"], c0["filter"]["commands"])
            changed = diff(again, grab(url), *box)
            h.log("text region changed by %.1f" % changed)
            self.assertGreater(changed, 20, "the new text is not drawn")

            # Move the logo, then hide it: filter commands, no rebuild.
            c0 = self.caster()
            st, js = self.api.call("PATCH", "/api/v1/casters/live/demo/overlays/logo",
                                   {"x": 200})
            self.assertEqual(st, 202, js)
            self.applied(js["revision"])
            f = grab(url)
            moved = mean(f, 204, 28, 260, 66)
            self.assertTrue(moved[0] > 200 and moved[1] < 60 and moved[2] > 200, moved)
            gone = mean(f, 28, 28, 84, 66)
            self.assertFalse(gone[0] > 200 and gone[1] < 60 and gone[2] > 200, gone)
            st, js = self.api.call("PATCH", "/api/v1/casters/live/demo/overlays/logo",
                                   {"visible": False})
            self.assertEqual(st, 202, js)
            self.applied(js["revision"])
            hidden = mean(grab(url), 204, 28, 260, 66)
            self.assertFalse(hidden[0] > 200 and hidden[1] < 60 and hidden[2] > 200, hidden)
            self.assertEqual(self.caster()["filter"]["rebuilds"], c0["filter"]["rebuilds"])

            # Japanese with the default font (wqy-microhei): drawn, no missing glyph.
            mark = srv.log_mark()
            st, js = self.api.call("PATCH", "/api/v1/casters/live/demo/overlays/title",
                                   {"text": "ライブ配信中"})
            self.assertEqual(st, 202, js)
            self.assertIsNone(self.applied(js["revision"])["overlays"]["error"])
            self.assertGreater(bright(grab(url), 320, 200, 600, 260), 0.05)
            self.assertFalse(srv.find_log(r"Glyph .* not found|glyph.*missing", mark))

            # A logo that does not decode: the API says which and why; rungs go on.
            st, js = self.api.call("POST", "/api/v1/casters/live/demo/overlays",
                                   {"id": "bad", "type": "image", "file": "notes.png"})
            self.assertEqual(st, 202, js)
            c = self.applied(js["revision"])
            self.assertIn("notes.png", c["overlays"]["error"] or "", c)
            self.assertEqual(c["state"], "running")
            st, js = self.api.call("DELETE", "/api/v1/casters/live/demo/overlays/bad")
            self.assertEqual(st, 202, js)
            # A font that is not there.
            st, js = self.api.call("POST", "/api/v1/casters/live/demo/overlays",
                                   {"id": "t2", "type": "text", "text": "x", "font": "nope.ttf"})
            self.assertEqual(st, 202, js)
            c = self.applied(js["revision"])
            self.assertIn("nope.ttf", c["overlays"]["error"] or "", c)
            # A path out of the assets directory is refused up front.
            st, js = self.api.call("POST", "/api/v1/casters/live/demo/overlays",
                                   {"id": "t3", "type": "image", "file": "../etc/passwd"})
            self.assertEqual(st, 400, js)
            n = self.caster()["rungs"][0]["frames_out"]
            h.wait_until(lambda: self.caster()["rungs"][0]["frames_out"] > n + 30, 10, 0.2,
                         "frames after the errors")


if __name__ == "__main__":
    h.main()
