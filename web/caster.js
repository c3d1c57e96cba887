// roomcast caster panel: for a chat login whose role is `admin`, runs the server's
// programs (the output-clocked compositor, /api/v1/programs) with the admin's own user
// id + UserSig: pick live streams as inputs and a layout template, create the program,
// change its layout live, stage a preview scene, watch the preview, and take it to the
// program with a cut or a fade; push a stream (a program or a source) to other
// platforms by RTMP(S) (/api/v1/relays) and see each relay's state. Loaded by chat.js next to admin.js; every API error is
// shown (HTTP status and error).
//
// All server and user text goes in with textContent, never innerHTML.
// Stable hooks for tests: #caster-panel[hidden|data-busy], #caster-inputs li[data-stream]
// input[type=checkbox], #caster-output, #caster-template, #caster-size, #caster-create,
// #caster-programs li[data-key|data-layout|data-state|data-selected],
// #caster-program[data-key], #caster-apply, #caster-preview-template, #caster-preview-set,
// #caster-fade-ms, #caster-take-cut, #caster-take-fade, #caster-delete, #caster-refresh,
// #caster-preview-video[data-stream|data-frames], #caster-relay-stream, #caster-relay-url,
// #caster-relay-add, #caster-relays li[data-id|data-stream|data-state] button,
// #caster-error[data-status],
// #caster-done[data-action].

import { apiCall } from './api.js';

const REFRESH_MS = 3000;
const PREVIEW_SUFFIX = '_preview'; // the server publishes a program's preview as {name}_preview

const $ = (id) => document.getElementById(id);

function streamPath(key) {
  return key.split('/').map(encodeURIComponent).join('/');
}

