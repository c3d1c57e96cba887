// roomcast player page: lists live streams from /api/v1/streams and plays one over
// HLS (hls.js), LL-HLS (hls.js, lowLatencyMode), HTTP-FLV (mpegts.js) or WebRTC
// (WHEP, whep.js), showing
// live latency and decoded frames. HLS and LL-HLS load the stream's master playlist
// (the source and the mixer's renditions of it): hls.js switches levels by itself
// (Auto) or as picked in the level menu. Plain ES module, no build step.
//
// URL query (all optional): stream=app/name, proto=hls|llhls|flv|whep, autoplay=1,
// muted=1; expire/sign (signed URLs) are passed through to the media URL;
// user=..&usersig=.. (or guest=1) log the chat panel (chat.js) in to the stream's room;
// replay=<recording id> plays a recording (HLS VOD) instead of a live stream.
// The room's events inside the media (sidechannel.js) fly as danmaku when the
// picture reaches them.
// Stable hooks for tests: #player[data-state] = idle|loading|playing|error,
// #status, #latency[data-ms], #frames[data-total|data-dropped|data-presented],
// #streams li[data-key] (with .abr[data-renditions] on a source with renditions),
// #level (option values: -1 = Auto, else the hls.levels index, with
// [data-height|data-bitrate|data-url] of that level) with
// [data-current] = the playing level's index ('' before the first),
// [data-auto] = true|false, [data-switches] = LEVEL_SWITCHED count;
// the chat's hooks are listed in chat.js.

const PROTOCOLS = {
  hls: { label: 'HLS', engine: 'hls.js', url: (app, name) => `/${app}/${name}/master.m3u8` },
  llhls: { label: 'LL-HLS', engine: 'hls.js', url: (app, name) => `/${app}/${name}/ll/master.m3u8` },
  flv: { label: 'HTTP-FLV', engine: 'mpegts.js', url: (app, name) => `/${app}/${name}.flv` },
  whep: { label: 'WebRTC', engine: 'whep', url: (app, name) => `/whep/${app}/${name}` },
};
const LIBRARIES = {
  'hls.js': { src: '/vendor/hls.min.js', global: 'Hls' },
  'mpegts.js': { src: '/vendor/mpegts.js', global: 'mpegts' },
};
const STREAMS_REFRESH_MS = 3000;
const STATS_INTERVAL_MS = 250;
const RETRY_MS = 3000;

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);

const state = {
  key: query.get('stream') || '',
  replay: /^[A-Za-z0-9_-]{1,128}$/.test(query.get('replay') || '') ? query.get('replay') : '',
  sidechannel: null, // the player's sidechannel (sidechannel.js)
  proto: PROTOCOLS[query.get('proto')] ? query.get('proto') : 'llhls',
  autoplay: query.get('autoplay') === '1',
  muted: query.get('muted') === '1',
  player: null, // { kind, destroy(), stats() }
  generation: 0, // bumps on every (re)start: late callbacks of an old player are ignored
  retryTimer: 0,
  presented: 0, // requestVideoFrameCallback count since the player started
  liveKeys: new Set(),
  chat: null, // the chat panel (chat.js) once loaded
};

// ---------------------------------------------------------------- player state

function setState(value, message) {
  $('player').dataset.state = value;
  if (message !== undefined) {
    $('status').textContent = message;
    $('overlay-text').textContent = message;
  }
}

function loadLibrary(name) {
  // The WHEP client is our own module (whep.js), imported on first use.
  if (name === 'whep') return import('./whep.js');
  const lib = LIBRARIES[name];
  if (window[lib.global]) return Promise.resolve(window[lib.global]);
  if (!lib.promise) {
    lib.promise = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = lib.src;
      s.onload = () => (window[lib.global] ? resolve(window[lib.global])
        : reject(new Error(`player library missing: ${name} (${lib.src} did not define ${lib.global})`)));
      s.onerror = () => {
        lib.promise = null; // allow a later retry once the server has it
        reject(new Error(`player library missing: ${name} (${lib.src} could not be loaded)`));
      };
      document.head.appendChild(s);
    });
  }
  return lib.promise;
}

function splitKey(key) {
  const i = key.lastIndexOf('/');
  return i > 0 ? [key.slice(0, i), key.slice(i + 1)] : ['live', key];
}

