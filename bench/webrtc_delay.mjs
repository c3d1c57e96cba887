// Glass-to-glass delay in headless Chromium, for bench/webrtc-bench: every picture a
// receiver page shows carries its send time (bench/webrtc_clock.js), read back at
// display (requestVideoFrameCallback + a canvas readback of the band) against the same
// wall clock. One JSON line out.
//
//   node webrtc_delay.mjs --mode whip|view|local [--origin http://127.0.0.1:PORT]
//        [--stream live/g2g] [--seconds 20] [--warmup 3] [--width 1280] [--height 720]
//        [--fps 30] [--kbps 2500] [--timeout 30] [--chromium /usr/bin/chromium]
//
// whip:  a publisher page draws the code into a canvas (over a scrolling texture of random
//        squares, so the encoder has work) and sends it with the player page's whip.js; a second
//        page of the same browser plays it with the player page's whep.js.
// view:  only the WHEP page (the sender is outside: bench/webrtc-bench's RTMP sender).
// local: the floor of whip: the same canvas sent from one RTCPeerConnection to another
//        inside one page (H.264, loopback, no server).
// Per new picture on the <video> (requestVideoFrameCallback): display = the wall clock
// then - the code of the picture it shows; p50/p95/max over the window after the warm-up.
// The receiver's share (jitter buffer, decode) comes from getStats.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
  const opts = { mode: '', origin: '', stream: 'live/g2g', seconds: 20, warmup: 3, width: 1280, height: 720, fps: 30,
    kbps: 2500, timeout: 30, chromium: '/usr/bin/chromium', webRoot: path.resolve(here, '../web') };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in opts) || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!['whip', 'view', 'local'].includes(opts.mode)) throw new Error('--mode whip|view|local');
  if (opts.mode !== 'local' && !opts.origin) throw new Error('--origin is required');
  return opts;
}

// In the page: keeps every RTCPeerConnection made (whip.js/whep.js keep theirs inside).
function pageTrackPeers() {
  const Base = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Base {
    constructor(...a) { super(...a); window.__pcs.push(this); }
  };
}

// In the page: a canvas stream with the clock code; its painter runs until the page closes.
function pageCanvas({ w, h, fps }) {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d');
  const { bandH } = window.rcClock.geometry(w, h);
  // A texture of random squares drawn once and scrolled: motion for the encoder to spend
  // its bits on, without the scene cuts (keyframes) a new random picture every frame makes.
  const tex = document.createElement('canvas');
  tex.width = 2 * w;
  tex.height = h;
  const tg = tex.getContext('2d');
  for (let i = 0; i < (w * h) / 1200; i++) {
    tg.fillStyle = `hsl(${Math.floor(Math.random() * 360)} 70% ${20 + Math.floor(Math.random() * 60)}%)`;
    tg.fillRect(Math.random() * 2 * w, Math.random() * h, 8 + Math.random() * 24, 8 + Math.random() * 24);
  }
  let frame = 0;
  setInterval(() => {
    frame += 1;
    g.fillStyle = `hsl(${(frame * 2) % 360} 50% 40%)`;
    g.fillRect(0, 0, w, h);
    g.drawImage(tex, -((frame * 6) % w), 0);
    g.fillStyle = '#fff';
    g.font = `${Math.round(h / 10)}px sans-serif`;
    g.fillText(String(frame), w / 20, h - h / 10);
    window.rcClock.draw(g, w, h, Date.now());
  }, 1000 / fps);
  const stream = canvas.captureStream(fps);
  // A sharp picture at the asked size, not a smaller one while the bandwidth estimate grows.
  for (const t of stream.getVideoTracks()) t.contentHint = 'detail';
  return stream;
}

// In the page: caps every video sender of `pc` at `kbps`.
async function pageCap(pc, kbps) {
  for (const s of pc.getSenders()) {
    if (!s.track || s.track.kind !== 'video') continue;
    const p = s.getParameters();
    if (!p.encodings || !p.encodings.length) p.encodings = [{}];
    p.encodings[0].maxBitrate = kbps * 1000;
    p.degradationPreference = 'maintain-resolution';
    await s.setParameters(p).catch(() => {});
  }
}

