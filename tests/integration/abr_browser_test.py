#!/usr/bin/env python3
"""The player page over HLS / LL-HLS loads the stream's master playlist and offers
its levels (issue 16 point 4): hls.js in headless Chromium (browser/play.mjs) plays
/{app}/{name}/master.m3u8, the level menu has "Auto" plus one entry per
EXT-X-STREAM-INF of the master (fetched here, so a master with the mixer's
renditions needs no change to the test), LEVEL_SWITCHED is shown, picking the
lowest level fetches fragments from that level's media playlist with no stall over
1 s, and HTTP-FLV has no level menu. Owner: integration tests. ~60 s."""

import os
import re
import urllib.parse

import harness as h
from browser_test import CHROMIUM, KEY, MIN_ADVANCE_S, WEB_ROOT, run_page

PAGE = "stream=live/demo&proto=%s&autoplay=1&muted=1"
MAX_STALL_MS = 1000


def attributes(line):
    """EXT-X-STREAM-INF attribute list (RFC 8216 4.2: quoted strings may hold commas)."""
    return dict(re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))


def path_of(url):
    return urllib.parse.urlsplit(url).path


def directory(url):
    return path_of(url).rsplit("/", 1)[0] + "/"


LADDER = """
[[mixer.profile]]
name = "abr"
streams = ["live/demo"]
preset = "ultrafast"
rungs = [ { height = 360, fps = 30, kbps = 600 }, { height = 240, fps = 30, kbps = 300 } ]
"""


