// Drives the player page's chat panel (web/chat.js) in headless Chromium with
// playwright-core and prints one JSON line of what the pages showed at each step.
// Used by browser_test.py (test_chat_panel), which asserts on the values.
//
//   node chat.mjs --base http://127.0.0.1:PORT --room live/demo --alice-sig S
//                 --bob-sig S --admin-sig S [--timeout 15] [--web-root DIR] [--chromium PATH]
//
// The room must already exist (status 1, announcement "hello"). Steps: alice and bob
// log in from the URL; each sends from the page; a system message and status/info
// changes come over the HTTP API; a guest joins later (history, cannot send, an
// error reply shown); alice's socket is closed by the server (oversized frame) and
// the page reconnects without duplicating messages; a danmaku flood is capped.
// Exit code 0 when every wait was met, 1 otherwise, 2 on a harness problem.
import { parseOptions, withChromium } from './chromium.mjs';

function parseArgs(argv) {
  return parseOptions(argv, { base: '', room: 'live/demo', aliceSig: '', bobSig: '', adminSig: '', timeout: 15 },
    ['base', 'aliceSig', 'bobSig', 'adminSig']);
}

// Everything about the chat panel, read from the page in one go.
function chatSnapshot(page) {
  return page.evaluate(() => {
    const el = (id) => document.getElementById(id);
    const layer = el('danmaku-layer');
    const video = el('video').getBoundingClientRect();
    return {
      state: el('chat').dataset.state,
      role: el('chat').dataset.role,
      conn: el('chat-conn').textContent,
      statusWord: el('chat-status').textContent,
      status: el('chat-status').dataset.status,
      announcement: el('chat-announcement').hidden ? null : el('chat-announcement').textContent,
      online: el('chat-online').dataset.count === '' ? null : Number(el('chat-online').dataset.count),
      error: el('chat-error').hidden ? null
        : { code: Number(el('chat-error').dataset.code), text: el('chat-error').textContent },
      inputDisabled: el('chat-input').disabled,
      sendDisabled: el('chat-send').disabled,
      inputValue: el('chat-input').value,
      note: el('chat-note').textContent,
      messages: [...el('chat-messages').querySelectorAll('li[data-msg-id]')].map((li) => ({
        msgId: li.dataset.msgId,
        type: li.dataset.type,
        from: li.dataset.from,
        system: li.classList.contains('msg-system'),
        nick: li.querySelector('.nick')?.textContent ?? null,
        text: li.querySelector('.text')?.textContent ?? null,
        elements: li.querySelectorAll('*').length, // nick + text spans only: user HTML is not parsed
      })),
      danmaku: [...layer.querySelectorAll('.danmaku')].map((d) => {
        const r = d.getBoundingClientRect();
        return {
          text: d.textContent,
          animation: getComputedStyle(d).animationName,
          overVideo: r.bottom > video.top && r.top < video.bottom && r.height > 0,
        };
      }),
      flying: Number(layer.dataset.flying),
      dropped: Number(layer.dataset.dropped),
    };
  });
}

