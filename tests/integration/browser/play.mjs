// Drives headless Debian Chromium (playwright-core from web/node_modules, launched by
// chromium.mjs) on the roomcast player page and prints one JSON result line. Used by
// browser_test.py and abr_browser_test.py.
//
//   node play.mjs --page URL [--stream live/demo] [--seconds 3] [--timeout 45]
//                 [--expect playing|error] [--level auto|lowest|highest|N]
//                 [--web-root DIR] [--chromium /usr/bin/chromium]
//
// --expect playing: wait until video.currentTime has advanced by --seconds with the
// decoded frame count rising. --expect error: wait for #player[data-state=error].
// --level: once the first frame played, pick that entry of the page's level menu
// (#level: Auto, the level of lowest or highest data-bitrate, or hls.levels index N),
// wait for the page to report LEVEL_SWITCHED to it (not for Auto), then measure the
// --seconds from there. The result has every #level snapshot (levelAtStart, end.level),
// the pick (level: {value, url, pickT, switchedT}), the page's media requests
// (requests: [{t, url}], wall ms, /api/ left out) and its 'waiting' stalls
// (stalls: [{t, ms}]).
// Exit code 0 when the expectation was met, 1 otherwise, 2 on a harness problem.
import { parseOptions, withChromium } from './chromium.mjs';

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
      abr: Object.fromEntries([...document.querySelectorAll('#streams li')].map((li) => [
        li.dataset.key, li.querySelector('.abr') ? li.querySelector('.abr').textContent : null])),
      mediaUrl: el('media-url')?.textContent ?? null,
      level: levelMenu(el('level')),
      stalls: window.__playStalls ? window.__playStalls.slice() : [],
      // WHEP (whep.js): getStats numbers (framesDecoded, keyFramesDecoded, audioPackets,
      // delayMs, state).
      whep: window.roomcast && window.roomcast.whep
        ? { ...window.roomcast.whep, roomEvents: window.roomcast.whep.roomEvents.slice() } : null,
    };

    function levelMenu(menu) {
      if (!menu) return null;
      return {
        visible: menu.checkVisibility ? menu.checkVisibility() : !menu.hidden,
        value: menu.value,
        current: menu.dataset.current === '' ? null : Number(menu.dataset.current),
        auto: menu.dataset.auto,
        switches: Number(menu.dataset.switches || 0),
        options: [...menu.options].map((o) => ({
          value: o.value, text: o.textContent, height: Number(o.dataset.height || 0),
          bitrate: Number(o.dataset.bitrate || 0), url: o.dataset.url || null,
        })),
      };
    }
  });
}

// 'waiting' stalls of the video, each closed by the next 'playing' or moving clock.
function watchStalls() {
  const v = document.querySelector('video');
  const stalls = window.__playStalls = [];
  let open = null;
  const close = () => {
    if (open) open.ms = Date.now() - open.t;
    open = null;
  };
  v.addEventListener('waiting', () => {
    if (open) return;
    open = { t: Date.now(), ms: null, at: v.currentTime };
    stalls.push(open);
  });
  v.addEventListener('playing', close);
  v.addEventListener('timeupdate', () => {
    if (open && v.currentTime > open.at + 0.05) close();
  });
}

async function run(opts, result) {
  await withChromium(opts, { width: 1280, height: 720 }, result, async (context) => {
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') result.console.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => result.pageErrors.push(String(e)));
    page.on('request', (req) => {
      const type = req.resourceType();
      if ((type === 'xhr' || type === 'fetch') && !new URL(req.url()).pathname.startsWith('/api/')
          && result.requests.length < 2000) {
        result.requests.push({ t: Date.now(), url: req.url() });
      }
    });
    await page.goto(opts.page, { waitUntil: 'load', timeout: 15000 });
    await page.evaluate(watchStalls);
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
    result.ok = await (opts.expect === 'error' ? waitError(page, deadline, result)
      : waitPlaying(page, opts, deadline, result));
  });
  return result.ok;
}

// The option of the menu that --level names, or null.
function chooseLevel(menu, want) {
  const levels = menu.options.filter((o) => o.value !== '-1');
  if (want === 'auto') return menu.options.find((o) => o.value === '-1') || null;
  if (!levels.length) return null;
  if (want === 'lowest') return levels.reduce((a, b) => (b.bitrate < a.bitrate ? b : a));
  if (want === 'highest') return levels.reduce((a, b) => (b.bitrate > a.bitrate ? b : a));
  return levels.find((o) => o.value === String(Number(want))) || null;
}

// Picks --level in the page's menu as a user would; true once the page plays it.
async function pickLevel(page, opts, deadline, result) {
  const before = await snapshot(page);
  result.levelAtStart = before.level;
  const option = before.level && before.level.visible ? chooseLevel(before.level, opts.level) : null;
  if (!option) {
    result.reason = `no level menu entry for --level ${opts.level}: ${JSON.stringify(before.level)}`;
    return false;
  }
  result.level = { value: option.value, text: option.text, url: option.url, pickT: Date.now() };
  await page.selectOption('#level', option.value);
  if (option.value === '-1') {
    result.level.switchedT = result.level.pickT;
    return true;
  }
  while (Date.now() < deadline) {
    const s = await snapshot(page);
    result.last = s;
    if (s.level.current === Number(option.value) && s.level.auto === 'false') {
      result.level.switchedT = Date.now();
      return true;
    }
    await sleep(100);
  }
  result.reason = `the page never reported LEVEL_SWITCHED to level ${option.value} (${option.text})`;
  return false;
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
  result.startupMs = Date.now() - t0;
  if (opts.level) {
    if (!await pickLevel(page, opts, deadline, result)) return false;
    start = await snapshot(page); // the clock is measured from the switch on
  }
  result.start = start;
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
      // NOTE: on a loaded machine a 250 ms tick without a new frame shows "buffering…"
      // for a moment: give the page up to 2 s to show its playing state again.
      for (let i = 0; i < 8 && result.end.state !== 'playing'; i += 1) {
        await sleep(250);
        result.end = await snapshot(page);
      }
      return true;
    }
  }
  result.reason = `currentTime advanced ${(result.last.currentTime - start.currentTime).toFixed(2)} s ` +
    `(< ${opts.seconds}) or frames did not increase`;
  return false;
}

const result = { ok: false, console: [], pageErrors: [], requests: [] };
let code = 2;
try {
  const opts = parseOptions(process.argv, {
    page: '', stream: '', seconds: 3, timeout: 45, expect: 'playing', level: '',
  }, ['page']);
  result.page = opts.page;
  result.expect = opts.expect;
  code = await run(opts, result) ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
