#!/usr/bin/env python3
"""The sidechannel (issue 6, S1): room events stamped with the stream clock and
carried inside the media, against the real server: ffmpeg pushes a live source,
members send danmaku over WebSocket at known moments, and the HTTP-FLV / RTMP
outputs are read back (a Python FLV reader for arrival times, a Python RTMP
client, ffprobe for what FFmpeg-based players open)."""

import datetime
import json
import random
import re
import signal
import struct
import subprocess
import threading
import time

import harness as h
import room_fixture
import rtmp_client as rc
from flv_http import amf0_values

ROOM = "live/demo"


def on_text_data(payload):
    """The event JSON of an onTextData script tag, or None for other script data."""
    try:
        values = amf0_values(payload)
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    if len(values) != 2 or values[0] != "onTextData" or not isinstance(values[1], dict):
        return None
    if values[1].get("type") != "Text" or not isinstance(values[1].get("text"), str):
        return None
    return json.loads(values[1]["text"])


def compact_event(event):
    """What the media carries of a room event: without room, time and priority,
    and its sender without the defaults (avatar "", level 0, role "member", a nick
    equal to the id)."""
    out = {k: v for k, v in event.items() if k not in ("room", "time", "priority")}
    sender = out.get("from")
    if isinstance(sender, dict):
        sender = dict(sender)
        if sender.get("avatar", None) == "":
            del sender["avatar"]
        level = sender.get("level")
        if isinstance(level, (int, float)) and not isinstance(level, bool) and level == 0:
            del sender["level"]
        if sender.get("role", None) == "member":
            del sender["role"]
        if "id" in sender and "nick" in sender and sender["nick"] == sender["id"]:
            del sender["nick"]
        out["from"] = sender
    return out


def hexdump_bytes(dump):
    """The bytes of ffprobe's -show_data hexdump ("00000000: 7b22 6576 ...  {"ev")."""
    out = bytearray()
    for line in dump.splitlines():
        if ":" not in line:
            continue
        hexpart = line.split(":", 1)[1][:40]
        out += bytes.fromhex(hexpart.replace(" ", ""))
    return bytes(out)


def id3_txxx(tag):
    """[(description, value)] of the TXXX frames of an ID3v2.4 tag."""
    def syncsafe(b):
        if any(x & 0x80 for x in b):
            raise ValueError("size not syncsafe: %r" % b)
        return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]
    if tag[:3] != b"ID3" or tag[3] != 4:
        raise ValueError("not an ID3v2.4 tag: %r" % tag[:10])
    end = 10 + syncsafe(tag[6:10])
    if end > len(tag):
        raise ValueError("tag size %d past the %d bytes" % (end, len(tag)))
    pos, out = 10, []
    while pos + 10 <= end:
        fid, size = tag[pos:pos + 4].decode("latin-1"), syncsafe(tag[pos + 4:pos + 8])
        body = tag[pos + 10:pos + 10 + size]
        if fid == "TXXX":
            if body[0] != 3:
                raise ValueError("TXXX encoding %d, expected 3 (UTF-8)" % body[0])
            desc, _, value = body[1:].partition(b"\x00")
            out.append((desc.decode("utf-8"), value.decode("utf-8")))
        pos += 10 + size
    return out


def ts_packets(data, select):
    """[(codec_type, pts_ms, dts_ms, data bytes)] of an MPEG-TS segment's packets."""
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".ts") as f:
        f.write(data)
        f.flush()
        r = h.ffprobe_json(["-show_packets", "-show_streams", "-show_data",
                            "-select_streams", select, f.name])
    out = []
    for p in r.get("packets", []):
        out.append((p.get("codec_type"), round(float(p["pts_time"]) * 1000),
                    round(float(p.get("dts_time", p["pts_time"])) * 1000),
                    hexdump_bytes(p.get("data", ""))))
    return r.get("streams", []), out