export function createCasterPanel({ creds }) {
  const panel = $('caster-panel');
  const caster = { active: false, timer: 0, selected: '', programs: [], player: null, previewOf: '' };

  function showError(action, status, error) {
    const el = $('caster-error');
    el.dataset.status = String(status);
    el.textContent = `${action}: ${status ? `HTTP ${status}` : 'no answer'}${error ? ` — ${error}` : ''}`;
    el.hidden = false;
    $('caster-done').textContent = '';
    $('caster-done').dataset.action = '';
  }

  function showDone(action, text) {
    $('caster-error').hidden = true;
    $('caster-error').dataset.status = '';
    $('caster-done').dataset.action = action;
    $('caster-done').textContent = text;
  }

  // One API call; the parsed answer, or null after showing the error.
  async function call(action, method, path, body, quiet) {
    const who = creds();
    if (!who || !who.user || !who.usersig) {
      if (!quiet) showError(action, 0, 'not logged in with a user id and UserSig');
      return null;
    }
    if (!quiet) panel.dataset.busy = action;
    const r = await apiCall(path, method, body, who);
    if (!quiet) panel.dataset.busy = '';
    if (!r.ok) {
      if (!quiet) showError(action, r.status, r.error);
      return null;
    }
    return r.json ?? {};
  }

  const programUrl = (key, sub) => `/api/v1/programs/${streamPath(key)}${sub ? `/${sub}` : ''}`;

  // -------------------------------------------------------------- inputs and programs

  function renderInputs(streams) {
    const list = $('caster-inputs');
    const checked = new Set([...list.querySelectorAll('input:checked')].map((i) => i.value));
    const keys = streams.map((s) => String(s.key ?? `${s.app}/${s.name}`))
      .filter((k) => !k.endsWith(PREVIEW_SUFFIX) && !caster.programs.some((p) => p.output === k));
    list.replaceChildren(...keys.map((key) => {
      const li = document.createElement('li');
      li.dataset.stream = key;
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = key;
      box.checked = checked.has(key);
      const name = document.createElement('span');
      name.textContent = key;
      label.append(box, name);
      li.append(label);
      return li;
    }));
    $('caster-inputs-empty').hidden = keys.length > 0;
  }

  function renderPrograms() {
    const list = $('caster-programs');
    if (!caster.programs.some((p) => p.output === caster.selected)) {
      caster.selected = caster.programs.length ? caster.programs[0].output : '';
    }
    list.replaceChildren(...caster.programs.map((p) => {
      const li = document.createElement('li');
      li.dataset.key = p.output;
      li.dataset.layout = String(p.layout ?? '');
      li.dataset.state = String(p.state ?? '');
      li.dataset.selected = String(p.output === caster.selected);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'small';
      button.textContent = p.output;
      button.addEventListener('click', () => select(p.output));
      const info = document.createElement('span');
      info.className = 'hint';
      const inputs = Array.isArray(p.inputs) ? p.inputs.map((i) => `${i.stream} ${i.state ?? ''}`) : [];
      info.textContent = ` ${p.layout ?? '?'} · ${p.state ?? '?'} · ${inputs.join(', ')}`;
      li.append(button, info);
      return li;
    }));
    $('caster-programs-empty').hidden = caster.programs.length > 0;
    $('caster-program').dataset.key = caster.selected;
    $('caster-program').textContent = caster.selected || '—';
    for (const id of ['caster-apply', 'caster-preview-set', 'caster-take-cut', 'caster-take-fade', 'caster-delete']) {
      $(id).disabled = !caster.selected;
    }
    watchPreview();
  }

  function renderRelays(relays) {
    const list = $('caster-relays');
    list.replaceChildren(...relays.map((r) => {
      const li = document.createElement('li');
      li.dataset.id = String(r.id ?? '');
      li.dataset.stream = String(r.stream ?? '');
      li.dataset.state = String(r.state ?? '');
      const what = document.createElement('span');
      what.className = 'who';
      what.textContent = `${r.stream} → ${r.url}`;
      const state = document.createElement('span');
      state.className = 'until';
      state.textContent = `${r.state}${r.last_error ? ` (${r.last_error})` : ''}`;
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Stop';
      button.addEventListener('click', () => removeRelay(String(r.id ?? '')));
      li.append(what, state, button);
      return li;
    }));
    $('caster-relays-empty').hidden = relays.length > 0;
  }

  async function refresh() {
    const [programs, streams, relays] = await Promise.all([
      call('programs', 'GET', '/api/v1/programs', null, true),
      fetch('/api/v1/streams', { cache: 'no-store' }).then((r) => (r.ok ? r.json() : null)).catch(() => null),
      call('relays', 'GET', '/api/v1/relays', null, true),
    ]);
    if (programs) caster.programs = Array.isArray(programs.programs) ? programs.programs : [];
    const list = streams && Array.isArray(streams.streams) ? streams.streams : [];
    renderInputs(list);
    renderPrograms();
    if (relays) renderRelays(Array.isArray(relays.relays) ? relays.relays : []);
  }

  function select(key) {
    caster.selected = key;
    renderPrograms();
  }

  // -------------------------------------------------------------- the preview player

  // Plays the selected program's preview stream over HTTP-FLV (mpegts.js, which the
  // player page serves under /vendor); counts the frames it shows.
  async function watchPreview() {
    const key = caster.selected ? `${caster.selected}${PREVIEW_SUFFIX}` : '';
    if (key === caster.previewOf) return;
    caster.previewOf = key;
    const video = $('caster-preview-video');
    if (caster.player) {
      caster.player.destroy();
      caster.player = null;
    }
    video.dataset.stream = key;
    video.dataset.frames = '0';
    video.ontimeupdate = countFrames;
    if (!key) return;
    const mpegts = await loadMpegts().catch(() => null);
    if (!mpegts || caster.previewOf !== key || !mpegts.isSupported()) return;
    const player = mpegts.createPlayer({ type: 'flv', isLive: true, url: `/${streamPath(key)}.flv` },
      { enableStashBuffer: false, liveBufferLatencyChasing: true });
    player.on(mpegts.Events.ERROR, () => {
      // The preview starts a moment after the program: try again on the next refresh.
      if (caster.player === player) caster.previewOf = '';
    });
    caster.player = player;
    player.attachMediaElement(video);
    player.load();
    video.muted = true;
    video.play().catch(() => {});
  }

  function loadMpegts() {
    if (window.mpegts) return Promise.resolve(window.mpegts);
    return new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/vendor/mpegts.js';
      s.onload = () => (window.mpegts ? resolve(window.mpegts) : reject(new Error('no mpegts')));
      s.onerror = () => reject(new Error('mpegts.js did not load'));
      document.head.append(s);
    });
  }

  function countFrames() {
    const video = $('caster-preview-video');
    const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
    if (q) video.dataset.frames = String(q.totalVideoFrames);
  }

  // -------------------------------------------------------------- actions

  async function create() {
    const inputs = [...$('caster-inputs').querySelectorAll('input:checked')].map((i) => ({ stream: i.value }));
    const [width, height] = $('caster-size').value.split('x').map(Number);
    const output = $('caster-output').value.trim();
    const body = { output, inputs, layout: $('caster-template').value, width, height };
    const answer = await call('create', 'POST', '/api/v1/programs', body);
    if (!answer) return;
    caster.selected = output;
    showDone('create', `program ${output} started`);
    await refresh();
  }

  async function patch(action, sub, body, text) {
    if (!caster.selected) return;
    const answer = await call(action, 'PATCH', programUrl(caster.selected, sub), body);
    if (!answer) return;
    showDone(action, text);
    await refresh();
  }

  async function take(transition) {
    if (!caster.selected) return;
    const body = { transition };
    if (transition === 'fade') body.duration_ms = Number($('caster-fade-ms').value) || 1000;
    const answer = await call(`take-${transition}`, 'POST', programUrl(caster.selected, 'take'), body);
    if (!answer) return;
    showDone(`take-${transition}`, `preview taken to ${caster.selected} (${transition})`);
    await refresh();
  }

  async function remove() {
    if (!caster.selected) return;
    const key = caster.selected;
    const answer = await call('delete', 'DELETE', programUrl(key));
    if (!answer) return;
    showDone('delete', `program ${key} stopped`);
    await refresh();
  }

  async function addRelay() {
    const body = { stream: $('caster-relay-stream').value.trim(), url: $('caster-relay-url').value.trim() };
    const answer = await call('relay', 'POST', '/api/v1/relays', body);
    if (!answer) return;
    showDone('relay', `relaying ${body.stream}`);
    await refresh();
  }

  async function removeRelay(id) {
    const answer = await call('relay-stop', 'DELETE', `/api/v1/relays/${encodeURIComponent(id)}`);
    if (!answer) return;
    showDone('relay-stop', `relay ${id} stopped`);
    await refresh();
  }

  function bind() {
    $('caster-relay-add').addEventListener('click', addRelay);
    $('caster-create').addEventListener('click', create);
    $('caster-apply').addEventListener('click', () =>
      patch('apply', '', { layout: $('caster-template').value }, 'layout applied to the program'));
    $('caster-preview-set').addEventListener('click', () =>
      patch('preview', 'preview', { layout: $('caster-preview-template').value }, 'preview scene set'));
    $('caster-take-cut').addEventListener('click', () => take('cut'));
    $('caster-take-fade').addEventListener('click', () => take('fade'));
    $('caster-delete').addEventListener('click', remove);
    $('caster-refresh').addEventListener('click', refresh);
  }

  function setActive(on) {
    caster.active = on;
    panel.hidden = !on;
    clearInterval(caster.timer);
    caster.timer = 0;
    if (on) {
      refresh();
      caster.timer = setInterval(refresh, REFRESH_MS);
      return;
    }
    caster.selected = '';
    caster.previewOf = 'x'; // so that watchPreview('') below tears the player down
    watchPreview();
  }

  bind();
  setActive(true);
  return { setActive, refresh, state: caster };
}
