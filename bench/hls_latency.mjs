// Live latency of hls.js in headless Debian Chromium (playwright-core from web/node_modules).
// Used by bench/hls-latency; prints one JSON result line on stdout.
//
//   node hls_latency.mjs --base http://127.0.0.1:PORT --path /live/demo.m3u8
//        [--low-latency 0|1] [--config default|sync1|catchup] [--warmup 10] [--measure 30]
//        [--sample-ms 250] [--web-root DIR] [--chromium /usr/bin/chromium]
//
// The page is our own (page.setContent on about:blank), not the player page: it loads
// hls.js from the server's /vendor/hls.min.js, plays the playlist muted and samples every
// --sample-ms: latency = Date.now() - hls.playingDate (the EXT-X-PROGRAM-DATE-TIME of the
// frame shown, interpolated by hls.js). The clock starts at the first 'playing' event;
// samples in the first --warmup seconds are kept apart. Configs on top of the hls.js
// defaults (plus lowLatencyMode from --low-latency): sync1 = liveSyncDurationCount: 1;
// catchup = maxLiveSyncPlaybackRate: 1.5 (hls.js speeds up to reach its target latency). Exit 0 when it played, 1 when it
// never played, 2 on a harness problem.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const opts = {
    base: '', path: '', lowLatency: 0, config: 'default', warmup: 10, measure: 30,
    sampleMs: 250, startTimeout: 30, webRoot: path.resolve(here, '../web'),
    chromium: '/usr/bin/chromium',
  };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in opts)) throw new Error(`unknown option ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!opts.base || !opts.path) throw new Error('--base and --path are required');
  if (!['default', 'sync1', 'catchup'].includes(opts.config))
    throw new Error('--config default|sync1|catchup');
  return opts;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs in the page. Everything is kept in window.__bench; the node side only reads it.
function pageMain({ src, lowLatency, config, sampleMs }) {
  const B = {
    samples: [], events: [], errors: [], firstPlayingAt: null, waiting: [], levelLoads: 0,
    fragLoads: 0, partLoads: 0, version: window.Hls ? window.Hls.version : null, hlsConfig: null,
  };
  window.__bench = B;
  const video = document.querySelector('video');
  const cfg = { lowLatencyMode: !!lowLatency, enableWorker: true, backBufferLength: 30 };
  if (config === 'sync1') cfg.liveSyncDurationCount = 1;
  if (config === 'catchup') cfg.maxLiveSyncPlaybackRate = 1.5;
  const hls = new window.Hls(cfg);
  B.hlsConfig = {
    lowLatencyMode: hls.config.lowLatencyMode, liveSyncDurationCount: hls.config.liveSyncDurationCount,
    liveMaxLatencyDurationCount: hls.config.liveMaxLatencyDurationCount,
    maxLiveSyncPlaybackRate: hls.config.maxLiveSyncPlaybackRate,
  };
  let stallStart = null;
  const now = () => performance.now();
  video.addEventListener('playing', () => {
    if (B.firstPlayingAt === null) B.firstPlayingAt = now();
    if (stallStart !== null) {
      B.waiting[B.waiting.length - 1].ms = now() - stallStart;
      stallStart = null;
    }
  });
  video.addEventListener('waiting', () => {
    if (B.firstPlayingAt === null) return;  // start-up buffering is not a stall
    stallStart = now();
    B.waiting.push({ at: now(), ms: null, currentTime: video.currentTime });
  });
  hls.on(window.Hls.Events.ERROR, (_e, d) => {
    B.errors.push({
      at: now(), type: d.type, details: d.details, fatal: d.fatal,
      url: d.frag ? d.frag.url : (d.url || (d.context && d.context.url) || null),
      code: d.response ? d.response.code : null, reason: d.reason || (d.error ? String(d.error) : null),
    });
    if (!d.fatal) return;
    if (d.type === window.Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    else hls.startLoad();
  });
  hls.on(window.Hls.Events.LEVEL_LOADED, () => { B.levelLoads++; });
  hls.on(window.Hls.Events.FRAG_LOADED, (_e, d) => { if (d.part) B.partLoads++; else B.fragLoads++; });
  hls.loadSource(src);
  hls.attachMedia(video);
  video.muted = true;
  video.play().catch(() => {});
  window.__hls = hls;
  setInterval(() => {
    if (B.firstPlayingAt === null) return;
    const q = video.getVideoPlaybackQuality();
    const d = hls.playingDate;
    let ahead = 0;
    for (let i = 0; i < video.buffered.length; i++) {
      if (video.buffered.start(i) <= video.currentTime && video.currentTime <= video.buffered.end(i))
        ahead = video.buffered.end(i) - video.currentTime;
    }
    B.samples.push({
      t: now() - B.firstPlayingAt,
      latencyMs: d && !Number.isNaN(d.getTime()) ? Date.now() - d.getTime() : null,
      edgeMs: Number.isFinite(hls.latency) ? hls.latency * 1000 : null,
      targetMs: Number.isFinite(hls.targetLatency) ? hls.targetLatency * 1000 : null,
      bufferMs: ahead * 1000, rate: video.playbackRate, paused: video.paused,
      total: q.totalVideoFrames, dropped: q.droppedVideoFrames, currentTime: video.currentTime,
    });
  }, sampleMs);
}

function pct(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarize(b, opts) {
  const warmMs = opts.warmup * 1000;
  const win = b.samples.filter((s) => s.t >= warmMs);
  const lat = win.map((s) => s.latencyMs).filter((v) => v !== null).sort((a, c) => a - c);
  const edge = win.map((s) => s.edgeMs).filter((v) => v !== null).sort((a, c) => a - c);
  const first = win[0];
  const last = win[win.length - 1];
  const stalls = b.waiting.filter((w) => w.at - b.firstPlayingAt >= warmMs);
  const r = (v) => (v === null || v === undefined ? null : Math.round(v));
  return {
    samples: win.length, samplesNoDate: win.length - lat.length,
    latency: { median: r(pct(lat, 50)), p95: r(pct(lat, 95)), min: r(lat[0]), max: r(lat[lat.length - 1]) },
    edge: { median: r(pct(edge, 50)), p95: r(pct(edge, 95)) },
    targetMs: last ? r(last.targetMs) : null,
    bufferMedianMs: r(pct(win.map((s) => s.bufferMs).sort((a, c) => a - c), 50)),
    stalls: stalls.length, stallMs: r(stalls.reduce((a, w) => a + (w.ms ?? 0), 0)),
    stallsTotal: b.waiting.length,
    framesDecoded: first && last ? last.total - first.total : 0,
    droppedFrames: first && last ? last.dropped - first.dropped : 0,
    droppedFramesTotal: last ? last.dropped : 0,
    rateChanges: win.filter((s) => s.rate !== 1).length,
  };
}

async function run(opts, result) {
  const { chromium } = await import(
    pathToFileURL(path.join(opts.webRoot, 'node_modules/playwright-core/index.mjs')).href);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-benchhls-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') result.console.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => result.pageErrors.push(String(e)));
    result.browser = context.browser()?.version() ?? null;
    await page.setContent(
      '<!doctype html><html><body><video muted playsinline width="640" height="360"></video></body></html>',
      { waitUntil: 'load', timeout: 15000 });
    await page.addScriptTag({ url: `${opts.base}/vendor/hls.min.js` });
    if (!(await page.evaluate(() => !!window.Hls && window.Hls.isSupported())))
      throw new Error('hls.js did not load from /vendor/hls.min.js or MSE is missing');
    await page.evaluate(pageMain, {
      src: opts.base + opts.path, lowLatency: opts.lowLatency, config: opts.config, sampleMs: opts.sampleMs,
    });
    const t0 = Date.now();
    let started = false;
    while (Date.now() - t0 < opts.startTimeout * 1000) {
      if (await page.evaluate(() => window.__bench.firstPlayingAt !== null)) { started = true; break; }
      await sleep(100);
    }
    result.startupMs = Date.now() - t0;
    if (started) await sleep((opts.warmup + opts.measure) * 1000 + opts.sampleMs);
    const b = await page.evaluate(() => window.__bench);
    result.hlsVersion = b.version;
    result.hlsConfig = b.hlsConfig;
    result.errors = b.errors;
    result.loads = { playlists: b.levelLoads, fragments: b.fragLoads, parts: b.partLoads };
    result.summary = summarize(b, opts);
    result.series = b.samples.filter((_, i) => i % 4 === 0).map((s) => [Math.round(s.t / 100) / 10,
      s.latencyMs === null ? null : Math.round(s.latencyMs), Math.round(s.bufferMs), s.rate]);
    result.stallList = b.waiting.map((w) => ({ t: Math.round(w.at - b.firstPlayingAt), ms: w.ms && Math.round(w.ms) }));
    if (!started) result.reason = `never played within ${opts.startTimeout} s`;
    return started;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const result = { ok: false, console: [], pageErrors: [] };
let code = 2;
try {
  const opts = parseArgs(process.argv);
  Object.assign(result, { path: opts.path, lowLatency: !!opts.lowLatency, config: opts.config });
  result.ok = await run(opts, result);
  code = result.ok ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
