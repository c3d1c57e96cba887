// roomcast admin panel: for a chat login whose role is `admin`, moderates the room
// of the stream being played through the HTTP API (docs/room-protocol.md, "Server
// API") with the admin's own user id + UserSig: status, announcement, mute a member
// or the whole room, kick and unban, lotteries, the mute and ban lists. Loaded by
// chat.js with a dynamic import; every API error is shown (HTTP status, error, code).
//
// All server and user text goes in with textContent, never innerHTML.
// Stable hooks for tests: #admin-panel[hidden|data-room|data-busy], #admin-status,
// #admin-status-btn, #admin-announcement, #admin-announcement-btn,
// #admin-announcement-bytes[data-bytes], #admin-mute-user, #admin-mute-seconds,
// #admin-mute-btn, #admin-mute-all (checkbox), #admin-kick-user, #admin-kick-reason,
// #admin-kick-seconds, #admin-kick-btn, #admin-unban-user, #admin-unban-btn,
// #admin-lottery-keyword, #admin-lottery-seconds, #admin-lottery-winners,
// #admin-lottery-btn, #admin-lottery-result[data-state] li[data-id],
// #admin-mutes[data-all] li[data-id|data-until], #admin-bans li[data-id|data-until],
// #admin-refresh, #admin-error[data-status|data-code], #admin-done[data-action].

import { apiCall } from './api.js';

const MAX_ANNOUNCEMENT_BYTES = 300; // the server's limit; longer ones are sent and refused
const FOREVER_SECONDS = 4294967295; // a mute "for good" (the API's value)
const REFRESH_DEBOUNCE_MS = 300;

const $ = (id) => document.getElementById(id);
const utf8Bytes = (text) => new TextEncoder().encode(text).length;

// "live/demo" -> "live/demo" with each segment encoded (the id's "/" stays a path separator).
function roomPath(room) {
  return room.split('/').map(encodeURIComponent).join('/');
}

function untilText(until) {
  if (until === null || until === undefined) return 'for good';
  const n = Number(until);
  return Number.isFinite(n) ? `until ${new Date(n).toLocaleTimeString()}` : 'for good';
}

function userName(u) {
  return u && typeof u === 'object' ? String(u.nick || u.id || '?') : String(u ?? '?');
}

