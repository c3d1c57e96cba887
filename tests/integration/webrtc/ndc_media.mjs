// Media pieces shared by ndc_client.mjs (the non-browser WHIP/WHEP client) and
// ndc_loopback.mjs (its local test double): node-datachannel loading, H.264 Annex-B
// access units, Ogg Opus packets, a real-time sender over libdatachannel's packetizer
// chain, and an RTP receiver that counts packets, access units and keyframes.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const kDefaultWebRoot = path.resolve(here, '../../../web');
export const kVideoPt = 96;
export const kOpusPt = 111;
// Constrained baseline, mode 1: what OBS offers for x264 and what the task asks for.
export const kH264Fmtp = 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1';
// Under the usual 1200-byte SRTP budget; libdatachannel's default is the same order.
const kMaxFragment = 1150;

// node-datachannel is installed in web/node_modules (web/package.json devDependencies),
// not beside the tests, so it is resolved from there.
export function loadNdc(webRoot) {
  const req = createRequire(path.join(webRoot, 'package.json'));
  return req('node-datachannel');
}

// "--kebab-name value" pairs into `defaults` (camelCase keys; numbers stay numbers).
export function parseOptions(argv, defaults) {
  const opts = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in opts) || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opts;
}

// Positions of every NAL unit in an Annex-B buffer: [{type, start, end}] (start after
// the start code, end before the next one).
export function splitAnnexB(buf) {
  const nals = [];
  let i = 0, start = -1;
  while (i + 2 < buf.length) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      if (start >= 0) nals.push(start, i > 0 && buf[i - 1] === 0 ? i - 1 : i);
      i += 3;
      start = i;
    } else {
      i += 1;
    }
  }
  if (start >= 0) nals.push(start, buf.length);
  const out = [];
  for (let k = 0; k < nals.length; k += 2) {
    if (nals[k + 1] > nals[k]) out.push({ type: buf[nals[k]] & 0x1f, start: nals[k], end: nals[k + 1] });
  }
  return out;
}

const kStartCode = Buffer.from([0, 0, 0, 1]);

// Access units of an Annex-B H.264 file (RFC 6184 / H.264 7.4.1.2.3: a new AU begins at
// an AUD, or at SPS/PPS/SEI or a first slice (first_mb_in_slice 0) after a slice).
// Each AU is an Annex-B buffer without AUDs; an IDR AU without SPS/PPS gets the last
// ones in front, as OBS's encoders repeat them at every keyframe.
export function readAccessUnits(file) {
  const buf = fs.readFileSync(file);
  const aus = [];
  let cur = [], hasSlice = false, sps = null, pps = null;
  const flush = () => {
    if (!hasSlice) return;
    const key = cur.some((n) => n.type === 5);
    if (key && !cur.some((n) => n.type === 7) && sps && pps) cur.unshift({ data: sps, type: 7 }, { data: pps, type: 8 });
    aus.push({ key, data: Buffer.concat(cur.flatMap((n) => [kStartCode, n.data])) });
    cur = []; hasSlice = false;
  };
  for (const n of splitAnnexB(buf)) {
    const data = buf.subarray(n.start, n.end);
    const isSlice = n.type === 1 || n.type === 5;
    const firstSlice = isSlice && data.length > 1 && (data[1] & 0x80) !== 0;
    if (n.type === 9 || (hasSlice && (firstSlice || n.type === 6 || n.type === 7 || n.type === 8))) flush();
    if (n.type === 9) continue;
    if (n.type === 7) sps = data;
    if (n.type === 8) pps = data;
    cur.push({ data, type: n.type });
    hasSlice ||= isSlice;
  }
  flush();
  if (aus.length === 0) throw new Error(`${file}: no H.264 access unit (Annex-B expected)`);
  return aus;
}

// Samples (48 kHz) in one Opus packet, from its TOC byte (RFC 6716 section 3.1).
export function opusSamples(pkt) {
  if (pkt.length < 1) return 0;
  const config = pkt[0] >> 3;
  const tenths = config < 12 ? [100, 200, 400, 600][config % 4]
    : config < 16 ? [100, 200][config % 2] : [25, 50, 100, 200][config % 4];
  const code = pkt[0] & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : pkt.length > 1 ? pkt[1] & 0x3f : 0;
  return (frames * tenths * 48) / 10;
}

