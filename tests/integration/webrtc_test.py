# WebRTC with real peers (issue 17): WHEP playback of an RTMP push in headless
# Chromium (getStats: frames and keyframes decoded), a WHIP push from Chromium's fake
# camera read back by ffprobe over RTMP and HLS, libdatachannel and GStreamer webrtcbin
# as WHIP/WHEP peers (lip-sync by sender reports), and the signalling's answers to bad
# requests (RFC 9725 status codes, JSON errors). Owner: integration tests. ~80 s.
import glob
import json
import os
import re
import shutil
import subprocess
import threading
import time
import unittest
import urllib.request

import harness as h
import room_client as rc
import room_test as rt
from browser_test import WEB_ROOT, run_page

HERE = os.path.dirname(os.path.abspath(__file__))
WHIP_SCRIPT = os.path.join(HERE, "browser", "whip.mjs")
NDC_SCRIPT = os.path.join(HERE, "webrtc", "ndc_client.mjs")
GST_WHIP = os.path.join(HERE, "webrtc", "gst_whip.py")
CHROMIUM_WHEP_OFFER = os.path.join(h.SOURCE, "tests", "unit", "protocols", "webrtc", "sdp",
                                   "chromium_whep_offer.sdp")
CHROMIUM_WHIP_OFFER = os.path.join(h.SOURCE, "tests", "unit", "protocols", "webrtc", "sdp",
                                   "chromium_whip_offer.sdp")
AUTH_KEY = "webrtc-test-signing-key-0123456789"

# A browser-friendly live source: H.264 without B-frames (WebRTC plays B-frames at a
# few fps), a keyframe each second, AAC.
LIVE_H264 = ["-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
             "-g", "30", "-pix_fmt", "yuv420p", "-b:v", "800k", "-c:a", "aac", "-b:a", "64k"]

CHROMIUM_VP8_ONLY_OFFER = "\r\n".join([
    "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:0", "a=recvonly",
    "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "a=rtcp-mux",
    "a=rtpmap:96 VP8/90000", ""])


