// Plays a stream by WHEP in headless Chromium with its own small client (not the
// page's whep.js, so the answer can be changed first) and samples getStats of the
// video receiver: frames decoded, NACKs and PLIs sent, packets lost, freezes. With
// --relay-port the answer's candidates name that port instead of the server's (a
// UDP relay in the test sits in between). Used by webrtc_loss_test.py.
//
//   node whep_stats.mjs --origin http://127.0.0.1:PORT --stream live/demo
//        [--seconds 8] [--relay-port N] [--timeout 20]
//
// Prints one JSON line: ok, the session URL, samples [{t, state, framesDecoded,
// keyFramesDecoded, nackCount, pliCount, firCount, packetsLost, packetsReceived,
// freezeCount, totalFreezesDuration}], last. Exit 0 when it connected and frames were
// decoded, 1 otherwise, 2 on a harness problem.
import { parseOptions, withChromium } from './chromium.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs in the page: the WHEP exchange, the answer's candidate ports rewritten.
async function pageStart({ stream, relayPort }) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  document.body.appendChild(video);
  pc.ontrack = (e) => {
    if (e.track.kind === 'video') {
      video.srcObject = new MediaStream([e.track]);
      video.play().catch(() => {});
    }
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
    setTimeout(resolve, 2000);
  });
  const res = await fetch(`/whep/${stream}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
    body: pc.localDescription.sdp });
  let answer = await res.text();
  if (res.status !== 201) throw new Error(`POST answered ${res.status}: ${answer}`);
  if (relayPort) {
    // a=candidate:<foundation> <component> <transport> <priority> <ip> <port> typ ...
    answer = answer.replace(/^(a=candidate:\S+ \d+ \S+ \d+ \S+ )(\d+)/gm, `$1${relayPort}`);
  }
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  window.__whep = { pc, location: new URL(res.headers.get('location'), location.href).href };
  return window.__whep.location;
}

async function pageSample() {
  const { pc } = window.__whep;
  const s = { state: pc.connectionState };
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') {
      for (const k of ['framesDecoded', 'keyFramesDecoded', 'nackCount', 'pliCount', 'firCount', 'packetsLost',
        'packetsReceived', 'freezeCount', 'totalFreezesDuration', 'framesDropped']) s[k] = r[k] ?? 0;
    }
    if (r.type === 'inbound-rtp' && r.kind === 'audio') {
      s.audioPackets = r.packetsReceived ?? 0;
      s.audioSamples = r.totalSamplesReceived ?? 0;
      s.audioConcealed = r.concealedSamples ?? 0;
    }
  });
  return s;
}

async function pageStop() {
  const { pc, location: url } = window.__whep;
  await fetch(url, { method: 'DELETE' }).catch(() => {});
  pc.close();
}

async function run(opts, result) {
  await withChromium(opts, { width: 320, height: 240 }, result, async (context) => {
    const page = context.pages()[0] || await context.newPage();
    page.on('pageerror', (e) => result.pageErrors.push(String(e)));
    await page.goto(`${opts.origin}/`, { waitUntil: 'load', timeout: 15000 });
    try {
      result.session = await page.evaluate(pageStart, { stream: opts.stream, relayPort: opts.relayPort });
    } catch (e) {
      result.reason = String(e && e.message ? e.message : e);
      return;
    }
    const deadline = Date.now() + opts.timeout * 1000;
    let connectedAt = null;
    while (Date.now() < deadline) {
      const s = { t: Date.now(), ...(await page.evaluate(pageSample)) };
      result.samples.push(s);
      if (s.state === 'connected' && connectedAt === null) connectedAt = Date.now();
      if (s.state === 'failed') break;
      if (connectedAt !== null && Date.now() - connectedAt >= opts.seconds * 1000) break;
      await sleep(500);
    }
    result.last = result.samples[result.samples.length - 1] || null;
    result.ok = connectedAt !== null && (result.last?.framesDecoded ?? 0) > 0;
    if (!result.ok) result.reason = `state ${result.last?.state}, frames ${result.last?.framesDecoded}`;
    await page.evaluate(pageStop);
  });
  return result.ok;
}

const result = { ok: false, pageErrors: [], samples: [] };
let code = 2;
try {
  const opts = parseOptions(process.argv, { origin: '', stream: '', seconds: 8, relayPort: 0, timeout: 20 },
    ['origin', 'stream']);
  code = await run(opts, result) ? 0 : 1;
} catch (e) {
  result.reason = `harness error: ${e && e.stack ? e.stack : e}`;
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(code);
