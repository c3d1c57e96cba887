// The player page's "Go live" form: publishes the camera and microphone, or a test
// pattern, by WHIP (whip.js) to /whip/{app}/{name}, shows the publisher's state and
// frames sent, and stops (DELETE) on the button or when the page goes away.
// Stable hooks for tests: #golive[data-state] = idle|starting|live|error, #golive-status,
// window.roomcast.whip (the publisher's stats: state, framesEncoded, bytesSent, codec).
// Plain ES module, no build step.

const $ = (id) => document.getElementById(id);
const KEY = /^[A-Za-z0-9_.-]{1,128}\/[A-Za-z0-9_.-]{1,128}$/;

let publisher = null;
let timer = 0;

function show(state, text) {
  $('golive').dataset.state = state;
  $('golive-status').textContent = text;
  $('golive-start').hidden = state === 'live' || state === 'starting';
  $('golive-stop').hidden = !($('golive-start').hidden);
}

async function start(event) {
  event.preventDefault();
  const key = $('golive-stream').value.trim();
  if (!KEY.test(key)) {
    show('error', 'stream must be app/name (letters, digits, _ . -)');
    return;
  }
  show('starting', 'starting…');
  try {
    const whip = await import('./whip.js');
    const media = $('golive-source').value === 'pattern' ? whip.testPattern()
      : await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
    const query = new URLSearchParams(window.location.search);
    const pass = new URLSearchParams();
    for (const k of ['expire', 'sign']) if (query.has(k)) pass.set(k, query.get(k));
    const url = `/whip/${key}${pass.toString() ? `?${pass}` : ''}`;
    publisher = await whip.startWhip(url, media, {
      onFailed: (why) => show('error', why),
    });
    window.roomcast.whip = publisher.stats;
    timer = setInterval(() => {
      const s = publisher.stats;
      if (s.state === 'connected') {
        show('live', `live: ${key} · ${s.codec || 'video'} · ${s.framesEncoded} frames sent`);
      }
    }, 500);
  } catch (e) {
    show('error', String(e && e.message ? e.message : e));
  }
}

function stop() {
  clearInterval(timer);
  if (publisher) publisher.stop();
  publisher = null;
  show('idle', 'stopped');
}

export function initGoLive() {
  if (!$('golive')) return;
  $('golive').addEventListener('submit', start);
  $('golive-stop').addEventListener('click', stop);
  window.addEventListener('pagehide', () => { if (publisher) publisher.stop(); });
  show('idle', '');
}
