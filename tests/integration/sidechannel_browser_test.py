#!/usr/bin/env python3
"""The player page and the sidechannel (issue 6 points 4-6) in headless Chromium:
a recording replayed through /replay/{id}.m3u8 by hls.js fires each danmaku's ID3
cue at its original stream time; live HTTP-FLV (mpegts.js script data) and HLS
(hls.js ID3 cues) pages fly the danmaku that ride inside the media."""

import json
import os
import shutil
import subprocess
import time
import urllib.parse

import harness as h
import room_fixture

ROOM = "live/demo"
SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser", "sidechannel.mjs")


def run_page(srv, query, messages, timeout=40, prefix=""):
    """Starts the driver on the player page; returns the Popen (JSON on stdout)."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not installed (scripts/packages.txt: nodejs)")
    args = [node, SCRIPT, "--page", srv.http_url("/?" + query), "--messages", str(messages),
            "--timeout", str(timeout)]
    if prefix:
        args += ["--prefix", prefix]
    h.log("start sidechannel.mjs: %s" % " ".join(args))
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def result_of(proc, timeout=90):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("sidechannel.mjs did not finish")
    lines = [l for l in out.decode("utf-8", "replace").splitlines() if l.startswith("{")]
    if not lines:
        raise AssertionError("sidechannel.mjs printed no result (rc %s): %s" % (
            proc.returncode, err.decode("utf-8", "replace")[-2000:]))
    r = json.loads(lines[-1])
    if proc.returncode == 2:
        raise AssertionError("browser harness problem: %r" % r.get("harness"))
    return r


class SidechannelBrowserTest(room_fixture.RoomServerTest):
    def server_sets(self):
        return {"web.root": os.path.join(h.SOURCE, "web")}

    def test_01_replay_fires_each_id3_cue_at_its_stream_time(self):
        self.replay_fires_each_cue_at_its_stream_time("fmp4")

    def test_03_flv_replay_remuxed_to_ts_fires_each_cue_at_its_stream_time(self):
        self.replay_fires_each_cue_at_its_stream_time("flv")

    def replay_fires_each_cue_at_its_stream_time(self, fmt):
        rec = h.make_tmpdir("roomcast-replay-")
        with self.serve(**{"record.streams": '["live/*"]', "record.dir": rec,
                           "record.format": fmt, "stream.reconnect_grace_ms": 300}) as srv:
            pub = h.Publisher(srv.rtmp_url("demo"), duration=9, name="replay-pub").start()
            self.addCleanup(pub.stop)
            self.wait_room_status(ROOM)
            alice = self.member("alice", ROOM)
            texts = []
            for i in range(4):
                time.sleep(1.3)
                texts.append("replayed %d" % i)
                self.assertEqual(alice.request("send", room=ROOM, type="text",
                                               body={"text": texts[-1]}).get("code"), 0)
            pub.wait(30)
            files = h.wait_until(lambda: self.api.ok("GET", "/api/v1/recordings")["files"], 20,
                                 0.2, "the recording closed")
            rid = files[0]["id"]
            self.assertEqual(files[0]["format"], fmt)
            # The room goes to replay: members are told which recording to load.
            self.api.ok("PATCH", "/api/v1/rooms/" + ROOM, {"status": 5, "replay": rid})
            ev = alice.wait_for(lambda e: e.get("event") == "status" and e.get("status") == 5, 5,
                                "status 5")
            self.assertEqual(ev["replay"]["url"], "/replay/%s.m3u8" % rid, ev)
            status, _, body = h.http_get(srv.http_url("/replay/%s/events.json" % rid))
            self.assertEqual(status, 200)
            logged = {l["event"]["body"]["text"]: l["t"] for l in json.loads(body)
                      if l["event"].get("event") == "message"}
            self.assertEqual(sorted(logged), texts)

            r = result_of(run_page(srv, "replay=%s&autoplay=1&muted=1" % rid, len(texts)))
            self.assertTrue(r["ok"], "the page got %d of %d: %r" % (
                len(r["final"]["log"]), len(texts), r["final"]))
            self.assertEqual(r["pageErrors"], [])
            shown = {l["event"]["body"]["text"]: l for l in r["final"]["log"]
                     if l["event"].get("event") == "message"}
            offsets = []
            for text in texts:
                entry = shown[text]
                self.assertEqual(entry["source"], "id3")
                # the ID3 sample is at the event's time on the recording's timeline,
                # and the page showed it when playback got there
                self.assertLessEqual(abs(entry["at"] * 1000 - logged[text]), 100, entry)
                offsets.append(round(entry["shownAt"] * 1000 - logged[text]))
            self.assertLessEqual(max(abs(o) for o in offsets), 100,
                                 "cuechange moment - stream time (ms): %s" % offsets)
            h.log("%s replay: each cue fired at its stream time %+s ms" % (fmt, offsets))
            media = [d for d in r["flown"] if d["source"] == "media"]
            self.assertEqual(sorted(d["text"] for d in media), texts, r["flown"])

            # The subtitle rendition says the same.
            status, _, vtt = h.http_get(srv.http_url("/replay/%s/subs/0.vtt" % rid))
            self.assertEqual(status, 200)
            self.assertTrue(vtt.startswith(b"WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000"),
                            vtt[:80])

    def test_02_live_pages_fly_the_danmaku_from_inside_the_media(self):
        with self.serve(**{"hls.segment_ms": 1000}) as srv:
            pub = h.Publisher(srv.rtmp_url("demo"), loop=True, name="live-pub").start()
            self.addCleanup(pub.stop)
            self.wait_room_status(ROOM)
            bob = self.member("bob", ROOM)
            for proto, source in (("flv", "flv"), ("hls", "id3"), ("llhls", "id3")):
                # (an HLS page starts segments behind live: it may show the FLV
                # round's danmaku too, so only this round's are counted)
                proc = run_page(srv, "stream=%s&proto=%s&autoplay=1&muted=1" % (
                    urllib.parse.quote(ROOM, safe=""), proto), 3, prefix=proto + " live")
                time.sleep(6)  # the page is playing
                texts = []
                for i in range(3):
                    texts.append("%s live %d" % (proto, i))
                    self.assertEqual(bob.request("send", room=ROOM, type="text",
                                                 body={"text": texts[-1]}).get("code"), 0)
                    time.sleep(0.7)
                r = result_of(proc)
                self.assertTrue(r["ok"], "%s: %r" % (proto, r["final"]))
                self.assertEqual(r["pageErrors"], [], proto)
                got = [l for l in r["final"]["log"] if l["event"].get("event") == "message" and
                       l["event"]["body"]["text"].startswith(proto + " live")]
                self.assertEqual([l["event"]["body"]["text"] for l in got], texts, proto)
                self.assertEqual({l["source"] for l in got}, {source}, proto)
                media = sorted(d["text"] for d in r["flown"]
                               if d["source"] == "media" and d["text"].startswith(proto + " live"))
                self.assertEqual(media, texts, "%s: %r" % (proto, r["flown"]))


if __name__ == "__main__":
    h.main()
