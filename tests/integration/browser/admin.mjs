// Drives the player page's admin panel (web/admin.js) and what a member sees of it
// (web/chat.js) in headless Chromium with playwright-core; prints one JSON line of
// what the pages showed at each step. Used by browser_test.py (test_admin_panel),
// which asserts on the values.
//
//   node admin.mjs --base http://127.0.0.1:PORT --room live/demo --admin mod1
//                  --admin-sig S --bob-sig S [--timeout 15] [--web-root DIR] [--chromium PATH]
//
// The room must already exist (status 1). Steps: bob (a member) logs in and sees no
// admin panel; the admin logs in and gets one; from the panel: status 3, an
// announcement (and one over 300 bytes, refused), mute bob 60 s (his input box is
// disabled, a send anyway gets 10017), unmute, mute/unmute the whole room, a lottery
// bob enters and wins, a bad lottery (error shown), kick bob with a reason (he is
// out and does not rejoin, even after a reconnect), and unban.
// Exit code 0 when every wait was met, 1 otherwise, 2 on a harness problem.
import { parseOptions, withChromium } from './chromium.mjs';

function parseArgs(argv) {
  return parseOptions(argv, { base: '', room: 'live/demo', admin: 'mod1', adminSig: '', bobSig: '', timeout: 15 },
    ['base', 'adminSig', 'bobSig']);
}

// The chat panel and the admin panel, read from the page in one go.
function snapshot(page) {
  return page.evaluate(() => {
    const el = (id) => document.getElementById(id);
    const visible = (e) => Boolean(e) && !e.hidden && e.getClientRects().length > 0;
    const ids = (listId) => [...(el(listId)?.querySelectorAll('li') ?? [])].map((li) => li.dataset.id);
    const panel = el('admin-panel');
    const chat = window.roomcast?.chat?.state;
    return {
      state: el('chat').dataset.state,
      role: el('chat').dataset.role,
      conn: el('chat-conn').textContent,
      joined: chat ? chat.joined : null,
      wsOpen: Boolean(chat && chat.ws && chat.ws.readyState === 1),
      statusWord: el('chat-status').textContent,
      announcement: el('chat-announcement').hidden ? null : el('chat-announcement').textContent,
      error: el('chat-error').hidden ? null
        : { code: Number(el('chat-error').dataset.code), text: el('chat-error').textContent },
      inputDisabled: el('chat-input').disabled,
      sendDisabled: el('chat-send').disabled,
      muted: el('chat').dataset.muted ?? '',
      note: el('chat-note').textContent,
      notices: [...el('chat-messages').querySelectorAll('li.msg-notice')].map((li) => ({
        type: li.dataset.type, text: li.textContent, elements: li.querySelectorAll('*').length,
      })),
      messages: [...el('chat-messages').querySelectorAll('li[data-msg-id]')].map((li) => ({
        from: li.dataset.from, type: li.dataset.type, text: li.querySelector('.text')?.textContent ?? null,
      })),
      admin: {
        present: Boolean(panel),
        visible: visible(panel),
        loaded: Boolean(chat && chat.admin),
        room: panel?.dataset.room ?? null,
        busy: panel?.dataset.busy ?? '',
        error: !el('admin-error') || el('admin-error').hidden ? null : {
          status: Number(el('admin-error').dataset.status),
          code: el('admin-error').dataset.code === '' ? null : Number(el('admin-error').dataset.code),
          text: el('admin-error').textContent,
        },
        done: el('admin-done')?.textContent ?? '',
        doneAction: el('admin-done')?.dataset.action ?? '',
        statusSelect: el('admin-status')?.value ?? null,
        bytes: Number(el('admin-announcement-bytes')?.dataset.bytes ?? -1),
        mutes: ids('admin-mutes'),
        mutedAll: el('admin-mutes')?.dataset.all ?? null,
        muteAllChecked: el('admin-mute-all')?.checked ?? null,
        bans: ids('admin-bans'),
        lotteryState: el('admin-lottery-result')?.dataset.state ?? null,
        lotteryText: el('admin-lottery-result')?.textContent ?? '',
        lotteryWinners: ids('admin-lottery-result'),
        announcementElements: el('chat-announcement').querySelectorAll('*').length,
      },
    };
  });
}