// Opus packets of an Ogg Opus file (RFC 7845): the header and tags packets left out.
export function readOpusPackets(file) {
  const buf = fs.readFileSync(file);
  const packets = [];
  let pos = 0, partial = [];
  while (pos + 27 <= buf.length) {
    if (buf.toString('latin1', pos, pos + 4) !== 'OggS') throw new Error(`${file}: no Ogg page at ${pos}`);
    const nseg = buf[pos + 26];
    let body = pos + 27 + nseg;
    for (let s = 0; s < nseg; s++) {
      const lace = buf[pos + 27 + s];
      partial.push(buf.subarray(body, body + lace));
      body += lace;
      if (lace < 255) { packets.push(Buffer.concat(partial)); partial = []; }
    }
    pos = body;
  }
  const media = packets.filter((p) => !p.subarray(0, 8).equals(Buffer.from('OpusHead'))
    && !p.subarray(0, 8).equals(Buffer.from('OpusTags')));
  if (media.length === 0) throw new Error(`${file}: no Opus packet`);
  return media.map((data) => ({ data, samples: opusSamples(data) }));
}

// Sets libdatachannel's sending chain on `track`: packetizer → RTCP SR reporter → NACK
// responder (node-datachannel 0.33 binds no PLI handler). Returns the RTP config whose
// timestamp the sender sets before each frame.
export function attachSender(ndc, track, { ssrc, cname, pt, clockRate, h264 }) {
  const cfg = new ndc.RtpPacketizationConfig(ssrc, cname, pt, clockRate);
  const packetizer = h264 ? new ndc.H264RtpPacketizer('StartSequence', cfg, kMaxFragment)
    : new ndc.RtpPacketizer(cfg);
  packetizer.addToChain(new ndc.RtcpSrReporter(cfg));
  packetizer.addToChain(new ndc.RtcpNackResponder());
  track.setMediaHandler(packetizer);
  return cfg;
}

