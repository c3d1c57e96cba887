// Captures a WHIP-style (sendonly video+audio) and a WHEP-style (recvonly
// transceivers + a data channel) offer from headless Chromium.
// Run: NODE_PATH=<repo>/web/node_modules node capture_chromium.js <out-dir>
const { chromium } = require('playwright-core');
const fs = require('fs');
const path = require('path');

(async () => {
  const out = process.argv[2] || '.';
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream',
           '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
           '--allow-loopback-in-peer-connection'],
  });
  const page = await browser.newPage();
  // getUserMedia needs a secure context: http://localhost is one; the page is served
  // by playwright itself (no server).
  await page.route('http://localhost/', (route) =>
    route.fulfill({ contentType: 'text/html', body: '<html><body>offers</body></html>' }));
  await page.goto('http://localhost/');
  const offers = await page.evaluate(async () => {
    const gathered = (pc) => new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 3000);
    });
    const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    const whip = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    for (const track of media.getTracks())
      whip.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    await whip.setLocalDescription(await whip.createOffer());
    await gathered(whip);
    const whep = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    whep.addTransceiver('video', { direction: 'recvonly' });
    whep.addTransceiver('audio', { direction: 'recvonly' });
    whep.createDataChannel('room');
    await whep.setLocalDescription(await whep.createOffer());
    await gathered(whep);
    return { whip: whip.localDescription.sdp, whep: whep.localDescription.sdp,
             ua: navigator.userAgent };
  });
  fs.writeFileSync(path.join(out, 'chromium_whip_offer.sdp'), offers.whip);
  fs.writeFileSync(path.join(out, 'chromium_whep_offer.sdp'), offers.whep);
  console.log(offers.ua);
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
