// Checks ndc_client.mjs without roomcast: a WHIP/WHEP test double made of node-datachannel
// (libdatachannel as the answerer) on 127.0.0.1, then the client run against it as a
// child process, once as a WHIP publisher and once as a WHEP player; then twice where it
// must fail (a 404, and a WHEP session that connects but gets no media). The double acts
// like roomcast: a=ice-lite answer, DTLS passive, the client's address learnt from its
// checks, a=ssrc in WHEP answers. Prints ONE JSON line (each run's client JSON, what the
// double saw, and `checks`) and exits 0 when every check holds: both directions carried
// H.264 RTP with keyframes and Opus, the PLI reached the WHEP sender, both sessions were
// DELETEd, the failing runs exited 1; 1 when not; 2 on a harness problem.
//
//   node ndc_loopback.mjs [--h264 FILE.h264] [--opus FILE.ogg] [--seconds 4] [--log Error|Warning|Debug]
//                         [--bind ADDR (the client's; '' = all interfaces)] [--web-root DIR]
//
// Without --h264/--opus it makes small fixtures with ffmpeg in a temporary folder
// (320x240 testsrc, libx264 baseline, -bf 0, a keyframe every second; libopus 48 kHz).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kDefaultWebRoot, kH264Fmtp, kOpusPt, kVideoPt, RtpCounter, attachSender, loadNdc, parseOptions,
  readAccessUnits, readOpusPackets, sendRealTime } from './ndc_media.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const t0 = performance.now();
const run = (cmd, args, timeoutMs) => new Promise((resolve) => {
  execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 22 }, (err, stdout, stderr) =>
    resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
});

function makeFixtures(dir, seconds) {
  const h264 = path.join(dir, 'ndc.h264');
  const opus = path.join(dir, 'ndc.ogg');
  const common = ['-hide_banner', '-loglevel', 'error', '-y', '-threads', '1'];
  return Promise.all([
    run('nice', ['ffmpeg', ...common, '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=30:duration=${seconds}`,
      '-c:v', 'libx264', '-profile:v', 'baseline', '-bf', '0', '-g', '30', '-keyint_min', '30',
      '-pix_fmt', 'yuv420p', '-f', 'h264', h264], 60000),
    run('nice', ['ffmpeg', ...common, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
      '-c:a', 'libopus', '-b:a', '48k', opus], 60000),
  ]).then((res) => {
    const bad = res.find((x) => x.code !== 0);
    if (bad) throw new Error(`ffmpeg failed: ${bad.stderr.slice(0, 300)}`);
    return { h264, opus };
  });
}

// The double: POST /whip|/whep/{app}/{name} → 201 + Location /session/N + answer,
// DELETE /session/N → 200. WHIP sessions count what they receive; WHEP sessions send the
// fixture in real time until DELETEd.
class Double {
  constructor(ndc, media) {
    this.ndc = ndc;
    this.media = media;
    this.sessions = [];
    this.server = http.createServer((req, res) => this.onRequest(req, res));
  }

