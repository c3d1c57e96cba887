// The clock code of bench/webrtc-bench's glass-to-glass figures: a band of 40 black or
// white blocks across the top of a picture, the send time in ms (wall clock modulo 2^32,
// MSB first, 32 blocks) and an 8-bit check ((sum of its 4 bytes) & 0xff ^ 0xa5). Big
// blocks survive H.264 at low rates; a picture whose check fails reads as null.
// A plain script: in a page (addScriptTag) and in node (import) it sets globalThis.rcClock.
// bench/webrtc-bench has the same code in Python (clock_row, clock_read).
(function (root) {
  const kBits = 40;
  const kWrap = 4294967296;

  // The band: blocks of `bw` px from x0, `bandH` px tall at the top of a w x h picture.
  function geometry(w, h) {
    const bw = Math.floor(w / kBits);
    return { bw, x0: Math.floor((w - bw * kBits) / 2), bandH: Math.max(16, Math.round(h / 8)) };
  }

  function bits(ms) {
    const v = ms % kWrap;
    const bytes = [Math.floor(v / 16777216) & 255, Math.floor(v / 65536) & 255, Math.floor(v / 256) & 255, v & 255];
    const check = ((bytes[0] + bytes[1] + bytes[2] + bytes[3]) & 255) ^ 0xa5;
    const out = [];
    for (const b of [...bytes, check]) for (let i = 7; i >= 0; i--) out.push((b >> i) & 1);
    return out;
  }

  // Draws the code of `ms` on a 2D canvas context of a w x h picture.
  function draw(g, w, h, ms) {
    const { bw, x0, bandH } = geometry(w, h);
    g.fillStyle = '#000';
    g.fillRect(0, 0, w, bandH);
    g.fillStyle = '#fff';
    bits(ms).forEach((bit, i) => { if (bit) g.fillRect(x0 + i * bw, 0, bw, bandH); });
  }

  // Reads the code from `luma(x, y)` (0..255) of a w x h picture: the ms value or null.
  function read(luma, w, h) {
    const { bw, x0, bandH } = geometry(w, h);
    const r = Math.max(1, Math.floor(Math.min(bw, bandH) / 6));
    const got = [];
    for (let i = 0; i < kBits; i++) {
      const cx = x0 + i * bw + Math.floor(bw / 2), cy = Math.floor(bandH / 2);
      let sum = 0, n = 0;
      for (let y = cy - r; y <= cy + r; y++) for (let x = cx - r; x <= cx + r; x++) { sum += luma(x, y); n++; }
      got.push(sum / n >= 128 ? 1 : 0);
    }
    const bytes = [];
    for (let k = 0; k < 5; k++) bytes.push(got.slice(k * 8, k * 8 + 8).reduce((a, b) => a * 2 + b, 0));
    if ((((bytes[0] + bytes[1] + bytes[2] + bytes[3]) & 255) ^ 0xa5) !== bytes[4]) return null;
    return ((bytes[0] * 256 + bytes[1]) * 256 + bytes[2]) * 256 + bytes[3];
  }

  // now - code in ms (both wall-clock ms), across the 2^32 wrap.
  function age(nowMs, code) {
    const d = (((nowMs % kWrap) - code) % kWrap + kWrap) % kWrap;
    return d > kWrap / 2 ? d - kWrap : d;
  }

  // Reads the code from RGBA ImageData of the band (its width w, the picture's height h).
  function readImageData(img, h) {
    const d = img.data, w = img.width;
    return read((x, y) => { const p = (y * w + x) * 4; return (d[p] + d[p + 1] + d[p + 2]) / 3; }, w, h);
  }

  root.rcClock = { bits, draw, read, readImageData, age, geometry };
})(globalThis);
