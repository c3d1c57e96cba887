// N WHEP viewers of one stream in one node process, for bench/webrtc-bench: each a real
// libdatachannel PeerConnection (node-datachannel: ICE, DTLS, SRTP, an RtcpReceivingSession
// per track sending receiver reports; no PLI, so the server must start each viewer at a
// keyframe), recvonly H.264 + Opus, the offer posted once gathered (no trickle). Counts RTP packets and bytes per viewer and, in the window the caller names
// (wall-clock ms), the packets per viewer and the seconds in which a viewer got no video.
//
//   node whep_viewers.mjs --url http://127.0.0.1:PORT/whep/live/demo --viewers 50
//        [--ramp-ms 40] [--window-at EPOCH_MS --window-s 20] [--end-at EPOCH_MS]
//        [--timeout 20] [--web-root DIR]
//
// Prints "READY {json}" once every viewer connected (or failed); without --window-at it
// then reads one line {"windowAt", "windowS", "endAt"} from stdin. One JSON line at the
// end. Exit 0 when every viewer got video in every second of the window, 1 if not.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
  const opts = { url: '', viewers: 1, rampMs: 40, windowAt: 0, windowS: 0, endAt: 0, timeout: 20,
    webRoot: path.resolve(here, '../web') };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in opts) || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!opts.url) throw new Error('--url is required');
  return opts;
}

// An IDR in a single NAL, a STAP-A or an FU-A start (RFC 6184), after the RTP header.
function isKeyframe(b) {
  if (b.length < 14 || (b[1] & 0x7f) !== 96) return false;
  let off = 12 + 4 * (b[0] & 0x0f);
  if (b[0] & 0x10) off += 4 + 4 * ((b[off + 2] << 8) | b[off + 3]);
  if (off + 2 > b.length) return false;
  const type = b[off] & 0x1f;
  if (type === 5 || type === 7) return true;
  for (let i = off + 1; type === 24 && i + 2 < b.length; i += 2 + ((b[i] << 8) | b[i + 1])) {
    if ((b[i + 2] & 0x1f) === 5 || (b[i + 2] & 0x1f) === 7) return true;
  }
  return type === 28 && (b[off + 1] & 0x80) !== 0 && (b[off + 1] & 0x1f) === 5;
}

