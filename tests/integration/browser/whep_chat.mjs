// The player page playing by WHEP with a logged-in chat (web/chat.js + whep.js) in
// headless Chromium: the chat's danmaku goes on the player's "room" data channel.
// Prints one JSON line; used by webrtc_room_test.py.
//
//   node whep_chat.mjs --base http://127.0.0.1:PORT --room live/demo --user alice --sig S
//                      --text "..." [--timeout 20] [--web-root DIR] [--chromium PATH]
//
// Steps: open /?stream=ROOM&proto=whep&autoplay=1&muted=1&user=..&usersig=..; wait for
// the chat joined and the room channel open; send TEXT from the chat input; wait for
// #chat[data-send-via] and the message in the list. Exit 0 when every wait was met.
import { parseOptions, withChromium } from './chromium.mjs';

async function waitFor(page, fn, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const s = await page.evaluate(fn);
    if (s.ok) return { ...s, met: true };
    if (Date.now() >= deadline) return { ...s, met: false };
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function steps(context, opts, r) {
  const page = await context.newPage();
  page.on('pageerror', (e) => r.pageErrors.push(String(e)));
  const query = `stream=${encodeURIComponent(opts.room)}&proto=whep&autoplay=1&muted=1` +
    `&user=${encodeURIComponent(opts.user)}&usersig=${encodeURIComponent(opts.sig)}`;
  await page.goto(`${opts.base}/?${query}`, { waitUntil: 'load', timeout: 15000 });
  r.ready = await waitFor(page, () => {
    const chat = document.getElementById('chat').dataset.state;
    const channel = window.roomcast?.whep?.roomChannel;
    return { ok: chat === 'joined' && channel === 'open', chat, channel };
  }, opts.timeout);
  await page.fill('#chat-input', opts.text);
  await page.click('#chat-send');
  r.sent = await page.evaluate(() => document.getElementById('chat').dataset.sendVia);
  r.shown = await waitFor(page, new Function(`
    const rows = [...document.querySelectorAll('#chat-messages li')].map((li) => li.textContent);
    const error = document.getElementById('chat-error').textContent;
    return { ok: rows.some((t) => t.includes(${JSON.stringify(opts.text)})), rows: rows.slice(-5), error };`),
  opts.timeout);
}

const result = { ok: false, pageErrors: [] };
let code = 2;
try {
  const opts = parseOptions(process.argv, { base: '', room: 'live/demo', user: '', sig: '', text: '', timeout: 20 },
    ['base', 'user', 'sig', 'text']);
  await withChromium(opts, { width: 960, height: 600 }, result, (context) => steps(context, opts, result));
  result.ok = result.ready.met && result.shown.met && result.pageErrors.length === 0;
  code = result.ok ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
