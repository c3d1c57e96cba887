# The player page in headless Debian Chromium (playwright-core from web/node_modules,
# driven by browser/play.mjs): static files and caching, the stream list, HTTP-FLV,
# HLS and LL-HLS playback with the video clock advancing and frames decoded, and a
# missing player library reported on the page. Owner: integration tests. ~60 s.
import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import zlib

import harness as h

KEY = "live/demo"
WEB_ROOT = os.path.join(h.SOURCE, "web")
PLAY_SCRIPT = os.path.join(h.HERE, "browser", "play.mjs")
CHROMIUM = "/usr/bin/chromium"
MIN_ADVANCE_S = 3
CHAT_SCRIPT = os.path.join(h.HERE, "browser", "chat.mjs")
ROOM_APP_ID = 1400000001
ROOM_KEY = "roomcast-browser-chat-test-key-0123456789abcdef"
STATUS_WORDS = {1: "waiting", 2: "live", 3: "paused", 4: "ended", 5: "replay"}


def run_page(srv, query, expect="playing", stream=KEY, timeout=45, web_root=WEB_ROOT, extra=()):
    """Run play.mjs on /?query (extra: more play.mjs options); returns its JSON result."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not installed (scripts/packages.txt: nodejs)")
    args = [node, PLAY_SCRIPT, "--page", srv.http_url("/?" + query), "--expect", expect,
            "--seconds", str(MIN_ADVANCE_S), "--timeout", str(timeout), "--web-root", web_root,
            "--chromium", CHROMIUM]
    if stream:
        args += ["--stream", stream]
    args += list(extra)
    h.log("browser: " + " ".join(args))
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout + 45)
    except subprocess.TimeoutExpired:
        raise AssertionError("play.mjs did not finish within %ss" % (timeout + 45))
    out = r.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        result = json.loads(out[-1])
    except (IndexError, ValueError):
        raise AssertionError("play.mjs printed no JSON (exit %d):\n%s\n%s" % (
            r.returncode, r.stdout.decode()[-2000:], r.stderr.decode()[-3000:]))
    h.log("browser result: " + json.dumps({k: result.get(k) for k in (
        "ok", "reason", "startupMs", "advancedS", "framesDecoded", "wallS")}))
    if result.get("end"):
        e = result["end"]
        h.log("page shows: state=%s status=%r latency=%s (%s) buffer=%sms frames=%s dropped=%s" % (
            e["state"], e["status"], e["latencyText"], e["latencyKind"], e["bufferMs"],
            e["totalVideoFrames"], e["droppedVideoFrames"]))
    return result


def usersig(user, app_id=ROOM_APP_ID, key=ROOM_KEY, expire=86400):
    """A TLSSigAPIv2 UserSig, computed here from the documented algorithm
    (docs/room-protocol.md, /work/shared/reference/chat-room.md)."""
    now = int(time.time())
    content = "TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n" % (
        user, app_id, now, expire)
    sig = base64.b64encode(hmac.new(key.encode(), content.encode(), hashlib.sha256).digest())
    doc = {"TLS.ver": "2.0", "TLS.identifier": user, "TLS.sdkappid": app_id, "TLS.time": now,
           "TLS.expire": expire, "TLS.sig": sig.decode()}
    packed = base64.b64encode(zlib.compress(json.dumps(doc).encode())).decode()
    return packed.replace("+", "*").replace("/", "-").replace("=", "_")


def http_json(method, url, body=None):
    """(status, parsed JSON or raw text) of one HTTP call with a JSON body."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def run_chat(srv, timeout=15):
    """Run chat.mjs against srv (room live/demo must exist); returns its JSON result."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not installed (scripts/packages.txt: nodejs)")
    args = [node, CHAT_SCRIPT, "--base", srv.http_url(""), "--room", KEY,
            "--alice-sig", usersig("alice"), "--bob-sig", usersig("bob"),
            "--admin-sig", usersig("administrator"), "--timeout", str(timeout),
            "--web-root", WEB_ROOT, "--chromium", CHROMIUM]
    h.log("browser: chat.mjs --base %s" % srv.http_url(""))
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=300)
    except subprocess.TimeoutExpired:
        raise AssertionError("chat.mjs did not finish within 300 s")
    out = r.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        return json.loads(out[-1])
    except (IndexError, ValueError):
        raise AssertionError("chat.mjs printed no JSON (exit %d):\n%s\n%s" % (
            r.returncode, r.stdout.decode()[-2000:], r.stderr.decode()[-3000:]))


ADMIN_SCRIPT = os.path.join(h.HERE, "browser", "admin.mjs")


def run_admin(srv, admin, timeout=15):
    """Run admin.mjs against srv as `admin` and bob (room live/demo must exist);
    returns its JSON result."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not installed (scripts/packages.txt: nodejs)")
    args = [node, ADMIN_SCRIPT, "--base", srv.http_url(""), "--room", KEY, "--admin", admin,
            "--admin-sig", usersig(admin), "--bob-sig", usersig("bob"),
            "--timeout", str(timeout), "--web-root", WEB_ROOT, "--chromium", CHROMIUM]
    h.log("browser: admin.mjs --base %s" % srv.http_url(""))
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=300)
    except subprocess.TimeoutExpired:
        raise AssertionError("admin.mjs did not finish within 300 s")
    out = r.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        return json.loads(out[-1])
    except (IndexError, ValueError):
        raise AssertionError("admin.mjs printed no JSON (exit %d):\n%s\n%s" % (
            r.returncode, r.stdout.decode()[-2000:], r.stderr.decode()[-3000:]))


