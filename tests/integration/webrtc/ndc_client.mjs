// A non-browser WHIP/WHEP client on node-datachannel (libdatachannel, the WebRTC stack
// of OBS's WHIP output), for the integration tests. Prints ONE JSON line of what it saw.
//
//   node ndc_client.mjs whip --url http://127.0.0.1:PORT/whip/live/ndc --h264 FILE.h264
//        [--opus FILE.ogg] [--seconds 10] [--fps 30]
//   node ndc_client.mjs whep --url http://127.0.0.1:PORT/whep/live/demo [--seconds 8]
//   common: [--token BEARER] [--bind 127.0.0.1] [--timeout 15] [--log Error|Warning|Info|Debug]
//           [--web-root DIR]  (node-datachannel is taken from DIR/node_modules)
//           [--room JSON]  opens a data channel "room" and, once it is open (and media
//           flows), sends each request of the JSON array at once, in order; every message
//           the channel gets is kept in r.room.received ({t, msg}); --room-wait-ms (2000)
//           how long to wait after the last send before hanging up.
//
// whip: sendonly H.264 (PT 96, 42e01f, packetization-mode 1) and, with --opus, sendonly
// Opus (PT 111); the offer is POSTed once ICE gathering is complete (no trickle, as OBS
// does); the Annex-B file's access units go out in real time through H264RtpPacketizer →
// RtcpSrReporter → RtcpNackResponder; DELETE on the Location at the end.
// whep: recvonly H.264 + Opus with an RtcpReceivingSession each (receiver reports, and a
// PLI from requestKeyframe() once the video track opens); counts RTP packets, bytes,
// access units (RTP timestamps) and keyframes (an IDR NAL in a single NAL, STAP-A or FU-A
// start); DELETE at the end.
// Exit 0 when media flowed (whip: connected and frames sent; whep: RTP and a keyframe
// arrived), 1 when not, 2 on a harness problem (options, files, node-datachannel).
import { kDefaultWebRoot, kH264Fmtp, kOpusPt, kVideoPt, RtpCounter, attachSender, loadNdc, parseOptions,
  readAccessUnits, readOpusPackets, sdpSummary, sendRealTime } from './ndc_media.mjs';

const t0 = performance.now();
const ms = () => Math.round(performance.now() - t0);
const sleep = (n) => new Promise((r) => setTimeout(r, n));
const r = { mode: null, ok: false, url: null, library: null, states: [], post: null, delete: null,
  offer: null, answer: null, errors: [] };

function finish(code) {
  r.ms = ms();
  process.stdout.write(JSON.stringify(r) + '\n', () => process.exit(code));
}

async function waitFor(pred, timeoutMs) {
  const end = performance.now() + timeoutMs;
  while (!pred()) {
    if (performance.now() > end) return false;
    await sleep(10);
  }
  return true;
}

// The "room" data channel (before the offer, so the offer has m=application).
function openRoom(pc, opts) {
  if (!opts.room) return null;
  const requests = JSON.parse(opts.room);
  const room = { requests, channel: pc.createDataChannel('room'), openAt: null, sent: 0 };
  r.room = { open: false, sent: 0, received: [], closedAt: null };
  room.channel.onOpen(() => { r.room.open = true; room.openAt = ms(); });
  room.channel.onClosed(() => { r.room.closedAt = ms(); });
  room.channel.onMessage((m) => {
    let msg;
    try { msg = JSON.parse(typeof m === 'string' ? m : Buffer.from(m).toString()); } catch (e) { msg = { unparsed: String(m) }; }
    r.room.received.push({ t: ms(), msg });
  });
  return room;
}

// Sends the room requests once the channel is open, then waits for the answers.
async function talkRoom(room, opts) {
  if (!room) return;
  if (!(await waitFor(() => room.channel.isOpen(), opts.timeout * 1000))) {
    r.errors.push('the room data channel did not open');
    return;
  }
  for (const q of room.requests) if (room.channel.sendMessage(JSON.stringify(q))) r.room.sent += 1;
  await sleep(opts.roomWaitMs);
}

function makePeer(ndc, opts) {
  const config = { iceServers: [] };
  if (opts.bind) config.bindAddress = opts.bind;
  const pc = new ndc.PeerConnection(`ndc-${r.mode}`, config);
  const note = (what) => (state) => r.states.push({ t: ms(), what, state });
  pc.onStateChange(note('pc'));
  pc.onIceStateChange(note('ice'));
  pc.onGatheringStateChange(note('gathering'));
  pc.onSignalingStateChange(note('signaling'));
  return pc;
}