def ts_pes(data, pid):
    """[(stream_id, pts_90k, payload)] of the PES packets on `pid` of an MPEG-TS
    byte string (our own reader: ffprobe takes the first 5 payload bytes of a
    stream type 0x15 PES for a MISB metadata AU header and hides them)."""
    out, cur = [], None
    for off in range(0, len(data) - 187, 188):
        pkt = data[off:off + 188]
        if pkt[0] != 0x47 or (((pkt[1] & 0x1F) << 8) | pkt[2]) != pid:
            continue
        pos = 4
        if pkt[3] & 0x20:  # adaptation field
            pos += 1 + pkt[4]
        if not pkt[3] & 0x10:
            continue
        if pkt[1] & 0x40:  # payload_unit_start
            if cur:
                out.append(cur)
            cur = bytearray(pkt[pos:])
        elif cur is not None:
            cur += pkt[pos:]
    if cur:
        out.append(cur)
    result = []
    for pes in out:
        if pes[:3] != b"\x00\x00\x01":
            raise ValueError("no PES start code on PID 0x%x: %r" % (pid, bytes(pes[:8])))
        length = int.from_bytes(pes[4:6], "big")
        body_end = 6 + length if length else len(pes)
        header_len = pes[8]
        pts = None
        if pes[7] & 0x80:
            b = pes[9:14]
            pts = (((b[0] >> 1) & 7) << 30) | (b[1] << 22) | ((b[2] >> 1) << 15) | \
                (b[3] << 7) | (b[4] >> 1)
        result.append((pes[3], pts, bytes(pes[9 + header_len:body_end])))
    return result


def top_boxes(data):
    """[(type, body bytes)] of the top-level ISO BMFF boxes of `data`."""
    out, pos = [], 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8].decode("latin-1")
        if size < 8 or pos + size > len(data):
            raise ValueError("bad box %r size %d at %d" % (kind, size, pos))
        out.append((kind, data[pos + 8:pos + size]))
        pos += size
    return out


def parse_emsg_v1(body):
    """(timescale, presentation_time, duration, id, scheme, value, message_data)."""
    if body[0] != 1:
        raise ValueError("emsg version %d, expected 1" % body[0])
    ts, pt, dur, eid = struct.unpack(">IQII", body[4:24])
    rest = body[24:]
    scheme, _, rest = rest.partition(b"\x00")
    value, _, data = rest.partition(b"\x00")
    return ts, pt, dur, eid, scheme.decode(), value.decode(), data


def stream_time_at(media, t):
    """Where the stream was at monotonic time t, from (dts, arrival) of the media
    tags a reader got: the newest tag that had arrived, plus the time since."""
    before = [(dts, at) for (dts, at) in media if at <= t]
    if not before:
        return None
    dts, at = max(before, key=lambda x: x[1])
    return dts + (t - at) * 1000


