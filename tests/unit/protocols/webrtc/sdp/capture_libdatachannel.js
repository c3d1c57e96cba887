// Captures an offer of libdatachannel (the WebRTC stack of OBS's WHIP output) through
// node-datachannel: an Opus and an H.264 sendonly track (OBS's order and payload
// types: audio 111 first, video 96) plus a data channel.
// Run: npm install --prefix /tmp/ndc node-datachannel
//      NODE_PATH=/tmp/ndc/node_modules node capture_libdatachannel.js > libdatachannel_whip_offer.sdp
const ndc = require('node-datachannel');

const pc = new ndc.PeerConnection('whip', { iceServers: [] });
const audio = new ndc.Audio('0', 'SendOnly');
audio.addOpusCodec(111);
audio.addSSRC(1111, 'obs-audio', 'obs', 'obs-audio');
pc.addTrack(audio);
const video = new ndc.Video('1', 'SendOnly');
video.addH264Codec(96);
video.addSSRC(2222, 'obs-video', 'obs', 'obs-video');
pc.addTrack(video);
pc.createDataChannel('room');
pc.onGatheringStateChange((state) => {
  if (state !== 'complete') return;
  process.stdout.write(pc.localDescription().sdp);
  pc.close();
  ndc.cleanup();
  process.exit(0);
});
pc.setLocalDescription();
setTimeout(() => { process.stdout.write(pc.localDescription().sdp); process.exit(0); }, 5000);