// Sends video AUs and Opus packets in real time (looping the files) for `seconds` or
// until stop() says so. Each goes through track.sendMessageBinary after its RTP timestamp
// is set in the packetizer's config (90 kHz from the frame index, 48 kHz from Opus TOCs).
export async function sendRealTime({ video, audio, seconds, fps, stats, onError, stop = () => false }) {
  const t0 = performance.now();
  const base = { v: Math.floor(Math.random() * 2 ** 31), a: Math.floor(Math.random() * 2 ** 31) };
  let vi = 0, ai = 0, aSamples = 0;
  const endMs = seconds * 1000;
  const send = (track, data) => {
    try {
      return track.sendMessageBinary(data);
    } catch (e) {
      onError(String(e.message || e));
      return false;
    }
  };
  for (;;) {
    const now = performance.now() - t0;
    if (now >= endMs || stop()) break;
    while (video && (vi * 1000) / fps <= now) {
      const au = video.aus[vi % video.aus.length];
      video.cfg.timestamp = (base.v + Math.round((vi * 90000) / fps)) >>> 0;
      if (send(video.track, au.data)) {
        stats.video.framesSent += 1;
        stats.video.bytesSent += au.data.length;
        if (au.key) stats.video.keyframesSent += 1;
      } else {
        stats.video.sendFailures += 1;
      }
      vi += 1;
    }
    while (audio && (aSamples * 1000) / 48000 <= now) {
      const p = audio.packets[ai % audio.packets.length];
      audio.cfg.timestamp = (base.a + aSamples) >>> 0;
      if (send(audio.track, p.data)) {
        stats.audio.packetsSent += 1;
        stats.audio.bytesSent += p.data.length;
      } else {
        stats.audio.sendFailures += 1;
      }
      aSamples += p.samples || 960;
      ai += 1;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

// RTP header (RFC 3550 5.1) → {pt, marker, seq, ts, ssrc, payload}, or null if it is not
// RTP or is RTCP (second byte 192..223, RFC 5761 4).
export function parseRtp(b) {
  if (b.length < 12 || b[0] >> 6 !== 2 || (b[1] >= 192 && b[1] <= 223)) return null;
  let off = 12 + (b[0] & 0x0f) * 4;
  if (b[0] & 0x10) {
    if (off + 4 > b.length) return null;
    off += 4 + b.readUInt16BE(off + 2) * 4;
  }
  let end = b.length;
  if (b[0] & 0x20) end -= b[b.length - 1];
  if (off > end) return null;
  return { pt: b[1] & 0x7f, marker: (b[1] & 0x80) !== 0, seq: b.readUInt16BE(2), ts: b.readUInt32BE(4),
    ssrc: b.readUInt32BE(8), payload: b.subarray(off, end) };
}

// NAL unit types that begin in one RTP payload (RFC 6184 5.6-5.8: single NAL, STAP-A,
// FU-A start); fuBoth counts FU-A packets with S and E both set (forbidden by 5.8).
export function h264PayloadNals(p, counters) {
  if (p.length < 1) return [];
  const t = p[0] & 0x1f;
  if (t >= 1 && t <= 23) return [t];
  if (t === 24) {
    const out = [];
    for (let i = 1; i + 2 < p.length;) {
      const n = p.readUInt16BE(i);
      if (n === 0 || i + 2 + n > p.length) break;
      out.push(p[i + 2] & 0x1f);
      i += 2 + n;
    }
    counters.stapA += 1;
    return out;
  }
  if (t === 28 && p.length >= 2) {
    counters.fuA += 1;
    if ((p[1] & 0xc0) === 0xc0) counters.fuBoth += 1;
    return p[1] & 0x80 ? [p[1] & 0x1f] : [];
  }
  return [];
}

// Counts what arrives on one received track (track.onMessage gives SRTP-decrypted RTP,
// and the RTCP that the handler chain passed on, which is skipped).
export class RtpCounter {
  constructor(kind, t0) {
    this.kind = kind;
    this.t0 = t0;
    this.s = { packets: 0, bytes: 0, lost: 0, tsSpan: 0, firstMs: null, ssrcs: [], pts: [] };
    if (kind === 'video') Object.assign(this.s, { accessUnits: 0, keyframes: 0, markers: 0, sps: 0, pps: 0,
      idrNals: 0, stapA: 0, fuA: 0, fuBoth: 0, firstKeyframeMs: null });
    this.lastSeq = null;
    this.firstTs = null;
    this.lastTs = null;
    this.keyTs = null;
  }

  onPacket(b) {
    const r = parseRtp(b);
    if (!r) return;
    const s = this.s;
    s.packets += 1;
    s.bytes += b.length;
    if (s.firstMs === null) s.firstMs = Math.round(performance.now() - this.t0);
    if (!s.ssrcs.includes(r.ssrc)) s.ssrcs.push(r.ssrc);
    if (!s.pts.includes(r.pt)) s.pts.push(r.pt);
    if (this.lastSeq !== null) {
      const gap = (r.seq - this.lastSeq) & 0xffff;
      if (gap > 1 && gap < 0x8000) s.lost += gap - 1;
    }
    this.lastSeq = r.seq;
    // RTP clock ticks from the first packet to the newest (90000 a second of video).
    this.firstTs ??= r.ts;
    s.tsSpan = (r.ts - this.firstTs) >>> 0;
    if (this.kind !== 'video') return;
    if (r.ts !== this.lastTs) { s.accessUnits += 1; this.lastTs = r.ts; }
    if (r.marker) s.markers += 1;
    for (const t of h264PayloadNals(r.payload, s)) {
      if (t === 7) s.sps += 1;
      if (t === 8) s.pps += 1;
      if (t === 5) {
        s.idrNals += 1;
        if (this.keyTs !== r.ts) {
          this.keyTs = r.ts;
          s.keyframes += 1;
          if (s.firstKeyframeMs === null) s.firstKeyframeMs = Math.round(performance.now() - this.t0);
        }
      }
    }
  }
}

// Parts of an SDP worth printing: ice-lite, setup, candidates, rtpmap/fmtp, directions.
export function sdpSummary(sdp) {
  const lines = (sdp || '').split(/\r?\n/);
  const pick = (re) => lines.filter((l) => re.test(l)).map((l) => l.replace(/^a=/, ''));
  return { iceLite: lines.includes('a=ice-lite'), setup: pick(/^a=setup:/), candidates: pick(/^a=candidate:/),
    rtpmap: pick(/^a=rtpmap:/), fmtp: pick(/^a=fmtp:/),
    directions: pick(/^a=(sendonly|recvonly|sendrecv|inactive)$/), ssrcs: pick(/^a=ssrc:\d+ cname:/) };
}