  listen() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve(this.server.address().port)));
  }

  async onRequest(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const m = req.url.match(/^\/(whip|whep)\/[^/]+\/([^/]+)$/);
    if (req.method === 'POST' && m) return this.answer(m[1], m[2], Buffer.concat(chunks).toString(), res);
    const d = req.url.match(/^\/session\/(\d+)$/);
    const s = d && this.sessions[Number(d[1])];
    if (req.method === 'DELETE' && s) {
      s.info.deleted = true;
      s.stop = true;
      s.pc.close();
      res.writeHead(200).end();
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"no such resource"}');
  }

  async answer(kind, name, offer, res) {
    const ms = () => Math.round(performance.now() - t0);
    const pc = new this.ndc.PeerConnection(`double-${kind}`, { iceServers: [], bindAddress: '127.0.0.1' });
    const id = this.sessions.length;
    const info = { kind, states: [], deleted: false, tracks: [], errors: [] };
    // A WHEP stream named "silent" connects but sends nothing: the client must then fail.
    const s = { pc, info, stop: false, ssrcs: {}, silent: name === 'silent' };
    this.sessions.push(s);
    pc.onStateChange((state) => info.states.push({ t: ms(), state }));
    pc.onTrack((track) => this.onTrack(s, track));
    if (kind === 'whep') this.addSendTracks(s, offer);
    // NOTE: the double plays roomcast's part: it learns the client's address from its checks
    // (peer-reflexive; the offer's candidates are dropped) and is DTLS passive (the offer's
    // actpass read as active, so libdatachannel answers setup:passive and the client sends
    // the ClientHello). Left as they were, libdatachannel would check and start DTLS as
    // client (setup:active) before the client has the answer and the double's fingerprint,
    // and the handshake fails (unknown CA).
    offer = offer.split(/\r?\n/).filter((l) => !/^a=(candidate|end-of-candidates)/.test(l))
      .map((l) => (l === 'a=setup:actpass' ? 'a=setup:active' : l)).join('\r\n');
    try {
      pc.setRemoteDescription(offer, 'offer');
    } catch (e) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: e.message }));
      return;
    }
    const end = performance.now() + 5000;
    while (pc.gatheringState() !== 'complete' && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
    // The answer says a=ice-lite, as roomcast's does: the client must then stay controlling
    // and nominate (RFC 8445 6.1.1); the double, without the offer's candidates, only answers.
    info.answer = (pc.localDescription()?.sdp ?? '').replace(/\r\nm=/, '\r\na=ice-lite\r\nm=');
    res.writeHead(201, { 'Content-Type': 'application/sdp', Location: `/session/${id}` }).end(info.answer);
  }

  // WHEP: sendonly tracks with the offer's mids, added before the offer is set so that the
  // answer is made from them and announces their SSRCs (a=ssrc ... cname), as a WHEP server
  // must: libdatachannel drops RTP (and RTCP) whose SSRC the descriptions do not name.
  addSendTracks(s, offer) {
    for (const m of offer.matchAll(/^m=(video|audio)[^]*?^a=mid:(\S+)/gm)) {
      const [, kind, mid] = m;
      const media = kind === 'video' ? new this.ndc.Video(mid, 'SendOnly') : new this.ndc.Audio(mid, 'SendOnly');
      if (kind === 'video') media.addH264Codec(kVideoPt, kH264Fmtp); else media.addOpusCodec(kOpusPt);
      s.ssrcs[mid] = 0x20000000 + Math.floor(Math.random() * 0x0fffffff);
      media.addSSRC(s.ssrcs[mid], 'double', 'double', `double-${mid}`);
      this.onTrack(s, s.pc.addTrack(media));
    }
  }

  onTrack(s, track) {
    const kind = track.type();
    const mid = track.mid();
    const info = { mid, kind, direction: track.direction() };
    s.info.tracks.push(info);
    if (s.info.kind === 'whip') {
      const counter = new RtpCounter(kind, t0);
      info.recv = counter.s;
      track.setMediaHandler(new this.ndc.RtcpReceivingSession());
      track.onMessage((b) => counter.onPacket(b));
      return;
    }
    // WHEP: send on the track; what comes back (RTCP the chain passes on) is scanned for PLI.
    info.pli = 0;
    track.onMessage((b) => { if (b.length >= 4 && b[1] === 206 && (b[0] & 0x1f) === 1) info.pli += 1; });
    const ssrc = (s.ssrcs[mid] ??= 0x20000000 + Math.floor(Math.random() * 0x0fffffff));
    const cfg = attachSender(this.ndc, track, { ssrc, cname: 'double', pt: kind === 'video' ? kVideoPt : kOpusPt,
      clockRate: kind === 'video' ? 90000 : 48000, h264: kind === 'video' });
    track.onOpen(() => {
      if (s.silent) return;
      const stats = { video: { framesSent: 0, keyframesSent: 0, bytesSent: 0, sendFailures: 0 },
        audio: { packetsSent: 0, bytesSent: 0, sendFailures: 0 } };
      info.sent = stats[kind];
      const item = kind === 'video' ? { video: { aus: this.media.aus, track, cfg } } : { audio: { packets: this.media.packets, track, cfg } };
      sendRealTime({ ...item, seconds: 3600, fps: 30, stats, stop: () => s.stop || !track.isOpen(),
        onError: (e) => s.info.errors.push(e) });
    });
  }
}