function mediaUrl(proto, key) {
  const [app, name] = splitKey(key);
  const path = PROTOCOLS[proto].url(app.split('/').map(encodeURIComponent).join('/'),
    encodeURIComponent(name));
  const pass = new URLSearchParams();
  for (const k of ['expire', 'sign']) if (query.has(k)) pass.set(k, query.get(k));
  const qs = pass.toString();
  return new URL(path + (qs ? `?${qs}` : ''), location.href).href;
}

function stopPlayer() {
  state.generation++;
  if (state.chat) state.chat.setRoomChannel(null);
  clearTimeout(state.retryTimer);
  if (state.player) {
    try { state.player.destroy(); } catch (e) { console.warn('destroy failed', e); }
    state.player = null;
  }
  if (state.sidechannel) {
    state.sidechannel.stop();
    state.sidechannel = null;
  }
  const video = $('video');
  video.removeAttribute('src');
  video.load();
  state.presented = 0;
  lastTime = -1;
  $('engine').textContent = '—';
  resetLevelMenu();
}

function scheduleRetry(generation, why) {
  if (generation !== state.generation) return;
  setState('error', `${why} — retrying in ${RETRY_MS / 1000} s`);
  state.retryTimer = setTimeout(() => {
    if (generation === state.generation) startPlayer();
  }, RETRY_MS);
}

async function startPlayer() {
  stopPlayer();
  updateSelectionUi();
  if (!state.key && !state.replay) {
    setState('idle', 'Select a live stream');
    return;
  }
  const generation = state.generation;
  // A replay is HLS VOD (fMP4) whatever the protocol switch says.
  const proto = state.replay ? 'hls' : state.proto;
  const url = state.replay ? `/replay/${state.replay}.m3u8` : mediaUrl(proto, state.key);
  const link = $('media-url');
  link.textContent = url;
  link.href = url;
  setState('loading', `loading ${PROTOCOLS[proto].label}…`);
  const video = $('video');
  video.muted = state.muted;
  let lib;
  try {
    lib = await loadLibrary(PROTOCOLS[proto].engine);
  } catch (e) {
    if (generation === state.generation) setState('error', e.message);
    return;
  }
  if (generation !== state.generation) return;
  const side = await loadSidechannel();
  if (generation !== state.generation) return;
  state.sidechannel = side ? side.createSidechannel({
    video,
    onEvent: (event) => {
      if (generation === state.generation && state.chat) state.chat.fromMedia(event);
    },
  }) : NO_SIDECHANNEL;
  window.roomcast.sidechannel = state.sidechannel;
  try {
    if (proto === 'whep') {
      const player = await lib.startWhep(url, video, (why) => {
        if (generation === state.generation) setState('error', why);
      }, (event) => {
        if (generation !== state.generation || !state.chat) return;
        // Replies to the chat's requests on the channel; the events come with their
        // picture: shown at once.
        if (event.event === 'reply' || event.event === 'error') state.chat.fromChannel(event);
        else state.chat.fromMedia(event);
      });
      if (generation !== state.generation) {
        player.destroy();
        return;
      }
      state.player = player;
      // A logged-in chat sends its danmaku on the player's data channel.
      if (state.chat) state.chat.setRoomChannel(player.sendRoom);
    } else {
      state.player = proto === 'flv' ? startFlv(lib, url, video, generation, state.sidechannel)
        : startHls(lib, url, video, proto === 'llhls', generation, state.sidechannel);
    }
  } catch (e) {
    if (generation === state.generation) setState('error', `player failed to start: ${e.message}`);
    return;
  }
  $('engine').textContent = `${PROTOCOLS[proto].engine} ${state.player.version || ''}`.trim();
  countPresentedFrames(video, generation);
  if (state.autoplay) tryPlay(video, generation);
}

// NOTE: a dynamic import, so that a missing or broken sidechannel.js leaves the
// player working (without danmaku from the media).
let sidechannelModule = null;
const NO_SIDECHANNEL = { log: [], onHlsMetadata() {}, onScriptData() {}, stop() {} };
function loadSidechannel() {
  if (!sidechannelModule) {
    sidechannelModule = import('./sidechannel.js').catch((e) => {
      console.warn(`sidechannel unavailable: ${e.message}`);
      return null;
    });
  }
  return sidechannelModule;
}

function tryPlay(video, generation) {
  const p = video.play();
  if (p && p.catch) {
    p.catch((e) => {
      if (generation !== state.generation) return;
      if (e.name === 'NotAllowedError') setState('loading', 'autoplay blocked by the browser: press play');
    });
  }
}

