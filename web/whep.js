// WHEP playback for the player page (draft-ietf-wish-whep): a recvonly offer (video
// and audio) POSTed as application/sdp to /whep/{app}/{name}; the server answers
// 201 with its SDP (ICE-lite, its host candidates) and the session URL in Location,
// which stop() DELETEs. No trickle: the server answers ICE checks from wherever
// they come. getStats() is polled twice a second for the page's numbers: the
// delay the browser adds (jitter buffer + decode) and frames decoded. A data channel
// "room" brings the stream's room events (the sidechannel's JSON with streamTime),
// each sent with the picture of its time: onRoomEvent(event) gets them. The same
// channel speaks the room protocol (docs/room-protocol.md, "On a WebRTC data
// channel"): the player's sendRoom(request) sends one, and the replies and error
// events come to onRoomEvent too.
// Plain ES module, no build step.

import { exchangeSdp } from './whip.js';

const STATS_MS = 500;

// Starts playing `url` (with its query: expire/sign) into `video`. Resolves to the
// player object { kind, version, destroy(), stats() } once the answer is set; throws
// Error with the server's {"error"} text on a refusal.
export async function startWhep(url, video, onFailed, onRoomEvent = () => {}) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const media = new MediaStream();
  pc.ontrack = (event) => {
    media.addTrack(event.track);
    if (video.srcObject !== media) video.srcObject = media;
  };
  const stats = {
    delayMs: null, framesDecoded: 0, keyFramesDecoded: 0, audioPackets: 0, audioSamples: 0, audioConcealed: 0,
    state: 'new',
    roomEvents: [], // the last ones received on the data channel (parsed JSON)
    roomChannel: 'closed',
  };
  const room = pc.createDataChannel('room');
  room.onopen = () => { stats.roomChannel = 'open'; };
  room.onclose = () => { stats.roomChannel = 'closed'; };
  room.onmessage = (event) => {
    let parsed;
    try {
      parsed = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    stats.roomEvents.push(parsed);
    if (stats.roomEvents.length > 100) stats.roomEvents.shift();
    onRoomEvent(parsed);
  };
  window.roomcast = window.roomcast || {};
  window.roomcast.whep = stats;
  // One room request on the channel; false while it is not open.
  const sendRoom = (request) => {
    if (room.readyState !== 'open') return false;
    room.send(JSON.stringify(request));
    return true;
  };
  pc.onconnectionstatechange = () => {
    stats.state = pc.connectionState;
    if (pc.connectionState === 'failed') onFailed(`WebRTC connection failed (${pc.iceConnectionState})`);
  };
  const location = await exchangeSdp(pc, url, 'WHEP');
  const poll = setInterval(async () => {
    const report = await pc.getStats().catch(() => null);
    if (!report) return;
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        stats.framesDecoded = s.framesDecoded || 0;
        stats.keyFramesDecoded = s.keyFramesDecoded || 0;
        // What the browser holds back: its jitter buffer per emitted frame.
        if (s.jitterBufferEmittedCount)
          stats.delayMs = (s.jitterBufferDelay / s.jitterBufferEmittedCount) * 1000;
      } else if (s.kind === 'audio') {
        stats.audioPackets = s.packetsReceived || 0;
        stats.audioSamples = s.totalSamplesReceived || 0;
        stats.audioConcealed = s.concealedSamples || 0;
      }
    });
  }, STATS_MS);
  return {
    kind: 'whep',
    version: '',
    sendRoom,
    destroy: () => {
      clearInterval(poll);
      // keepalive: the DELETE still goes out when the page is closing.
      if (location) fetch(location, { method: 'DELETE', keepalive: true }).catch(() => {});
      pc.close();
    },
    stats: () => ({
      edgeMs: null,
      latencyMs: stats.delayMs,
      latencyKind: 'browser jitter buffer (WebRTC: no segments, no player buffer)',
    }),
  };
}
