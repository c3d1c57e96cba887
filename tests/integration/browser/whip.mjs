// Publishes by WHIP from headless Chromium (fake camera and microphone, or the page's
// test pattern) with the player page's own whip.js, for --seconds, then stops (the
// DELETE) and prints one JSON result line. Used by webrtc_test.py.
//
//   node whip.mjs --origin http://127.0.0.1:PORT --stream live/cam [--seconds 10]
//                 [--source camera|pattern] [--color #rrggbb] [--token T] [--timeout 30] [--ui 1]
//                 [--width 640 --height 360] [--sample-ms 500] [--fake-video file.y4m]
// --color: the pattern is that colour only (no hue, no clock text).
//
// --ui 1: through the page's "Go live" form (golive.js) instead of calling whip.js.
//
// The result: ok, the page's stats over time (framesEncoded, bytesSent, codec,
// state), the answer's error if refused. Exit 0 when the connection reached
// "connected" and frames were encoded, 1 otherwise, 2 on a harness problem.
import { parseOptions, withChromium } from './chromium.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(opts, result) {
  await withChromium(opts, { width: 640, height: 360 }, result, async (context) => {
    const { width, height } = opts;
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => result.pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') result.console.push(m.text());
    });
    // The origin's page: whip.js is served next to it (same origin as /whip/).
    await page.goto(`${opts.origin}/`, { waitUntil: 'load', timeout: 15000 });
    if (opts.ui) {
      // As a user: the page's Go live form (golive.js).
      await page.fill('#golive-stream', opts.stream);
      await page.selectOption('#golive-source', opts.source);
      await page.click('#golive-start');
      await page.waitForFunction(() => window.roomcast && window.roomcast.whip
        || document.getElementById('golive').dataset.state === 'error', null, { timeout: 15000 });
      const failed = await page.evaluate(() => document.getElementById('golive').dataset.state === 'error'
        ? document.getElementById('golive-status').textContent : null);
      result.started = failed ? { ok: false, error: failed } : { ok: true };
      if (failed) {
        result.reason = failed;
        return;
      }
      await page.evaluate(() => { window.__whip = { stats: window.roomcast.whip,
        stop: () => document.getElementById('golive-stop').click() }; });
    }
    const started = opts.ui ? result.started : await page.evaluate(async ({ stream, source, token, color, width, height }) => {
      try {
        const m = await import('/whip.js');
        const media = source === 'pattern' ? m.testPattern(width, height, 30, color)
          : await navigator.mediaDevices.getUserMedia({ video: { width, height }, audio: true });
        window.__whip = await m.startWhip(`/whip/${stream}`, media, { token });
        return { ok: true };
      } catch (e) {
        return { ok: false, error: String(e && e.message ? e.message : e) };
      }
    }, { stream: opts.stream, source: opts.source, token: opts.token, color: opts.color, width, height });
    result.started = started;
    if (!started.ok) {
      result.reason = started.error;
      return;
    }
    const deadline = Date.now() + opts.timeout * 1000;
    let connectedAt = null;
    while (Date.now() < deadline) {
      const s = await page.evaluate(() => ({ ...window.__whip.stats }));
      result.samples.push({ t: Date.now(), ...s });
      if (s.state === 'connected' && connectedAt === null) connectedAt = Date.now();
      if (s.state === 'failed') break;
      if (connectedAt !== null && Date.now() - connectedAt >= opts.seconds * 1000) break;
      await sleep(opts.sampleMs);
    }
    result.last = result.samples[result.samples.length - 1] || null;
    result.ok = connectedAt !== null && !!result.last && result.last.framesEncoded > 0;
    if (!result.ok) result.reason = `state ${result.last && result.last.state}, frames ${result.last && result.last.framesEncoded}`;
    await page.evaluate(() => window.__whip.stop());
    await sleep(300); // the DELETE leaves
  });
  return result.ok;
}

const result = { ok: false, console: [], pageErrors: [], samples: [] };
let code = 2;
try {
  const opts = parseOptions(process.argv, {
    origin: '', stream: '', seconds: 10, source: 'camera', token: '', timeout: 30, ui: '', color: '',
    width: 640, height: 360, sampleMs: 500, fakeVideo: '',
  }, ['origin', 'stream']);
  code = await run(opts, result) ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
