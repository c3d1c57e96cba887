// A second, non-browser WHEP receiver of bench/webrtc-bench's delay cases: libdatachannel
// (node-datachannel) receives the stream, this script depacketizes the H.264 (RFC 6184:
// single NAL, STAP-A, FU-A; an access unit ends at the marker bit) and pipes each access
// unit into `ffmpeg -threads 1 -flags low_delay ... -f rawvideo -pix_fmt gray -`, then reads
// the clock code (bench/webrtc_clock.js) of every decoded picture as it comes out.
//
//   node whep_clock_reader.mjs --url http://127.0.0.1:PORT/whep/live/g2g --width 1280
//        --height 720 [--seconds 20] [--warmup 3] [--timeout 20]
//
// One JSON line: ok, display {n, min, p50, p95, max} (ms from the code to the decoded
// picture), pictures, unreadable, packets. Exit 0 when enough pictures were read.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
await import(path.join(here, 'webrtc_clock.js'));
const { rcClock } = globalThis;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const kStart = Buffer.from([0, 0, 0, 1]);
// An access unit delimiter after each unit, so ffmpeg's parser ends the unit at once
// instead of waiting for the next one's first bytes.
const kAud = Buffer.from([0, 0, 0, 1, 9, 0xf0]);

function parseArgs(argv) {
  const opts = { url: '', width: 1280, height: 720, seconds: 20, warmup: 3, timeout: 20, webRoot: path.resolve(here, '../web') };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in opts) || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!opts.url) throw new Error('--url is required');
  return opts;
}

// RTP (after SRTP) -> NAL units of the current access unit; flush() at the marker bit.
class Depacketizer {
  constructor(out) { this.out = out; this.nals = []; this.fu = null; this.units = 0; }

  push(b) {
    if (b.length < 13 || (b[1] & 0x7f) >= 72 && (b[1] & 0x7f) <= 79) return; // RTCP
    let off = 12 + 4 * (b[0] & 0x0f);
    if (b[0] & 0x10) off += 4 + 4 * ((b[off + 2] << 8) | b[off + 3]);
    const end = b[0] & 0x20 ? b.length - b[b.length - 1] : b.length;
    if (off >= end) return;
    const type = b[off] & 0x1f;
    if (type >= 1 && type <= 23) this.nals.push(b.subarray(off, end));
    else if (type === 24) {
      for (let i = off + 1; i + 2 < end;) {
        const n = (b[i] << 8) | b[i + 1];
        this.nals.push(b.subarray(i + 2, i + 2 + n));
        i += 2 + n;
      }
    } else if (type === 28 && off + 2 <= end) {
      const head = b[off + 1];
      if (head & 0x80) this.fu = [Buffer.from([(b[off] & 0xe0) | (head & 0x1f)])];
      if (this.fu) this.fu.push(b.subarray(off + 2, end));
      if (head & 0x40 && this.fu) { this.nals.push(Buffer.concat(this.fu)); this.fu = null; }
    }
    if (b[1] & 0x80) this.flush();
  }

  flush() {
    if (!this.nals.length) return;
    this.out.write(Buffer.concat([...this.nals.flatMap((n) => [kStart, n]), kAud]));
    this.nals = [];
    this.units += 1;
  }
}

function summary(values) {
  const v = [...values].sort((x, y) => x - y);
  const at = (p) => (v.length ? v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)] : null);
  return { n: v.length, min: v[0] ?? null, p50: at(0.5), p95: at(0.95), max: v[v.length - 1] ?? null };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const r = { ok: false, mode: 'ndc', errors: [] };
  const ndc = createRequire(path.join(opts.webRoot, 'package.json'))('node-datachannel');
  ndc.initLogger('Error', (level, msg) => process.stderr.write(`[ndc ${level}] ${msg}\n`));
  const { width: w, height: h } = opts;
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-threads', '1', '-flags', 'low_delay',
    '-fflags', 'nobuffer', '-probesize', '32', '-analyzeduration', '0', '-f', 'h264', '-i', '-',
    '-vf', `scale=${w}:${h}`, '-pix_fmt', 'gray', '-flush_packets', '1', '-f', 'rawvideo', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
  ff.stdin.on('error', () => {});
  const ages = [];
  let unreadable = 0, measuring = false, pending = Buffer.alloc(0);
  ff.stdout.on('data', (d) => {
    const at = Date.now();
    pending = pending.length ? Buffer.concat([pending, d]) : d;
    while (pending.length >= w * h) {
      const frame = pending.subarray(0, w * h);
      pending = pending.subarray(w * h);
      const code = rcClock.read((x, y) => frame[y * w + x], w, h);
      if (!measuring) continue;
      if (code === null) unreadable += 1;
      else ages.push(rcClock.age(at, code));
    }
  });
  const pc = new ndc.PeerConnection('reader', { iceServers: [], bindAddress: '127.0.0.1' });
  const v = new ndc.Video('0', 'RecvOnly');
  v.addH264Codec(96, 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1');
  const track = pc.addTrack(v);
  track.setMediaHandler(new ndc.RtcpReceivingSession());
  const depack = new Depacketizer(ff.stdin);
  let packets = 0;
  track.onMessage((b) => {
    packets += 1;
    if (packets === 1) track.requestKeyframe();
    depack.push(b);
  });
  pc.setLocalDescription();
  const end = Date.now() + 5000;
  while (pc.gatheringState() !== 'complete' && Date.now() < end) await sleep(10);
  const res = await fetch(opts.url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
    body: pc.localDescription().sdp, signal: AbortSignal.timeout(opts.timeout * 1000) });
  const body = await res.text();
  if (res.status !== 201) {
    r.errors.push(`POST answered ${res.status}: ${body.slice(0, 200)}`);
  } else {
    const session = new URL(res.headers.get('location'), opts.url).href;
    pc.setRemoteDescription(body, 'answer');
    await sleep(opts.warmup * 1000);
    measuring = true;
    await sleep(opts.seconds * 1000);
    measuring = false;
    await fetch(session, { method: 'DELETE', signal: AbortSignal.timeout(5000) }).catch(() => {});
  }
  pc.close();
  ff.stdin.end();
  Object.assign(r, { display: summary(ages), window: { seconds: opts.seconds, pictures: ages.length, unreadable },
    packets, units: depack.units });
  r.ok = ages.length >= opts.seconds * 5 && unreadable <= ages.length / 10;
  if (!r.ok) r.reason = `${ages.length} readable pictures, ${unreadable} unreadable, ${packets} packets`;
  process.stdout.write(JSON.stringify(r) + '\n', () => process.exit(r.ok ? 0 : 1));
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, reason: String(e && e.stack ? e.stack : e) }) + '\n', () => process.exit(2));
});