// Waits until pred(snapshot) holds; returns the last snapshot either way, with
// .met saying whether it held.
async function waitChat(page, pred, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  let s;
  for (;;) {
    s = await chatSnapshot(page);
    if (pred(s)) return { ...s, met: true };
    if (Date.now() >= deadline) return { ...s, met: false };
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function api(opts, method, pathName, body) {
  const url = `${opts.base}/api/v1/${pathName}?identifier=administrator&usersig=${encodeURIComponent(opts.adminSig)}`;
  const r = await fetch(url, {
    method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: text.slice(0, 500) };
}

function roomPath(room) {
  return `rooms/${room.split('/').map(encodeURIComponent).join('/')}`;
}

async function openPage(context, opts, query, result, name) {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') result.console.push(`${name} ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => result.pageErrors.push(`${name}: ${e}`));
  await page.goto(`${opts.base}/?stream=${encodeURIComponent(opts.room)}&proto=flv&muted=1&${query}`,
    { waitUntil: 'load', timeout: 15000 });
  return page;
}

async function sendFromPage(page, text) {
  await page.fill('#chat-input', text);
  await page.click('#chat-send');
}

const hasText = (s, text) => s.messages.some((m) => m.text === text);

// The x position of the danmaku showing text, now and 400 ms later (null if none).
function danmakuTrack(page, text) {
  return page.evaluate(async (t) => {
    const find = () => [...document.querySelectorAll('#danmaku-layer .danmaku')].find((d) => d.textContent === t);
    const x = () => (find() ? find().getBoundingClientRect().left : null);
    const x0 = x();
    await new Promise((r) => setTimeout(r, 400));
    return { x0, x1: x() };
  }, text);
}

async function steps(context, opts, r) {
  const T = opts.timeout;
  const joined = (s) => s.state === 'joined';
  const alice = await openPage(context, opts, `user=alice&usersig=${encodeURIComponent(opts.aliceSig)}`, r, 'alice');
  r.aliceJoined = await waitChat(alice, (s) => joined(s) && s.online !== null, T);

  const bob = await openPage(context, opts, `user=bob&usersig=${encodeURIComponent(opts.bobSig)}`, r, 'bob');
  r.bobJoined = await waitChat(bob, joined, T);
  r.aliceOnline2 = await waitChat(alice, (s) => s.online === 2, T);

  const fromAlice = 'hello from alice';
  await alice.bringToFront(); // animations run in the front tab only
  await sendFromPage(alice, fromAlice);
  r.aliceSent = await waitChat(alice, (s) => hasText(s, fromAlice) && s.danmaku.some((d) => d.text === fromAlice), T);
  r.aliceDanmakuTrack = await danmakuTrack(alice, fromAlice);
  r.bobGotAlice = await waitChat(bob, (s) => hasText(s, fromAlice), T);

  const fromBob = 'hi <b>bold</b> & <img src=x onerror=alert(1)>';
  await sendFromPage(bob, fromBob);
  r.aliceGotBob = await waitChat(alice, (s) => hasText(s, fromBob), T);

  const systemText = 'system notice from the API';
  r.apiMessage = await api(opts, 'POST', `${roomPath(opts.room)}/messages`, { type: 'system', body: { text: systemText } });
  r.aliceGotSystem = await waitChat(alice, (s) => hasText(s, systemText), T);

  r.apiLive = await api(opts, 'PATCH', roomPath(opts.room), { status: 2 });
  r.aliceLive = await waitChat(alice, (s) => s.statusWord === 'live', T);
  r.apiPaused = await api(opts, 'PATCH', roomPath(opts.room), { status: 3, announcement: 'back in five' });
  r.alicePaused = await waitChat(alice, (s) => s.statusWord === 'paused' && s.announcement === 'back in five', T);

  const guest = await openPage(context, opts, 'guest=1', r, 'guest');
  r.guestJoined = await waitChat(guest, (s) => joined(s) && hasText(s, fromBob), T);
  await guest.evaluate(() => window.roomcast.chat.setRoom('live/nope'));
  r.guestNoRoom = await waitChat(guest, (s) => s.error !== null, T);
  await guest.evaluate((room) => window.roomcast.chat.setRoom(room), opts.room);
  r.guestBack = await waitChat(guest, joined, T);

  // The server closes alice's socket (a frame over 12 KiB, code 1009): she comes back.
  const before = (await chatSnapshot(alice)).messages.length;
  r.aliceKicked = await alice.evaluate((room) => new Promise((resolve) => {
    const ws = window.roomcast.chat.state.ws;
    ws.addEventListener('close', (e) => resolve({ code: e.code }));
    ws.send(JSON.stringify({ cmd: 'send', room, type: 'text', body: { text: 'x'.repeat(13000) } }));
    setTimeout(() => resolve({ code: null }), 5000);
  }), opts.room);
  r.aliceReconnecting = await chatSnapshot(alice);
  r.aliceRejoined = await waitChat(alice, joined, T + 5);
  r.aliceMessagesBefore = before;
  const afterText = 'alice is back';
  await sendFromPage(alice, afterText);
  r.bobGotAfter = await waitChat(bob, (s) => hasText(s, afterText), T);
  r.aliceAfter = await waitChat(alice, (s) => hasText(s, afterText), T);

  // A flood of danmaku is capped, and every one leaves at its animation end.
  await alice.bringToFront();
  r.flood = await alice.evaluate(() => {
    let flew = 0;
    for (let i = 0; i < 200; i++) if (window.roomcast.chat.fly(`flood ${i}`)) flew++;
    return { flew };
  });
  r.floodSnap = await chatSnapshot(alice);
  r.floodGone = await waitChat(alice, (s) => s.flying === 0 && s.danmaku.length === 0, 15);
}

async function run(opts, r) {
  await withChromium(opts, { width: 1400, height: 900 }, r, (context) => steps(context, opts, r));
  return Object.values(r).every((v) => !(v && typeof v === 'object' && v.met === false));
}

const result = { ok: false, console: [], pageErrors: [] };
let code = 2;
try {
  const opts = parseArgs(process.argv);
  result.ok = await run(opts, result);
  code = result.ok ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