class AbrBrowserTest(h.IntegrationTest):
    srv = pub = None

    @classmethod
    def setUpClass(cls):
        for need in (CHROMIUM, os.path.join(WEB_ROOT, "node_modules", "playwright-core")):
            if not os.path.exists(need):
                raise AssertionError("%s is missing: run scripts/test (installs chromium and "
                                     "npm packages)" % need)
        # The caster derives 360p and 240p from the pushed 720p: three levels.
        cls.srv = h.Server(sets={"web.root": WEB_ROOT, "hls.segment_ms": 1000},
                           config_text=h.base_config_text() + LADDER,
                           name="roomcast-abr-browser").start()
        try:
            cls.pub = h.Publisher(cls.srv.rtmp_url(), loop=True).start()
            cls.srv.wait_stream()

            def three():
                st, _, body = h.http_get(cls.srv.http_url("/live/demo/master.m3u8"))
                return st == 200 and body.decode().count("#EXT-X-STREAM-INF") == 3
            h.wait_until(three, 20, 0.3, "the master with the source and two renditions")
        except Exception:
            cls.srv.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.pub:
            cls.pub.kill()
        if cls.srv:
            cls.srv.stop()

    def master(self, ll=False):
        """The variants of the master playlist: [{attrs, url, height, bandwidth}]."""
        url = self.srv.http_url("/live/demo/ll/master.m3u8" if ll else "/live/demo/master.m3u8")
        status, _, body = h.http_get(url)  # held until a segment exists
        self.assertEqual(status, 200, body[:300])
        lines = body.decode().splitlines()
        variants = []
        for i, line in enumerate(lines):
            if line.startswith("#EXT-X-STREAM-INF:"):
                attrs = attributes(line)
                width, height = (int(x) for x in attrs["RESOLUTION"].split("x"))
                variants.append({"attrs": attrs, "url": urllib.parse.urljoin(url, lines[i + 1]),
                                 "height": height, "bandwidth": int(attrs["BANDWIDTH"])})
        self.assertGreaterEqual(len(variants), 1, body)
        h.log("master %s: %s" % (url, [(v["height"], v["bandwidth"], v["url"]) for v in variants]))
        return url, variants

    def assertPlaysMaster(self, proto, ll=False, extra=()):
        """Plays the page over proto; checks the master was loaded and its levels are
        in the menu. Returns (play.mjs result, master variants)."""
        master_url, variants = self.master(ll)
        r = run_page(self.srv, PAGE % proto, extra=extra)
        where = "%s: %s\nlast: %r\nconsole: %r" % (proto, r.get("reason"), r.get("last"),
                                                 (r.get("console") or [])[-10:])
        self.assertTrue(r.get("ok"), where)
        self.assertEqual(r.get("pageErrors"), [], where)
        self.assertGreaterEqual(r["advancedS"], MIN_ADVANCE_S, where)
        self.assertGreater(r["framesDecoded"], 0, where)
        end = r["end"]
        # The page shows and fetches the master, before any media playlist.
        self.assertEqual(path_of(end["mediaUrl"]), path_of(master_url), end["mediaUrl"])
        playlists = [path_of(q["url"]) for q in r["requests"] if path_of(q["url"]).endswith(".m3u8")]
        self.assertTrue(playlists and playlists[0] == path_of(master_url),
                        "first playlist requested: %r" % playlists[:5])
        # Auto + one entry per EXT-X-STREAM-INF, each the level's size and bit rate.
        menu = end["level"]
        self.assertTrue(menu["visible"], menu)
        options = menu["options"]
        self.assertEqual(len(options), len(variants) + 1, "menu %r for %d variants" % (
            [o["text"] for o in options], len(variants)))
        self.assertEqual(options[0]["value"], "-1", options)
        levels = options[1:]
        for o in levels:
            self.assertRegex(o["text"], r"^\d+p · \d+ kbps$", o)
            self.assertEqual(o["text"], "%dp · %d kbps" % (o["height"], round(o["bitrate"] / 1000)), o)
        self.assertEqual(sorted(path_of(o["url"]) for o in levels),
                         sorted(path_of(v["url"]) for v in variants), options)
        self.assertEqual(sorted(o["height"] for o in levels), sorted(v["height"] for v in variants))
        # LEVEL_SWITCHED reached the page: the playing level is named.
        self.assertGreaterEqual(menu["switches"], 1, menu)
        self.assertIsNotNone(menu["current"], menu)
        playing = next(o for o in levels if o["value"] == str(menu["current"]))
        self.assertIn(end["videoHeight"], [o["height"] for o in levels], "picture not of a level")
        h.log("%s page: menu %r, playing %s, %d switch(es)" % (
            proto, [o["text"] for o in options], playing["text"], menu["switches"]))
        return r, variants

    def test_hls_page_plays_the_master_with_a_level_menu(self):
        r, _ = self.assertPlaysMaster("hls")
        menu = r["end"]["level"]
        playing = next(o for o in menu["options"] if o["value"] == str(menu["current"]))
        self.assertEqual((menu["value"], menu["auto"]), ("-1", "true"), menu)
        self.assertEqual(menu["options"][0]["text"], "Auto (%dp)" % playing["height"], menu)

    def test_llhls_page_plays_the_ll_master(self):
        r, _ = self.assertPlaysMaster("llhls", ll=True)
        self.assertEqual(r["end"]["level"]["auto"], "true")

    def test_picking_the_lowest_level(self):
        """The menu's lowest level: LEVEL_SWITCHED to it, its fragments (from its own
        media playlist), the clock advancing with no stall over 1 s. With a source-only
        master the lowest level is the source: the pick leaves Auto for it."""
        r, variants = self.assertPlaysMaster("hls", extra=["--level", "lowest"])
        lowest = min(variants, key=lambda v: v["bandwidth"])
        pick, menu = r["level"], r["end"]["level"]
        self.assertEqual(path_of(pick["url"]), path_of(lowest["url"]), (pick, lowest))
        self.assertEqual((menu["value"], menu["auto"], menu["current"]),
                         (pick["value"], "false", int(pick["value"])), menu)
        self.assertEqual(r["end"]["videoHeight"], lowest["height"], "picture not of the pick")
        # Fragments of that level's playlist (its segments' directory) were fetched after
        # the pick, and every fragment fetched once the switch was seen is from there.
        # NOTE: hls.js fires LEVEL_SWITCHED when the first fragment of the new level
        # plays, so with a full buffer every fetch of it may come before that event.
        status, _, body = h.http_get(lowest["url"])
        self.assertEqual(status, 200, lowest["url"])
        segments = [urllib.parse.urljoin(lowest["url"], l) for l in body.decode().splitlines()
                    if l and not l.startswith("#")]
        self.assertTrue(segments, body)
        where = {directory(s) for s in segments}
        self.assertEqual(len(where), 1, where)
        fragments = [q for q in r["requests"] if not path_of(q["url"]).endswith(".m3u8")]
        picked = [path_of(q["url"]) for q in fragments if q["t"] >= pick["pickT"]]
        self.assertTrue([f for f in picked if directory(f) in where],
                        "no fragment of %s fetched after the pick: %r" % (where, fragments[-5:]))
        after = [path_of(q["url"]) for q in fragments if q["t"] >= pick["switchedT"]]
        self.assertEqual([f for f in after if directory(f) not in where], [],
                         "fragments not from %s after the switch" % where)
        # No stall over 1 s from the pick on (one still open at the end counts).
        stalls = [s for s in r["end"]["stalls"] if s["t"] >= pick["pickT"]]
        self.assertEqual([s for s in stalls if s["ms"] is None or s["ms"] > MAX_STALL_MS], [],
                         "stalls after the pick: %r" % stalls)
        h.log("picked %s: %d fragments after the pick, %d after LEVEL_SWITCHED, from %s, "
              "stalls %r" % (pick["text"], len(picked), len(after), sorted(where), stalls))

    def test_flv_page_has_no_level_menu_and_lists_sources_with_their_levels(self):
        """HTTP-FLV: no level menu. The stream list leaves out renditions (origin
        "mixer"); a source with renditions says "ABR n" (n = its levels: the source
        and each rendition)."""
        r = run_page(self.srv, PAGE % "flv")
        self.assertTrue(r.get("ok"), r.get("reason"))
        self.assertEqual(r.get("pageErrors"), [])
        self.assertIsNotNone(r["end"]["level"], "the page has no #level menu")
        self.assertFalse(r["end"]["level"]["visible"], r["end"]["level"])
        self.assertEqual(r["end"]["level"]["options"], [])
        streams = {s["key"]: s for s in self.srv.api_streams()["streams"] if s["live"]}
        shown = r["end"]["abr"]
        self.assertIn(KEY, shown)
        self.assertEqual(sorted(shown), sorted(k for k, s in streams.items()
                                               if s["origin"] != "mixer"), shown)
        for key, badge in shown.items():
            n = len(streams[key]["renditions"])
            self.assertEqual(badge, "ABR %d" % (n + 1) if n else None, key)


if __name__ == "__main__":
    h.main()