class Viewer {
  constructor(ndc, id, opts) {
    this.id = id;
    this.opts = opts;
    this.state = 'new';
    this.error = null;
    this.video = 0; this.audio = 0; this.rtcp = 0; this.bytes = 0; this.keyframe = false;
    this.pc = new ndc.PeerConnection(`v${id}`, { iceServers: [], bindAddress: '127.0.0.1' });
    this.pc.onStateChange((s) => { this.state = s; });
    const v = new ndc.Video('0', 'RecvOnly');
    v.addH264Codec(96, 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1');
    const a = new ndc.Audio('1', 'RecvOnly');
    a.addOpusCodec(111);
    this.tracks = [this.pc.addTrack(v), this.pc.addTrack(a)];
    this.tracks.forEach((t, i) => {
      t.setMediaHandler(new ndc.RtcpReceivingSession());
      t.onMessage((b) => this.onPacket(b, i === 0));
    });
  }

  onPacket(b, video) {
    this.bytes += b.length;
    const pt = b.length > 1 ? b[1] : 0;
    if (pt >= 192 && pt <= 223) { this.rtcp += 1; return; }
    if (!video) { this.audio += 1; return; }
    this.video += 1;
    if (!this.keyframe && isKeyframe(b)) this.keyframe = true;
  }

  async start() {
    this.pc.setLocalDescription();
    const end = Date.now() + 5000;
    while (this.pc.gatheringState() !== 'complete' && Date.now() < end) await sleep(10);
    try {
      const res = await fetch(this.opts.url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
        body: this.pc.localDescription().sdp, signal: AbortSignal.timeout(this.opts.timeout * 1000) });
      const body = await res.text();
      if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${body.slice(0, 200)}`);
      this.session = new URL(res.headers.get('location'), this.opts.url).href;
      this.pc.setRemoteDescription(body, 'answer');
    } catch (e) {
      this.error = e.message;
      return;
    }
    const until = Date.now() + this.opts.timeout * 1000;
    while (this.state !== 'connected' && Date.now() < until && this.state !== 'failed') await sleep(50);
    if (this.state !== 'connected') this.error = `not connected (${this.state})`;
  }

  async stop() {
    if (this.session) {
      this.deleted = await fetch(this.session, { method: 'DELETE', signal: AbortSignal.timeout(5000) })
        .then((res) => String(res.status), (e) => e.message);
    }
    try { this.pc.close(); } catch (e) { /* closing anyway */ }
  }
}

function readLine() {
  return new Promise((resolve) => {
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) { process.stdin.pause(); resolve(buf.split('\n')[0]); }
    });
    process.stdin.on('end', () => resolve(buf || '{}'));
  });
}

function stats(values) {
  const v = [...values].sort((x, y) => x - y);
  const at = (p) => (v.length ? v[Math.min(v.length - 1, Math.ceil(p * v.length) - 1)] : null);
  return { min: v[0] ?? null, p50: at(0.5), max: v[v.length - 1] ?? null };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ndc = createRequire(path.join(opts.webRoot, 'package.json'))('node-datachannel');
  ndc.initLogger('Error', (level, msg) => process.stderr.write(`[ndc ${level}] ${msg}\n`));
  const t0 = Date.now();
  const viewers = [];
  const started = [];
  for (let i = 0; i < opts.viewers; i++) {
    const v = new Viewer(ndc, i, opts);
    viewers.push(v);
    started.push(v.start());
    await sleep(opts.rampMs);
  }
  await Promise.all(started);
  const r = { viewers: opts.viewers, library: ndc.getLibraryVersion?.() ?? null, rampS: (Date.now() - t0) / 1000,
    connected: viewers.filter((v) => v.state === 'connected' && !v.error).length,
    errors: [...new Set(viewers.filter((v) => v.error).map((v) => v.error))].slice(0, 5) };
  process.stdout.write(`READY ${JSON.stringify(r)}\n`);
  if (!opts.windowAt) Object.assign(opts, JSON.parse(await readLine()));
  if (opts.windowAt && opts.windowS) {
    await sleep(Math.max(0, opts.windowAt - Date.now()));
    const base = viewers.map((v) => ({ video: v.video, audio: v.audio, bytes: v.bytes }));
    const stalled = viewers.map(() => 0);
    let last = viewers.map((v) => v.video);
    const cpu0 = process.cpuUsage();
    for (let s = 0; s < opts.windowS; s++) {
      await sleep(Math.max(0, opts.windowAt + (s + 1) * 1000 - Date.now()));
      viewers.forEach((v, i) => { if (v.video === last[i]) stalled[i] += 1; });
      last = viewers.map((v) => v.video);
    }
    const cpu = process.cpuUsage(cpu0);
    const win = viewers.map((v, i) => ({ video: v.video - base[i].video, audio: v.audio - base[i].audio,
      bytes: v.bytes - base[i].bytes }));
    r.window = { seconds: opts.windowS, clientCpuS: (cpu.user + cpu.system) / 1e6,
      videoPkts: stats(win.map((w) => w.video)), audioPkts: stats(win.map((w) => w.audio)),
      kbps: stats(win.map((w) => (8 * w.bytes) / opts.windowS / 1000)),
      starved: stalled.filter((n) => n > 0).length, stalledSeconds: stalled.reduce((a, b) => a + b, 0),
      noKeyframe: viewers.filter((v) => !v.keyframe).length };
  }
  if (opts.endAt) await sleep(Math.max(0, opts.endAt - Date.now()));
  r.totals = { videoPkts: viewers.reduce((a, v) => a + v.video, 0), audioPkts: viewers.reduce((a, v) => a + v.audio, 0),
    rtcpIn: viewers.reduce((a, v) => a + v.rtcp, 0) };
  await Promise.all(viewers.map((v) => v.stop()));
  r.deletes = {};
  for (const v of viewers) if (v.deleted) r.deletes[v.deleted] = (r.deletes[v.deleted] || 0) + 1;
  r.ok = r.connected === opts.viewers && !!r.window && r.window.starved === 0 && r.window.noKeyframe === 0;
  process.stdout.write(JSON.stringify(r) + '\n', () => process.exit(r.ok ? 0 : 1));
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e) }) + '\n', () => process.exit(2));
});