def http(method, url, body=None, headers=None):
    """(status, headers, body bytes) of one request; never raises on 4xx/5xx."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def ndc(mode, url, *extra, seconds=8):
    """Runs the libdatachannel client (OBS's WebRTC stack, tests/integration/webrtc);
    returns (exit code, its JSON result)."""
    args = [shutil.which("node"), NDC_SCRIPT, mode, "--url", url, "--seconds", str(seconds),
            "--web-root", os.path.abspath(WEB_ROOT)] + list(extra)
    h.log("ndc: " + " ".join(args))
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=seconds + 60)
    lines = r.stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        raise AssertionError("ndc_client printed nothing (exit %d): %s" % (
            r.returncode, r.stderr.decode()[-2000:]))
    result = json.loads(lines[-1])
    h.log("ndc %s: exit %d ok=%s errors=%r video=%r audio=%r" % (
        mode, r.returncode, result.get("ok"), result.get("errors"), result.get("video"),
        result.get("audio")))
    return r.returncode, result


def ndc_media(tmp):
    """A 3 s H.264 baseline Annex-B file (keyframe each second) and an Opus file."""
    h264, ogg = os.path.join(tmp, "ndc.h264"), os.path.join(tmp, "ndc.ogg")
    for args in (["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=3",
                  "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0", "-g", "30",
                  "-keyint_min", "30", "-pix_fmt", "yuv420p", "-f", "h264", h264],
                 ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=3",
                  "-c:a", "libopus", "-b:a", "48k", ogg]):
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1"]
                       + args, check=True, timeout=60)
    return h264, ogg


def sync_media(tmp, seconds):
    """H.264 baseline (keyframe each second) + Opus in Matroska: a black picture that is
    white for the first 100 ms of every second, and a 1 kHz beep at the same moments."""
    path = os.path.join(tmp, "sync.mkv")
    beep = "if(lt(mod(t\\,1)\\,0.1)\\,0.8*sin(2*PI*1000*t)\\,0)"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-threads", "1",
                    "-f", "lavfi", "-i", "color=c=black:s=160x96:r=30,drawbox=x=0:y=0:w=iw:h=ih:"
                    "color=white:t=fill:enable='lt(mod(t\\,1)\\,0.1)'",
                    "-f", "lavfi", "-i", "aevalsrc='%s|%s':s=48000" % (beep, beep),
                    "-t", str(seconds), "-c:v", "libx264", "-profile:v", "baseline", "-bf", "0",
                    "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "64k", path],
                   check=True, timeout=60)
    return path


def gst_whip(url, media, *extra, seconds=8):
    """Runs the GStreamer webrtcbin WHIP publisher (tests/integration/webrtc/gst_whip.py);
    returns (exit code, its JSON result)."""
    args = ["/usr/bin/python3", GST_WHIP, "--url", url, "--media", media, "--seconds", str(seconds)]
    args += list(extra)
    h.log("gst: " + " ".join(args))
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       timeout=seconds + 60)
    lines = r.stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        raise AssertionError("gst_whip printed nothing (exit %d): %s" % (r.returncode, r.stderr.decode()[-2000:]))
    result = json.loads(lines[-1])
    h.log("gst: exit %d %r" % (r.returncode, result))
    return r.returncode, result


def flash_beep_offsets(path):
    """For each beep in the recording at `path`, its start minus the start of the
    nearest white flash (s), by the file's own timestamps (see sync_media)."""
    def frames(graph, tag):
        out = subprocess.run(["ffprobe", "-v", "error", "-f", "lavfi", "-i", graph, "-show_entries",
                              "frame=pts_time:frame_tags=" + tag, "-of", "json"],
                             stdout=subprocess.PIPE, check=True, timeout=60).stdout
        return [(float(f["pts_time"]), f.get("tags", {}).get(tag)) for f in json.loads(out)["frames"]]

    def starts(samples, on):
        out, prev = [], False
        for t, value in samples:
            now = on(value)
            if now and not prev:
                out.append(t)
            prev = now
        return out
    flashes = starts(frames("movie=%s,signalstats" % path, "lavfi.signalstats.YAVG"),
                     lambda v: v is not None and float(v) > 128)
    beeps = starts(frames("amovie=%s,aformat=channel_layouts=mono,asetnsamples=n=240,"
                          "astats=metadata=1:reset=1" % path, "lavfi.astats.Overall.RMS_level"),
                   lambda v: v not in (None, "-inf", "inf") and float(v) > -30)
    offsets = []
    for b in beeps:
        near = min(flashes, key=lambda f: abs(f - b), default=None)
        if near is not None and abs(near - b) < 0.5:
            offsets.append(b - near)
    return flashes, beeps, offsets


class WebrtcTest(unittest.TestCase):
    def test_01_whep_plays_an_rtmp_push_in_chromium(self):
        with h.Server(sets={"web.root": WEB_ROOT, "webrtc.consent_timeout_ms": 5000}) as srv:
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                r = run_page(srv, "stream=live/demo&proto=whep&autoplay=1&muted=1")
                self.assertTrue(r.get("ok"), r.get("reason"))
                self.assertEqual(r.get("pageErrors"), [])
                whep = r["end"]["whep"]
                h.log("whep stats: %r" % whep)
                self.assertEqual(whep["state"], "connected", whep)
                self.assertGreater(whep["framesDecoded"], 60, whep)
                self.assertGreaterEqual(whep["keyFramesDecoded"], 1, whep)
                self.assertEqual((r["end"]["videoWidth"], r["end"]["videoHeight"]), (640, 360))
                # The push's AAC reaches the browser as the mixer's Opus variant (made
                # for the first WHEP viewer), played with little concealment.
                self.assertGreater(whep["audioPackets"], 100, whep)
                self.assertGreater(whep["audioSamples"], 48000, whep)
                self.assertLess(whep["audioConcealed"], whep["audioSamples"] * 0.2, whep)
                self.assertTrue(srv.find_log(
                    r"audio variant live/demo: opus made from the publisher's aac"))
                # The browser went away without a DELETE: consent freshness (RFC 7675)
                # ends the session once no valid traffic came for 5 s.
                srv.wait_for_log(r"whep .* closed: no valid traffic for 5000 ms", 15)
                self.assertTrue(pub.running(), "the RTMP publisher was dropped")
            finally:
                pub.stop()

    def test_02_whip_from_chromium_is_read_over_rtmp_and_hls(self):
        with h.Server(sets={"web.root": WEB_ROOT}) as srv:
            node = shutil.which("node")
            args = [node, WHIP_SCRIPT, "--origin", srv.http_url("").rstrip("/"),
                    "--stream", "live/cam", "--seconds", "12", "--timeout", "40"]
            h.log("whip: " + " ".join(args))
            whip = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL)
            try:
                info = h.wait_until(lambda: (lambda s: s if s and s.get("video") else None)(
                    srv.api_stream("live/cam")), 25, 0.25, "the WHIP stream with video")
                h.log("stream: %r" % info)
                self.assertEqual(info.get("origin"), "webrtc", info)
                probe = h.ffprobe_json(["-show_streams", "-read_intervals", "%+2",
                                        srv.rtmp_url("cam")])
                video = [s for s in probe["streams"] if s["codec_type"] == "video"]
                self.assertEqual([s["codec_name"] for s in video], ["h264"], probe)
                self.assertEqual((video[0]["width"], video[0]["height"]), (640, 360))
                # The page's Opus reaches RTMP as the mixer's AAC variant: decodable frames.
                probe = h.ffprobe_json(["-show_streams", "-count_frames", "-select_streams", "a",
                                        "-read_intervals", "%+2", srv.rtmp_url("cam")])
                audio = probe["streams"]
                self.assertEqual([s["codec_name"] for s in audio], ["aac"], probe)
                self.assertEqual((audio[0]["sample_rate"], audio[0]["channels"]), ("48000", 2))
                self.assertGreater(int(audio[0].get("nb_read_frames", 0)), 40, audio[0])
                info = srv.api_stream("live/cam")
                self.assertEqual(info["audio"]["codec"], "opus", info)
                self.assertEqual(info["audio"]["variant"]["codec"], "aac", info)
                time.sleep(2)  # a few HLS segments
                probe = h.ffprobe_json(["-show_streams", srv.http_url("/live/cam.m3u8")])
                self.assertIn("h264", [s["codec_name"] for s in probe["streams"]], probe)
                # NOTE: the newest segment, once one has the AAC: the segments before the
                # AAC config came (FFmpeg's libraries load with the first variant: slower
                # under ASan) have none, and the muxer restarts when it comes.
                def newest_with_aac():
                    with urllib.request.urlopen(srv.http_url("/live/cam.m3u8"), timeout=10) as r:
                        uris = [l for l in r.read().decode().splitlines() if l and l[0] != "#"]
                    probe = h.ffprobe_json(["-show_streams", "-count_frames",
                                            srv.http_url("/live/" + uris[-1])])
                    found = [s for s in probe["streams"] if s["codec_type"] == "audio"]
                    return found if found else None
                audio = h.wait_until(newest_with_aac, 10, 0.5, "an HLS segment with the AAC variant")
                self.assertEqual([s["codec_name"] for s in audio], ["aac"], audio)
                self.assertGreater(int(audio[0].get("nb_read_frames", 0)), 20, audio[0])
                # Chromium sends keyframes when asked: HLS asks when a segment is due,
                # so segments keep to their 2 s target (the first may be cut short by
                # the AAC config's restart).
                with urllib.request.urlopen(srv.http_url("/live/cam.m3u8"), timeout=10) as r:
                    extinf = [float(l.split(":")[1].rstrip(",")) for l in
                              r.read().decode().splitlines() if l.startswith("#EXTINF:")]
                h.log("HLS segment durations: %r" % extinf)
                self.assertTrue(extinf and max(extinf) < 3.5, extinf)
            finally:
                out, err = whip.communicate(timeout=60)
            result = json.loads(out.decode().strip().splitlines()[-1])
            h.log("whip result: ok=%s reason=%s last=%r" % (
                result.get("ok"), result.get("reason"), result.get("last")))
            self.assertTrue(result.get("ok"), (result.get("reason"), err.decode()[-2000:]))
            self.assertIn("H264", result["last"]["codec"].upper())
            srv.wait_for_log(r"whip .* closed: the client ended it", 10)

    def test_06_room_events_on_the_data_channel(self):
        """A WHEP viewer's "room" data channel gets the room's events with streamTime,
        while the picture plays: a message sent through the API arrives there."""
        sets = {"web.root": WEB_ROOT, "room.key": rt.KEY, "room.app_id": rt.APP_ID}
        with h.Server(sets=sets) as srv:
            api = rc.Api(srv.http_port, rt.APP_ID, rt.KEY)
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                # The page plays for --seconds 3 after its first frame: send meanwhile.
                sender = threading.Thread(target=self.send_while_playing, args=(srv, api))
                sender.start()
                r = run_page(srv, "stream=live/demo&proto=whep&autoplay=1&muted=1",
                             extra=["--seconds", "6"])
                sender.join()
                self.assertTrue(r.get("ok"), r.get("reason"))
                whep = r["end"]["whep"]
                texts = [e.get("body", {}).get("text") for e in whep["roomEvents"]]
                h.log("room events on the data channel: %r" % whep["roomEvents"][-5:])
                self.assertEqual(whep["roomChannel"], "open", whep)
                self.assertIn("over the data channel", texts, whep["roomEvents"])
                event = next(e for e in whep["roomEvents"]
                             if e.get("body", {}).get("text") == "over the data channel")
                self.assertIsInstance(event.get("streamTime"), int, event)
                self.assertGreater(event["streamTime"], 0, event)
            finally:
                pub.stop()

    def send_while_playing(self, srv, api):
        h.wait_until(lambda: srv.find_log(r"whep .* data channel \"room\" opened"), 30, 0.2,
                     "the page's room data channel")
        time.sleep(0.5)
        api.ok("POST", "/api/v1/rooms/live/demo/messages",
               {"type": "text", "from": "host", "body": {"text": "over the data channel"}})

    def test_07_the_player_page_goes_live(self):
        """The page's "Go live" form with the test pattern: the stream appears (origin
        webrtc, with video), then Stop ends it."""
        with h.Server(sets={"web.root": WEB_ROOT}) as srv:
            args = [shutil.which("node"), WHIP_SCRIPT, "--origin", srv.http_url("").rstrip("/"),
                    "--stream", "live/page", "--source", "pattern", "--ui", "1",
                    "--seconds", "6", "--timeout", "30"]
            h.log("whip: " + " ".join(args))
            whip = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL)
            try:
                info = h.wait_until(lambda: (lambda s: s if s and s.get("video") else None)(
                    srv.api_stream("live/page")), 25, 0.25, "the page's stream with video")
                self.assertEqual(info.get("origin"), "webrtc", info)
            finally:
                out, err = whip.communicate(timeout=60)
            result = json.loads(out.decode().strip().splitlines()[-1])
            self.assertTrue(result.get("ok"), (result.get("reason"), err.decode()[-2000:]))
            self.assertGreater(result["last"]["framesEncoded"], 60, result["last"])
            srv.wait_for_log(r"whip .* live/page .* closed: the client ended it", 10)

    def test_08_signed_urls_and_the_bearer_token(self):
        """With auth.enabled, WHIP needs the stream's signature or the bearer token."""
        with open(CHROMIUM_WHIP_OFFER, "rb") as f:
            offer = f.read()
        sets = {"auth.enabled": True, "auth.key": AUTH_KEY, "webrtc.bearer_token": "t0ken"}
        with h.Server(sets=sets) as srv:
            url = srv.http_url("/whip/live/cam")
            sdp = {"Content-Type": "application/sdp"}
            st, _, body = http("POST", url, offer, sdp)
            self.assertEqual(st, 403, body)
            self.assertIn("publish not authorized", json.loads(body)["error"])
            st, _, body = http("POST", url, offer, dict(sdp, Authorization="Bearer wrong"))
            self.assertEqual(st, 403, body)
            st, hd, body = http("POST", url, offer, dict(sdp, Authorization="Bearer t0ken"))
            self.assertEqual(st, 201, body)
            self.assertEqual(http("DELETE", srv.http_url(hd["Location"]))[0], 200)
            query = h.signed_query(AUTH_KEY, "live", "cam", int(time.time()) + 60)
            st, hd, body = http("POST", url + "?" + query, offer, sdp)
            self.assertEqual(st, 201, body)
            self.assertEqual(http("DELETE", srv.http_url(hd["Location"]))[0], 200)
            # A signature is for its stream only.
            st, _, body = http("POST", srv.http_url("/whip/live/other?" + query), offer, sdp)
            self.assertEqual(st, 403, body)

    def test_04_libdatachannel_publishes_and_plays(self):
        """OBS's WebRTC stack (libdatachannel) as WHIP publisher, read back over RTMP,
        and as WHEP player of an RTMP push; the WHIP stream is recorded with its Opus
        as AAC."""
        rec = h.make_tmpdir()
        with h.Server(sets={"record.streams": '["live/ndc"]', "record.dir": rec}) as srv:
            h264, ogg = ndc_media(h.make_tmpdir())
            code, r = ndc("whip", srv.http_url("/whip/live/ndc"), "--h264", h264, "--opus", ogg,
                          seconds=8)
            self.assertEqual(code, 0, r)
            self.assertEqual(r["post"]["status"], 201, r)
            self.assertGreaterEqual(r["video"]["framesSent"], 200, r)
            self.assertIn(r["delete"]["status"], (200, 204), r)
            # What the server rebuilt from libdatachannel's RTP (SPS/PPS as separate
            # packets, FU-A slices): every access unit, pushed into the hub.
            self.assertTrue(srv.find_log(r"whip .* live/ndc .*: pushed (\d{3,}) video"), srv.log_text()[-3000:])
            # Recorded from the publish on: its last file has the Opus as AAC.
            files = sorted(glob.glob(os.path.join(rec, "live", "ndc-*.mp4")))
            self.assertTrue(files, os.listdir(rec))
            probe = h.ffprobe_json(["-show_streams", "-count_frames", files[-1]])
            audio = [s for s in probe["streams"] if s["codec_type"] == "audio"]
            self.assertEqual([s["codec_name"] for s in audio], ["aac"], probe)
            self.assertGreater(int(audio[0].get("nb_read_frames", 0)), 50, audio[0])
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                code, r = ndc("whep", srv.http_url("/whep/live/demo"), seconds=6)
                self.assertEqual(code, 0, r)
                v = r["video"]
                self.assertGreaterEqual(v["keyframes"], 1, v)
                self.assertGreaterEqual(v["accessUnits"], 120, v)
                self.assertEqual(v["fuBoth"], 0, v)  # RFC 6184: never S and E in one FU-A
                self.assertEqual(v["lost"], 0, v)
                # The push's AAC as Opus: 20 ms packets on a 48 kHz RTP clock.
                a = r["audio"]
                self.assertGreater(a["packets"], 100, a)
                self.assertEqual(a["lost"], 0, a)
                self.assertAlmostEqual(a["tsSpan"] / 960, a["packets"] - 1, delta=5)
            finally:
                pub.stop()

    def test_09_gstreamer_whip_is_lip_synced_by_sender_reports(self):
        """GStreamer's webrtcbin publishes by WHIP, its audio sent 300 ms after the video
        of the same moment: the first frames of both arrive 300 ms apart, the RTCP sender
        reports tie both to one capture clock, and the server moves the audio back by
        those 300 ms (before: each track at its first arrival, the audio 300 ms late).
        An RTMP viewer's recording shows each beep with its white flash."""
        with h.Server() as srv:
            media = sync_media(h.make_tmpdir(), 14)
            result = {}
            gst = threading.Thread(target=lambda: result.update(
                zip(("code", "r"), gst_whip(srv.http_url("/whip/live/gst"), media, "--audio-delay-ms", "300"))))
            gst.start()
            recording = os.path.join(h.make_tmpdir(), "gst.flv")
            try:
                info = h.wait_until(lambda: (lambda s: s if s and s.get("video") and s.get("audio") else None)(
                    srv.api_stream("live/gst")), 20, 0.25, "the GStreamer WHIP stream with video and audio")
                self.assertEqual(info.get("origin"), "webrtc", info)
                # What an RTMP viewer gets (the AAC variant of the Opus): 5 s of it.
                subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", srv.rtmp_url("gst"),
                                "-t", "5", "-c", "copy", recording], check=True, timeout=30)
            finally:
                gst.join(90)
            flashes, beeps, offsets = flash_beep_offsets(recording)
            h.log("flashes %r beeps %r offsets (ms) %r" % (flashes, beeps, [round(o * 1000) for o in offsets]))
            self.assertGreaterEqual(len(offsets), 3, (flashes, beeps))
            # Lip-synced: each beep starts with its flash (within about a frame and the
            # AAC encoder's delay); without the sender reports it came 300 ms late.
            median = sorted(offsets)[len(offsets) // 2]
            self.assertLess(abs(median), 0.08, [round(o * 1000) for o in offsets])
            self.assertEqual(result.get("code"), 0, result.get("r"))
            rx = r"whip .* live/gst .*: lip-sync from the sender reports: audio moved by -?\d+ ms \(now (-?\d+) ms\)"
            line = srv.find_log(rx)
            self.assertTrue(line, srv.log_text()[-3000:])
            self.assertLess(abs(int(re.search(rx, line).group(1)) + 300), 60, line)

    def test_10_ipv6_media(self):
        """webrtc.listen on the IPv6 loopback: the answer's candidate is [::1] and
        libdatachannel plays by WHEP over it (the HTTP side stays on 127.0.0.1)."""
        port = h.free_udp_port()
        with h.Server(sets={"webrtc.listen": "[::1]:%d" % port}) as srv:
            srv.wait_for_log(r"webrtc: WHIP/WHEP media on udp \[::1\]:%d, candidates \[::1\]:%d"
                             % (port, port), 10)
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                code, r = ndc("whep", srv.http_url("/whep/live/demo"), "--bind", "::1", seconds=4)
                self.assertEqual(code, 0, r)
                self.assertTrue(r["selectedPair"]["remote"].startswith("::1"), r["selectedPair"])
                self.assertGreaterEqual(r["video"]["keyframes"], 1, r["video"])
            finally:
                pub.stop()

    def test_05_session_lifecycle_and_limits(self):
        """A real offer gets 201 + Location + an answer; the address limit answers 429;
        DELETE ends the session (and frees its slot); PATCH trickle is 204, an ICE
        restart 422; a peer that never connects is closed at the handshake timeout."""
        with open(CHROMIUM_WHEP_OFFER, "rb") as f:
            offer = f.read()
        sets = {"webrtc.max_sessions_per_ip": 1, "webrtc.handshake_timeout_ms": 2000}
        with h.Server(sets=sets) as srv:
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                url = srv.http_url("/whep/live/demo")
                sdp = {"Content-Type": "application/sdp"}
                st, hd, body = http("POST", url, offer, sdp)
                self.assertEqual(st, 201, body)
                self.assertEqual(hd.get("Content-Type"), "application/sdp")
                location, etag = hd["Location"], hd["ETag"]
                self.assertTrue(location.startswith("/whep/session/"), location)
                answer = body.decode()
                self.assertIn("a=ice-lite", answer)
                self.assertIn("a=setup:passive", answer)
                self.assertIn("a=candidate:", answer)
                self.assertIn(" 127.0.0.1 %d typ host" % srv.udp_port, answer)
                st, _, body = http("POST", url, offer, sdp)
                self.assertEqual(st, 429, body)
                frag = b"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
                trickle = {"Content-Type": "application/trickle-ice-sdpfrag"}
                st, _, body = http("PATCH", srv.http_url(location), frag, dict(trickle, **{"If-Match": etag}))
                self.assertEqual(st, 204, body)
                st, _, body = http("PATCH", srv.http_url(location), frag, dict(trickle, **{"If-Match": "*"}))
                self.assertEqual(st, 422, body)
                st, _, body = http("DELETE", srv.http_url(location))
                self.assertEqual(st, 200, body)
                srv.wait_for_log(r"whep .* closed: the client ended it", 5)
                st, _, body = http("DELETE", srv.http_url(location))
                self.assertEqual(st, 404, body)
                # The slot is free again; nobody connects: closed at the handshake timeout.
                st, _, body = http("POST", url, offer, sdp)
                self.assertEqual(st, 201, body)
                srv.wait_for_log(r"whep .* closed: no ICE check in 2000 ms", 8)
                self.assertTrue(pub.running())
            finally:
                pub.stop()

    def test_03_bad_requests_get_clear_errors(self):
        with h.Server(sets={"webrtc.max_sessions_per_ip": 1}) as srv:
            url = srv.http_url("/whep/live/demo")
            st, _, body = http("POST", url, b"v=0", {"Content-Type": "text/plain"})
            self.assertEqual(st, 415, body)
            self.assertIn("application/sdp", json.loads(body)["error"])
            st, _, body = http("POST", url, b"v=0", {"Content-Type": "application/sdp"})
            self.assertEqual(st, 404, body)  # no such stream to play
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                st, _, body = http("POST", url, b"not sdp at all",
                                   {"Content-Type": "application/sdp"})
                self.assertEqual(st, 400, body)
                self.assertIn("error", json.loads(body))
                st, _, body = http("POST", url, CHROMIUM_VP8_ONLY_OFFER.encode(),
                                   {"Content-Type": "application/sdp"})
                self.assertEqual(st, 422, body)
                self.assertIn("H.264", json.loads(body)["error"])
                st, hd, _ = http("OPTIONS", url)
                self.assertEqual(st, 204)
                self.assertEqual(hd.get("Accept-Post"), "application/sdp")
                st, _, body = http("DELETE", srv.http_url("/whep/session/nope"))
                self.assertEqual(st, 404, body)
                self.assertTrue(srv.find_log(r"whep 127\.0\.0\.1.* live/demo: refused \(422\)"))
                self.assertTrue(pub.running())
            finally:
                pub.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