async function pagePublish({ stream, w, h, fps, kbps, canvasSrc, capSrc }) {
  const media = eval(`(${canvasSrc})`)({ w, h, fps });
  const m = await import('/whip.js');
  window.__pub = await m.startWhip(`/whip/${stream}`, media, { onFailed: (e) => { window.__failed = e; } });
  await eval(`(${capSrc})`)(window.__pcs[0], kbps);
}

// In the page: the video element and the per-picture reader.
function pageReader() {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  document.body.appendChild(video);
  const c = document.createElement('canvas');
  const g = c.getContext('2d', { willReadFrequently: true });
  window.__samples = [];
  window.__bad = 0;
  // NOTE: the picture drawn here is the one the element shows now, which may be newer
  // than the one `md` describes: so its age is taken against the wall clock here, before
  // the readback, and md's times are not paired with it.
  const onFrame = () => {
    const at = Date.now();
    const w = video.videoWidth, h = video.videoHeight;
    if (w && h) {
      const { bandH } = window.rcClock.geometry(w, h);
      if (c.width !== w || c.height !== bandH) { c.width = w; c.height = bandH; }
      g.drawImage(video, 0, 0, w, bandH, 0, 0, w, bandH);
      const code = window.rcClock.readImageData(g.getImageData(0, 0, w, bandH), h);
      if (code === null) window.__bad += 1;
      else window.__samples.push({ display: window.rcClock.age(at, code), w, h });
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  return video;
}

async function pageView({ stream, readerSrc }) {
  const video = eval(`(${readerSrc})`)();
  const m = await import('/whep.js');
  window.__player = await m.startWhep(`/whep/${stream}`, video, (e) => { window.__failed = e; });
}

// The floor: canvas -> RTCPeerConnection -> RTCPeerConnection -> video, in one page.
async function pageLocal({ w, h, fps, kbps, canvasSrc, capSrc, readerSrc }) {
  const video = eval(`(${readerSrc})`)();
  const media = eval(`(${canvasSrc})`)({ w, h, fps });
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  const t = a.addTransceiver(media.getVideoTracks()[0], { direction: 'sendonly' });
  const codecs = RTCRtpSender.getCapabilities('video').codecs;
  t.setCodecPreferences([...codecs.filter((c) => /h264/i.test(c.mimeType)), ...codecs.filter((c) => !/h264/i.test(c.mimeType))]);
  b.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
  const gathered = (pc) => new Promise((r) => {
    if (pc.iceGatheringState === 'complete') r();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
  });
  await a.setLocalDescription(await a.createOffer());
  await gathered(a);
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer());
  await gathered(b);
  await a.setRemoteDescription(b.localDescription);
  await eval(`(${capSrc})`)(a, kbps);
}

// In the page: getStats of the video receiver and sender of every peer.
async function pageStats() {
  const out = { failed: window.__failed || null, bad: window.__bad, samples: (window.__samples || []).length };
  for (const pc of window.__pcs) {
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.in = { framesDecoded: s.framesDecoded, framesDropped: s.framesDropped, keyFramesDecoded: s.keyFramesDecoded,
          bytes: s.bytesReceived, jitterBufferMs: s.jitterBufferEmittedCount
            ? (1000 * s.jitterBufferDelay) / s.jitterBufferEmittedCount : null,
          decodeMs: s.framesDecoded ? (1000 * s.totalDecodeTime) / s.framesDecoded : null, decoder: s.decoderImplementation,
          freezes: s.freezeCount, nacks: s.nackCount, plis: s.pliCount, lost: s.packetsLost };
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.out = { framesEncoded: s.framesEncoded, bytes: s.bytesSent, encoder: s.encoderImplementation,
          encodeMs: s.framesEncoded ? (1000 * s.totalEncodeTime) / s.framesEncoded : null,
          size: `${s.frameWidth}x${s.frameHeight}`, limitation: s.qualityLimitationReason };
      }
    });
  }
  return out;
}

function pct(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;
}