class BrowserTest(h.IntegrationTest):
    srv = pub = None

    @classmethod
    def setUpClass(cls):
        for need in (CHROMIUM, os.path.join(WEB_ROOT, "node_modules", "playwright-core")):
            if not os.path.exists(need):
                raise AssertionError("%s is missing: run scripts/test (installs chromium and "
                                     "npm packages)" % need)
        cls.srv = h.Server(sets={"web.root": WEB_ROOT}, name="roomcast-browser").start()
        try:
            cls.pub = h.Publisher(cls.srv.rtmp_url(), loop=True).start()
            cls.srv.wait_stream()
        except Exception:
            cls.srv.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.pub:
            cls.pub.kill()
        if cls.srv:
            cls.srv.stop()

    def assertPlayed(self, result, proto):
        where = "%s: %s" % (proto, result.get("reason"))
        mse = result.get("mse") or {}
        self.assertTrue(mse.get("h264aac"),
                        "Chromium (%s) has no H.264/AAC in MSE: %r" % (result.get("browser"), mse))
        self.assertTrue(result.get("streamListed"), "%s not in the page's stream list: %r" % (
            KEY, (result.get("last") or {}).get("streams")))
        self.assertTrue(result.get("ok"), where + "\nlast: %r\nconsole: %r" % (
            result.get("last"), result.get("console")[-10:]))
        self.assertEqual(result.get("pageErrors"), [], where)
        self.assertGreaterEqual(result["advancedS"], MIN_ADVANCE_S, where)
        # 30 fps source. Live catch-up (a seek or a faster rate) can move currentTime
        # faster than the wall clock, so frames are counted against wall time: at
        # least half the source rate while playing, and a second's worth in all.
        self.assertGreaterEqual(result["framesDecoded"], max(30, int(result["wallS"] * 15)), where)
        end = result["end"]
        self.assertEqual((end["videoWidth"], end["videoHeight"]), (1280, 720), where)
        self.assertEqual(end["state"], "playing", where)
        self.assertGreater(end["pageFrames"], 0, "#frames not updated")
        # Software decoding on a busy machine drops some frames; a broken stream drops most.
        self.assertLessEqual(end["droppedVideoFrames"], end["totalVideoFrames"] // 2, where)
        self.assertIsNotNone(end["latencyMs"], "#latency shows nothing: %r" % end)
        return end

    def skipUnlessServed(self, path):
        """Skip when the server answers 404 for path (HLS not there yet)."""
        last = {}

        def answered():
            last["status"], _ = h.http_status(self.srv.http_port, path)
            return last["status"] != 404
        try:
            h.wait_until(answered, 8, 0.5, "%s to answer non-404" % path)
        except AssertionError:
            self.skipTest("GET %s answers 404: HLS/LL-HLS is not served by this build yet" % path)

    def test_static_files(self):
        status, headers, body = h.http_get(self.srv.http_url("/"))
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"), headers)
        self.assertIn(b'src="/app.js"', body)
        etag = headers.get("etag")
        self.assertTrue(etag and etag.startswith('"'), headers)
        status, headers, body = h.http_get(self.srv.http_url("/"), headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        for path, size in (("/app.js", 1000), ("/style.css", 500),
                           ("/vendor/hls.min.js", 100000), ("/vendor/mpegts.js", 100000)):
            status, headers, body = h.http_get(self.srv.http_url(path), limit=8 << 20)
            self.assertEqual(status, 200, path)
            self.assertGreater(len(body), size, path)
            self.assertEqual(int(headers["content-length"]), len(body), path)
            self.assertRegex(headers["content-type"], r"^text/(javascript|css)", path)
            self.assertIn("cache-control", headers, path)
        status, _, body = h.http_get(self.srv.http_url("/vendor/nope.js"))
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body).get("error"), "no such resource: /vendor/nope.js")

    def test_flv_plays(self):
        end = self.assertPlayed(run_page(self.srv, "stream=live/demo&proto=flv&autoplay=1&muted=1"),
                                "flv")
        self.assertIn("buffer", end["latencyKind"])
        self.assertTrue(0 <= end["latencyMs"] < 10000, end)

    def test_hls_plays(self):
        self.skipUnlessServed("/live/demo.m3u8")
        end = self.assertPlayed(run_page(self.srv, "stream=live/demo&proto=hls&autoplay=1&muted=1"),
                                "hls")
        self.assertTrue(0 < end["latencyMs"] < 30000, end)

    def test_llhls_plays(self):
        self.skipUnlessServed("/live/demo/ll.m3u8")
        end = self.assertPlayed(
            run_page(self.srv, "stream=live/demo&proto=llhls&autoplay=1&muted=1"), "llhls")
        self.assertTrue(0 < end["latencyMs"] < 30000, end)

    def test_missing_player_library_is_reported(self):
        root = h.make_tmpdir("roomcast-web-")
        for f in ("index.html", "app.js", "style.css"):
            shutil.copy(os.path.join(WEB_ROOT, f), root)
        with h.Server(sets={"web.root": root}, name="roomcast-nolib") as srv:
            srv.wait_for_log(["web: player library", "mpegts.js", "missing"])
            status, _, body = h.http_get(srv.http_url("/vendor/mpegts.js"))
            self.assertEqual(status, 404)
            self.assertIn(b"player library missing", body)
            result = run_page(srv, "stream=live/demo&proto=flv&autoplay=1&muted=1",
                              expect="error", stream=None, timeout=20, web_root=WEB_ROOT)
            self.assertTrue(result.get("ok"), result.get("reason"))
            self.assertIn("player library missing: mpegts.js", result["last"]["status"])

    def test_chat_panel(self):
        """The chat panel (web/chat.js) against the real room: login from the URL,
        status words, announcement and online count, sending from the page, danmaku
        over the video, messages from another page and the HTTP API, status changes,
        a guest (history, cannot send, error replies), reconnect without duplicates,
        and the danmaku cap. No stream needs to play."""
        sets = {"web.root": WEB_ROOT, "room.app_id": ROOM_APP_ID,
                "room.key": '"%s"' % ROOM_KEY, "room.history": 20, "room.guests": True}
        with h.Server(sets=sets, name="roomcast-chat") as srv:
            status, _, body = h.http_get(srv.http_url("/chat.js"))
            self.assertEqual(status, 200, "GET /chat.js: the page's chat module is not served "
                             "(protocols/http/static_files.cpp lists the page's files): %r" % body[:200])
            admin = "identifier=administrator&usersig=" + usersig("administrator")
            status, room = http_json("POST", srv.http_url("/api/v1/rooms?" + admin),
                                     {"id": KEY, "status": 1, "announcement": "hello"})
            self.assertEqual(status, 201, "POST /api/v1/rooms: %r" % (room,))
            r = run_chat(srv)
            self.assertChatShown(r)
            status, counters = http_json("GET", srv.http_url(
                "/api/v1/rooms/live/demo/counters?" + admin))
            h.log("room counters after the chat test: %r" % (counters,))

    def assertChatShown(self, r):
        self.assertNotIn("reason", r, r.get("reason"))
        self.assertEqual(r.get("pageErrors"), [], r.get("pageErrors"))

        def step(name, **expect):
            s = r.get(name) or {}
            got = {k: s.get(k) for k in expect}
            self.assertEqual(got, expect, "%s: page shows %r\nconsole: %r" % (
                name, {k: v for k, v in s.items() if k != "danmaku"}, r.get("console", [])[-8:]))
            return s

        def texts(s):
            return [m["text"] for m in s.get("messages", [])]

        # Logged in from ?user=&usersig=, joined live/demo: status 1 as words, announcement, count.
        a = step("aliceJoined", met=True, state="joined", role="member", statusWord="waiting",
                 status="1", announcement="hello", error=None, inputDisabled=False)
        self.assertGreaterEqual(a["online"], 1)
        step("bobJoined", met=True, state="joined", role="member")
        step("aliceOnline2", met=True, online=2)

        # Alice's own message: in her list (once) and flying over the video.
        s = step("aliceSent", met=True, inputValue="")
        mine = [m for m in s["messages"] if m["text"] == "hello from alice"]
        self.assertEqual(len(mine), 1, texts(s))
        self.assertEqual((mine[0]["from"], mine[0]["nick"], mine[0]["type"], mine[0]["system"]),
                         ("alice", "alice", "text", False))
        self.assertRegex(mine[0]["msgId"], r"^m.+-\d+$")
        fly = [d for d in s["danmaku"] if d["text"] == "hello from alice"]
        self.assertEqual(len(fly), 1, s["danmaku"])
        self.assertEqual(fly[0]["animation"], "danmaku-fly")
        self.assertTrue(fly[0]["overVideo"], fly)
        track = r["aliceDanmakuTrack"]
        self.assertIsNotNone(track["x0"], "the danmaku left before it was tracked")
        self.assertTrue(track["x1"] is None or track["x1"] < track["x0"] - 5,
                        "the danmaku does not move left: %r" % track)
        step("bobGotAlice", met=True)

        # Bob's message with HTML in it shows as text, with no element made of it.
        s = step("aliceGotBob", met=True)
        bob = [m for m in s["messages"] if m["from"] == "bob"]
        self.assertEqual([m["text"] for m in bob], ["hi <b>bold</b> & <img src=x onerror=alert(1)>"])
        self.assertEqual(bob[0]["elements"], 2, "user HTML was parsed into elements")

        # A system message from the HTTP API, styled apart.
        self.assertEqual(r["apiMessage"]["status"], 200, r["apiMessage"])
        s = step("aliceGotSystem", met=True)
        system = [m for m in s["messages"] if m["text"] == "system notice from the API"]
        self.assertEqual(len(system), 1, texts(s))
        self.assertEqual((system[0]["type"], system[0]["system"], system[0]["from"]),
                         ("system", True, "administrator"))

        # Status and announcement changed over the API arrive as events.
        self.assertEqual(r["apiLive"]["status"], 200, r["apiLive"])
        step("aliceLive", met=True, statusWord="live", status="2")
        self.assertEqual(r["apiPaused"]["status"], 200, r["apiPaused"])
        step("alicePaused", met=True, statusWord="paused", status="3", announcement="back in five")

        # A guest joining later: the history (room.history = 20), no sending, a note why.
        g = step("guestJoined", met=True, role="guest", statusWord="paused",
                 announcement="back in five", inputDisabled=True, sendDisabled=True)
        self.assertIn("Guests", g["note"])
        history = texts(g)
        self.assertIn("hello from alice", history)
        self.assertIn("hi <b>bold</b> & <img src=x onerror=alert(1)>", history)
        self.assertLess(history.index("hello from alice"), history.index(
            "hi <b>bold</b> & <img src=x onerror=alert(1)>"), history)
        self.assertEqual(g["danmaku"], [], "history must not fly")
        g = step("guestNoRoom", met=True)
        self.assertEqual(g["error"]["code"], 10010, g["error"])
        self.assertIn("10010", g["error"]["text"])
        self.assertIn("live/nope", g["error"]["text"])
        step("guestBack", met=True, state="joined", error=None, statusWord="paused")

        # The server closes alice's socket (frame over 12 KiB: 1009); she reconnects,
        # logs in and joins again, and the history replayed on join is not shown twice.
        self.assertEqual(r["aliceKicked"]["code"], 1009, "close code %r: 1006 means the server "
                         "dropped the TCP connection (e.g. a reset with unread input) instead of a "
                         "close frame 1009" % r["aliceKicked"])
        self.assertEqual(r["aliceReconnecting"]["state"], "reconnecting", r["aliceReconnecting"])
        self.assertTrue(r["aliceReconnecting"]["inputDisabled"])
        s = step("aliceRejoined", met=True, state="joined", role="member", statusWord="paused")
        self.assertEqual(len(s["messages"]), r["aliceMessagesBefore"], texts(s))
        step("bobGotAfter", met=True)
        s = step("aliceAfter", met=True)
        ids = [m["msgId"] for m in s["messages"]]
        self.assertEqual(len(ids), len(set(ids)), "duplicate msgIds shown: %r" % ids)
        self.assertEqual(texts(s).count("alice is back"), 1, texts(s))

        # A flood of 200 danmaku: at most 30 in flight, the rest counted as dropped,
        # and all of them gone after their animation.
        flood = r["floodSnap"]
        self.assertLessEqual(flood["flying"], 30, flood["flying"])
        self.assertEqual(len(flood["danmaku"]), flood["flying"])
        self.assertGreaterEqual(flood["dropped"], 170)
        self.assertEqual(r["flood"]["flew"] + flood["dropped"], 200, r["flood"])
        step("floodGone", met=True, flying=0)
        self.assertTrue(r.get("ok"), "chat.mjs reported a wait not met")


    def test_admin_panel(self):
        """The admin panel (web/admin.js) for a login whose role is admin (mod1 in
        room.admins), driven from the page against the real room and seen from a
        member's page: status, announcement (and the server's error past 300 bytes),
        mute a member and the whole room (input box disabled, 10017), a lottery won by
        the member, a refused lottery, kick with a reason (no auto-rejoin), unban; a
        member gets no panel."""
        sets = {"web.root": WEB_ROOT, "room.app_id": ROOM_APP_ID,
                "room.key": '"%s"' % ROOM_KEY, "room.admins": '["mod1"]'}
        with h.Server(sets=sets, name="roomcast-admin") as srv:
            status, _, body = h.http_get(srv.http_url("/admin.js"))
            self.assertEqual(status, 200, "GET /admin.js: the admin panel module is not served "
                             "(protocols/http/static_files.cpp lists the page's files): %r" % body[:200])
            self.assertIn(b"createAdminPanel", body)
            mod = "identifier=mod1&usersig=" + usersig("mod1")
            status, room = http_json("POST", srv.http_url("/api/v1/rooms?" + mod),
                                     {"id": KEY, "status": 1})
            self.assertEqual(status, 201, "POST /api/v1/rooms as mod1: %r" % (room,))
            r = run_admin(srv, "mod1")
            self.assertAdminShown(r)
            # What the page did is what the server holds.
            status, info = http_json("GET", srv.http_url("/api/v1/rooms/live/demo"))
            self.assertEqual((status, info.get("status"), info.get("mutedAll")), (200, 3, False), info)
            self.assertEqual(info.get("announcement"), "Admin says: back at <b>9</b> & stay tuned")
            status, bans = http_json("GET", srv.http_url("/api/v1/rooms/live/demo/bans?" + mod))
            self.assertEqual((status, bans.get("members")), (200, []), bans)
            status, lottery = http_json("GET", srv.http_url("/api/v1/rooms/live/demo/lottery?" + mod))
            self.assertEqual([w["id"] for w in lottery.get("winners", [])], ["bob"], lottery)

    def assertAdminShown(self, r):
        self.assertNotIn("reason", r, r.get("reason"))
        self.assertEqual(r.get("pageErrors"), [], r.get("pageErrors"))
        self.assertEqual(r.get("dialogs"), [], "a dialog opened (injected script?): %r" % r.get("dialogs"))

        def step(name, **expect):
            s = r.get(name) or {}
            flat = dict(s, **{"admin." + k: v for k, v in (s.get("admin") or {}).items()})
            got = {k.replace("__", "."): flat.get(k.replace("__", ".")) for k in expect}
            want = {k.replace("__", "."): v for k, v in expect.items()}
            self.assertEqual(got, want, "%s: page shows %r\nconsole: %r" % (
                name, s, r.get("console", [])[-8:]))
            return s

        def error(name):
            return (r.get(name) or {}).get("admin", {}).get("error")

        # A member: joined, no panel, admin.js not loaded.
        step("bobJoined", met=True, state="joined", role="member")
        step("bobNoPanel", state="joined", admin__visible=False, admin__loaded=False)
        # The admin: role admin, panel shown for the room.
        step("adminJoined", met=True, role="admin", admin__visible=True, admin__room=KEY,
             admin__error=None)

        # Status 3 -> "paused" on bob's page.
        step("setStatus", met=True, admin__error=None, admin__doneAction="status")
        step("bobPaused", met=True, statusWord="paused")

        # The announcement, HTML kept as text on bob's page.
        step("setAnnouncement", met=True, admin__error=None, admin__doneAction="announcement")
        b = step("bobAnnouncement", met=True)
        self.assertEqual(b["admin"]["announcementElements"], 0, "announcement HTML was parsed")
        # 302 bytes: refused by the server, its error shown whole; bob keeps the old one.
        s = step("longAnnouncement", met=True, admin__bytes=302)
        e = error("longAnnouncement")
        self.assertIsNotNone(e, "no error shown for a 302-byte announcement: %r" % s["admin"])
        self.assertEqual((e["status"], e["code"]), (400, 10004), e)
        self.assertIn("HTTP 400", e["text"])
        self.assertIn("announcement", e["text"])
        self.assertIn("10004", e["text"])
        step("bobAfterLong", announcement="Admin says: back at <b>9</b> & stay tuned")

        # Mute bob 60 s: input disabled with a note; a send anyway gets 10017.
        step("muteBob", met=True, admin__error=None, admin__mutes=["bob"])
        m = step("bobMuted", met=True, inputDisabled=True, sendDisabled=True, muted="self")
        self.assertIn("muted", m["note"])
        self.assertTrue(any(n["type"] == "mute" and "You are muted for 60 s" in n["text"]
                            for n in m["notices"]), m["notices"])
        self.assertTrue(r["bobMutedSend"], "chat.send did not send")
        m = step("bobMutedError", met=True)
        self.assertEqual(m["error"]["code"], 10017, m["error"])
        self.assertIn("10017", m["error"]["text"])
        step("adminMuteList", met=True, admin__mutes=["bob"], admin__mutedAll="false")
        # Unmute.
        step("unmuteBob", met=True, admin__error=None, admin__mutes=[])
        step("bobUnmuted", met=True, inputDisabled=False, muted="")

        # The whole room: bob may not speak, the admin may.
        step("muteAll", met=True, admin__error=None, admin__mutedAll="true", admin__muteAllChecked=True)
        m = step("bobMutedAll", met=True, inputDisabled=True, muted="all")
        self.assertIn("room is muted", m["note"])
        step("adminWhileAll", inputDisabled=False, muted="")
        step("unmuteAll", met=True, admin__error=None, admin__mutedAll="false",
             admin__muteAllChecked=False)
        step("bobUnmutedAll", met=True, inputDisabled=False, muted="")

        # The lottery: bob enters and is the only winner, shown in the panel.
        step("lotteryStart", met=True, admin__error=None, admin__lotteryState="open")
        step("bobLotteryOpen", met=True)
        step("bobSentLucky", met=True)
        d = step("lotteryDrawn", met=True, admin__lotteryWinners=["bob"])
        self.assertIn("lucky", d["admin"]["lotteryText"])
        self.assertIn("bob", d["admin"]["lotteryText"])
        d = step("bobLotteryDrawn", met=True)
        self.assertTrue(any(n["type"] == "lottery" and "bob" in n["text"] for n in d["notices"]),
                        d["notices"])
        self.assertTrue(any(m["type"] == "system" and "lucky" in (m["text"] or "")
                            for m in d["messages"]), "no system message of the draw: %r" % d["messages"])
        # A lottery of 0 s: the server's 400 and reason shown.
        step("badLottery", met=True)
        e = error("badLottery")
        self.assertIsNotNone(e, "no error shown for a 0 s lottery")
        self.assertEqual((e["status"], e["code"]), (400, 10004), e)
        self.assertIn("seconds", e["text"])

        # Kick bob ("spam", for good): out, told why, not rejoined even after a reconnect.
        k = step("kickBob", met=True, admin__error=None, admin__bans=["bob"])
        self.assertIn("1 connection", k["admin"]["done"])
        k = step("bobKicked", met=True, state="kicked", joined="", inputDisabled=True)
        self.assertIn("spam", k["conn"])
        self.assertIn("spam", k["note"])
        self.assertTrue(any(n["type"] == "kicked" and "spam" in n["text"] for n in k["notices"]),
                        k["notices"])
        step("adminSawKick", met=True)
        self.assertTrue(r["bobDropped"]["closed"], r["bobDropped"])
        step("bobRelogged", met=True, state="kicked", wsOpen=True, role="member")
        step("bobStillOut", state="kicked", joined="", wsOpen=True)
        # Unban.
        step("unban", met=True, admin__error=None, admin__bans=[])
        self.assertTrue(r.get("ok"), "admin.mjs reported a wait not met")


if __name__ == "__main__":
    h.main()