export function createAdminPanel({ creds, room }) {
  const panel = $('admin-panel');
  const admin = { active: false, refreshTimer: 0, lastRoom: '' };

  // -------------------------------------------------------------- feedback

  function showError(action, status, error, code) {
    const el = $('admin-error');
    el.dataset.status = String(status);
    el.dataset.code = code === undefined || code === null ? '' : String(code);
    const parts = [`${action}: `, status ? `HTTP ${status}` : 'no answer'];
    if (error) parts.push(` — ${error}`);
    if (code !== undefined && code !== null) parts.push(` (code ${code})`);
    el.textContent = parts.join('');
    el.hidden = false;
    $('admin-done').textContent = '';
    $('admin-done').dataset.action = '';
  }

  function showDone(action, text) {
    const el = $('admin-error');
    el.hidden = true;
    el.textContent = '';
    el.dataset.status = '';
    el.dataset.code = '';
    $('admin-done').dataset.action = action;
    $('admin-done').textContent = text;
  }

  // One API call on the current room; the parsed answer, or null after showing the error.
  async function call(action, method, sub, body) {
    const who = creds();
    const target = room();
    if (!who || !who.user || !who.usersig) {
      showError(action, 0, 'not logged in with a user id and UserSig');
      return null;
    }
    if (!target) {
      showError(action, 0, 'no room: pick a stream first');
      return null;
    }
    panel.dataset.busy = action;
    const r = await apiCall(`/api/v1/rooms/${roomPath(target)}${sub ? `/${sub}` : ''}`, method, body, who);
    panel.dataset.busy = '';
    if (!r.ok) {
      showError(action, r.status, r.error, r.code);
      return null;
    }
    if (!r.json || typeof r.json !== 'object') {
      showError(action, r.status, 'the answer is not JSON');
      return null;
    }
    return r.json;
  }

  // -------------------------------------------------------------- lists

  function renderList(listId, members, unlabel, onRemove) {
    const rows = (Array.isArray(members) ? members : []).map((m) => {
      const li = document.createElement('li');
      li.dataset.id = String(m.id ?? '');
      li.dataset.until = m.until === null || m.until === undefined ? '' : String(m.until);
      const name = document.createElement('span');
      name.className = 'who';
      name.textContent = String(m.id ?? '?');
      const when = document.createElement('span');
      when.className = 'until';
      when.textContent = untilText(m.until);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = unlabel;
      button.addEventListener('click', () => onRemove(String(m.id ?? '')));
      li.append(name, when, button);
      return li;
    });
    const list = $(listId);
    list.replaceChildren(...rows);
    list.dataset.count = String(rows.length);
    $(`${listId}-empty`).hidden = rows.length > 0;
  }

  function showMutes(answer) {
    $('admin-mutes').dataset.all = answer.all === true ? 'true' : 'false';
    $('admin-mute-all').checked = answer.all === true;
    renderList('admin-mutes', answer.members, 'Unmute', (id) => mute([id], 0));
  }

  function showBans(answer) {
    renderList('admin-bans', answer.members, 'Unban', (id) => unban([id]));
  }

  async function refreshLists() {
    const [mutes, bans] = await Promise.all([
      call('mutes', 'GET', 'mutes'), call('bans', 'GET', 'bans')]);
    if (mutes) showMutes(mutes);
    if (bans) showBans(bans);
  }

  function refreshSoon() {
    clearTimeout(admin.refreshTimer);
    admin.refreshTimer = setTimeout(() => { if (admin.active) refreshLists(); }, REFRESH_DEBOUNCE_MS);
  }

  // -------------------------------------------------------------- lottery

  function showLottery(state, text, winners) {
    const el = $('admin-lottery-result');
    el.dataset.state = state;
    const head = document.createElement('p');
    head.textContent = text;
    const list = document.createElement('ul');
    for (const w of winners || []) {
      const li = document.createElement('li');
      li.dataset.id = String(w && typeof w === 'object' ? w.id ?? '' : w);
      li.textContent = userName(w);
      list.append(li);
    }
    el.replaceChildren(head, list);
  }

  function showLotteryAnswer(l) {
    if (!l || l.state === 'none') {
      showLottery('none', 'No lottery yet.', []);
      return;
    }
    if (l.state === 'open') {
      showLottery('open', `Lottery "${String(l.keyword)}" open until ${new Date(Number(l.ends)).toLocaleTimeString()}` +
        ` — ${Number(l.winnerCount) || 0} winner(s), ${Array.isArray(l.entrants) ? l.entrants.length : 0} entrant(s) so far`, []);
      return;
    }
    const winners = Array.isArray(l.winners) ? l.winners : [];
    showLottery('drawn', `Lottery "${String(l.keyword)}" drawn: ` +
      `${winners.length ? `${winners.length} winner(s)` : 'no entrants'}`, winners);
  }

  // -------------------------------------------------------------- actions

  function intField(id, min, max) {
    const raw = $(id).value.trim();
    const n = Number(raw);
    if (raw === '' || !Number.isInteger(n) || n < min || n > max) return null;
    return n;
  }

  async function setStatus() {
    const status = Number($('admin-status').value);
    const r = await call('status', 'PATCH', '', { status });
    if (r) showDone('status', `status set to ${status}`);
  }

  async function setAnnouncement() {
    const announcement = $('admin-announcement').value;
    // NOTE: sent even when over 300 bytes: the server is the judge, and its error is shown.
    const r = await call('announcement', 'PATCH', '', { announcement });
    if (r) showDone('announcement', announcement ? 'announcement set' : 'announcement removed');
  }

  async function mute(members, seconds) {
    const r = await call('mute', 'POST', 'mute', { members, seconds });
    if (!r) return;
    showMutes(r);
    showDone('mute', seconds > 0 ? `${members.join(', ')} muted for ${seconds} s` : `${members.join(', ')} unmuted`);
  }

  async function muteAll(on) {
    const r = await call('mute-all', 'POST', 'mute', { all: on });
    if (r) {
      showMutes(r);
      showDone('mute-all', on ? 'the room is muted' : 'the room is unmuted');
    } else {
      $('admin-mute-all').checked = !on;
    }
  }

  async function kick(members, reason, seconds) {
    const body = { members, seconds };
    if (reason) body.reason = reason;
    const r = await call('kick', 'POST', 'kick', body);
    if (!r) return;
    showBans(r);
    showDone('kick', `${members.join(', ')} kicked (${Number(r.removed) || 0} connection(s))`);
  }

  async function unban(members) {
    const r = await call('unban', 'POST', 'unban', { members });
    if (!r) return;
    showBans(r);
    showDone('unban', `${members.join(', ')} unbanned`);
  }

  async function startLottery() {
    const keyword = $('admin-lottery-keyword').value.trim();
    const seconds = intField('admin-lottery-seconds', -Infinity, Infinity);
    const winners = intField('admin-lottery-winners', -Infinity, Infinity);
    if (seconds === null || winners === null) {
      showError('lottery', 0, 'seconds and winners must be whole numbers');
      return;
    }
    // Range checks are the server's (its error is shown): keyword 1..64 bytes, 1..3600 s, 1..1000.
    const r = await call('lottery', 'POST', 'lottery', { keyword, seconds, winners });
    if (!r) return;
    showLotteryAnswer(r);
    showDone('lottery', `lottery "${keyword}" started`);
  }

  function userField(id, action) {
    const user = $(id).value.trim();
    if (!user) showError(action, 0, 'enter a user id');
    return user;
  }

  function bind() {
    const on = (id, fn) => $(id).addEventListener('click', (e) => {
      e.preventDefault();
      fn();
    });
    on('admin-status-btn', setStatus);
    on('admin-announcement-btn', setAnnouncement);
    on('admin-mute-btn', () => {
      const user = userField('admin-mute-user', 'mute');
      const seconds = intField('admin-mute-seconds', 0, FOREVER_SECONDS);
      if (!user) return;
      if (seconds === null) showError('mute', 0, `seconds must be 0..${FOREVER_SECONDS} (0 lifts the mute)`);
      else mute([user], seconds);
    });
    $('admin-mute-all').addEventListener('change', (e) => muteAll(e.target.checked));
    on('admin-kick-btn', () => {
      const user = userField('admin-kick-user', 'kick');
      const seconds = intField('admin-kick-seconds', 0, Number.MAX_SAFE_INTEGER);
      if (!user) return;
      if (seconds === null) showError('kick', 0, 'ban seconds must be a whole number ≥ 0 (0 = for good)');
      else kick([user], $('admin-kick-reason').value.trim(), seconds);
    });
    on('admin-unban-btn', () => {
      const user = userField('admin-unban-user', 'unban');
      if (user) unban([user]);
    });
    on('admin-lottery-btn', startLottery);
    on('admin-refresh', refreshLists);
    $('admin-announcement').addEventListener('input', updateBytes);
  }

  function updateBytes() {
    const n = utf8Bytes($('admin-announcement').value);
    const el = $('admin-announcement-bytes');
    el.dataset.bytes = String(n);
    el.dataset.over = n > MAX_ANNOUNCEMENT_BYTES ? 'true' : 'false';
    el.textContent = `${n} / ${MAX_ANNOUNCEMENT_BYTES} bytes`;
  }

  // -------------------------------------------------------------- from chat.js

  // Room events of the joined room, as chat.js receives them.
  function onEvent(ev) {
    if (!admin.active) return;
    if (ev.event === 'lottery') {
      if (ev.state === 'drawn') {
        const winners = Array.isArray(ev.winners) ? ev.winners : [];
        showLottery('drawn', `Lottery "${String(ev.keyword || '')}" drawn among ${Number(ev.entrants) || 0} ` +
          `entrant(s): ${winners.length ? `${winners.length} winner(s)` : 'no winner'}`, winners);
      } else if (ev.state === 'open') {
        showLotteryAnswer({ state: 'open', keyword: ev.keyword, ends: ev.ends, winnerCount: ev.winners, entrants: [] });
      }
    } else if (ev.event === 'mute' || ev.event === 'kicked') {
      refreshSoon(); // another admin (or the API) changed the lists
    } else if (ev.event === 'status') {
      $('admin-status').value = String(ev.status);
    }
  }

  async function loadRoom() {
    const target = room();
    admin.lastRoom = target;
    panel.dataset.room = target;
    $('admin-room').textContent = target || '—';
    $('admin-mutes').replaceChildren();
    $('admin-bans').replaceChildren();
    showLottery('none', '', []);
    if (!target) return;
    const info = await call('room', 'GET', '');
    if (info && room() === target) {
      if (info.status >= 1 && info.status <= 5) $('admin-status').value = String(info.status);
      $('admin-announcement').value = String(info.announcement || '');
      updateBytes();
    }
    const lottery = await call('lottery', 'GET', 'lottery');
    if (lottery && room() === target) showLotteryAnswer(lottery);
    if (room() === target) await refreshLists();
  }

  function setActive(on) {
    admin.active = on;
    panel.hidden = !on;
    if (on) loadRoom();
  }

  function roomChanged() {
    if (admin.active && room() !== admin.lastRoom) loadRoom();
  }

  bind();
  updateBytes();
  setActive(true);
  return { setActive, roomChanged, onEvent, refreshLists, state: admin };
}
