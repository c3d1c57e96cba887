# The output-clocked compositor (issue 18 points 1-2, 9): programs of solid-colour
# RTMP inputs, read back as decoded frames over RTMP (ffmpeg over HTTP-FLV waits for an audio stream a video-only program never has): side by side (left red,
# right blue), a 2x2 grid (each quadrant its input's colour, one input joining after
# the program started), and a stalled input (its ffmpeg killed): the program's frame
# intervals stay regular, the slate colour appears after the timeout, the input
# comes back. Audio: two inputs' tones mixed into the program's AAC; muted, silence. Small sizes (320x180, 15 fps) for a 2-core CI. Owner: integration
# tests. Real time: ~30 s.
import array
import math
import os
import subprocess
import time

import harness as h
import room_fixture

W, H = 320, 180
FPS = 15
SLATE = (255, 0, 255)
COLOURS = {"red": (255, 0, 0), "blue": (0, 0, 255), "green": (0, 255, 0),
           "white": (255, 255, 255)}


def colour_source(url, colour, tone=None):
    """An ffmpeg pushing a solid colour at 320x180, 15 fps, by RTMP; with a sine
    `tone` (Hz) as 44.1 kHz mono AAC when given."""
    args = ["-v", "error", "-re", "-f", "lavfi", "-i",
            "color=0x%02X%02X%02X:s=%dx%d:r=%d" % (COLOURS[colour] + (W, H, FPS))]
    if tone:
        args += ["-f", "lavfi", "-i", "sine=frequency=%d:sample_rate=44100" % tone,
                 "-c:a", "aac", "-b:a", "48k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g",
             str(FPS), "-pix_fmt", "yuv420p", "-f", "flv", url]
    return h.FfmpegProc(args, "push-" + colour)


def audio_rms(url, seconds=3):
    """RMS (of s16) of the last second of `seconds` of the program's audio."""
    r = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", url,
                        "-t", str(seconds), "-vn", "-ac", "1", "-ar", "8000", "-f", "s16le",
                        "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    samples = array.array("h", r.stdout[:len(r.stdout) // 2 * 2])
    last = samples[-8000:]
    if len(last) < 4000:
        raise AssertionError("%d samples: %s" % (len(samples), r.stderr[-500:]))
    return math.sqrt(sum(v * v for v in last) / len(last))


def frames_rgb(source, size=(32, 18), count=None, extra=None):
    """Every frame of `source` (a URL or a file) scaled to `size`, as RGB bytes."""
    w, hh = size
    args = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error"] + list(extra or []) + [
        "-i", source]
    if count:
        args += ["-frames:v", str(count)]
    args += ["-vf", "scale=%d:%d:flags=area" % (w, hh), "-f", "rawvideo", "-pix_fmt",
             "rgb24", "-"]
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    n = w * hh * 3
    if not r.stdout or len(r.stdout) % n:
        raise AssertionError("%d bytes: %s" % (len(r.stdout), r.stderr[-500:]))
    return [r.stdout[i:i + n] for i in range(0, len(r.stdout), n)]


def mean(frame, x0, y0, x1, y1, w=32):
    """Mean (r, g, b) over [x0, x1) x [y0, y1) of a frame `w` pixels wide."""
    acc, n = [0, 0, 0], 0
    for y in range(y0, y1):
        row = frame[(y * w + x0) * 3:(y * w + x1) * 3]
        for c in range(3):
            acc[c] += sum(row[c::3])
        n += x1 - x0
    return tuple(a / n for a in acc)


def is_colour(got, want, tolerance=40):
    return all(abs(g - w) <= tolerance for g, w in zip(got, want))


TONES = {"red": 440, "blue": 1000}  # the inputs with audio: the program mixes them

# On the 32x18 thumbnail: the middle of the left and right halves (the 320x180 input
# is fitted into its 160x180 cell: 160x90 at y 45, so rows 5..12 of 18), and the
# middle of each quadrant.
LEFT, RIGHT = (4, 6, 12, 12), (20, 6, 28, 12)
QUADRANTS = [(4, 2, 12, 7), (20, 2, 28, 7), (4, 11, 12, 16), (20, 11, 28, 16)]