function countPresentedFrames(video, generation) {
  if (!('requestVideoFrameCallback' in HTMLVideoElement.prototype)) return;
  const tick = () => {
    if (generation !== state.generation) return;
    state.presented++;
    video.requestVideoFrameCallback(tick);
  };
  video.requestVideoFrameCallback(tick);
}

// ---------------------------------------------------------------- engines

function startHls(Hls, url, video, lowLatency, generation, sidechannel) {
  if (!Hls.isSupported()) throw new Error('this browser has no Media Source Extensions for hls.js');
  const hls = new Hls({
    lowLatencyMode: lowLatency,
    // Catch up (play up to 1.5x) when behind the target latency (the playlist's
    // hold-back), instead of staying wherever playback happened to start.
    maxLiveSyncPlaybackRate: 1.5,
    backBufferLength: 30,
    enableWorker: true,
  });
  // The room's events: timed ID3 (TS) and emsg ID3 (fMP4) samples of each fragment.
  hls.on(Hls.Events.FRAG_PARSING_METADATA, (_event, data) => sidechannel.onHlsMetadata(data));
  const levels = () => generation === state.generation && fillLevelMenu(hls);
  hls.on(Hls.Events.MANIFEST_PARSED, levels);
  hls.on(Hls.Events.LEVELS_UPDATED, levels); // a level dropped after errors
  hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
    if (generation !== state.generation) return;
    const menu = $('level');
    menu.dataset.current = String(data.level);
    menu.dataset.switches = String(Number(menu.dataset.switches || 0) + 1);
    showPlayingLevel(hls);
  });
  let mediaRecoveries = 0;
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (generation !== state.generation || !data.fatal) return;
    if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 2) {
      hls.recoverMediaError();
      return;
    }
    const code = data.response && data.response.code ? ` (HTTP ${data.response.code})` : '';
    scheduleRetry(generation, `${lowLatency ? 'LL-HLS' : 'HLS'} error: ${data.details}${code}`);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return {
    kind: lowLatency ? 'llhls' : 'hls',
    version: Hls.version,
    // -1 = Auto (hls.js picks by measured bandwidth); from the next fragment on.
    setLevel: (index) => { hls.nextLevel = index; },
    destroy: () => hls.destroy(),
    stats: () => {
      const out = { edgeMs: null, latencyMs: null, latencyKind: null };
      if (Number.isFinite(hls.latency) && hls.latency > 0) out.edgeMs = hls.latency * 1000;
      const date = hls.playingDate;
      if (date && !Number.isNaN(date.getTime())) {
        out.latencyMs = Date.now() - date.getTime();
        out.latencyKind = 'wall clock − program date time of the frame shown';
      } else if (out.edgeMs !== null) {
        out.latencyMs = out.edgeMs;
        out.latencyKind = 'hls.latency (behind the playlist live edge; no program date time)';
      }
      return out;
    },
  };
}

function startFlv(mpegts, url, video, generation, sidechannel) {
  const features = mpegts.getFeatureList();
  if (!features.mseLivePlayback) throw new Error('this browser cannot play live FLV over MSE');
  const player = mpegts.createPlayer({ type: 'flv', isLive: true, url }, {
    enableWorker: false,
    enableStashBuffer: false,
    lazyLoad: false,
    liveBufferLatencyChasing: true,
    liveBufferLatencyMaxLatency: 1.5,
    liveBufferLatencyMinRemain: 0.3,
  });
  player.on(mpegts.Events.ERROR, (type, detail, info) => {
    const why = info && info.msg ? `: ${info.msg}` : '';
    scheduleRetry(generation, `HTTP-FLV ${type} ${detail}${why}`);
  });
  player.on(mpegts.Events.SCRIPTDATA_ARRIVED, (data) => sidechannel.onScriptData(data));
  player.on(mpegts.Events.LOADING_COMPLETE, () => {
    scheduleRetry(generation, 'HTTP-FLV stream ended');
  });
  player.attachMediaElement(video);
  player.load();
  return {
    kind: 'flv',
    version: mpegts.version,
    destroy: () => {
      player.pause();
      player.unload();
      player.detachMediaElement();
      player.destroy();
    },
    // NOTE: FLV carries no wall-clock time, so only the player's own part of the
    // delay can be measured here: media buffered ahead of the playhead.
    stats: () => ({ edgeMs: null, latencyMs: null, latencyKind: null }),
  };
}

// ---------------------------------------------------------------- level menu

function levelName(level) {
  const size = level.height ? `${level.height}p` : `${level.width || '?'}w`;
  return level.bitrate ? `${size} · ${Math.round(level.bitrate / 1000)} kbps` : size;
}

