#!/usr/bin/env python3
"""Recording (issue 6 point 3, M6) against the real server: ffmpeg pushes, the
recorder writes fragmented MP4 or FLV files with the room's event log beside them;
ffprobe/ffmpeg read the files back; the API starts, stops and lists recordings; a
webhook tells when a file closes; kill -9 and an unwritable path are survived."""

import json
import os
import re
import struct
import time

import harness as h
import room_client as rc
import room_fixture
import room_test as rt
import sidechannel_test as sc
from webhook_test import Receiver

ROOM = "live/demo"


def flv_tags(data):
    """[(type, timestamp, body)] of an FLV file."""
    if data[:3] != b"FLV":
        raise ValueError("not an FLV file: %r" % data[:8])
    pos, out = 9 + 4, []
    while pos + 11 <= len(data):
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        ts = int.from_bytes(data[pos + 4:pos + 7], "big") | (data[pos + 7] << 24)
        out.append((data[pos] & 0x1F, ts, data[pos + 11:pos + 11 + size]))
        pos += 11 + size + 4
    return out


def probe(path):
    """(duration s, {codec_type: stream}) of a file."""
    r = h.ffprobe_json(["-show_format", "-show_streams", path])
    return float(r["format"]["duration"]), {s["codec_type"]: s for s in r["streams"]}


def decode_errors(path):
    """ffmpeg decoding the whole file: its error lines ("" = clean)."""
    import subprocess
    r = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", path,
                        "-f", "null", "-"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    return r.stderr.decode("utf-8", "replace").strip()


