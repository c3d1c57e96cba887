// roomcast chat panel: logs in to the live room over the WebSocket room protocol
// (docs/room-protocol.md), joins the room of the stream being played, shows its
// status, announcement, online count and messages, sends text, and flies text
// messages over the video (danmaku). Plain ES module, loaded by app.js. Moderation as
// a member sees it: `mute` disables the input box, `kicked` leaves the room for good
// (no auto-rejoin), `lottery` shows in the list. An admin login loads admin.js.
// While the page plays by WHEP, a logged-in user's danmaku go on the player's "room"
// data channel instead (setRoomChannel; the channel logs in with the same UserSig).
//
// All user text goes in with textContent, never innerHTML.
// Stable hooks for tests: #chat[data-state|data-role|data-room], #chat-status[data-status],
// #chat-online[data-count], #chat-announcement, #chat-messages li[data-msg-id|data-type|
// data-from], #chat-error[data-code], #chat-input, #chat-send,
// #danmaku-layer[data-flying|data-dropped] .danmaku[data-source=socket|media],
// #chat[data-muted] (self|all|''),
// #chat-messages li.msg-notice[data-type=lottery|mute|kicked], #chat[data-send-via=socket|channel].

const STATUS_WORDS = { 1: 'waiting', 2: 'live', 3: 'paused', 4: 'ended', 5: 'replay' };
// Login errors that a retry cannot fix: back to the form instead of reconnecting.
const FATAL_LOGIN_CODES = new Set([10004, 10007, 70001, 70003, 70009, 70013, 70014]);
const NO_SUCH_ROOM = 10010;
const MAX_FLYING = 30; // danmaku on screen at once; more are dropped so a flood cannot freeze the page
const MAX_LIST = 200; // message rows kept in the list
const MAX_SEEN = 5000; // msgIds remembered for de-duplication
const MAX_DANMAKU_CHARS = 80;
const DANMAKU_SPEED_PX_S = 160;
const DANMAKU_MIN_MS = 4000;
const DANMAKU_MAX_MS = 9000;
const DANMAKU_LANE_PX = 30;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const JOIN_RETRY_MS = 3000; // the room may not exist until the stream starts
const HEARTBEAT_MS = 25000; // below the server's default 60 s idle timeout
const MAX_TIMER_MS = 2147483647; // setTimeout's limit; longer mutes are re-checked then

const $ = (id) => document.getElementById(id);