const reached = (what, state) => r.states.some((s) => s.what === what && s.state === state);

// Offer (after gathering completes) → POST → answer set. Returns the session URL or null.
async function signal(pc, opts) {
  pc.setLocalDescription();
  if (!(await waitFor(() => pc.gatheringState() === 'complete', 5000))) r.errors.push('ICE gathering did not complete in 5 s');
  const offer = pc.localDescription()?.sdp ?? '';
  r.offer = sdpSummary(offer);
  const headers = { 'Content-Type': 'application/sdp' };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const start = ms();
  let res, body;
  try {
    res = await fetch(opts.url, { method: 'POST', headers, body: offer, signal: AbortSignal.timeout(opts.timeout * 1000) });
    body = await res.text();
  } catch (e) {
    r.errors.push(`POST ${opts.url}: ${e.message}`);
    return null;
  }
  const loc = res.headers.get('location');
  r.post = { status: res.status, ms: ms() - start, contentType: res.headers.get('content-type'), location: loc,
    etag: res.headers.get('etag') };
  if (res.status !== 201) {
    r.post.body = body.slice(0, 400);
    r.errors.push(`POST answered ${res.status}`);
    return null;
  }
  r.answer = sdpSummary(body);
  try {
    pc.setRemoteDescription(body, 'answer');
  } catch (e) {
    r.errors.push(`setRemoteDescription: ${e.message}`);
  }
  if (!loc) { r.errors.push('201 without Location'); return null; }
  return new URL(loc, opts.url).href;
}

async function hangUp(sessionUrl, opts) {
  if (!sessionUrl) return;
  const headers = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
  try {
    const res = await fetch(sessionUrl, { method: 'DELETE', headers, signal: AbortSignal.timeout(5000) });
    r.delete = { url: sessionUrl, status: res.status };
  } catch (e) {
    r.errors.push(`DELETE ${sessionUrl}: ${e.message}`);
  }
}

async function connected(pc, opts, tracks) {
  const ok = await waitFor(() => pc.state() === 'connected' && tracks.every((t) => t.isOpen()), opts.timeout * 1000);
  if (!ok) r.errors.push(`not connected with open tracks in ${opts.timeout} s (pc ${pc.state()}, ice ${pc.iceState()})`);
  const pair = pc.getSelectedCandidatePair();
  r.selectedPair = pair ? { local: `${pair.local.address}:${pair.local.port}`, remote: `${pair.remote.address}:${pair.remote.port}`,
    remoteType: pair.remote.type } : null;
  return ok;
}

async function whip(ndc, opts) {
  if (!opts.h264) throw new Error('--h264 FILE is required for whip');
  const aus = readAccessUnits(opts.h264);
  const packets = opts.opus ? readOpusPackets(opts.opus) : null;
  const pc = makePeer(ndc, opts);
  const v = new ndc.Video('0', 'SendOnly');
  v.addH264Codec(kVideoPt, kH264Fmtp);
  const vSsrc = 0x10000000 + Math.floor(Math.random() * 0x0fffffff);
  v.addSSRC(vSsrc, 'ndc-video', 'ndc-stream', 'ndc-video');
  const video = { aus, track: pc.addTrack(v) };
  video.cfg = attachSender(ndc, video.track, { ssrc: vSsrc, cname: 'ndc-video', pt: kVideoPt, clockRate: 90000, h264: true });
  let audio = null;
  if (packets) {
    const a = new ndc.Audio('1', 'SendOnly');
    a.addOpusCodec(kOpusPt);
    const aSsrc = vSsrc + 1;
    a.addSSRC(aSsrc, 'ndc-video', 'ndc-stream', 'ndc-audio');
    audio = { packets, track: pc.addTrack(a) };
    audio.cfg = attachSender(ndc, audio.track, { ssrc: aSsrc, cname: 'ndc-video', pt: kOpusPt, clockRate: 48000, h264: false });
  }
  r.video = { file: opts.h264, fileFrames: aus.length, fileKeyframes: aus.filter((a) => a.key).length,
    framesSent: 0, keyframesSent: 0, bytesSent: 0, sendFailures: 0 };
  r.audio = audio ? { file: opts.opus, filePackets: packets.length, packetsSent: 0, bytesSent: 0, sendFailures: 0 } : null;
  const tracks = [video.track, ...(audio ? [audio.track] : [])];
  for (const t of tracks) t.onError((e) => r.errors.push(`track ${t.mid()}: ${e}`));
  const room = openRoom(pc, opts);
  const session = await signal(pc, opts);
  if (session && (await connected(pc, opts, tracks))) {
    r.sendStartMs = ms();
    await Promise.all([sendRealTime({ video, audio, seconds: opts.seconds, fps: opts.fps, stats: r,
      onError: (e) => r.errors.length < 20 && r.errors.push(`send: ${e}`) }), talkRoom(room, opts)]);
    r.sendEndMs = ms();
  }
  r.finalState = pc.state();
  await hangUp(session, opts);
  pc.close();
  r.ok = r.post?.status === 201 && reached('pc', 'connected') && r.video.framesSent > 0
    && r.video.keyframesSent > 0 && r.video.sendFailures === 0 && r.finalState === 'connected';
}