class RecordingTest(room_fixture.RoomServerTest):
    def setUp(self):
        super().setUp()
        self.dir = h.make_tmpdir("roomcast-rec-")

    def recordings(self):
        return self.api.ok("GET", "/api/v1/recordings", expect=(200,))

    def wait_files(self, count, timeout=20):
        return h.wait_until(lambda: (lambda f: f if len(f) >= count else None)(
            self.recordings()["files"]), timeout, 0.2, "%d closed recording(s)" % count)

    def test_01_fmp4_file_plays_and_carries_the_room_events(self):
        hook = Receiver()
        self.addCleanup(hook.close)
        with self.serve(**{"record.streams": '["live/*"]', "record.dir": self.dir,
                           "stream.reconnect_grace_ms": 300,
                           "webhook.url": "http://127.0.0.1:%d/cb" % hook.port,
                           "webhook.before_send": False, "webhook.before_join": False}) as srv:
            pub = h.Publisher(srv.rtmp_url("demo"), duration=6, name="rec-pub").start()
            self.addCleanup(pub.stop)
            self.wait_room_status(ROOM)
            alice = self.member("alice", ROOM)
            texts = []
            for i in range(4):
                time.sleep(0.7)
                texts.append("recorded %d" % i)
                r = alice.request("send", room=ROOM, type="text", body={"text": texts[-1]})
                self.assertEqual(r.get("code"), 0, r)
            open_now = self.recordings()["recording"]
            self.assertEqual([x["stream"] for x in open_now], [ROOM], open_now)
            self.assertTrue(open_now[0]["file"]["open"])
            pub.wait(30)
            ws = {e["body"]["text"]: e for e in alice.messages(ROOM)}
            f = self.wait_files(1)[0]
            self.assertEqual((f["stream"], f["format"], f["open"]), (ROOM, "fmp4", False), f)
            self.assertTrue(f["path"].startswith(self.dir + "/live/demo-") and
                            f["path"].endswith(".mp4"), f["path"])
            self.assertEqual(f["bytes"], os.path.getsize(f["path"]))
            self.assertGreaterEqual(f["events"], 4, f)
            self.assertTrue(5500 <= f["durationMs"] <= 6500, f)

            duration, streams = probe(f["path"])
            self.assertAlmostEqual(duration, 6.0, delta=0.4)
            self.assertEqual(streams["video"]["codec_name"], "h264")
            self.assertEqual(streams["audio"]["codec_name"], "aac")
            self.assertEqual(decode_errors(f["path"]), "")

            # The event log: one line per event, keyed by stream time.
            with open(f["eventsPath"]) as fh:
                lines = [json.loads(l) for l in fh]
            logged = {l["event"]["body"]["text"]: l for l in lines
                      if l["event"].get("event") == "message"}
            for text in texts:
                line = logged[text]
                self.assertEqual(line["streamTime"], ws[text]["streamTime"])
                self.assertEqual(line["t"], line["streamTime"] - f["startStreamMs"])

            # The same events inside the file: emsg ID3 before the moof of the
            # fragment covering them, at their time on the file's timeline.
            with open(f["path"], "rb") as fh:
                data = fh.read()
            boxes = sc.top_boxes(data)
            self.assertEqual([k for k, _ in boxes[:2]], ["ftyp", "moov"])
            inside = {}
            for kind, body in boxes[2:]:
                self.assertIn(kind, ("emsg", "moof", "mdat"))
                if kind == "emsg":
                    _, pt, _, _, scheme, _, tag = sc.parse_emsg_v1(body)
                    self.assertEqual(scheme, "https://aomedia.org/emsg/ID3")
                    for _, value in sc.id3_txxx(tag):
                        event = json.loads(value)
                        if event.get("event") == "message":
                            inside[event["body"]["text"]] = pt
            self.assertEqual({t: inside.get(t) for t in texts},
                             {t: logged[t]["t"] for t in texts})

            # The fragment index beside it: contiguous, at most ~2 s each.
            with open(f["path"] + ".json") as fh:
                side = json.load(fh)
            frags = side["fragments"]
            self.assertTrue(frags[0][4], "the first fragment starts at a keyframe")
            for a, b in zip(frags, frags[1:]):
                self.assertEqual(a[0] + a[1], b[0])
                self.assertLessEqual(a[3], 2050, a)
            self.assertEqual(frags[-1][0] + frags[-1][1], f["bytes"])

            calls = h.wait_until(lambda: hook.of("Live.CallbackRecordClose"), 5, 0.1,
                                 "the close webhook")
            rec = calls[0]["body"]["Recording"]
            self.assertEqual((rec["path"], rec["bytes"], calls[0]["body"]["StreamKey"]),
                             (f["path"], f["bytes"], ROOM))
            # The API gives one closed file with its fragment index.
            one = self.api.ok("GET", "/api/v1/recordings/" + f["id"], expect=(200,))
            self.assertEqual(len(one["fragments"]), len(frags))

    def test_02_flv_split_by_duration_started_and_stopped_by_the_api(self):
        with self.serve(**{"record.format": "flv", "record.split_ms": 4000,
                           "record.dir": self.dir}) as srv:
            pub = h.Publisher(srv.rtmp_url("demo"), loop=True, name="rec-pub").start()
            self.addCleanup(pub.stop)
            self.wait_room_status(ROOM)
            api = self.api
            self.assertEqual(api.call("POST", "/api/v1/recordings", {"stream": ROOM},
                                      auth=False)[0], 401)
            status, body = api.call("POST", "/api/v1/recordings", {"stream": "live/nope"})
            self.assertEqual(status, 404, body)
            self.assertIn("no live stream", body["error"])
            self.assertEqual(api.call("POST", "/api/v1/recordings", {"nope": 1})[0], 400)
            self.assertEqual(api.call("POST", "/api/v1/recordings", {"stream": ROOM})[0], 201)
            self.assertEqual(api.call("POST", "/api/v1/recordings", {"stream": ROOM})[0], 409)
            bob = self.member("bob", ROOM)
            texts = []
            for i in range(3):
                time.sleep(1.4)
                texts.append("flv %d" % i)
                self.assertEqual(bob.request("send", room=ROOM, type="text",
                                             body={"text": texts[-1]}).get("code"), 0)
            time.sleep(0.5)
            self.assertEqual(api.call("DELETE", "/api/v1/recordings/" + ROOM)[0], 200)
            self.assertEqual(api.call("DELETE", "/api/v1/recordings/" + ROOM)[0], 404)
            # the last file closes in the background
            files = h.wait_until(lambda: (lambda f: f if any(
                x.get("endReason") == "stopped by the API" for x in f) else None)(
                    self.recordings()["files"]), 20, 0.2, "the file the API stop closed")
            self.assertGreaterEqual(len(files), 2, files)
            self.assertEqual(self.recordings()["recording"], [])
            found = []
            for f in files:
                self.assertTrue(f["path"].endswith(".flv"), f)
                self.assertEqual(f["bytes"], os.path.getsize(f["path"]))
                duration, streams = probe(f["path"])
                self.assertIn("video", streams)
                self.assertLessEqual(duration, 4.6, f)
                self.assertEqual(decode_errors(f["path"]), "")
                with open(f["path"], "rb") as fh:
                    tags = flv_tags(fh.read())
                self.assertEqual(tags[0][1], 0, "a file starts at time 0")
                for ttype, ts, body in tags:
                    event = sc.on_text_data(body) if ttype == 18 else None
                    if event and event.get("event") == "message":
                        found.append(event["body"]["text"])
                        self.assertEqual(ts, event["streamTime"] - f["startStreamMs"])
            self.assertEqual(sorted(found), texts)
            replayed = []
            for f in files:
                replayed += self.check_flv_replay(srv, f)
            self.assertEqual(sorted(replayed), texts)
            self.check_damaged_flv_replay(srv, max(files, key=lambda x: x["durationMs"]))

    def check_flv_replay(self, srv, f):
        """An FLV recording replays as HLS VOD of MPEG-TS segments remuxed from its
        tags, each danmaku a timed ID3 tag at its time in the file. The texts found."""
        rid = f["id"]
        status, _, body = h.http_get(srv.http_url("/replay/%s.m3u8" % rid))
        self.assertEqual(status, 200, body)
        lines = body.decode().splitlines()
        self.assertIn("#EXT-X-PLAYLIST-TYPE:VOD", lines)
        self.assertNotIn("#EXT-X-MAP", body.decode())
        uris = [l for l in lines if l and not l.startswith("#")]
        self.assertTrue(uris and all(u.startswith(rid + "/") and u.endswith(".ts") for u in uris),
                        lines)
        duration, streams = probe(srv.http_url("/replay/%s.m3u8" % rid))
        self.assertAlmostEqual(duration, f["durationMs"] / 1000, delta=0.3)
        self.assertEqual((streams["video"]["codec_name"], streams["audio"]["codec_name"]),
                         ("h264", "aac"))
        with open(f["path"], "rb") as fh:
            tags = flv_tags(fh.read())
        file_video = [ts for ttype, ts, body in tags if ttype == 9 and body[1] == 1]
        events = {}
        for ttype, ts, body in tags:
            event = sc.on_text_data(body) if ttype == 18 else None
            if event and event.get("event") == "message":
                events[event["body"]["text"]] = ts
        found, video_dts = {}, []
        for uri in uris:
            status, _, seg = h.http_get(srv.http_url("/replay/" + uri), limit=1 << 25)
            self.assertEqual(status, 200, uri)
            streams_d, _ = sc.ts_packets(seg, "d")
            id3 = [x for x in streams_d if x.get("codec_name") == "timed_id3"]
            self.assertEqual(len(id3), 1, "%s: no timed_id3 stream: %r" % (uri, streams_d))
            for stream_id, pts, tag in sc.ts_pes(seg, int(id3[0]["id"], 16)):
                self.assertEqual(stream_id, 0xBD)
                for desc, value in sc.id3_txxx(tag):
                    self.assertEqual(desc, "roomcast")
                    event = json.loads(value)
                    if event.get("event") == "message":
                        found[event["body"]["text"]] = round(pts / 90)
            _, video = sc.ts_packets(seg, "v")
            video_dts += [d for _, _, d, _ in video]
            self.assertEqual(decode_errors(srv.http_url("/replay/" + uri)), "", uri)
        # Every video frame of the file, in order, at its own time (one muxer
        # offset for all segments: the TS timeline the subtitles map onto).
        offset = video_dts[0] - file_video[0]
        self.assertEqual([d - offset for d in video_dts], file_video)
        self.assertEqual(found, {t: ts + offset for t, ts in events.items()})
        h.log("replay of %s: %d TS segments, %d frames, events %r, TS offset %d ms" % (
            rid, len(uris), len(video_dts), found, offset))
        self.assertEqual(h.http_get(srv.http_url("/replay/%s/init.mp4" % rid))[0], 404)
        status, _, body = h.http_get(srv.http_url("/replay/%s/%d.ts" % (rid, len(uris))))
        self.assertEqual(status, 404)
        self.assertIn(b"no such segment", body)
        # A name that only begins with a segment's number is none.
        for name in ("0.x.ts", "0.m4s", "0ts", "-0.ts", "0.ts.ts"):
            status, _, body = h.http_get(srv.http_url("/replay/%s/%s" % (rid, name)))
            self.assertEqual(status, 404, name)
        return list(found)

    def check_damaged_flv_replay(self, srv, f):
        """A file cut short after it closed: its last segment answers 500 with the
        reason, the others and the playlist still play."""
        with open(f["path"], "r+b") as fh:
            fh.truncate(os.path.getsize(f["path"]) - 100)
        status, _, body = h.http_get(srv.http_url("/replay/%s.m3u8" % f["id"]))
        self.assertEqual(status, 200)
        uris = [l for l in body.decode().splitlines() if l and not l.startswith("#")]
        status, _, body = h.http_get(srv.http_url("/replay/" + uris[-1]))
        self.assertEqual(status, 500, body)
        self.assertIn(f["path"], json.loads(body)["error"])
        srv.wait_for_log(r"replay %s: .*the file ends at" % re.escape(f["path"]), 5)
        if len(uris) > 1:
            self.assertEqual(h.http_get(srv.http_url("/replay/" + uris[0]), limit=1 << 25)[0], 200)

    def test_03_kill_9_leaves_a_file_that_plays_up_to_2_s_before_it(self):
        srv = h.Server(sets={"room.key": rt.KEY, "room.app_id": rt.APP_ID,
                             "record.streams": '["*"]', "record.dir": self.dir},
                       name="roomcast-kill9").start()
        self.addCleanup(srv.kill)
        pub = h.Publisher(srv.rtmp_url("demo"), loop=True, name="rec-pub").start()
        self.addCleanup(pub.stop)
        path = h.wait_until(lambda: next((os.path.join(r, n) for r, _, ns in os.walk(self.dir)
                                          for n in ns if n.endswith(".mp4")), None),
                            15, 0.05, "the recording file")
        first = time.monotonic()
        time.sleep(5)
        srv.kill()
        lived = time.monotonic() - first
        duration, _ = probe(path)
        # The file began at the cached GOP's keyframe (up to 2 s before it was
        # created); at most the open fragment (<= 2 s) is lost.
        self.assertGreaterEqual(duration, lived - 2.0 - 0.3,
                                "%.2f s in the file after %.2f s of recording" % (duration, lived))
        h.log("kill -9 after %.2f s of recording: the file plays %.2f s" % (lived, duration))

    def test_05_recordings_stay_listed_and_replayable_after_a_restart(self):
        sets = {"record.streams": '["live/*"]', "record.dir": self.dir,
                "stream.reconnect_grace_ms": 300}
        with self.serve(**sets) as srv:
            pub = h.Publisher(srv.rtmp_url("demo"), duration=4, name="rec-pub").start()
            self.addCleanup(pub.stop)
            pub.wait(30)
            f = self.wait_files(1)[0]
        # A description edited to point elsewhere is not trusted.
        with open(f["path"] + ".json") as fh:
            side = json.load(fh)
        side["path"] = "/etc/passwd"
        side["id"] = "tampered"
        with open(os.path.join(os.path.dirname(f["path"]), "evil.mp4.json"), "w") as fh:
            json.dump(side, fh)
        with self.serve(**sets) as srv:
            files = self.wait_files(1)
            self.assertEqual([x["id"] for x in files], [f["id"]], files)
            self.assertEqual((files[0]["bytes"], files[0]["durationMs"]), (f["bytes"], f["durationMs"]))
            srv.wait_for_log(r"evil\.mp4\.json is not a recording description, skipped", 5)
            status, _, body = h.http_get(srv.http_url("/replay/%s.m3u8" % f["id"]))
            self.assertEqual(status, 200, body)
            self.assertIn(b"#EXT-X-PLAYLIST-TYPE:VOD", body)
            duration, _ = probe(srv.http_url("/replay/%s.m3u8" % f["id"]))
            self.assertAlmostEqual(duration, f["durationMs"] / 1000, delta=0.3)
            self.assertEqual(h.http_get(srv.http_url("/replay/tampered.m3u8"))[0], 404)

    def test_06_files_split_within_one_second_never_overwrite_each_other(self):
        with self.serve(**{"record.streams": '["live/*"]', "record.dir": self.dir,
                           "record.split_ms": 300, "record.format": "flv"}) as srv:
            # a keyframe every 1/3 s: a new file about three times a second
            pub = h.FfmpegProc(["-v", "error", "-re", "-f", "lavfi", "-i",
                                "testsrc=size=320x240:rate=30", "-t", "20", "-c:v", "libx264",
                                "-preset", "ultrafast", "-g", "10", "-keyint_min", "10",
                                "-sc_threshold", "0", "-f", "flv", srv.rtmp_url("demo")],
                               "short-gop-pub").start()
            self.addCleanup(pub.stop)
            self.wait_room_status(ROOM)
            time.sleep(2.5)
            self.assertEqual(self.api.call("DELETE", "/api/v1/recordings/" + ROOM)[0], 200)
            files = h.wait_until(lambda: (lambda f: f if any(
                x.get("endReason") == "stopped by the API" for x in f) else None)(
                    self.recordings()["files"]), 20, 0.2, "the last file closed")
            paths = [f["path"] for f in files]
            self.assertGreaterEqual(len(files), 5, paths)
            self.assertEqual(len(set(paths)), len(paths), paths)
            self.assertTrue(any(p.endswith("-1.flv") for p in paths), paths)
            for f in files:
                self.assertEqual(os.path.getsize(f["path"]), f["bytes"], f["path"])

    def test_07_a_killed_recording_is_listed_interrupted_and_replays_after_a_restart(self):
        for fmt, ext in (("fmp4", ".mp4"), ("flv", ".flv")):
            with self.subTest(fmt):
                self.kill_restart_and_replay(fmt, ext)

    def kill_restart_and_replay(self, fmt, ext):
        rec_dir = h.make_tmpdir("roomcast-rec-%s-" % fmt)
        sets = {"room.key": rt.KEY, "room.app_id": rt.APP_ID, "record.streams": '["*"]',
                "record.dir": rec_dir, "record.format": fmt}
        srv = h.Server(sets=sets, name="roomcast-kill9-" + fmt).start()
        self.addCleanup(srv.kill)
        api = rc.Api(srv.http_port, rt.APP_ID, rt.KEY)
        pub = h.Publisher(srv.rtmp_url("demo"), loop=True, name="rec-pub-" + fmt).start()
        self.addCleanup(pub.stop)
        path = h.wait_until(lambda: next((os.path.join(r, n) for r, _, ns in os.walk(rec_dir)
                                          for n in ns if n.endswith(ext)), None),
                            15, 0.05, "the recording file")
        first = time.monotonic()
        time.sleep(5)
        open_now = api.ok("GET", "/api/v1/recordings", expect=(200,))["recording"]
        self.assertEqual(len(open_now), 1, open_now)
        written = open_now[0]["file"]["bytes"]
        self.assertGreater(written, 0, "an open recording after 5 s: %r" % open_now)
        self.assertLessEqual(written, os.path.getsize(path))
        srv.kill()  # SIGKILL: nothing is closed
        lived = time.monotonic() - first
        pub.stop()
        self.assertFalse(os.path.exists(path + ".json"), "a killed server wrote a description")

        srv = h.Server(sets=sets, name="roomcast-restarted-" + fmt).start()
        self.addCleanup(srv.kill)
        api = rc.Api(srv.http_port, rt.APP_ID, rt.KEY)
        files = h.wait_until(lambda: api.ok("GET", "/api/v1/recordings", expect=(200,))["files"],
                             10, 0.2, "the interrupted recording listed")
        self.assertEqual(len(files), 1, files)
        f = files[0]
        h.log("%s interrupted after %.2f s: %r" % (fmt, lived, f))
        self.assertEqual((f["path"], f["interrupted"], f["open"]), (path, True, False), f)
        self.assertIn("interrupted", f.get("endReason", ""), f)
        self.assertGreater(f["bytes"], 0, f)
        self.assertLessEqual(f["bytes"], os.path.getsize(path), f)
        # The file began at the cached GOP's keyframe (up to 2 s before it was created);
        # at most the open fragment (<= 2 s) is lost.
        self.assertGreaterEqual(f["durationMs"] / 1000, lived - 2.0 - 0.3, f)
        h.wait_until(lambda: os.path.exists(path + ".json") and
                     not os.path.exists(path + ".open.jsonl"), 5, 0.1,
                     "the description written and the journal removed")
        status, _, body = h.http_get(srv.http_url("/replay/%s.m3u8" % f["id"]))
        self.assertEqual(status, 200, body)
        duration, streams = probe(srv.http_url("/replay/%s.m3u8" % f["id"]))
        self.assertAlmostEqual(duration, f["durationMs"] / 1000, delta=0.5)
        self.assertIn("video", streams)
        srv.stop()

        # A second restart lists it from its description, still marked interrupted.
        srv = h.Server(sets=sets, name="roomcast-again-" + fmt).start()
        self.addCleanup(srv.kill)
        api = rc.Api(srv.http_port, rt.APP_ID, rt.KEY)
        again = h.wait_until(lambda: api.ok("GET", "/api/v1/recordings", expect=(200,))["files"],
                             10, 0.2, "the recording listed again")
        self.assertEqual([(x["id"], x["interrupted"], x["durationMs"]) for x in again],
                         [(f["id"], True, f["durationMs"])])
        srv.stop()

    def test_04_an_unwritable_path_stops_the_recording_not_the_stream(self):
        blocker = os.path.join(self.dir, "a-file")
        with open(blocker, "w") as fh:
            fh.write("not a directory")
        with self.serve(**{"record.streams": '["live/*"]', "record.dir": blocker + "/rec"}) as srv:
            pub = h.Publisher(srv.rtmp_url("demo"), loop=True, name="rec-pub").start()
            self.addCleanup(pub.stop)
            srv.wait_stream()
            viewer = h.FlvHttpReader(srv.http_port, "/live/demo.flv")
            viewer.start()
            self.addCleanup(viewer.stop)
            srv.wait_for_log(r"record live/demo: .*%s.*not a directory.*recording stopped "
                             r"\(the live stream goes on\)" % blocker, 15)
            files = self.wait_files(1)
            self.assertIn("not a directory", files[0].get("error", ""), files[0])
            self.assertEqual(self.recordings()["recording"], [])
            before = viewer.video_count()
            time.sleep(2)
            self.assertGreater(viewer.video_count() - before, 45, "the live stream went on")
            self.assertIsNone(viewer.error)


if __name__ == "__main__":
    h.main()