// Fills #level from hls.levels: "Auto" and one entry per level (on the manifest,
// and again if hls.js drops a level after errors).
function fillLevelMenu(hls) {
  const menu = $('level');
  const picked = menu.value || '-1';
  const auto = document.createElement('option');
  auto.value = '-1';
  const items = (hls.levels || []).map((level, i) => {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = levelName(level);
    Object.assign(o.dataset, { height: level.height, bitrate: level.bitrate, url: level.uri });
    return o;
  });
  menu.replaceChildren(auto, ...items);
  menu.value = hls.autoLevelEnabled || Number(picked) >= items.length ? '-1' : picked;
  menu.hidden = false;
  $('level-label').hidden = false;
  showPlayingLevel(hls);
}

// The level playing (from LEVEL_SWITCHED) named in the Auto entry: "Auto (480p)".
function showPlayingLevel(hls) {
  const menu = $('level');
  const playing = menu.dataset.current === '' ? null : hls.levels[Number(menu.dataset.current)];
  const auto = menu.querySelector('option[value="-1"]');
  const name = playing && (playing.height ? `${playing.height}p` : levelName(playing));
  if (auto) auto.textContent = playing ? `Auto (${name})` : 'Auto';
  menu.dataset.auto = String(hls.autoLevelEnabled);
}

function resetLevelMenu() {
  const menu = $('level');
  menu.replaceChildren();
  menu.hidden = true;
  $('level-label').hidden = true;
  menu.dataset.current = '';
  menu.dataset.auto = '';
  menu.dataset.switches = '0';
}

// ---------------------------------------------------------------- stats

function bufferAheadMs(video) {
  const b = video.buffered;
  for (let i = 0; i < b.length; i++) {
    if (b.start(i) <= video.currentTime + 0.1 && video.currentTime <= b.end(i)) {
      return (b.end(i) - video.currentTime) * 1000;
    }
  }
  return b.length ? 0 : null;
}

function showMs(el, ms) {
  el.dataset.ms = ms === null || ms === undefined ? '' : String(Math.round(ms));
  el.textContent = ms === null || ms === undefined ? '—' : `${(ms / 1000).toFixed(2)} s`;
}

let lastTime = -1;

function updateStats() {
  const video = $('video');
  const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
  const frames = $('frames');
  frames.dataset.total = q ? q.totalVideoFrames : 0;
  frames.dataset.dropped = q ? q.droppedVideoFrames : 0;
  frames.dataset.presented = state.presented;
  frames.textContent = q ? `${q.totalVideoFrames} (${q.droppedVideoFrames} dropped)` : '—';
  $('resolution').textContent = video.videoWidth ? `${video.videoWidth}×${video.videoHeight}` : '—';
  $('rate').textContent = state.player ? `${video.playbackRate.toFixed(2)}×` : '—';

  const buffer = state.player ? bufferAheadMs(video) : null;
  showMs($('buffer'), buffer);
  const s = state.player ? state.player.stats() : { edgeMs: null, latencyMs: null };
  showMs($('edge'), s.edgeMs);
  if (state.player && state.player.kind === 'flv') {
    showMs($('latency'), buffer);
    $('latency-kind').textContent = 'player buffer only (FLV has no wall clock)';
    $('latency-note').textContent = 'HTTP-FLV: the number is media buffered ahead of the playhead, the '
      + 'player-side part of the delay; server queueing and the encoder are not included.';
  } else {
    showMs($('latency'), s.latencyMs);
    $('latency-kind').textContent = s.latencyKind || '—';
    $('latency-note').textContent = state.player
      ? 'HLS: wall clock minus EXT-X-PROGRAM-DATE-TIME of the frame on screen (assumes the '
        + 'server and this machine agree on the time).' : '';
  }

  // Playing = the clock moves; a stall flips back to loading.
  if (state.player && $('player').dataset.state !== 'error') {
    const moving = !video.paused && video.currentTime > lastTime && video.readyState >= 2;
    if (moving) setState('playing', `playing ${PROTOCOLS[state.proto].label}`);
    else if ($('player').dataset.state === 'playing' && video.currentTime === lastTime) {
      setState('loading', video.paused ? 'paused' : 'buffering…');
    }
  }
  lastTime = video.currentTime;
}

// ---------------------------------------------------------------- stream list