async function whep(ndc, opts) {
  const pc = makePeer(ndc, opts);
  const v = new ndc.Video('0', 'RecvOnly');
  v.addH264Codec(kVideoPt, kH264Fmtp);
  const a = new ndc.Audio('1', 'RecvOnly');
  a.addOpusCodec(kOpusPt);
  const counters = { video: new RtpCounter('video', t0), audio: new RtpCounter('audio', t0) };
  const tracks = { video: pc.addTrack(v), audio: pc.addTrack(a) };
  r.pli = { sent: null, t: null };
  for (const [kind, t] of Object.entries(tracks)) {
    t.setMediaHandler(new ndc.RtcpReceivingSession());
    t.onMessage((b) => {
      counters[kind].onPacket(b);
      // NOTE: requestKeyframe() has the chain's RtcpReceivingSession send a PLI (RFC 4585 6.3.1)
      // for the media SSRC it learnt from RTP: so once, at the first video packet, not at open.
      if (kind === 'video' && r.pli.t === null && counters.video.s.packets > 0) {
        r.pli = { sent: tracks.video.requestKeyframe(), t: ms() };
      }
    });
    t.onError((e) => r.errors.push(`track ${kind}: ${e}`));
  }
  const room = openRoom(pc, opts);
  const session = await signal(pc, opts);
  if (session && r.answer && r.answer.ssrcs.length === 0) {
    // NOTE: seen here: libdatachannel drops RTP whose SSRC no a=ssrc line announced.
    r.errors.push('the answer has no a=ssrc lines: libdatachannel (OBS too) drops RTP from unannounced SSRCs');
  }
  if (session && (await connected(pc, opts, [tracks.video, tracks.audio]))) {
    r.playStartMs = ms();
    // The room's requests go once the picture flows (its events ride with it).
    await Promise.all([sleep(opts.seconds * 1000),
      waitFor(() => counters.video.s.keyframes > 0, opts.timeout * 1000).then(() => talkRoom(room, opts))]);
  }
  r.video = counters.video.s;
  r.audio = counters.audio.s;
  r.finalState = pc.state();
  await hangUp(session, opts);
  pc.close();
  r.ok = r.post?.status === 201 && reached('pc', 'connected') && r.video.packets > 0 && r.video.keyframes >= 1;
}

async function main() {
  const [mode, ...rest] = process.argv.slice(2);
  r.mode = mode;
  let opts, ndc;
  try {
    if (mode !== 'whip' && mode !== 'whep') throw new Error('usage: ndc_client.mjs whip|whep --url URL ...');
    opts = parseOptions(rest, { url: '', h264: '', opus: '', seconds: 10, fps: 30, token: '', bind: '127.0.0.1',
      timeout: 15, log: 'Error', webRoot: kDefaultWebRoot, room: '', roomWaitMs: 2000 });
    if (!opts.url) throw new Error('--url is required');
    r.url = opts.url;
    ndc = loadNdc(opts.webRoot);
    ndc.initLogger(opts.log, (level, msg) => process.stderr.write(`[ndc ${level}] ${msg}\n`));
    r.library = `node-datachannel ${ndc.getLibraryVersion ? 'libdatachannel ' + ndc.getLibraryVersion() : ''}`.trim();
  } catch (e) {
    r.errors.push(e.message);
    return finish(2);
  }
  // NOTE: a last resort if libdatachannel hangs on close; the timeouts above come first.
  setTimeout(() => { r.errors.push('watchdog: gave up'); finish(1); }, (opts.seconds + 2 * opts.timeout + 15) * 1000).unref();
  try {
    await (mode === 'whip' ? whip(ndc, opts) : whep(ndc, opts));
  } catch (e) {
    r.errors.push(e.message);
    return finish(e.message.includes('--') || e.code === 'ENOENT' || /Ogg|Annex-B|Opus packet/.test(e.message) ? 2 : 1);
  }
  finish(r.ok ? 0 : 1);
}

main();