class SidechannelTest(room_fixture.RoomServerTest):
    def server_sets(self):
        # Each tag reaches the reader as the server writes it: arrival times are
        # the server's clock for the test's expectation.
        return {"viewer.merge_write_ms": 0}

    def start_live(self, srv):
        pub = h.Publisher(srv.rtmp_url("demo"), loop=True, name="side-pub").start()
        self.addCleanup(pub.stop)
        self.wait_room_status(ROOM)
        return pub

    def test_01_flv_carries_danmaku_at_the_stream_time(self):
        with self.serve() as srv:
            self.start_live(srv)
            reader = h.FlvHttpReader(srv.http_port, "/live/demo.flv")
            reader.start()
            self.addCleanup(reader.stop)
            # Past the GOP burst: tags now arrive as they are ingested.
            h.wait_until(lambda: reader.video_count() > 90, 15, 0.1, "3 s of live video")
            alice = self.member("alice", ROOM)
            sent = []  # (text, monotonic moment of the send)
            rnd = random.Random(7)
            for i in range(8):
                time.sleep(rnd.uniform(0.15, 0.45))
                text = "danmaku %d" % i
                t = time.monotonic()
                r = alice.request("send", room=ROOM, type="text", body={"text": text})
                self.assertEqual(r.get("code"), 0, r)
                sent.append((text, t))
            time.sleep(0.8)
            self.assertIsNone(reader.error, reader.error)
            with reader.lock:
                scripts = list(reader.scripts)
                media = [(ts, at) for (tt, ts, _, seq, at) in reader.tags if tt in (8, 9) and not seq]
            carried = {}
            # onMetaData first, at 0; no room event (not even the room's status) in
            # the viewer's first 2 s of media, so that FFmpeg-based players (VLC)
            # open no text stream (docs/sidechannel.md).
            self.assertEqual(scripts[0][0], 0, scripts[:1])
            self.assertEqual(amf0_values(scripts[0][1])[0], "onMetaData")
            first_media = media[0][0]
            for ts, payload, _ in scripts:
                event = on_text_data(payload)
                if not event:
                    continue
                self.assertGreaterEqual(ts, first_media + 2000, event)
                if event.get("event") == "message":
                    # The tag's timestamp and the stamp inside the JSON are one time.
                    self.assertEqual(event.get("streamTime"), ts, event)
                    carried[event["body"]["text"]] = (ts, event)
            ws = {e["body"]["text"]: e for e in alice.messages(ROOM)}
            offsets = []
            for text, t in sent:
                self.assertIn(text, carried, "not in the FLV: %r (got %r)" % (text, list(carried)))
                ts, event = carried[text]
                self.assertEqual(ws[text].get("streamTime"), ts, "the WebSocket copy: %r" % ws[text])
                # The media's copy is the WebSocket's, compacted.
                self.assertEqual(event, compact_event(ws[text]))
                expected = stream_time_at(media, t)
                self.assertIsNotNone(expected, "no media before the send")
                offsets.append(round(ts - expected))
            self.assertLessEqual(max(abs(o) for o in offsets), 50,
                                 "stream time - send moment (ms), +-50 allowed: %s" % offsets)
            h.log("8 danmaku: stream time - send moment: %s ms" % offsets)

    def test_02_rtmp_carries_the_events_and_ffmpeg_opens_no_text_stream(self):
        """Danmaku flow from before the players open: RTMP carries them as onTextData
        data messages at their stream time, from the player's third second of media;
        FFmpeg opens RTMP and HTTP-FLV with video and audio only (VLC reads FLV with
        FFmpeg and would hold its clock on a text stream)."""
        with self.serve() as srv:
            self.start_live(srv)
            bob = self.member("bob", ROOM)
            texts, replies = [], []
            stop = threading.Event()

            def chat():
                while not stop.is_set():
                    texts.append("danmaku %d" % len(texts))
                    replies.append(bob.request("send", room=ROOM, type="text",
                                               body={"text": texts[-1]}))
                    stop.wait(0.3)
            chatter = threading.Thread(target=chat, daemon=True)
            chatter.start()
            self.addCleanup(chatter.join, 5)
            self.addCleanup(stop.set)
            probes = [subprocess.Popen(
                ["ffprobe", "-v", "error", "-of", "json", "-show_streams", url],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
                for url in (srv.http_url("/live/demo.flv"), srv.rtmp_url("demo"))]
            for p in probes:
                self.addCleanup(lambda p=p: p.poll() is None and p.kill())
            media, events, meta = [], [], []
            with rc.RtmpClient("127.0.0.1", srv.rtmp_port) as c:
                sid = c.setup()
                c.play("demo", sid)
                end = time.monotonic() + 5
                while time.monotonic() < end:
                    m = c.read_message()
                    if m.type in (8, 9) and m.payload[1:2] != b"\x00":  # not a header
                        media.append(m.timestamp)
                    elif m.type == 18:
                        vals = m.values()
                        if vals and vals[0] == "onMetaData":
                            meta.append(m.timestamp)
                        event = on_text_data(m.payload)
                        if event:
                            events.append((m.timestamp, event))
            stop.set()
            chatter.join(5)
            self.assertTrue(all(r.get("code") == 0 for r in replies), replies)
            for p, name in zip(probes, ("flv", "rtmp")):
                out, err = p.communicate(timeout=20)
                self.assertEqual(p.returncode, 0, err[-500:])
                # (over RTMP also a data stream: libavformat's rtmp hands over the
                # onStatus data message, a stream VLC has no use for)
                kinds = sorted(st["codec_type"] for st in json.loads(out)["streams"])
                self.assertTrue({"audio", "video"} <= set(kinds), "ffprobe %s: %s" % (name, kinds))
                self.assertNotIn("subtitle", kinds, "ffprobe %s opened a text stream" % name)
            self.assertEqual(meta, [0], "onMetaData goes at timestamp 0")
            self.assertTrue(media, "no media over RTMP")
            got = []
            for ts, event in events:
                self.assertGreaterEqual(ts, media[0] + 2000, event)
                self.assertEqual(event.get("streamTime"), ts, event)
                if event.get("event") == "message":
                    got.append(event["body"]["text"])
            # In order, none twice, and the ones sent past the hold-off all there.
            self.assertGreaterEqual(len(got), 5, got)
            self.assertEqual(got, texts[texts.index(got[0]):texts.index(got[0]) + len(got)])
            ws = {e["body"]["text"]: e for e in bob.messages(ROOM)}
            for ts, event in events:
                if event.get("event") == "message":
                    self.assertEqual(ts, ws[event["body"]["text"]]["streamTime"])

    def test_03_carried_kinds_follow_the_config_and_flv_can_be_off(self):
        with self.serve(**{"sidechannel.events": '["info"]'}) as srv:
            self.start_live(srv)
            reader = h.FlvHttpReader(srv.http_port, "/live/demo.flv")
            reader.start()
            self.addCleanup(reader.stop)
            # Past the viewer's first 2 s of media, when events start to ride.
            h.wait_until(lambda: reader.video_count() > 80, 15, 0.1, "live video")
            carol = self.member("carol", ROOM)
            r = carol.request("send", room=ROOM, type="text", body={"text": "not carried"})
            self.assertEqual(r.get("code"), 0, r)
            self.api.call("PATCH", "/api/v1/rooms/" + ROOM, {"announcement": "carried"})
            info = carol.wait_for(lambda e: e.get("event") == "info", 5, "info event")
            self.assertIn("streamTime", info, "a live room's events carry the stream time")

            def carried():
                with reader.lock:
                    return [on_text_data(p) for _, p, _ in reader.scripts]
            h.wait_until(lambda: any(e and e.get("event") == "info" for e in carried()), 5, 0.1,
                         "the info event in the FLV")
            self.assertFalse([e for e in carried() if e and e.get("event") in ("message", "status")],
                             carried())
        with self.serve(**{"sidechannel.flv": False}) as srv:
            self.start_live(srv)
            reader = h.FlvHttpReader(srv.http_port, "/live/demo.flv")
            reader.start()
            self.addCleanup(reader.stop)
            h.wait_until(lambda: reader.video_count() > 30, 15, 0.1, "live video")
            dave = self.member("dave", ROOM)
            r = dave.request("send", room=ROOM, type="text", body={"text": "only on the WebSocket"})
            self.assertEqual(r.get("code"), 0, r)
            msg = dave.wait_for(lambda e: e.get("event") == "message", 5, "own message")
            self.assertIn("streamTime", msg)
            time.sleep(0.5)
            with reader.lock:
                texts = [on_text_data(p) for _, p, _ in reader.scripts]
            self.assertFalse([e for e in texts if e], texts)

    def test_05_hls_segments_carry_timed_id3_at_the_stream_time(self):
        with self.serve(**{"hls.segment_ms": 1000}) as srv:
            self.start_live(srv)
            reader = h.FlvHttpReader(srv.http_port, "/live/demo.flv")  # the stream's own dts
            reader.start()
            self.addCleanup(reader.stop)
            h.wait_until(lambda: reader.video_count() > 60, 15, 0.1, "live video")
            frank = self.member("frank", ROOM)
            texts = []
            for i in range(4):
                texts.append("hls %d" % i)
                r = frank.request("send", room=ROOM, type="text", body={"text": texts[-1]})
                self.assertEqual(r.get("code"), 0, r)
                time.sleep(0.4)  # > id3_merge_ms: each in its own tag
            # A status change: also an EXT-X-DATERANGE on the program date timeline.
            patched_at = time.time()
            self.api.call("PATCH", "/api/v1/rooms/" + ROOM, {"status": 3})
            paused = frank.wait_for(lambda e: e.get("event") == "status" and e.get("status") == 3,
                                    5, "status 3")
            time.sleep(3)  # two more segments cut
            ws = {e["body"]["text"]: e for e in frank.messages(ROOM)}
            status, _, body = h.http_get(srv.http_url("/live/demo.m3u8"))
            self.assertEqual(status, 200)
            lines = body.decode().splitlines()
            uris = [l for l in lines if l and not l.startswith("#")]
            ranges = [l for l in lines if l.startswith("#EXT-X-DATERANGE:")]
            mine = [l for l in ranges if 'ID="status-%d"' % paused["seq"] in l]
            self.assertEqual(len(mine), 1, ranges)
            self.assertIn('CLASS="com.roomcast.status"', mine[0])
            self.assertIn("X-STATUS=3", mine[0])
            # START-DATE maps the status's stream time onto the segments' program
            # dates (wall clock at ingest): it is when the change was made.
            start = re.search(r'START-DATE="([^"]+)"', mine[0]).group(1)
            start_s = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            self.assertLess(abs(start_s - patched_at), 0.3, (start, patched_at))
            found, video_dts, offsets = {}, [], set()
            for uri in uris:
                status, _, seg = h.http_get(srv.http_url("/live/" + uri), limit=1 << 24)
                self.assertEqual(status, 200, uri)
                streams, packets = ts_packets(seg, "d")
                id3 = [x for x in streams if x.get("codec_name") == "timed_id3"]
                self.assertEqual(len(id3), 1, "%s: no timed_id3 stream: %r" % (uri, streams))
                self.assertEqual(id3[0].get("codec_tag_string"), "ID3 ")
                pes = ts_pes(seg, int(id3[0]["id"], 16))
                # ffprobe's PTS and ours agree; the payload is a whole ID3 tag in a
                # private_stream_1 PES (Apple's timed metadata).
                self.assertEqual([p for _, p, _, _ in packets],
                                 [round(pts / 90) for _, pts, _ in pes], uri)
                for stream_id, pts, tag in pes:
                    self.assertEqual(stream_id, 0xBD)
                    for desc, value in id3_txxx(tag):
                        self.assertEqual(desc, "roomcast")
                        event = json.loads(value)
                        if event.get("event") == "message":
                            found[event["body"]["text"]] = (round(pts / 90), event)
                _, video = ts_packets(seg, "v")
                video_dts += [d for _, _, d, _ in video]
            with reader.lock:
                flv_video = {ts for (tt, ts, _, seq, _) in reader.tags if tt == 9 and not seq}
            # The muxer's constant offset between the stream's dts and TS time,
            # found from the video frames both carry.
            candidates = {d - v for d in video_dts[:5] for v in flv_video}
            offset = max(candidates, key=lambda c: sum((d - c) in flv_video for d in video_dts))
            matched = sum((d - offset) in flv_video for d in video_dts)
            self.assertGreater(matched, 0.9 * len(video_dts), "TS video vs FLV video")
            for text in texts:
                self.assertIn(text, found, "%s not in any segment: %r" % (text, list(found)))
                pts, event = found[text]
                self.assertEqual(event["msgId"], ws[text]["msgId"])
                # rounding of 90 kHz to ms: +-1
                self.assertLessEqual(abs(pts - offset - ws[text]["streamTime"]), 1,
                                     "%s: ID3 PTS %d - offset %d vs streamTime %d" % (
                                         text, pts, offset, ws[text]["streamTime"]))

    def test_06_llhls_parts_carry_emsg_id3(self):
        with self.serve() as srv:
            self.start_live(srv)
            h.wait_until(lambda: h.http_get(srv.http_url("/live/demo/ll.m3u8"))[0] == 200, 15, 0.3,
                         "the LL-HLS playlist")
            gina = self.member("gina", ROOM)
            texts = []
            for i in range(3):
                texts.append("ll %d" % i)
                r = gina.request("send", room=ROOM, type="text", body={"text": texts[-1]})
                self.assertEqual(r.get("code"), 0, r)
                time.sleep(0.3)
            time.sleep(1.0)  # the parts holding them are cut
            ws = {e["body"]["text"]: e for e in gina.messages(ROOM)}
            status, _, body = h.http_get(srv.http_url("/live/demo/ll.m3u8"))
            parts = re.findall(r'#EXT-X-PART:DURATION=([0-9.]+)[^\n]*URI="([^"]+)"',
                               body.decode())
            self.assertTrue(parts, body[:500])
            found, ids = {}, set()
            for duration, uri in parts:
                status, _, data = h.http_get(srv.http_url("/live/demo/" + uri), limit=1 << 24)
                self.assertEqual(status, 200, uri)
                boxes = top_boxes(data)
                kinds = [k for k, _ in boxes]
                first_moof = kinds.index("moof")
                # emsg boxes come before the moof of their part, nowhere else
                self.assertNotIn("emsg", kinds[first_moof:], "%s: %r" % (uri, kinds))
                # the part's start: the video track's tfdt (90 kHz)
                traf = [b for k, b in top_boxes(boxes[first_moof][1]) if k == "traf"][0]
                track_id = struct.unpack(">I", dict(top_boxes(traf))["tfhd"][4:8])[0]
                self.assertEqual(track_id, 1, "%s: the video track's traf first" % uri)
                tfdt = dict(top_boxes(traf))["tfdt"]
                start = (struct.unpack(">Q", tfdt[4:12])[0] if tfdt[0] == 1 else
                         struct.unpack(">I", tfdt[4:8])[0]) / 90
                end = start + float(duration) * 1000
                for kind, b in boxes[:first_moof]:
                    self.assertEqual(kind, "emsg", uri)
                    ts, pt, dur, eid, scheme, value, tag = parse_emsg_v1(b)
                    self.assertEqual((ts, scheme), (1000, "https://aomedia.org/emsg/ID3"))
                    self.assertNotIn(eid, ids, "emsg ids are unique")
                    ids.add(eid)
                    for desc, text in id3_txxx(tag):
                        event = json.loads(text)
                        # a tag holds the events of id3_merge_ms (250) from its first
                        self.assertTrue(pt <= event.get("streamTime") < pt + 250, (pt, event))
                        # in the part that covers its time
                        self.assertTrue(start - 1 <= pt <= end, "%s [%.0f, %.0f]: %r" % (
                            uri, start, end, event))
                        if event.get("event") == "message":
                            found[event["body"]["text"]] = (uri, pt)
            for text in texts:
                self.assertIn(text, found, "%s not in any part: %r" % (text, found))
                self.assertEqual(found[text][1], ws[text]["streamTime"])  # each its own tag

    def test_07_sei_option_puts_the_events_in_the_video_frames(self):
        uuid = bytes.fromhex("6f1c2a9e4b7d4e3a9c852d0b7f4a13e6")
        with self.serve(**{"sidechannel.sei": True}) as srv:
            self.start_live(srv)
            reader = h.FlvHttpReader(srv.http_port, "/live/demo.flv", keep_video=True)
            reader.start()
            self.addCleanup(reader.stop)
            viewer = h.Viewer(srv.http_url("/live/demo.flv"), duration=4, name="sei-decoder").start()
            self.addCleanup(viewer.stop)
            h.wait_until(lambda: reader.video_count() > 30, 15, 0.1, "live video")
            hana = self.member("hana", ROOM)
            texts = ["sei %d" % i for i in range(3)]
            for text in texts:
                self.assertEqual(hana.request("send", room=ROOM, type="text",
                                              body={"text": text}).get("code"), 0)
                time.sleep(0.4)
            time.sleep(0.5)
            ws = {e["body"]["text"]: e for e in hana.messages(ROOM)}
            found = {}
            with reader.lock:
                videos = list(reader.videos)
            for ts, body in videos:
                nals, pos = body[5:], 0  # after the AVC video tag header
                while pos + 4 <= len(nals):
                    n = int.from_bytes(nals[pos:pos + 4], "big")
                    nal = nals[pos + 4:pos + 4 + n]
                    pos += 4 + n
                    if not nal or nal[0] & 0x1F != 6:
                        continue
                    rbsp = nal[1:].replace(b"\x00\x00\x03", b"\x00\x00")
                    if rbsp[0] != 5:  # user_data_unregistered
                        continue
                    size, i = 0, 1
                    while rbsp[i] == 0xFF:
                        size, i = size + 255, i + 1
                    size, i = size + rbsp[i], i + 1
                    if rbsp[i:i + 16] != uuid:
                        continue
                    event = json.loads(rbsp[i + 16:i + size].decode("utf-8"))
                    if event.get("event") == "message":
                        found[event["body"]["text"]] = (ts, event)
            for text in texts:
                self.assertIn(text, found, "no SEI with %r: %r" % (text, list(found)))
                ts, event = found[text]
                self.assertEqual(event["msgId"], ws[text]["msgId"])
                # the next video frame after the event
                self.assertLessEqual(abs(ts - ws[text]["streamTime"]), 200, (ts, event))
            # FFmpeg decodes the stream with the SEI in it without a complaint.
            viewer.wait(30)
            self.assertEqual(viewer.error_lines(), [], "decoder errors with SEI")
            self.assertGreater(viewer.frames(), 60)

    def test_04_no_stream_time_without_a_live_stream(self):
        with self.serve() as srv:
            self.api.create_room("quiet", owner="erin")
            erin = self.member("erin", "quiet")
            r = erin.request("send", room="quiet", type="text", body={"text": "hello"})
            self.assertEqual(r.get("code"), 0, r)
            msg = erin.wait_for(lambda e: e.get("event") == "message", 5, "own message")
            self.assertNotIn("streamTime", msg)


if __name__ == "__main__":
    h.main()
