# Program scenes (issue 18 points 1, 3, 8, 9): a program of colour layers only (its
# one input is never published, so no test input is encoded): a 3x3 grid of nine
# colours, each in its cell; the preview stream ("{name}_preview") shows the preview
# scene, a half-opaque layer there the mean of its colour and the one below; "take"
# with a cut shows the new scene within 2 frames of the answer's pts; a 1000 ms fade
# mixes both scenes in its middle at unchanged frame intervals; a JPEG image layer
# of the assets dir covers its cell; bad layers are 400s
# naming the field and leave the program as it was. Read back by decoding the RTMP
# output with ffmpeg. 320x180 at 15 fps. Owner: integration tests. Real time: ~25 s.
import os
import re
import subprocess
import time

import harness as h
import room_fixture
from mixer_program_test import is_colour as near
from mixer_program_test import mean as program_mean

W, H, FPS = 320, 180, 15
TW, TH = 30, 18  # the thumbnails read back: a 3x3 cell is 10x6 of them
GRID = ["#FF0000", "#00FF00", "#0000FF", "#FFFF00", "#00FFFF", "#FF00FF", "#FFFFFF",
        "#808080", "#000080"]


def rgb(hexcolour):
    return tuple(int(hexcolour[i:i + 2], 16) for i in (1, 3, 5))