export function createChat({ query, initialRoom }) {
  const chat = {
    creds: null, // {user, usersig} or {guest: true}; null = logged out
    channel: null, // the WHEP player's room data channel: sendRoom(request) → bool
    channelUser: '', // who the channel logged in as
    room: initialRoom || '', // the room we want to be in (the stream key)
    joined: '', // the room the server confirmed
    user: '',
    role: '',
    ws: null,
    generation: 0, // bumps per socket: events of an old socket are ignored
    nextId: 1,
    pending: new Map(), // request id -> reply handler
    backoffMs: BACKOFF_MIN_MS,
    reconnectTimer: 0,
    joinTimer: 0,
    heartbeatTimer: 0,
    seen: new Set(),
    seenOrder: [],
    lanes: [], // per lane: time its last danmaku started
    dropped: 0,
    muteUntil: 0, // this user's mute in the joined room: end (Unix ms), Infinity = for good, 0 = none
    mutedAll: false, // the joined room is muted (admins and the owner still speak)
    muteTimer: 0,
    kicked: new Map(), // room -> {reason, until}: kicked from it, so never auto-rejoined
    admin: null, // the admin panel (admin.js) once loaded for an admin login
    caster: null, // the caster panel (caster.js), loaded with it
    mediaDanmaku: false, // the danmaku come from the media (sidechannel), not the socket
  };

  // -------------------------------------------------------------- panel state

  function setPanel(stateName, text) {
    $('chat').dataset.state = stateName;
    if (text !== undefined) $('chat-conn').textContent = text;
  }

  function showError(code, info, cmd) {
    const el = $('chat-error');
    el.dataset.code = String(code);
    el.textContent = `${cmd ? `${cmd}: ` : ''}error ${code}${info ? ` — ${info}` : ''}`;
    el.hidden = false;
  }

  function clearError() {
    const el = $('chat-error');
    el.hidden = true;
    el.dataset.code = '';
    el.textContent = '';
  }

  function showStatus(status) {
    const word = STATUS_WORDS[Number(status)] || 'unknown';
    const el = $('chat-status');
    el.dataset.status = status === undefined || status === null ? '' : String(status);
    el.dataset.word = word;
    el.textContent = word;
  }

  function showAnnouncement(text) {
    const el = $('chat-announcement');
    el.textContent = text ? String(text) : '';
    el.hidden = !text;
  }

  function showOnline(count) {
    const el = $('chat-online');
    const n = count === null || count === undefined || count === '' ? NaN : Number(count);
    el.dataset.count = Number.isFinite(n) ? String(n) : '';
    el.textContent = Number.isFinite(n) ? String(n) : '—';
  }

  function resetRoomView() {
    $('chat').dataset.room = chat.room;
    $('chat-room').textContent = chat.room || '';
    $('chat-status').dataset.status = '';
    $('chat-status').dataset.word = '';
    $('chat-status').textContent = '—';
    showAnnouncement('');
    showOnline(null);
    $('chat-messages').replaceChildren();
  }

  function showLoggedIn(loggedIn) {
    $('chat-login').hidden = loggedIn;
    $('chat-identity').hidden = !loggedIn;
    $('chat').dataset.role = loggedIn ? chat.role : '';
    $('chat-whoami').textContent = loggedIn ? `${chat.user} (${chat.role})` : '';
    updateComposer();
  }

  // Why this user may not speak in the joined room now: 'self', 'all' or ''.
  function muteState() {
    if (!chat.joined) return '';
    if (chat.muteUntil && chat.muteUntil > Date.now()) return 'self';
    // NOTE: the owner may speak in a muted room too, but the page does not know who
    // owns it; an owner's send still works through the API or after the server says so.
    if (chat.mutedAll && chat.role !== 'admin') return 'all';
    return '';
  }

  function muteNote(muted) {
    if (muted === 'all') return 'The room is muted: only its owner and admins can speak.';
    if (chat.muteUntil === Infinity) return 'You are muted in this room.';
    return `You are muted in this room until ${new Date(chat.muteUntil).toLocaleTimeString()}.`;
  }

  function updateComposer() {
    const muted = muteState();
    const canSend = Boolean(chat.joined) && chat.role !== '' && chat.role !== 'guest' && !muted;
    $('chat-input').disabled = !canSend;
    $('chat-send').disabled = !canSend;
    $('chat').dataset.muted = muted;
    const kicked = chat.kicked.get(chat.room);
    let note = '';
    if (chat.role === 'guest') note = 'Guests can read the chat but not send: log in with a user id and UserSig to talk.';
    else if (!chat.creds) note = 'Log in (or watch as guest) to join the live room.';
    else if (kicked && !chat.joined) note = `You were removed from this room: ${kicked.reason}`;
    else if (!chat.joined) note = 'Not in the room yet.';
    else if (muted) note = muteNote(muted);
    $('chat-note').textContent = note;
  }

  // Sets this user's mute (end in Unix ms, Infinity, or 0) and re-enables the input
  // box when it ends.
  function setSelfMute(until) {
    chat.muteUntil = until;
    clearTimeout(chat.muteTimer);
    if (until && until !== Infinity) {
      const wait = Math.min(MAX_TIMER_MS, Math.max(0, until - Date.now()) + 50);
      chat.muteTimer = setTimeout(updateComposer, wait);
    }
    updateComposer();
  }

  // -------------------------------------------------------------- messages

  function remember(msgId) {
    if (!msgId) return true;
    if (chat.seen.has(msgId)) return false;
    chat.seen.add(msgId);
    chat.seenOrder.push(msgId);
    if (chat.seenOrder.length > MAX_SEEN) chat.seen.delete(chat.seenOrder.shift());
    return true;
  }

  function describeBody(type, body) {
    const b = body && typeof body === 'object' ? body : {};
    const str = (v) => (v === undefined || v === null ? '' : String(v));
    switch (type) {
      case 'text':
      case 'system': return str(b.text);
      case 'custom': return `[custom] ${str(b.desc || b.data)}`;
      case 'image': return `[image] ${str(b.url)}`;
      case 'voice': return `[voice${b.seconds ? ` ${str(b.seconds)} s` : ''}]`;
      case 'gift': return `sent ${str(b.count || 1)} × ${str(b.gift)}`;
      case 'like': return `liked${b.count > 1 ? ` ×${str(b.count)}` : ''}`;
      default: return `[${str(type)}]`;
    }
  }

  function appendRow(li) {
    const list = $('chat-messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(li);
    while (list.childElementCount > MAX_LIST) list.firstElementChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function renderMessage(ev) {
    const from = ev.from && typeof ev.from === 'object' ? ev.from : {};
    const type = String(ev.msgType || 'text');
    const li = document.createElement('li');
    li.className = `msg msg-${type === 'system' ? 'system' : 'user'}`;
    if (from.role) li.classList.add(`role-${String(from.role).replace(/[^a-z]/g, '')}`);
    li.dataset.msgId = ev.msgId ? String(ev.msgId) : '';
    li.dataset.type = type;
    li.dataset.from = from.id ? String(from.id) : '';
    const nick = document.createElement('span');
    nick.className = 'nick';
    nick.textContent = type === 'system' ? 'system' : String(from.nick || from.id || '?');
    const text = document.createElement('span');
    text.className = 'text';
    text.textContent = describeBody(type, ev.body);
    li.append(nick, text);
    appendRow(li);
  }

  function renderNotice(text, kind) {
    const li = document.createElement('li');
    li.className = `msg msg-notice notice-${kind}`;
    li.dataset.type = kind;
    li.textContent = text;
    appendRow(li);
  }

  function onMessage(ev, live) {
    if (!remember(ev.msgId)) return;
    renderMessage(ev);
    // NOTE: once the media carries the room's events, the danmaku come from there,
    // in step with the picture; the WebSocket copy only fills the list.
    if (live && !chat.mediaDanmaku && ev.msgType === 'text' && ev.body && ev.body.text !== undefined)
      fly(String(ev.body.text), 'socket');
  }

  // A room event from inside the media (sidechannel.js), at its moment in the picture.
  function fromMedia(ev) {
    if (!ev || ev.event !== 'message' || ev.msgType !== 'text' || !ev.body) return;
    chat.mediaDanmaku = true;
    fly(String(ev.body.text ?? ''), 'media');
  }

  // -------------------------------------------------------------- danmaku

  function pickLane(layer) {
    const count = Math.max(1, Math.floor((layer.clientHeight * 0.75) / DANMAKU_LANE_PX));
    if (chat.lanes.length !== count) chat.lanes = new Array(count).fill(0);
    let best = 0;
    for (let i = 1; i < count; i++) if (chat.lanes[i] < chat.lanes[best]) best = i;
    chat.lanes[best] = performance.now();
    return best;
  }

  function updateFlying(layer) {
    layer.dataset.flying = String(layer.childElementCount);
    layer.dataset.dropped = String(chat.dropped);
  }

  // Flies one text across the video; false when MAX_FLYING are already in flight.
  // `source`: 'socket' (the room's WebSocket) or 'media' (the sidechannel).
  function fly(text, source = 'socket') {
    const layer = $('danmaku-layer');
    if (!layer) return false;
    if (layer.childElementCount >= MAX_FLYING) {
      chat.dropped++;
      updateFlying(layer);
      return false;
    }
    const el = document.createElement('div');
    el.className = 'danmaku';
    el.dataset.source = source;
    el.textContent = text.length > MAX_DANMAKU_CHARS ? `${text.slice(0, MAX_DANMAKU_CHARS)}…` : text;
    el.style.top = `${pickLane(layer) * DANMAKU_LANE_PX + 6}px`;
    layer.append(el);
    // NOTE: the distance is the layer's width plus the element's own, so it enters
    // fully from the right edge and leaves fully past the left edge.
    const travel = layer.clientWidth + el.offsetWidth;
    const ms = Math.min(DANMAKU_MAX_MS, Math.max(DANMAKU_MIN_MS, (travel / DANMAKU_SPEED_PX_S) * 1000));
    el.style.setProperty('--travel', `${travel}px`);
    el.style.animationDuration = `${ms}ms`;
    // NOTE: the animation starts only now (class "flying"): measuring the width above
    // recalculates style, and an animation already running then would have had a
    // zero duration and ended at once.
    el.classList.add('flying');
    const remove = () => {
      if (!el.isConnected) return;
      el.remove();
      updateFlying(layer);
    };
    el.addEventListener('animationend', remove, { once: true });
    setTimeout(remove, ms + 1000); // in case animationend never fires (hidden tab, no animation)
    updateFlying(layer);
    return true;
  }

  // -------------------------------------------------------------- socket

  function socketUrl() {
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  }

  function request(cmd, fields, onReply) {
    const ws = chat.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    const id = chat.nextId++;
    if (onReply) chat.pending.set(id, onReply);
    ws.send(JSON.stringify({ cmd, id, ...fields }));
    return true;
  }

  function clearTimers() {
    clearTimeout(chat.reconnectTimer);
    clearTimeout(chat.joinTimer);
    clearInterval(chat.heartbeatTimer);
  }

  function closeSocket() {
    chat.generation++;
    clearTimers();
    chat.pending.clear();
    chat.joined = '';
    if (chat.ws) {
      try { chat.ws.close(1000, 'bye'); } catch (e) { /* already closed */ }
      chat.ws = null;
    }
  }

  function connect() {
    closeSocket();
    const generation = chat.generation;
    setPanel('connecting', 'connecting…');
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (e) {
      scheduleReconnect(`cannot open the socket: ${e.message}`);
      return;
    }
    chat.ws = ws;
    ws.onopen = () => { if (generation === chat.generation) sendLogin(); };
    ws.onmessage = (m) => { if (generation === chat.generation) onFrame(m.data); };
    ws.onclose = (e) => {
      if (generation !== chat.generation) return;
      chat.ws = null;
      chat.joined = '';
      chat.pending.clear();
      clearInterval(chat.heartbeatTimer);
      clearTimeout(chat.joinTimer);
      updateComposer();
      scheduleReconnect(`disconnected (${e.code}${e.reason ? ` ${e.reason}` : ''})`);
    };
    chat.heartbeatTimer = setInterval(() => request('heartbeat', {}), HEARTBEAT_MS);
  }

  function scheduleReconnect(why) {
    if (!chat.creds) return;
    clearTimeout(chat.reconnectTimer);
    const delay = Math.round(chat.backoffMs * (0.75 + Math.random() * 0.5));
    chat.backoffMs = Math.min(BACKOFF_MAX_MS, chat.backoffMs * 2);
    setPanel('reconnecting', `${why} — reconnecting in ${(delay / 1000).toFixed(1)} s`);
    chat.reconnectTimer = setTimeout(() => { if (chat.creds) connect(); }, delay);
  }

  function onFrame(data) {
    let ev;
    try {
      ev = JSON.parse(data);
    } catch (e) {
      console.warn('chat: frame is not JSON', e);
      return;
    }
    if (!ev || typeof ev !== 'object') return;
    if (ev.event === 'reply') onReply(ev);
    else onEvent(ev);
  }

  function onReply(r) {
    const handler = chat.pending.get(r.id);
    if (!handler) {
      if (r.code) showError(r.code, r.info, r.cmd);
      return;
    }
    chat.pending.delete(r.id);
    handler(r);
  }

  // -------------------------------------------------------------- login and join

  function sendLogin() {
    setPanel('connecting', 'logging in…');
    const fields = chat.creds.guest ? { guest: true } : { user: chat.creds.user, usersig: chat.creds.usersig };
    request('login', fields, onLoginReply);
  }

  function onLoginReply(r) {
    if (r.code) {
      showError(r.code, r.info, 'login');
      if (FATAL_LOGIN_CODES.has(r.code)) {
        logout();
        setPanel('login', 'login refused');
      } else {
        chat.ws?.close(4000, 'login failed');
      }
      return;
    }
    clearError();
    chat.user = String(r.user || chat.creds.user || '');
    chat.role = String(r.role || (chat.creds.guest ? 'guest' : 'user'));
    showLoggedIn(true);
    if (chat.role === 'admin') loadAdmin();
    else {
      chat.admin?.setActive(false);
      chat.caster?.setActive(false);
    }
    joinRoom();
  }

  function joinRoom() {
    clearTimeout(chat.joinTimer);
    if (!chat.room) {
      setPanel('no-room', 'pick a stream to join its room');
      updateComposer();
      return;
    }
    const room = chat.room;
    const kicked = chat.kicked.get(room);
    if (kicked) {
      setPanel('kicked', `removed from ${room}: ${kicked.reason}`);
      updateComposer();
      return;
    }
    setPanel('joining', `joining ${room}…`);
    request('join', { room }, (r) => onJoinReply(room, r));
  }

  function onJoinReply(room, r) {
    if (room !== chat.room) return; // the page moved on to another stream
    if (r.code === NO_SUCH_ROOM) {
      setPanel('no-such-room', `room ${room} is not open yet — retrying`);
      showError(r.code, r.info, 'join');
      chat.joinTimer = setTimeout(joinRoom, JOIN_RETRY_MS);
      return;
    }
    if (r.code) {
      setPanel('error', `could not join ${room}`);
      showError(r.code, r.info, 'join');
      return;
    }
    clearError();
    chat.joined = room;
    chat.backoffMs = BACKOFF_MIN_MS;
    showStatus(r.status);
    showAnnouncement(r.announcement);
    showOnline(r.online);
    chat.mutedAll = r.mutedAll === true;
    // NOTE: the join reply says only whether this user is muted, not until when; a
    // later mute event or a refused send tells more.
    setSelfMute(typeof r.muted === 'number' ? r.muted : r.muted === true ? Infinity : 0);
    for (const m of Array.isArray(r.history) ? r.history : []) onMessage(m, false);
    setPanel('joined', `in room ${room}`);
    updateComposer();
  }

  function setRoom(key) {
    if (key === chat.room) return;
    const old = chat.joined;
    chat.room = key || '';
    chat.joined = '';
    chat.kicked.delete(chat.room); // choosing the stream again is a deliberate retry
    clearTimeout(chat.joinTimer);
    resetRoomView();
    resetMute();
    chat.admin?.roomChanged();
    if (!chat.ws || chat.ws.readyState !== WebSocket.OPEN || !chat.role) return;
    if (old) request('leave', { room: old });
    joinRoom();
  }

  // -------------------------------------------------------------- room events

  function onEvent(ev) {
    if (ev.event === 'error') {
      showError(ev.code, ev.info);
      return;
    }
    if (!ev.room || ev.room !== chat.joined) return; // a late event of a room we left
    switch (ev.event) {
      case 'message': onMessage(ev, true); break;
      case 'status': showStatus(ev.status); break;
      case 'info': onInfo(ev); break;
      case 'online': showOnline(ev.count); break;
      case 'enter': renderNotice(`${userName(ev.user)} entered`, 'enter'); break;
      case 'leave': renderNotice(`${userName(ev.user)} left`, 'leave'); break;
      case 'dismissed': onDismissed(); break;
      case 'mute': onMute(ev); break;
      case 'kicked': onKicked(ev); break;
      case 'lottery': onLottery(ev); break;
      default: break;
    }
    chat.admin?.onEvent(ev);
  }

  function resetMute() {
    chat.mutedAll = false;
    setSelfMute(0);
  }

  // `until` of a mute or ban event as Unix ms: null = for good (Infinity).
  function untilMs(until) {
    if (until === null || until === undefined) return Infinity;
    const n = Number(until);
    return Number.isFinite(n) ? n : Infinity;
  }

  function onMute(ev) {
    const seconds = Number(ev.seconds) || 0;
    if (ev.user === null || ev.user === undefined) {
      chat.mutedAll = ev.all === true;
      renderNotice(chat.mutedAll ? 'The room is muted' : 'The room is no longer muted', 'mute');
      updateComposer();
      return;
    }
    const who = String(ev.user);
    if (who === chat.user) setSelfMute(seconds > 0 ? untilMs(ev.until) : 0);
    const what = seconds > 0 ? `muted for ${seconds} s` : 'no longer muted';
    renderNotice(`${who === chat.user ? 'You are' : `${who} is`} ${what}`, 'mute');
  }

  function onKicked(ev) {
    const who = String(ev.user || '');
    const reason = String(ev.reason || 'no reason given');
    if (who !== chat.user) {
      renderNotice(`${who} was removed: ${reason}`, 'kicked');
      return;
    }
    const room = chat.joined;
    chat.kicked.set(room, { reason, until: untilMs(ev.until) });
    renderNotice(`You were removed from ${room}: ${reason}`, 'kicked');
    chat.joined = '';
    clearTimeout(chat.joinTimer);
    resetMute();
    setPanel('kicked', `removed from ${room}: ${reason}`);
    showError(10007, `removed from ${room}: ${reason}`, 'kicked');
  }

  function onLottery(ev) {
    const keyword = String(ev.keyword || '');
    if (ev.state === 'open') {
      const left = Math.max(0, Math.round((Number(ev.ends) - Date.now()) / 1000));
      renderNotice(`Lottery open: send a message with "${keyword}" within ${left} s — ` +
        `${Number(ev.winners) || 0} winner(s)`, 'lottery');
    } else if (ev.state === 'drawn') {
      const winners = Array.isArray(ev.winners) ? ev.winners.map(userName) : [];
      renderNotice(`Lottery "${keyword}" drawn among ${Number(ev.entrants) || 0} entrant(s): ` +
        `${winners.length ? winners.join(', ') : 'no winner'}`, 'lottery');
    }
  }

  // The admin panel (admin.js), loaded only for an admin login.
  // NOTE: a dynamic import as app.js does for chat.js: a broken admin.js leaves the chat working.
  function loadAdmin() {
    loadCaster();
    if (chat.admin) {
      chat.admin.setActive(true);
      return;
    }
    import('./admin.js')
      .then((m) => {
        if (chat.role !== 'admin' || chat.admin) return;
        chat.admin = m.createAdminPanel({
          creds: () => chat.creds,
          room: () => chat.joined || chat.room,
        });
      })
      .catch((e) => showError(10002, `admin panel unavailable: ${e.message}`, 'admin'));
  }

  // The caster panel (caster.js), loaded with the admin panel: programs are the
  // server's, not the room's, and use the same admin login.
  function loadCaster() {
    if (chat.caster) {
      chat.caster.setActive(true);
      return;
    }
    import('./caster.js')
      .then((m) => {
        if (chat.role !== 'admin' || chat.caster) return;
        chat.caster = m.createCasterPanel({ creds: () => chat.creds });
      })
      .catch((e) => showError(10002, `caster panel unavailable: ${e.message}`, 'admin'));
  }

  function userName(u) {
    return u && typeof u === 'object' ? String(u.nick || u.id || '?') : '?';
  }

  function onInfo(ev) {
    if ('announcement' in ev) showAnnouncement(ev.announcement);
  }

  function onDismissed() {
    renderNotice(`room ${chat.joined} was closed`, 'dismissed');
    chat.joined = '';
    showStatus(4);
    updateComposer();
    setPanel('no-such-room', 'the room was closed — waiting for it to reopen');
    chat.joinTimer = setTimeout(joinRoom, JOIN_RETRY_MS);
  }

  // -------------------------------------------------------------- user actions

  function login(creds) {
    chat.creds = creds;
    chat.kicked.clear(); // a new login is a deliberate retry
    chat.backoffMs = BACKOFF_MIN_MS;
    clearError();
    connect();
  }

  function logout() {
    chat.creds = null;
    closeSocket();
    chat.user = '';
    chat.role = '';
    resetMute();
    chat.admin?.setActive(false);
    chat.caster?.setActive(false);
    showLoggedIn(false);
    setPanel('login', '');
  }

  function send(text) {
    if (!chat.joined || chat.role === 'guest') return false;
    const room = chat.joined;
    const onSent = (r) => {
      if (r.code) {
        showError(r.code, r.info, 'send');
        return;
      }
      clearError();
      const input = $('chat-input');
      if (input.value === text) input.value = '';
    };
    if (sendOnChannel({ type: 'text', body: { text } }, onSent)) return true;
    $('chat').dataset.sendVia = 'socket';
    return request('send', { room, type: 'text', body: { text } }, onSent);
  }

  // The WHEP player's data channel (a function sending one request; null: none).
  function setRoomChannel(sendRoom) {
    chat.channel = sendRoom || null;
    chat.channelUser = '';
  }

  // A send on the data channel (its room: the stream's), logging it in first; false
  // when there is no channel (or it is not open): the WebSocket then.
  function sendOnChannel(fields, onReply) {
    if (!chat.channel || !chat.creds || chat.creds.guest) return false;
    // NOTE: a channel logs in once: after a new login as someone else, the WebSocket.
    if (chat.channelUser && chat.channelUser !== chat.user) return false;
    if (!chat.channelUser) {
      const id = chat.nextId++;
      const login = { cmd: 'login', id, user: chat.creds.user, usersig: chat.creds.usersig };
      if (!chat.channel(login)) return false;
      chat.pending.set(id, (r) => {
        if (!r.code) return;
        showError(r.code, r.info, 'login (data channel)');
        chat.channel = null; // the WebSocket from now on
      });
      chat.channelUser = chat.user;
    }
    const id = chat.nextId++;
    if (!chat.channel({ cmd: 'send', id, ...fields })) return false;
    chat.pending.set(id, onReply);
    $('chat').dataset.sendVia = 'channel';
    return true;
  }

  // A reply or error event that came on the data channel.
  function fromChannel(ev) {
    if (ev.event === 'reply') onReply(ev);
    else if (ev.code) showError(ev.code, ev.info, 'data channel');
  }

  function bindUi() {
    $('chat-login').addEventListener('submit', (e) => {
      e.preventDefault();
      const user = $('chat-user').value.trim();
      const usersig = $('chat-usersig').value.trim();
      if (!user || !usersig) {
        showError(10004, 'enter a user id and its UserSig, or watch as guest', 'login');
        return;
      }
      login({ user, usersig });
    });
    $('chat-guest').addEventListener('click', () => login({ guest: true }));
    $('chat-logout').addEventListener('click', logout);
    $('chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const text = $('chat-input').value.trim();
      if (text) send(text);
    });
  }

  bindUi();
  resetRoomView();
  showLoggedIn(false);
  setPanel('login', '');
  if (query.get('user') && query.get('usersig')) {
    $('chat-user').value = query.get('user');
    login({ user: query.get('user'), usersig: query.get('usersig') });
  } else if (query.get('guest') === '1') {
    login({ guest: true });
  }

  return { state: chat, setRoom, login, logout, send, fly, fromMedia, fromChannel, setRoomChannel };
}