function describe(s) {
  const parts = [];
  if (s.video) parts.push(`${s.video.codec} ${s.video.width}×${s.video.height}`
    + (s.video.fps ? ` ${Math.round(s.video.fps)}fps` : ''));
  if (s.audio) parts.push(s.audio.codec);
  if (typeof s.viewers_total === 'number') parts.push(`${s.viewers_total} watching`);
  return parts.join(' · ');
}

// NOTE: the mixer's renditions ({name}_{height}p) are not listed: they are levels
// of their source's master playlist, and their source carries the room.
function renderStreams(streams) {
  const list = $('streams');
  const live = streams.filter((s) => s.live && s.origin !== 'mixer');
  state.liveKeys = new Set(live.map((s) => s.key));
  $('stream-count').textContent = String(live.length);
  $('streams-empty').hidden = live.length > 0;
  const items = live.map((s) => {
    const li = document.createElement('li');
    li.dataset.key = s.key;
    li.dataset.live = String(s.live);
    const b = document.createElement('button');
    b.type = 'button';
    const name = document.createElement('div');
    name.className = 'name';
    name.textContent = s.key;
    const renditions = Array.isArray(s.renditions) ? s.renditions.length : 0;
    if (renditions > 0) {
      const abr = document.createElement('span');
      abr.className = 'abr';
      abr.dataset.renditions = String(renditions);
      abr.textContent = `ABR ${renditions + 1}`;
      abr.title = `${renditions + 1} levels: the source and ${renditions} rendition`
        + `${renditions > 1 ? 's' : ''} (${s.renditions.join(', ')})`;
      name.append(abr);
    }
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = describe(s);
    b.append(name, meta);
    b.addEventListener('click', () => select(s.key));
    li.append(b);
    return li;
  });
  list.replaceChildren(...items);
  updateSelectionUi();
}

async function refreshStreams() {
  const pill = $('api-status');
  try {
    const r = await fetch('/api/v1/streams', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const body = await r.json();
    renderStreams(Array.isArray(body.streams) ? body.streams : []);
    pill.dataset.ok = 'true';
    pill.textContent = 'server online';
  } catch (e) {
    pill.dataset.ok = 'false';
    pill.textContent = `stream list unavailable (${e.message})`;
  }
}

// ---------------------------------------------------------------- selection

function updateSelectionUi() {
  for (const li of $('streams').children) {
    li.setAttribute('aria-current', String(li.dataset.key === state.key));
  }
  for (const b of document.querySelectorAll('.proto-switch button')) {
    b.setAttribute('aria-checked', String(b.dataset.proto === state.proto));
  }
  $('stream-title').textContent = state.key || 'Pick a stream';
}

function syncUrl() {
  const q = new URLSearchParams(location.search);
  if (state.key) q.set('stream', state.key); else q.delete('stream');
  q.set('proto', state.proto);
  history.replaceState(null, '', `${location.pathname}?${q}`);
}

function select(key) {
  state.key = key;
  state.autoplay = true;
  syncUrl();
  startPlayer();
  if (state.chat) state.chat.setRoom(key);
}

// ---------------------------------------------------------------- chat

// NOTE: a dynamic import, so that a missing or broken chat.js leaves the player
// working; the chat panel then says why.
function loadChat() {
  import('./chat.js')
    .then((m) => {
      state.chat = m.createChat({ query, initialRoom: state.key });
      window.roomcast.chat = state.chat;
    })
    .catch((e) => {
      $('chat').dataset.state = 'unavailable';
      $('chat-conn').textContent = `chat unavailable: ${e.message}`;
      $('chat-login').hidden = true;
    });
}

function init() {
  for (const b of document.querySelectorAll('.proto-switch button')) {
    b.addEventListener('click', () => {
      if (state.proto === b.dataset.proto) return;
      state.proto = b.dataset.proto;
      syncUrl();
      startPlayer();
    });
  }
  $('level').addEventListener('change', (e) => {
    if (state.player && state.player.setLevel) state.player.setLevel(Number(e.target.value));
    $('level').dataset.auto = String(e.target.value === '-1');
  });
  resetLevelMenu();
  window.roomcast = { state, startPlayer, stopPlayer }; // for the console and tests
  updateSelectionUi();
  refreshStreams();
  setInterval(refreshStreams, STREAMS_REFRESH_MS);
  setInterval(updateStats, STATS_INTERVAL_MS);
  startPlayer();
  loadChat();
  // NOTE: a dynamic import: a missing golive.js leaves the player working.
  import('./golive.js').then((m) => m.initGoLive()).catch(() => {});
}

init();
