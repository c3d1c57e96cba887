#!/usr/bin/env python3
"""hls_pollers: N simulated HLS or LL-HLS players on one asyncio loop (used by hls-latency).

Each client has one keep-alive HTTP/1.1 connection and plays like hls.js does, minus the
decoding:

- hls: reload the playlist once per target duration (half of it when nothing new came,
  as hls.js does), fetch each new segment. A client starts with the newest segment.
- llhls: one plain playlist load, the init segment (EXT-X-MAP) and the newest part; then a
  loop of blocking reloads `?_HLS_msn=M&_HLS_part=P` for the part named by the
  EXT-X-PRELOAD-HINT, each followed by a fetch of every part it did not have yet.

Client starts are spread over --spread-s. Prints a summary and a last line `RESULT {json}`:
request counts per kind, non-200 answers (with examples), bytes received, the time from
request to response of blocking reloads and of media fetches (min/median/p95/max, nearest
rank), and the client's own CPU time. Python 3 standard library only.
"""

import argparse
import asyncio
import json
import random
import re
import resource
import sys
import time
from urllib.parse import urlsplit

PART_RX = re.compile(r"(\d+)\.(\d+)\.m4s")
SEG_RX = re.compile(r"(\d+)\.m4s$")
URI_RX = re.compile(r'URI="([^"]+)"')
READ_CHUNK = 1 << 18


class Stats:
    def __init__(self):
        self.requests = {}  # kind -> count
        self.errors = {}  # "kind status" -> count
        self.examples = []  # first few error descriptions
        self.bytes = 0
        self.held_ms = []  # blocking reload: request -> response
        self.media_ms = []  # segment/part fetch: request -> last body byte
        self.playlist_ms = []  # plain (non-blocking) playlist reloads
        self.misses = 0  # a blocking reload answered without the part asked for
        self.window = [None, None]  # [start, end] monotonic, set by main

    def count(self, kind):
        self.requests[kind] = self.requests.get(kind, 0) + 1

    def error(self, kind, what):
        key = f"{kind} {what}"
        self.errors[key] = self.errors.get(key, 0) + 1
        if len(self.examples) < 10:
            self.examples.append(f"{time.monotonic() - self.window[0]:.2f}s {key}")


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects after a close."""

    def __init__(self, host, port, stats):
        self.host, self.port, self.stats = host, port, stats
        self.reader = self.writer = None

    async def close(self):
        if self.writer:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def get(self, path, keep_body):
        """(status, body bytes or None); the body is counted and dropped unless keep_body."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                          "User-Agent: roomcast-hls-pollers\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            k, sep, v = line.partition(":")
            if sep:
                headers[k.strip().lower()] = v.strip()
        self.stats.bytes += len(head)
        if "content-length" in headers:
            body = await self._read(int(headers["content-length"]), keep_body)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked(keep_body)
        else:
            raise HttpError("response without a length")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def _read(self, n, keep):
        if keep:
            body = await self.reader.readexactly(n)
            self.stats.bytes += n
            return body
        left = n
        while left:
            got = await self.reader.read(min(left, READ_CHUNK))
            if not got:
                raise asyncio.IncompleteReadError(b"", left)
            left -= len(got)
            self.stats.bytes += len(got)
        return None

    async def _read_chunked(self, keep):
        out = []
        while True:
            line = await self.reader.readuntil(b"\r\n")
            self.stats.bytes += len(line)
            size = int(line.split(b";")[0], 16)
            chunk = await self._read(size + 2, keep)
            if keep:
                out.append(chunk[:-2])
            if size == 0:
                return b"".join(out) if keep else None


def resolve(playlist_path, uri):
    if uri.startswith("/"):
        return uri
    return playlist_path.rsplit("/", 1)[0] + "/" + uri


def parse_media_playlist(text):
    """(target s, media sequence, [segment uri]) of a plain HLS playlist."""
    target, seq, uris = 2.0, 0, []
    for line in text.splitlines():
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = float(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            seq = int(line.split(":", 1)[1])
        elif line and not line.startswith("#"):
            uris.append(line.strip())
    return target, seq, uris


def parse_ll_playlist(text):
    """{'map': uri, 'parts': [((msn, part), uri)], 'hint': (msn, part) or None,
    'complete': {msn of each whole segment listed}}."""
    out = {"map": None, "parts": [], "hint": None, "complete": set()}
    for line in text.splitlines():
        seg = SEG_RX.search(line) if line and not line.startswith("#") else None
        if seg:
            out["complete"].add(int(seg.group(1)))
        if line.startswith("#EXT-X-MAP:"):
            m = URI_RX.search(line)
            out["map"] = m.group(1) if m else None
        elif line.startswith("#EXT-X-PART:"):
            m = URI_RX.search(line)
            p = PART_RX.search(m.group(1)) if m else None
            if p:
                out["parts"].append(((int(p.group(1)), int(p.group(2))), m.group(1)))
        elif line.startswith("#EXT-X-PRELOAD-HINT:"):
            m = URI_RX.search(line)
            p = PART_RX.search(m.group(1)) if m else None
            if p:
                out["hint"] = (int(p.group(1)), int(p.group(2)))
    return out


async def timed_get(conn, stats, kind, path, keep):
    stats.count(kind)
    t0 = time.monotonic()
    status, body = await conn.get(path, keep)
    ms = (time.monotonic() - t0) * 1000
    if status != 200:
        stats.error(kind, str(status))
    return status, body, ms


async def hls_client(conn, path, stats, deadline):
    last_msn = None
    while time.monotonic() < deadline:
        started = time.monotonic()
        status, body, ms = await timed_get(conn, stats, "playlist", path, True)
        stats.playlist_ms.append(ms)
        target, seq, uris = (parse_media_playlist(body.decode("utf-8", "replace"))
                             if status == 200 else (1.0, 0, []))
        fresh = False
        for i, uri in enumerate(uris):
            msn = seq + i
            if (last_msn is None and i != len(uris) - 1) or (last_msn is not None and msn <= last_msn):
                continue
            status, _, ms = await timed_get(conn, stats, "segment", resolve(path, uri), False)
            if status == 200:
                stats.media_ms.append(ms)
            last_msn, fresh = msn, True
        wait = (target if fresh else target / 2) - (time.monotonic() - started)
        if wait > 0:
            await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))


