// Plays a page of the roomcast player (live or ?replay=) in headless Chromium and
// prints one JSON line with the room events the page took from inside the media
// (window.roomcast.sidechannel.log) and the danmaku it flew. Used by
// sidechannel_browser_test.py.
//
//   node sidechannel.mjs --page URL [--messages 3] [--prefix TEXT] [--timeout 40] [--web-root DIR]
//
// Waits until --messages chat messages (whose text starts with --prefix) came
// through the media, or the timeout.
// Exit code 0 when they did, 1 otherwise, 2 on a harness problem.
import { parseOptions, withChromium } from './chromium.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function snapshot(page) {
  return page.evaluate(() => {
    const side = window.roomcast && window.roomcast.sidechannel;
    const v = document.getElementById('video');
    return {
      state: document.getElementById('player').dataset.state,
      status: document.getElementById('status').textContent,
      currentTime: v.currentTime,
      log: side ? side.log.map((l) => ({ ...l })) : [],

      danmaku: [...document.querySelectorAll('#danmaku-layer .danmaku')].map((d) => ({
        text: d.textContent, source: d.dataset.source,
      })),
    };
  });
}

async function main() {
  const r = { ok: false, console: [], pageErrors: [] };
  let opts;
  try {
    opts = parseOptions(process.argv, { page: '', messages: 3, prefix: '', timeout: 40 }, ['page']);
  } catch (e) {
    console.log(JSON.stringify({ ok: false, harness: e.message }));
    process.exit(2);
  }
  try {
    await withChromium(opts, { width: 1280, height: 720 }, r, async (context) => {
      const page = context.pages()[0] || await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') r.console.push(m.text());
      });
      page.on('pageerror', (e) => r.pageErrors.push(String(e)));
      await page.goto(opts.page, { waitUntil: 'load', timeout: 15000 });
      const deadline = Date.now() + opts.timeout * 1000;
      let s = await snapshot(page);
      const messages = (x) => x.log.filter((l) => l.event && l.event.event === 'message' &&
        String(l.event.body && l.event.body.text).startsWith(opts.prefix)).length;
      // Flown danmaku leave the layer after a few seconds: keep every one seen.
      const flown = new Map();
      while (Date.now() < deadline) {
        s = await snapshot(page);
        for (const d of s.danmaku) flown.set(`${d.source}|${d.text}`, d);
        if (messages(s) >= opts.messages) break;
        await sleep(100);
      }
      r.final = s;
      r.flown = [...flown.values()];
      r.ok = messages(s) >= opts.messages;
    });
  } catch (e) {
    r.harness = String(e && e.stack || e);
    console.log(JSON.stringify(r));
    process.exit(2);
  }
  console.log(JSON.stringify(r));
  process.exit(r.ok ? 0 : 1);
}

main();