// Waits until pred(snapshot) holds; returns the last snapshot either way, with .met.
async function waitFor(page, pred, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  let s;
  for (;;) {
    s = await snapshot(page);
    if (pred(s)) return { ...s, met: true };
    if (Date.now() >= deadline) return { ...s, met: false };
    await new Promise((r) => setTimeout(r, 150));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openPage(context, opts, query, result, name) {
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') result.console.push(`${name} ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => result.pageErrors.push(`${name}: ${e}`));
  page.on('dialog', (d) => { result.dialogs.push(`${name}: ${d.message()}`); d.dismiss(); });
  await page.goto(`${opts.base}/?stream=${encodeURIComponent(opts.room)}&proto=flv&muted=1&${query}`,
    { waitUntil: 'load', timeout: 15000 });
  return page;
}

// Clears the panel's last outcome, so that the next one can be waited for.
function clearOutcome(page) {
  return page.evaluate(() => {
    document.getElementById('admin-done').textContent = '';
    document.getElementById('admin-done').dataset.action = '';
    document.getElementById('admin-error').hidden = true;
  });
}

const settled = (action) => (s) => s.admin.busy === '' && (s.admin.doneAction === action || s.admin.error !== null);

// Clicks an admin button and waits until the panel shows the action done or an error.
async function adminDo(page, button, action, T) {
  await clearOutcome(page);
  await page.click(button);
  return waitFor(page, settled(action), T);
}

const hasNotice = (s, type, part) => s.notices.some((n) => n.type === type && n.text.includes(part));

async function steps(context, opts, r) {
  const T = opts.timeout;
  const joined = (s) => s.state === 'joined';

  // A member: no admin panel.
  const bob = await openPage(context, opts, `user=bob&usersig=${encodeURIComponent(opts.bobSig)}`, r, 'bob');
  r.bobJoined = await waitFor(bob, joined, T);
  await sleep(800); // time enough for a wrongly loaded panel to show
  r.bobNoPanel = await snapshot(bob);

  // The admin: the panel shows, loaded with the room's state.
  const mod = await openPage(context, opts, `user=${opts.admin}&usersig=${encodeURIComponent(opts.adminSig)}`, r, 'admin');
  r.adminJoined = await waitFor(mod, (s) => joined(s) && s.admin.visible && s.admin.statusSelect === '1'
    && s.admin.busy === '', T);

  // Status 3 -> bob's page says "paused".
  await mod.selectOption('#admin-status', '3');
  r.setStatus = await adminDo(mod, '#admin-status-btn', 'status', T);
  r.bobPaused = await waitFor(bob, (s) => s.statusWord === 'paused', T);

  // An announcement (HTML in it stays text) -> bob sees it.
  const announcement = 'Admin says: back at <b>9</b> & stay tuned';
  await mod.fill('#admin-announcement', announcement);
  r.setAnnouncement = await adminDo(mod, '#admin-announcement-btn', 'announcement', T);
  r.bobAnnouncement = await waitFor(bob, (s) => s.announcement === announcement, T);

  // Over 300 bytes (151 two-byte characters = 302 bytes): the server's error is shown.
  await mod.fill('#admin-announcement', 'é'.repeat(151));
  r.longAnnouncement = await adminDo(mod, '#admin-announcement-btn', 'announcement', T);
  await sleep(300);
  r.bobAfterLong = await snapshot(bob);

  // Mute bob for 60 s: his input box is disabled with a note; a send anyway gets 10017.
  await mod.fill('#admin-mute-user', 'bob');
  await mod.fill('#admin-mute-seconds', '60');
  r.muteBob = await adminDo(mod, '#admin-mute-btn', 'mute', T);
  r.bobMuted = await waitFor(bob, (s) => s.inputDisabled && s.muted === 'self', T);
  r.bobMutedSend = await bob.evaluate(() => window.roomcast.chat.send('can I still talk?'));
  r.bobMutedError = await waitFor(bob, (s) => s.error !== null, T);
  await mod.click('#admin-refresh');
  r.adminMuteList = await waitFor(mod, (s) => s.admin.mutes.includes('bob') && s.admin.busy === '', T);

  // Unmute (0 s): bob can type again; the list is empty.
  await mod.fill('#admin-mute-seconds', '0');
  r.unmuteBob = await adminDo(mod, '#admin-mute-btn', 'mute', T);
  r.bobUnmuted = await waitFor(bob, (s) => !s.inputDisabled && s.muted === '', T);

  // The whole room: bob is disabled with a note, the admin is not.
  await clearOutcome(mod);
  await mod.check('#admin-mute-all');
  r.muteAll = await waitFor(mod, settled('mute-all'), T);
  r.bobMutedAll = await waitFor(bob, (s) => s.inputDisabled && s.muted === 'all', T);
  r.adminWhileAll = await snapshot(mod);
  await clearOutcome(mod);
  await mod.uncheck('#admin-mute-all');
  r.unmuteAll = await waitFor(mod, settled('mute-all'), T);
  r.bobUnmutedAll = await waitFor(bob, (s) => !s.inputDisabled && s.muted === '', T);

  // A lottery: "lucky" for 6 s, 1 winner; bob enters from his page and wins.
  await mod.fill('#admin-lottery-keyword', 'lucky');
  await mod.fill('#admin-lottery-seconds', '6');  // bob's entry within it on a loaded machine too
  await mod.fill('#admin-lottery-winners', '1');
  r.lotteryStart = await adminDo(mod, '#admin-lottery-btn', 'lottery', T);
  r.bobLotteryOpen = await waitFor(bob, (s) => hasNotice(s, 'lottery', 'lucky'), T);
  await bob.fill('#chat-input', 'lucky');
  await bob.click('#chat-send');
  r.bobSentLucky = await waitFor(bob, (s) => s.messages.some((m) => m.from === 'bob' && m.text === 'lucky'), T);
  r.lotteryDrawn = await waitFor(mod, (s) => s.admin.lotteryState === 'drawn', T + 5);
  r.bobLotteryDrawn = await waitFor(bob, (s) => hasNotice(s, 'lottery', 'drawn'), T);

  // A lottery the server refuses (0 s): its error shows in the panel.
  await mod.fill('#admin-lottery-seconds', '0');
  r.badLottery = await adminDo(mod, '#admin-lottery-btn', 'lottery', T);

  // Kick bob with reason "spam" (ban for good): he is out and shown why.
  await mod.fill('#admin-kick-user', 'bob');
  await mod.fill('#admin-kick-reason', 'spam');
  await mod.fill('#admin-kick-seconds', '0');
  r.kickBob = await adminDo(mod, '#admin-kick-btn', 'kick', T);
  r.bobKicked = await waitFor(bob, (s) => s.state === 'kicked' && s.joined === '', T);
  r.adminSawKick = await waitFor(mod, (s) => hasNotice(s, 'kicked', 'spam') && s.admin.bans.includes('bob'), T);
  // No auto-rejoin: a dropped socket reconnects and logs in, but does not join again.
  const closed = await bob.evaluate(() => new Promise((resolve) => {
    const ws = window.roomcast.chat.state.ws;
    if (!ws) { resolve(false); return; }
    ws.addEventListener('close', () => resolve(true));
    ws.close(4001, 'test drop');
  }));
  r.bobDropped = { closed };
  r.bobRelogged = await waitFor(bob, (s) => s.state === 'kicked' && s.wsOpen, T + 5);
  await sleep(1500);
  r.bobStillOut = await snapshot(bob);

  // Unban from the list: the ban list is empty again.
  await mod.fill('#admin-unban-user', 'bob');
  r.unban = await adminDo(mod, '#admin-unban-btn', 'unban', T);
}

async function run(opts, r) {
  await withChromium(opts, { width: 1400, height: 1000 }, r, (context) => steps(context, opts, r));
  return Object.values(r).every((v) => !(v && typeof v === 'object' && v.met === false));
}

const result = { ok: false, console: [], pageErrors: [], dialogs: [] };
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
