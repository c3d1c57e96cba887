// roomcast sidechannel on the player page: the room's events carried inside the
// media (docs/sidechannel.md), shown when the picture reaches them. Both sources
// hand events over before their time, and each waits here until playback gets
// there:
// - hls.js (HLS, LL-HLS, replay): FRAG_PARSING_METADATA gives the timed ID3 (TS)
//   and emsg ID3 (fMP4) samples of each fragment with their media time (pts).
//   NOTE: not the "id3" TextTrack's cues: hls.js 1.7 creates that track with
//   src="data:,WEBVTT", and Chrome empties it when that loads, losing the cues of
//   the first fragment that had any.
// - mpegts.js (HTTP-FLV): onTextData script data at demux time, without a time of
//   its own: the server stamps an event with the newest media it had, which is the
//   newest media buffered here when the event is demuxed.
// Plain ES module, loaded by app.js.
//
// Stable hooks for tests: window.roomcast.sidechannel.log — the last 500 events as
// [{source: 'id3'|'flv', at (media time, s), shownAt (video.currentTime, s), event}].

const MAX_LOG = 500;
const MAX_WAITING = 1000;
const MAX_SEEN = 5000;

// The values of the TXXX frames with description `roomcast` of an ID3v2.3/2.4 tag.
export function id3Values(bytes) {
  const out = [];
  if (bytes.length < 10 || bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return out;
  const version = bytes[3];
  const syncsafe = (i) => (bytes[i] << 21) | (bytes[i + 1] << 14) | (bytes[i + 2] << 7) | bytes[i + 3];
  const end = Math.min(bytes.length, 10 + syncsafe(6));
  const utf8 = new TextDecoder('utf-8');
  let pos = 10;
  while (pos + 10 <= end) {
    const id = String.fromCharCode(bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]);
    const size = version === 4 ? syncsafe(pos + 4)
      : ((bytes[pos + 4] << 24) | (bytes[pos + 5] << 16) | (bytes[pos + 6] << 8) | bytes[pos + 7]) >>> 0;
    if (!/^[A-Z0-9]{4}$/.test(id) || size <= 0 || pos + 10 + size > end) break;
    if (id === 'TXXX' && bytes[pos + 10] === 3) { // UTF-8
      const body = bytes.subarray(pos + 11, pos + 10 + size);
      const nul = body.indexOf(0);
      if (nul >= 0 && utf8.decode(body.subarray(0, nul)) === 'roomcast') {
        out.push(utf8.decode(body.subarray(nul + 1)));
      }
    }
    pos += 10 + size;
  }
  return out;
}

export function createSidechannel({ video, onEvent }) {
  const side = {
    log: [],
    seen: new Set(), // events already shown (a segment may repeat the status)
    seenOrder: [],
    waiting: [], // [{at (media time, s), source, event}], by `at`
    timer: 0,
    stopped: false,
  };

  function remember(event) {
    const key = `${event.room}|${event.seq}|${event.msgId || ''}`;
    if (side.seen.has(key)) return false;
    side.seen.add(key);
    side.seenOrder.push(key);
    if (side.seenOrder.length > MAX_SEEN) side.seen.delete(side.seenOrder.shift());
    return true;
  }

  function parse(text) {
    try {
      const event = JSON.parse(text);
      return event && typeof event === 'object' ? event : null;
    } catch {
      return null;
    }
  }

  function wait(at, source, event) {
    if (side.stopped || !event) return;
    let i = side.waiting.length;
    while (i > 0 && side.waiting[i - 1].at > at) i--;
    side.waiting.splice(i, 0, { at, source, event });
    if (side.waiting.length > MAX_WAITING) side.waiting.shift();
    pump();
  }

  function pump() {
    clearTimeout(side.timer);
    if (side.stopped) return;
    while (side.waiting.length && side.waiting[0].at <= video.currentTime) {
      const { at, source, event } = side.waiting.shift();
      if (!remember(event)) continue;
      side.log.push({ source, at, shownAt: video.currentTime, event });
      if (side.log.length > MAX_LOG) side.log.shift();
      onEvent(event);
    }
    if (side.waiting.length) {
      const rate = video.playbackRate || 1;
      const ms = ((side.waiting[0].at - video.currentTime) * 1000) / rate;
      // NOTE: re-checked at least every 20 ms: playback may stall or seek.
      side.timer = setTimeout(pump, Math.max(1, Math.min(ms, 20)));
    }
  }

  function bufferedEnd() {
    const b = video.buffered;
    return b.length ? b.end(b.length - 1) : video.currentTime;
  }

  return {
    log: side.log,
    // hls.js Events.FRAG_PARSING_METADATA: {samples: [{pts (s), data: ID3 bytes}]}
    onHlsMetadata(data) {
      for (const sample of (data && data.samples) || []) {
        if (!(sample.data instanceof Uint8Array) || !Number.isFinite(sample.pts)) continue;
        for (const text of id3Values(sample.data)) wait(sample.pts, 'id3', parse(text));
      }
    },
    // mpegts.js Events.SCRIPTDATA_ARRIVED: {onTextData: {type: 'Text', text}}
    onScriptData(data) {
      const t = data && data.onTextData;
      if (!t || t.type !== 'Text' || typeof t.text !== 'string') return;
      wait(bufferedEnd(), 'flv', parse(t.text));
    },
    stop() {
      side.stopped = true;
      clearTimeout(side.timer);
      side.waiting.length = 0;
    },
  };
}