class MixerProgramTest(room_fixture.RoomServerTest):
    def program(self, key):
        st, js = self.api.call("GET", "/api/v1/programs/" + key)
        self.assertEqual(st, 200, js)
        return js

    def wait_inputs(self, key, states, timeout=15):
        return h.wait_until(
            lambda: (lambda p: p if [i["state"] for i in p["inputs"]] == states else None)(
                self.program(key)), timeout, 0.2, "%s inputs %r" % (key, states))

    def push(self, srv, colour):
        p = colour_source(srv.rtmp_url(colour), colour, TONES.get(colour)).start()
        self.addCleanup(p.kill)
        return p

    def test_layouts_stall_slate_and_return(self):
        with self.serve(**{"mixer.slate_color": '"#FF00FF"', "mixer.stall_ms": 300,
                           "mixer.repeat_ms": 1000}) as srv:
            pubs = {c: self.push(srv, c) for c in ("red", "blue", "green")}
            for c in pubs:
                srv.wait_stream(c)

            # Bad specs: clear 400s, nothing started.
            st, js = self.api.call("POST", "/api/v1/programs", {
                "output": "live/x", "inputs": [{"stream": "live/red"}], "layout": "3x3"})
            self.assertEqual(st, 400, js)
            self.assertIn("layout", js["error"])
            st, js = self.api.call("POST", "/api/v1/programs", {
                "output": "live/x", "inputs": [{"stream": "live/red"}], "width": 321})
            self.assertEqual(st, 400, js)
            self.assertIn("odd", js["error"])

            common = {"width": W, "height": H, "fps": FPS, "kbps": 400, "preset": "ultrafast"}
            st, js = self.api.call("POST", "/api/v1/programs", dict(
                common, output="live/sbs", layout="side_by_side",
                inputs=[{"stream": "live/red"}, {"stream": "live/blue"}]))
            self.assertEqual(st, 201, js)
            # The grid's fourth input is not live yet: it joins when it is published.
            st, js = self.api.call("POST", "/api/v1/programs", dict(
                common, output="live/grid", layout="grid2x2",
                inputs=[{"stream": "live/" + c} for c in ("red", "blue", "green", "white")]))
            self.assertEqual(st, 201, js)
            st, js = self.api.call("POST", "/api/v1/programs", dict(
                common, output="live/sbs", inputs=[{"stream": "live/red"}]))
            self.assertEqual(st, 409, js)
            self.wait_inputs("live/sbs", ["live", "live"])
            self.wait_inputs("live/grid", ["live", "live", "live", "slate"])
            self.push(srv, "white")
            self.wait_inputs("live/grid", ["live", "live", "live", "live"])
            self.assertEqual(srv.api_stream("live/sbs")["origin"], "mixer")

            # Side by side: left red, right blue (the last of 20 frames: past the
            # joining burst's first ones, which may predate the inputs).
            f = frames_rgb(srv.rtmp_url("sbs"), count=20)[-1]
            h.log("sbs left %r right %r" % (mean(f, *LEFT), mean(f, *RIGHT)))
            self.assertTrue(is_colour(mean(f, *LEFT), COLOURS["red"]), mean(f, *LEFT))
            self.assertTrue(is_colour(mean(f, *RIGHT), COLOURS["blue"]), mean(f, *RIGHT))

            # Audio: the inputs' tones mixed (AAC 48 kHz stereo); muted, silence.
            streams = h.ffprobe_json(["-show_streams", srv.rtmp_url("sbs")])["streams"]
            audio = [s for s in streams if s["codec_type"] == "audio"]
            self.assertEqual([(a["codec_name"], a["sample_rate"], a["channels"]) for a in audio],
                             [("aac", "48000", 2)])
            p = self.program("live/sbs")
            self.assertTrue(all(i["audio"]["heard"] for i in p["inputs"]), p["inputs"])
            loud = audio_rms(srv.rtmp_url("sbs"))
            st, js = self.api.call("PATCH", "/api/v1/programs/live/sbs",
                                   {"inputs": [{"mute": True}, {"mute": True}]})
            self.assertEqual(st, 200, js)
            muted = audio_rms(srv.rtmp_url("sbs"))
            st, js = self.api.call("PATCH", "/api/v1/programs/live/sbs",
                                   {"inputs": [{"mute": False}, {"mute": False}]})
            self.assertEqual(st, 200, js)
            h.log("program audio rms %.0f, muted %.0f" % (loud, muted))
            self.assertGreater(loud, 1500)  # two sines at 1/8 of full scale: ~3700
            self.assertLess(muted, 30)

            # A ladder on the program (it is a source of its own), not on its rung.
            st, js = self.api.call("POST", "/api/v1/casters", {
                "stream": "live/sbs", "rungs": [{"height": 90, "kbps": 150}],
                "preset": "ultrafast"})
            self.assertEqual(st, 201, js)
            h.wait_until(lambda: srv.api_stream("live/sbs_90p"), 15, 0.2, "the program's rung")
            st, js = self.api.call("POST", "/api/v1/casters", {
                "stream": "live/sbs_90p", "rungs": [{"height": 64, "kbps": 100}]})
            self.assertEqual(st, 400, js)
            st, js = self.api.call("DELETE", "/api/v1/casters/live/sbs")
            self.assertEqual(st, 200, js)

            # 2x2: each quadrant its input's colour.
            # (the white input joined > 2 s ago: the joining burst, a GOP, is after it)
            g = frames_rgb(srv.rtmp_url("grid"), count=20)[-1]
            for q, c in zip(QUADRANTS, ("red", "blue", "green", "white")):
                self.assertTrue(is_colour(mean(g, *q), COLOURS[c]), (c, mean(g, *q)))
            st, js = self.api.call("DELETE", "/api/v1/programs/live/grid")
            self.assertEqual(st, 200, js)

            # A stall: record the program while the blue input is killed, stays away
            # past stall_ms + repeat_ms, and comes back.
            rec = os.path.join(h.make_tmpdir(), "sbs.flv")
            recorder = h.FfmpegProc(["-v", "error", "-i", srv.rtmp_url("sbs"), "-t", "8",
                                     "-c", "copy", "-f", "flv", rec], "record").start()
            self.addCleanup(recorder.kill)
            time.sleep(1.0)
            pubs["blue"].kill()
            t_kill = time.monotonic()
            p = self.wait_inputs("live/sbs", ["live", "repeating"], timeout=3)
            self.assertGreaterEqual(p["inputs"][1]["last_frame_age_ms"], 300)
            self.wait_inputs("live/sbs", ["live", "slate"], timeout=4)
            h.log("slate after %.2f s" % (time.monotonic() - t_kill))
            time.sleep(1.0)
            self.push(srv, "blue")
            self.wait_inputs("live/sbs", ["live", "live"], timeout=10)
            p = self.program("live/sbs")
            h.log("program stats %r" % p["output_stats"])
            self.assertGreater(p["output_stats"]["fps"], FPS * 0.8)
            self.assertEqual(recorder.wait(20), 0, h.tail(recorder.log_path))

            # The program's frame intervals over the stall: 1/15 s each, no gap.
            js = h.ffprobe_json(["-select_streams", "v", "-show_entries",
                                 "packet=pts_time", rec])
            pts = [float(p["pts_time"]) for p in js["packets"]]
            deltas = [b - a for a, b in zip(pts, pts[1:])]
            self.assertGreater(len(pts), 6 * FPS, "too few frames recorded")
            h.log("frame intervals: min %.3f max %.3f over %d frames" % (
                min(deltas), max(deltas), len(pts)))
            self.assertTrue(all(0.060 <= d <= 0.075 for d in deltas),
                            [round(d, 3) for d in deltas if not 0.060 <= d <= 0.075])

            # What it showed on the right: blue, then the slate, then blue again;
            # red on the left all along.
            seq = []
            for f in frames_rgb(rec):
                self.assertTrue(is_colour(mean(f, *LEFT), COLOURS["red"]), mean(f, *LEFT))
                right = mean(f, *RIGHT)
                name = ("blue" if is_colour(right, COLOURS["blue"]) else
                        "slate" if is_colour(right, SLATE) else "other")
                if not seq or seq[-1] != name:
                    seq.append(name)
            h.log("right half: %r" % seq)
            self.assertEqual(seq, ["blue", "slate", "blue"])

            # Live changes: layout and gain; a size change is refused.
            st, js = self.api.call("PATCH", "/api/v1/programs/live/sbs",
                                   {"layout": "single", "inputs": [{}, {"gain": 0.5}]})
            self.assertEqual(st, 200, js)
            self.assertEqual(js["layout"], "single")
            self.assertEqual(js["inputs"][1]["gain"], 0.5)
            st, js = self.api.call("PATCH", "/api/v1/programs/live/sbs", {"audio_kbps": 64})
            self.assertEqual(st, 400, js)
            st, js = self.api.call("PATCH", "/api/v1/programs/live/sbs",
                                   {"slate": {"text": "back soon"}})
            self.assertEqual(st, 200, js)
            self.assertEqual(js["slate"], {"color": "#FF00FF", "text": "back soon"})
            st, js = self.api.call("PATCH", "/api/v1/programs/live/sbs", {"width": 640})
            self.assertEqual(st, 400, js)
            st, js = self.api.call("DELETE", "/api/v1/programs/live/sbs")
            self.assertEqual(st, 200, js)
            h.wait_until(lambda: srv.api_stream("live/sbs") is None,
                         15, 0.2, "the program's stream gone")
            self.assertEqual(self.api.call("GET", "/api/v1/programs")[1]["programs"], [])


if __name__ == "__main__":
    h.main()