async def ll_client(conn, path, stats, deadline):
    have = None  # newest (msn, part) fetched
    map_uri = None
    want = None  # (msn, part) for the next blocking reload
    while time.monotonic() < deadline:
        if want is None:
            status, body, ms = await timed_get(conn, stats, "playlist", path, True)
            stats.playlist_ms.append(ms)
        else:
            query = f"{path}?_HLS_msn={want[0]}&_HLS_part={want[1]}"
            status, body, ms = await timed_get(conn, stats, "held-playlist", query, True)
            if status == 200:
                stats.held_ms.append(ms)
        if status != 200:
            want = None
            await asyncio.sleep(0.1)
            continue
        pl = parse_ll_playlist(body.decode("utf-8", "replace"))
        listed = {key for key, _ in pl["parts"]}
        if (want is not None and want not in listed and want[0] not in pl["complete"]
                and not any(k > want for k in listed)):
            stats.misses += 1
        if pl["map"] and pl["map"] != map_uri:
            map_uri = pl["map"]
            status, _, _ = await timed_get(conn, stats, "init", resolve(path, map_uri), False)
        todo = [(k, u) for k, u in pl["parts"] if have is None or k > have]
        if have is None:
            todo = todo[-1:]
        for key, uri in todo:
            status, _, ms = await timed_get(conn, stats, "part", resolve(path, uri), False)
            if status == 200:
                stats.media_ms.append(ms)
            have = key
        want = pl["hint"]
        if want is None:  # ended: no preload hint
            await asyncio.sleep(0.5)


async def run_client(mode, host, port, path, stats, start_at, deadline):
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    conn = Connection(host, port, stats)
    body = hls_client if mode == "hls" else ll_client
    while time.monotonic() < deadline:
        try:
            await asyncio.wait_for(body(conn, path, stats, deadline),
                                   timeout=max(0.1, deadline - time.monotonic() + 15))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HttpError,
                ValueError) as e:
            stats.error("connection", type(e).__name__)
            await conn.close()
            await asyncio.sleep(0.2)
        except asyncio.TimeoutError:
            stats.error("connection", "timeout")
            break
    await conn.close()


def dist(values):
    if not values:
        return None
    v = sorted(values)

    def at(p):
        return v[min(len(v) - 1, max(0, -(-len(v) * p // 100) - 1))]
    return {"n": len(v), "min": round(v[0], 1), "median": round(at(50), 1),
            "p95": round(at(95), 1), "max": round(v[-1], 1)}


async def main_async(args):
    url = urlsplit(args.url)
    host, port, path = url.hostname, url.port or 80, url.path
    stats = Stats()
    t0 = time.monotonic()
    deadline = t0 + args.duration
    stats.window = [t0, None]
    tasks = [asyncio.create_task(run_client(args.mode, host, port, path, stats,
                                            t0 + random.uniform(0, args.spread_s), deadline))
             for _ in range(args.clients)]
    await asyncio.gather(*tasks)
    stats.window[1] = time.monotonic()
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="playlist URL (…/demo.m3u8 or …/demo/ll.m3u8)")
    ap.add_argument("--mode", choices=("hls", "llhls"), required=True)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--spread-s", type=float, default=2.0, help="client starts spread over this")
    args = ap.parse_args()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    stats = asyncio.run(main_async(args))
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = stats.window[1] - stats.window[0]
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    result = {
        "mode": args.mode, "clients": args.clients, "wall_s": round(wall, 2),
        "requests": stats.requests, "errors": stats.errors, "error_examples": stats.examples,
        "bytes": stats.bytes, "bytes_per_s": round(stats.bytes / wall),
        "held_ms": dist(stats.held_ms), "media_ms": dist(stats.media_ms),
        "playlist_ms": dist(stats.playlist_ms), "held_misses": stats.misses,
        "client_cpu_s": round(cpu, 2), "client_cpu_pct": round(100 * cpu / wall, 1),
    }
    print(f"{args.mode}: {args.clients} clients, {wall:.1f} s, requests {stats.requests}, "
          f"errors {stats.errors or 'none'}, {stats.bytes / wall / 1e6:.1f} MB/s, "
          f"client CPU {result['client_cpu_pct']}% of a core")
    if result["client_cpu_pct"] > 90:
        print("WARNING: the poller process used more than 90% of a core; it may be the bottleneck")
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