function summary(values) {
  const v = values.filter((x) => x !== null && Number.isFinite(x)).sort((x, y) => x - y);
  const r1 = (x) => (x === null ? null : Math.round(x * 10) / 10);
  return { n: v.length, min: r1(v[0] ?? null), p50: r1(pct(v, 50)), p95: r1(pct(v, 95)), max: r1(v[v.length - 1] ?? null) };
}

async function newPage(context, opts, r, name) {
  const page = await context.newPage();
  page.on('pageerror', (e) => r.pageErrors.push(`${name}: ${e}`));
  await page.goto(opts.origin ? `${opts.origin}/` : 'about:blank', { waitUntil: 'load', timeout: 15000 });
  await page.addScriptTag({ path: path.join(here, 'webrtc_clock.js') });
  await page.evaluate(pageTrackPeers);
  return page;
}

async function waitSamples(page, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const n = await page.evaluate(() => (window.__failed ? -1 : window.__samples.length));
    if (n !== 0) return n > 0;
    await sleep(200);
  }
  return false;
}

async function run(opts, r) {
  const { chromium } = await import(pathToFileURL(path.join(opts.webRoot, 'node_modules/playwright-core/index.mjs')).href);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-g2g-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium, headless: true, viewport: { width: 640, height: 360 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'],
  });
  try {
    r.browser = context.browser()?.version() ?? null;
    const src = { canvasSrc: pageCanvas.toString(), capSrc: pageCap.toString(), readerSrc: pageReader.toString() };
    const geo = { w: opts.width, h: opts.height, fps: opts.fps, kbps: opts.kbps };
    let pub = null;
    if (opts.mode === 'whip') {
      pub = await newPage(context, opts, r, 'publisher');
      await pub.evaluate(pagePublish, { stream: opts.stream, ...geo, ...src });
    }
    const view = await newPage(context, opts, r, 'viewer');
    if (opts.mode === 'local') await view.evaluate(pageLocal, { ...geo, ...src });
    else await view.evaluate(pageView, { stream: opts.stream, readerSrc: src.readerSrc });
    if (!(await waitSamples(view, opts.timeout * 1000))) {
      r.reason = `no readable picture in ${opts.timeout} s`;
      r.stats = await view.evaluate(pageStats);
      return;
    }
    await sleep(opts.warmup * 1000);
    await view.evaluate(() => { window.__samples = []; window.__bad = 0; });
    const before = await view.evaluate(pageStats);
    const pubBefore = pub ? await pub.evaluate(pageStats) : null;
    await sleep(opts.seconds * 1000);
    const samples = await view.evaluate(() => window.__samples);
    r.stats = await view.evaluate(pageStats);
    r.window = { seconds: opts.seconds, pictures: samples.length, unreadable: r.stats.bad,
      decodedFps: before.in && r.stats.in ? (r.stats.in.framesDecoded - before.in.framesDecoded) / opts.seconds : null,
      kbps: before.in && r.stats.in ? (8 * (r.stats.in.bytes - before.in.bytes)) / opts.seconds / 1000 : null,
      size: samples.length ? `${samples[0].w}x${samples[0].h}` : null };
    if (pub) {
      r.publisher = await pub.evaluate(pageStats);
      if (pubBefore && pubBefore.out && r.publisher.out) {
        r.publisher.kbps = (8 * (r.publisher.out.bytes - pubBefore.out.bytes)) / opts.seconds / 1000;
      }
    }
    r.display = summary(samples.map((s) => s.display));
    r.ok = samples.length >= opts.seconds * 5 && r.stats.bad <= samples.length / 10;
    if (!r.ok) r.reason = `${samples.length} readable pictures, ${r.stats.bad} unreadable`;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const result = { ok: false, mode: null, pageErrors: [] };
let code = 2;
try {
  const opts = parseArgs(process.argv.slice(2));
  result.mode = opts.mode;
  setTimeout(() => { result.reason = 'watchdog'; process.stdout.write(JSON.stringify(result) + '\n'); process.exit(1); },
    (opts.seconds + opts.warmup + 2 * opts.timeout + 30) * 1000).unref();
  await run(opts, result);
  code = result.ok ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
