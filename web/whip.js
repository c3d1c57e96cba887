// WHIP publishing for the player page ("go live", RFC 9725): the camera and
// microphone (or a test pattern) sent as a sendonly offer POSTed as application/sdp
// to /whip/{app}/{name}; 201 brings the server's answer and the session URL
// (Location) that stop() DELETEs. H.264 is put first (the server takes H.264 and
// Opus). getStats() is polled for the page: frames encoded, bytes sent, target bit rate.
// Plain ES module, no build step.

const STATS_MS = 500;

// The offer/answer of WHIP and WHEP alike: `pc`'s offer POSTed as application/sdp to
// `url`, the 201's answer set on `pc`; resolves to the session URL (Location) to
// DELETE. On a refusal throws Error("<label> <status>: <the server's error>") and
// closes `pc`.
export async function exchangeSdp(pc, url, label, headers = {}) {
  try {
    await pc.setLocalDescription(await pc.createOffer());
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', ...headers },
      body: pc.localDescription.sdp,
    });
    if (res.status !== 201) {
      const body = await res.json().catch(() => ({}));
      throw new Error(`${label} ${res.status}: ${body.error || res.statusText}`);
    }
    const location = new URL(res.headers.get('Location'), new URL(url, window.location.href)).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    return location;
  } catch (e) {
    pc.close();
    throw e;
  }
}

// A moving test pattern (canvas) with a tone, for machines without a camera.
export function testPattern(width = 640, height = 360, fps = 30, color = '') {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  let frame = 0;
  const timer = setInterval(() => {
    frame += 1;
    // A `color` ("#rrggbb") paints the whole picture in it (the tests' colour checks);
    // else a changing hue with the time.
    g.fillStyle = color || `hsl(${(frame * 3) % 360} 70% 45%)`;
    g.fillRect(0, 0, width, height);
    if (color) return;
    g.fillStyle = '#fff';
    g.font = `${Math.round(height / 8)}px sans-serif`;
    g.fillText(new Date().toISOString().slice(11, 23), width / 10, height / 2);
  }, 1000 / fps);
  const stream = canvas.captureStream(fps);
  const audio = new AudioContext();
  const tone = audio.createOscillator();
  const sink = audio.createMediaStreamDestination();
  tone.frequency.value = 440;
  tone.connect(sink);
  tone.start();
  for (const t of sink.stream.getAudioTracks()) stream.addTrack(t);
  stream.stopPattern = () => {
    clearInterval(timer);
    tone.stop();
    audio.close();
  };
  return stream;
}

// Publishes `media` (a MediaStream) to `url` (with its query: expire/sign). Resolves
// to { stop(), stats } once the answer is set; throws Error with the server's
// {"error"} text on a refusal. `token`: sent as "Authorization: Bearer".
export async function startWhip(url, media, { token = '', onFailed = () => {} } = {}) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  for (const track of media.getTracks()) {
    const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    if (track.kind === 'video' && RTCRtpSender.getCapabilities) {
      const codecs = RTCRtpSender.getCapabilities('video').codecs;
      const h264 = codecs.filter((c) => /h264/i.test(c.mimeType));
      if (h264.length) t.setCodecPreferences([...h264, ...codecs.filter((c) => !/h264/i.test(c.mimeType))]);
    }
  }
  const stats = { state: 'new', framesEncoded: 0, bytesSent: 0, targetBitrate: 0, audioPackets: 0, codec: '' };
  pc.onconnectionstatechange = () => {
    stats.state = pc.connectionState;
    if (pc.connectionState === 'failed') onFailed(`WebRTC connection failed (${pc.iceConnectionState})`);
  };
  const location = await exchangeSdp(pc, url, 'WHIP', token ? { Authorization: `Bearer ${token}` } : {});
  const poll = setInterval(async () => {
    const report = await pc.getStats().catch(() => null);
    if (!report) return;
    const codecs = {};
    report.forEach((s) => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
    report.forEach((s) => {
      if (s.type !== 'outbound-rtp') return;
      if (s.kind === 'video') {
        stats.framesEncoded = s.framesEncoded || 0;
        stats.bytesSent = s.bytesSent || 0;
        stats.targetBitrate = s.targetBitrate || 0; // the encoder's target: the bandwidth estimate's share
        stats.frameWidth = s.frameWidth || 0;
        stats.frameHeight = s.frameHeight || 0;
        stats.codec = codecs[s.codecId] || '';
      } else if (s.kind === 'audio') {
        stats.audioPackets = s.packetsSent || 0;
      }
    });
  }, STATS_MS);
  return {
    stats,
    stop: () => {
      clearInterval(poll);
      if (location) fetch(location, { method: 'DELETE', keepalive: true }).catch(() => {});
      pc.close();
      for (const t of media.getTracks()) t.stop();
      if (media.stopPattern) media.stopPattern();
    },
  };
}