async function main() {
  const opts = parseOptions(process.argv.slice(2), { h264: '', opus: '', seconds: 4, log: 'Error', bind: '127.0.0.1', webRoot: kDefaultWebRoot });
  const out = { ok: false, whip: null, whep: null, errors: [] };
  let ndc, files, tmp = null;
  try {
    ndc = loadNdc(opts.webRoot);
    ndc.initLogger(opts.log, (level, msg) => process.stderr.write(`[double ${level}] ${msg}\n`));
    if (!opts.h264 || !opts.opus) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roomcast-ndc-'));
      files = await makeFixtures(tmp, 3);
    }
    files = { h264: opts.h264 || files.h264, opus: opts.opus || files.opus };
  } catch (e) {
    out.errors.push(e.message);
    process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(2));
    return;
  }
  const dbl = new Double(ndc, { aus: readAccessUnits(files.h264), packets: readOpusPackets(files.opus) });
  const port = await dbl.listen();
  const client = path.join(here, 'ndc_client.mjs');
  const common = ['--seconds', String(opts.seconds), '--log', opts.log, '--bind', opts.bind, '--web-root', opts.webRoot];
  const clientRun = async (args) => {
    const x = await run(process.execPath, [client, ...args, ...common], (opts.seconds + 60) * 1000);
    process.stderr.write(x.stderr);
    let json = null;
    try { json = JSON.parse(x.stdout.trim().split('\n').pop()); } catch { out.errors.push(`client printed no JSON: ${x.stderr.slice(0, 300)}`); }
    return { exit: x.code, client: json };
  };
  out.whip = await clientRun(['whip', '--url', `http://127.0.0.1:${port}/whip/live/ndc`, '--h264', files.h264, '--opus', files.opus]);
  out.whip.double = dbl.sessions[0]?.info ?? null;
  out.whep = await clientRun(['whep', '--url', `http://127.0.0.1:${port}/whep/live/ndc`]);
  out.whep.double = dbl.sessions[1]?.info ?? null;
  // The client must fail when the server refuses (a path the double answers 404) and when
  // a session connects but no media comes.
  out.refused = await clientRun(['whep', '--url', `http://127.0.0.1:${port}/nowhere`]);
  out.silent = await clientRun(['whep', '--url', `http://127.0.0.1:${port}/whep/live/silent`, '--seconds', '1']);
  for (const s of [out.whip.double, out.whep.double]) if (s) delete s.answer;
  const reachedConnected = (c) => !!c?.states.some((x) => x.what === 'pc' && x.state === 'connected');
  const track = (s, kind) => s?.tracks.find((t) => t.kind === kind);
  const wv = track(out.whip.double, 'video')?.recv, wa = track(out.whip.double, 'audio')?.recv;
  const sent = out.whip.client?.video;
  out.checks = {
    whipClientOk: out.whip.exit === 0 && out.whip.client?.ok === true,
    whipVideoArrived: !!wv && wv.packets > 0 && wv.keyframes >= 1 && wv.fuBoth === 0,
    whipFramesMatch: !!wv && !!sent && Math.abs(wv.accessUnits - sent.framesSent) <= 2,
    whipAudioArrived: !!wa && wa.packets > 0,
    whipDeleted: out.whip.double?.deleted === true,
    whepClientOk: out.whep.exit === 0 && out.whep.client?.ok === true,
    whepAudioArrived: (out.whep.client?.audio?.packets ?? 0) > 0,
    whepPliReachedSender: (track(out.whep.double, 'video')?.pli ?? 0) >= 1,
    whepDeleted: out.whep.double?.deleted === true,
    clientFailsWhenRefused: out.refused.exit === 1 && out.refused.client?.post?.status === 404,
    clientFailsWithoutMedia: out.silent.exit === 1 && reachedConnected(out.silent.client)
      && out.silent.client?.video?.packets === 0,
    clientSawIceLite: [out.whip, out.whep].every((x) => x.client?.answer?.iceLite === true),
    clientWasDtlsClient: [out.whip, out.whep].every((x) => x.client?.answer?.setup.every((l) => l === 'setup:passive')),
  };
  out.ok = Object.values(out.checks).every(Boolean);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  for (const s of dbl.sessions) s.pc.close();
  dbl.server.close();
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(out.ok ? 0 : 1));
}

main();