def grid_layers():
    return [{"color": c, "x": (i % 3) / 3, "y": (i // 3) / 3, "w": 1 / 3, "h": 1 / 3}
            for i, c in enumerate(GRID)]


def mean(frame, x0, y0, x1, y1):
    """mixer_program_test's mean over a TW-wide thumbnail."""
    return program_mean(frame, x0, y0, x1, y1, w=TW)


def cell(i):
    """The middle of 3x3 cell i on the thumbnail."""
    x, y = (i % 3) * 10, (i // 3) * 6
    return (x + 3, y + 2, x + 7, y + 4)


LEFT, RIGHT = (4, 5, 11, 13), (19, 5, 26, 13)


class Reader:
    """ffmpeg reading `url` for `seconds` past the join's burst (the GOP cache, up to
    2 s): each frame's pts (the stream's own, -copyts) and its thumbnail, in the
    background."""

    def __init__(self, url, seconds, fps=FPS):
        d = h.make_tmpdir()
        self.raw, self.err = os.path.join(d, "frames.rgb"), os.path.join(d, "ffmpeg.log")
        with open(self.raw, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(
                ["ffmpeg", "-hide_banner", "-nostdin", "-v", "info", "-copyts", "-i", url,
                 "-frames:v", str(int((seconds + 2) * fps)), "-fps_mode", "passthrough", "-vf",
                 "scale=%d:%d:flags=area,showinfo" % (TW, TH), "-f", "rawvideo", "-pix_fmt",
                 "rgb24", "-"], stdout=out, stderr=err)

    def frames(self, timeout=30):
        """[(pts_ms, thumbnail)] once ffmpeg is done."""
        self.proc.wait(timeout)
        with open(self.raw, "rb") as f:
            data = f.read()
        with open(self.err, errors="replace") as f:
            log = f.read()
        pts = [round(float(t) * 1000) for t in re.findall(r"\] n:\s*\d+ pts:\s*-?\d+ "
                                                          r"pts_time:(-?[\d.]+)", log)]
        n = TW * TH * 3
        frames = [data[i:i + n] for i in range(0, len(data) // n * n, n)]
        # NOTE: showinfo may see a frame past -frames:v (the last, not written).
        if not frames or len(frames) > len(pts):
            raise AssertionError("%d frames, %d pts: %s" % (len(frames), len(pts), log[-800:]))
        return list(zip(pts, frames))


class MixerSceneTest(room_fixture.RoomServerTest):
    def call(self, method, path, body=None, status=200):
        st, js = self.api.call(method, path, body)
        self.assertEqual(st, status, js)
        return js

    def test_layers_preview_take_cut_and_fade(self):
        assets = h.make_tmpdir()
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=yellow:s=32x32",
                        "-frames:v", "1", os.path.join(assets, "sun.jpg")], check=True)
        # mixer.preview_fps: its default, 10
        with self.serve(**{"mixer.assets_dir": '"%s"' % assets}) as srv:
            preview = [{"color": "#FF0000"},
                       {"color": "#0000FF", "x": 0.5, "w": 0.5, "opacity": 0.5}]
            p = self.call("POST", "/api/v1/programs", {
                "output": "live/scene", "inputs": [{"stream": "live/absent"}],
                "width": W, "height": H, "fps": FPS, "kbps": 300, "preset": "ultrafast",
                "layers": grid_layers(), "preview": {"layers": preview}}, status=201)
            self.assertEqual(p["preview_stream"]["stream"], "live/scene_preview")
            self.assertEqual((p["preview_stream"]["width"], p["preview_stream"]["height"],
                              p["preview_stream"]["fps"]), (160, 90, 10))
            h.wait_until(lambda: srv.api_stream("live/scene_preview"), 10, 0.2, "the preview")

            # 3x3: every cell its colour.
            f = Reader(srv.rtmp_url("scene"), 0.5).frames()[-1][1]
            for i, c in enumerate(GRID):
                self.assertTrue(near(mean(f, *cell(i)), rgb(c), 40), (i, c, mean(f, *cell(i))))

            # The preview: red, and blue at 0.5 over red on the right (their mean).
            f = Reader(srv.rtmp_url("scene_preview"), 0.5, fps=10).frames()[-1][1]
            h.log("preview left %r right %r" % (mean(f, *LEFT), mean(f, *RIGHT)))
            self.assertTrue(near(mean(f, *LEFT), (255, 0, 0), 40), mean(f, *LEFT))
            self.assertTrue(near(mean(f, *RIGHT), (128, 0, 128), 20), mean(f, *RIGHT))

            # Bad layers: 400 naming the field; the program is unchanged.
            before = self.call("GET", "/api/v1/programs/live/scene")
            for body, field in (
                    ({"layers": [{"input": "live/nope"}]}, "layers[0].input"),
                    ({"layers": [{"image": "missing.png"}]}, "layers[0].image"),
                    ({"layers": [{"color": "#FFFFFF", "x": 0.75, "w": 0.5}]}, "layers[0].w"),
                    ({"layers": [{"color": "#FFFFFF", "unit": "px", "w": 400}]},
                     "layers[0].w")):
                js = self.call("PATCH", "/api/v1/programs/live/scene", body, status=400)
                self.assertIn(field, js["error"])
            js = self.call("PATCH", "/api/v1/programs/live/scene/preview",
                           {"layers": [{"input": 3}]}, status=400)
            self.assertIn("preview.layers[0].input", js["error"])
            js = self.call("POST", "/api/v1/programs/live/scene/take",
                           {"transition": "wipe"}, status=400)
            self.assertIn("transition", js["error"])
            after = self.call("GET", "/api/v1/programs/live/scene")
            self.assertEqual((after["layers"], after["preview"]),
                             (before["layers"], before["preview"]))
            # A JPEG image layer over the last cell (pixels, cover).
            image = {"image": "sun.jpg", "unit": "px", "x": 214, "y": 120, "w": 106, "h": 60,
                     "fit": "cover"}
            js = self.call("PATCH", "/api/v1/programs/live/scene",
                           {"layers": grid_layers() + [image]})
            patched = js["output_stats"]["last_pts"]

            # Take, cut: the program shows the preview's scene from the answer's pts
            # on (2 frames of slack: a tick in flight).
            reader = Reader(srv.rtmp_url("scene"), 3)
            time.sleep(1.2)
            js = self.call("POST", "/api/v1/programs/live/scene/take", {"transition": "cut"})
            cut = js["take"]["after_pts"]
            self.assertEqual(js["layers"], js["preview"]["layers"])
            frames = reader.frames()
            self.assertGreaterEqual(sum(1 for pts, _ in frames if pts <= cut - 2 * 1000 / FPS),
                                    5, (cut, frames[0][0]))
            images = 0
            for pts, f in frames:
                old = near(mean(f, *cell(1)), rgb(GRID[1]), 40)  # the grid's green cell
                new = near(mean(f, *LEFT), (255, 0, 0), 40) and near(
                    mean(f, *RIGHT), (128, 0, 128), 30)
                if pts <= cut - 2 * 1000 / FPS:
                    self.assertTrue(old, (pts, cut, "before the take"))
                    if pts > patched + 2 * 1000 / FPS:  # the join's burst predates it
                        self.assertTrue(near(mean(f, *cell(8)), (255, 255, 0), 40),
                                        (pts, "the image layer", mean(f, *cell(8))))
                        images += 1
                elif pts > cut + 2 * 1000 / FPS:
                    self.assertTrue(new, (pts, cut, mean(f, *LEFT), mean(f, *RIGHT)))

            self.assertGreaterEqual(images, 5, "frames with the image layer")

            # Take, fade 1000 ms to all green: the middle frames mix red and green;
            # the frame intervals stay 1/15 s.
            self.call("PATCH", "/api/v1/programs/live/scene/preview",
                      {"layers": [{"color": "#00FF00"}]})
            reader = Reader(srv.rtmp_url("scene"), 3.5)
            time.sleep(1.2)
            js = self.call("POST", "/api/v1/programs/live/scene/take",
                           {"transition": "fade", "duration_ms": 1000})
            start = js["take"]["after_pts"]
            self.assertEqual(js["transition"]["type"], "fade")
            self.call("POST", "/api/v1/programs/live/scene/take", {}, status=409)
            frames = reader.frames()
            pts = [p for p, _ in frames]
            deltas = [b - a for a, b in zip(pts, pts[1:])]
            h.log("fade: %d frames, intervals %d..%d ms" % (len(pts), min(deltas), max(deltas)))
            self.assertTrue(all(60 <= d <= 73 for d in deltas), deltas)
            ramp = [(p - start, mean(f, *LEFT)) for p, f in frames]
            middle = [c for t, c in ramp if 350 <= t <= 650]
            h.log("fade middle (left half): %r" % [tuple(round(v) for v in c) for c in middle])
            self.assertTrue(middle, ramp)
            for c in middle:
                self.assertTrue(60 <= c[0] <= 200 and 60 <= c[1] <= 200, c)
            self.assertTrue(near(ramp[0][1], (255, 0, 0), 40), ramp[0])
            self.assertTrue(all(near(c, (0, 255, 0), 40) for t, c in ramp if t > 1150), ramp)
            greens = [c[1] for t, c in ramp if 0 < t < 1000]
            self.assertEqual(greens, sorted(greens), "the ramp goes one way")
            done = h.wait_until(lambda: (lambda p: p if p["transition"] is None else None)(
                self.call("GET", "/api/v1/programs/live/scene")), 5, 0.2, "the fade's end")
            self.assertEqual(done["layers"], [{"color": "#00FF00", "x": 0.0, "y": 0.0,
                                               "w": 1.0, "h": 1.0, "opacity": 1.0,
                                               "fit": "contain", "z": 0}])

            # Deleting the program ends its preview too.
            self.call("DELETE", "/api/v1/programs/live/scene")
            h.wait_until(lambda: srv.api_stream("live/scene_preview") is None, 15, 0.2,
                         "the preview's stream gone")


if __name__ == "__main__":
    h.main()
