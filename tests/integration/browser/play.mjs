// Drives headless Debian Chromium (playwright-core from web/node_modules) on the
// roomcast player page and prints one JSON result line. Used by browser_test.py.
//
//   node play.mjs --page URL [--stream live/demo] [--seconds 3] [--timeout 45]
//                 [--expect playing|error] [--web-root DIR] [--chromium /usr/bin/chromium]
//
// --expect playing: wait until video.currentTime has advanced by --seconds with the
// decoded frame count rising. --expect error: wait for #player[data-state=error].
// Exit code 0 when the expectation was met, 1 otherwise, 2 on a harness problem.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const opts = {
    page: '', stream: '', seconds: 3, timeout: 45, expect: 'playing',
    webRoot: path.resolve(here, '../../../web'), chromium: '/usr/bin/chromium',
  };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(k in opts)) throw new Error(`unknown option ${argv[i]}`);
    opts[k] = typeof opts[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!opts.page) throw new Error('--page URL is required');
  return opts;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Everything the test asserts on, read from the page in one go.
function snapshot(page) {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    const q = v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : null;
    const el = (id) => document.getElementById(id);
    return {
      currentTime: v ? v.currentTime : null,
      paused: v ? v.paused : null,
      readyState: v ? v.readyState : null,
      videoWidth: v ? v.videoWidth : 0,
      videoHeight: v ? v.videoHeight : 0,
      totalVideoFrames: q ? q.totalVideoFrames : null,
      droppedVideoFrames: q ? q.droppedVideoFrames : null,
      presentedFrames: Number(el('frames')?.dataset.presented || 0),
      pageFrames: Number(el('frames')?.dataset.total || 0),
      state: el('player')?.dataset.state ?? null,
      status: el('status')?.textContent ?? null,
      latencyText: el('latency')?.textContent ?? null,
      latencyMs: el('latency')?.dataset.ms === '' ? null : Number(el('latency')?.dataset.ms),
      latencyKind: el('latency-kind')?.textContent ?? null,
      bufferMs: el('buffer')?.dataset.ms === '' ? null : Number(el('buffer')?.dataset.ms),
      streams: [...document.querySelectorAll('#streams li')].map((li) => li.dataset.key),
    };
  });
}

async function run(opts, result) {
  const { chromium } = await import(
    pathToFileURL(path.join(opts.webRoot, 'node_modules/playwright-core/index.mjs')).href);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') result.console.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => result.pageErrors.push(String(e)));
    result.browser = context.browser()?.version() ?? null;
    await page.goto(opts.page, { waitUntil: 'load', timeout: 15000 });
    result.mse = await page.evaluate(() => ({
      h264aac: MediaSource.isTypeSupported('video/mp4; codecs="avc1.640028,mp4a.40.2"'),
      h264: MediaSource.isTypeSupported('video/mp4; codecs="avc1.640028"'),
      aac: MediaSource.isTypeSupported('audio/mp4; codecs="mp4a.40.2"'),
    }));
    const deadline = Date.now() + opts.timeout * 1000;
    if (opts.stream) {
      while (Date.now() < deadline) {
        const s = await snapshot(page);
        if (s.streams.includes(opts.stream)) break;
        await sleep(250);
      }
    }
    result.first = await snapshot(page);
    result.streamListed = opts.stream ? result.first.streams.includes(opts.stream) : null;
    return await (opts.expect === 'error' ? waitError(page, deadline, result) : waitPlaying(page, opts, deadline, result));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function waitError(page, deadline, result) {
  while (Date.now() < deadline) {
    result.last = await snapshot(page);
    if (result.last.state === 'error') return true;
    await sleep(250);
  }
  result.reason = 'page never reached data-state=error';
  return false;
}

async function waitPlaying(page, opts, deadline, result) {
  // Phase 1: first decoded frame with the clock running.
  let start = null;
  const t0 = Date.now();
  while (Date.now() < deadline) {
    const s = await snapshot(page);
    result.last = s;
    if (s.totalVideoFrames > 0 && s.currentTime > 0 && !s.paused) { start = s; break; }
    await sleep(200);
  }
  if (!start) {
    result.reason = 'no frame decoded / clock never started';
    return false;
  }
  result.start = start;
  result.startupMs = Date.now() - t0;
  // Phase 2: the clock advances by opts.seconds while frames keep being decoded.
  const wall0 = Date.now();
  while (Date.now() < deadline) {
    await sleep(250);
    const s = await snapshot(page);
    result.last = s;
    if (s.currentTime - start.currentTime >= opts.seconds && s.totalVideoFrames > start.totalVideoFrames) {
      result.end = s;
      result.advancedS = s.currentTime - start.currentTime;
      result.framesDecoded = s.totalVideoFrames - start.totalVideoFrames;
      result.wallS = (Date.now() - wall0) / 1000;
      // Let the page's 250 ms stats timer run once more so #latency/#frames are fresh.
      await sleep(600);
      result.end = await snapshot(page);
      return true;
    }
  }
  result.reason = `currentTime advanced ${(result.last.currentTime - start.currentTime).toFixed(2)} s ` +
    `(< ${opts.seconds}) or frames did not increase`;
  return false;
}

const result = { ok: false, console: [], pageErrors: [] };
let code = 2;
try {
  const opts = parseArgs(process.argv);
  result.page = opts.page;
  result.expect = opts.expect;
  result.ok = await run(opts, result);
  code = result.ok ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
