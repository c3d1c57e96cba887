#!/usr/bin/python3
# Captures the offer of GStreamer's webrtcbin (1.22) publishing x264enc H.264 and
# opusenc Opus through rtph264pay/rtpopuspay, as a non-browser WHIP client would:
# transceivers stay sendrecv, the Opus encoding name is upper-case OPUS.
# Run: /usr/bin/python3 capture_gstreamer.py > gstreamer_whip_offer.sdp
# (needs gir1.2-gst-plugins-bad-1.0, gstreamer1.0-plugins-ugly)
import sys
import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstWebRTC', '1.0')
gi.require_version('GstSdp', '1.0')
from gi.repository import Gst, GstWebRTC, GLib  # noqa: E402

Gst.init(None)
pipe = Gst.parse_launch(
    'webrtcbin name=w bundle-policy=max-bundle '
    'videotestsrc is-live=true ! videoconvert ! x264enc tune=zerolatency ! rtph264pay config-interval=-1 ! '
    'application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000 ! w. '
    'audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc ! rtpopuspay ! '
    'application/x-rtp,media=audio,encoding-name=OPUS,payload=97,clock-rate=48000 ! w.')
webrtc = pipe.get_by_name('w')
loop = GLib.MainLoop()


def on_gathering(element, _pspec):
    if element.get_property('ice-gathering-state') == GstWebRTC.WebRTCICEGatheringState.COMPLETE:
        sys.stdout.write(element.get_property('local-description').sdp.as_text())
        loop.quit()


def on_offer(promise, _data):
    reply = promise.get_reply()
    offer = reply['offer']
    webrtc.emit('set-local-description', offer, Gst.Promise.new())


def create_offer():
    # Offered once the payloaders have fixed their caps (an offer made at the first
    # on-negotiation-needed comes back NULL in 1.22: no caps yet).
    webrtc.emit('create-offer', None, Gst.Promise.new_with_change_func(on_offer, None))
    return False


webrtc.connect('notify::ice-gathering-state', on_gathering)
pipe.set_state(Gst.State.PLAYING)
GLib.timeout_add(1000, create_offer)
GLib.timeout_add_seconds(10, loop.quit)
loop.run()
pipe.set_state(Gst.State.NULL)
