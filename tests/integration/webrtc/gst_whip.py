#!/usr/bin/python3
# A WHIP publisher on GStreamer's webrtcbin (1.22), the third WebRTC stack of the tests
# (after Chromium and libdatachannel). Prints ONE JSON line of what it saw.
#
#   gst_whip.py --url http://127.0.0.1:PORT/whip/live/gst --media FILE.mkv
#               [--seconds 8] [--audio-delay-ms 0] [--token BEARER] [--timeout 15]
#
# FILE.mkv holds H.264 (no B-frames) and Opus; both are played in real time
# (clocksync), payloaded (rtph264pay, rtpopuspay) and sent by webrtcbin
# (bundle-policy max-bundle, no trickle: the offer is POSTed once ICE gathering is
# complete); both tracks start at the moment DTLS is up, from the same capture time.
# --audio-delay-ms holds the audio that long before it is sent, as a
# sender whose audio path is slower than its video path: the RTCP sender reports still
# tie each RTP timestamp to its capture time (rtpbin rtcp-sync-send-time=false, as
# browsers do), so a receiver that lip-syncs by them can undo the delay.
# Exit 0 when connected and media was sent, 1 when not, 2 on a harness problem.
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

try:
    import gi
    gi.require_version('Gst', '1.0')
    gi.require_version('GstWebRTC', '1.0')
    gi.require_version('GstSdp', '1.0')
    gi.require_version('Nice', '0.1')
    from gi.repository import GLib, Gst, GstSdp, GstWebRTC, Nice  # noqa: E402
except (ImportError, ValueError) as e:  # the packages of scripts/packages.txt are missing
    print(json.dumps({'ok': False, 'errors': [f'GStreamer Python bindings: {e}']}))
    sys.exit(2)

T0 = time.monotonic()


def ms():
    return round((time.monotonic() - T0) * 1000)


class Publisher:
    def __init__(self, args):
        self.args = args
        self.r = {'ok': False, 'url': args.url, 'library': f'GStreamer {Gst.version_string()}', 'post': None,
                  'delete': None, 'states': [], 'errors': [], 'audio_delay_ms': args.audio_delay_ms,
                  'sent': {'video': 0, 'audio': 0}}
        self.loop = GLib.MainLoop()
        self.session = None
        # NOTE: the audio's second clocksync releases each buffer that long after its
        # capture time (a queue's min-threshold-time lets the first ones through).
        delay = (f'queue max-size-time=0 max-size-buffers=0 max-size-bytes=0 ! '
                 f'clocksync ts-offset={args.audio_delay_ms * 1_000_000} ! ') if args.audio_delay_ms > 0 else ''
        self.pipe = Gst.parse_launch(
            'webrtcbin name=w bundle-policy=max-bundle '
            f'filesrc location="{args.media}" ! matroskademux name=d '
            'd.video_0 ! queue ! h264parse ! clocksync ! '
            'valve name=vvalve drop=true drop-mode=forward-sticky-events ! '
            'rtph264pay config-interval=-1 pt=96 aggregate-mode=zero-latency name=vpay ! '
            'application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000 ! w. '
            'd.audio_0 ! queue ! opusparse ! clocksync ! '
            'valve name=avalve drop=true drop-mode=forward-sticky-events ! ' + delay +
            'rtpopuspay pt=111 name=apay ! '
            'application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! w.')
        self.webrtc = self.pipe.get_by_name('w')
        self.bind_loopback()
        rtpbin = self.webrtc.get_by_name('rtpbin')
        if rtpbin is not None:
            rtpbin.set_property('rtcp-sync-send-time', False)
        else:
            self.r['errors'].append('webrtcbin has no child named rtpbin: sender reports use send time')
        for name, kind in (('vpay', 'video'), ('apay', 'audio')):
            pad = self.pipe.get_by_name(name).get_static_pad('src')
            pad.add_probe(Gst.PadProbeType.BUFFER, self.count, kind)
        self.webrtc.connect('notify::ice-gathering-state', self.on_gathering)
        self.webrtc.connect('notify::connection-state', self.on_state)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect('message::error', self.on_error)
        bus.connect('message::eos', lambda *_: self.stop('end of the media file'))

    def bind_loopback(self):
        # NOTE: libnice gathers no loopback candidate while another interface is up,
        # and pairs none of those with the server's 127.0.0.1: give it 127.0.0.1 only
        # (the tests stay on loopback).
        # NOTE: PyGObject drops one reference too many of the ICE object it is given
        # for 'ice-agent' when its wrapper goes: the wrapper is kept until the exit.
        self.ice = self.webrtc.get_property('ice-agent')
        self.ice.set_property('ice-tcp', False)
        addr = Nice.Address.new()
        addr.set_from_string('127.0.0.1')
        self.agent = self.ice.get_property('agent')
        self.agent.add_local_address(addr)

    def count(self, _pad, _info, kind):
        self.r['sent'][kind] += 1
        return Gst.PadProbeReturn.OK

    def on_error(self, _bus, message):
        err, debug = message.parse_error()
        self.r['errors'].append(f'{message.src.get_name()}: {err.message}')
        self.stop('pipeline error')

    def on_state(self, element, _pspec):
        state = element.get_property('connection-state').value_nick
        self.r['states'].append({'t': ms(), 'state': state})
        if state == 'connected' and 'connected_ms' not in self.r:
            self.r['connected_ms'] = ms()
            # Both tracks start at the same capture time, now (what came before was
            # dropped, not queued: webrtcbin would send it in one burst at the start).
            for valve in ('vvalve', 'avalve'):
                self.pipe.get_by_name(valve).set_property('drop', False)
            GLib.timeout_add(self.args.seconds * 1000, lambda: self.stop('done') and False)

    def create_offer(self):
        promise = Gst.Promise.new_with_change_func(self.on_offer, None)
        self.webrtc.emit('create-offer', None, promise)
        return False

    def on_offer(self, promise, _data):
        reply = promise.get_reply()
        offer = reply.get_value('offer') if reply else None
        if offer is None:
            self.r['errors'].append('webrtcbin made no offer')
            self.stop('no offer')
            return
        self.webrtc.emit('set-local-description', offer, Gst.Promise.new())

    def on_gathering(self, element, _pspec):
        if element.get_property('ice-gathering-state') != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        if self.r['post'] is not None:
            return
        offer = element.get_property('local-description').sdp.as_text()
        GLib.idle_add(self.post, offer)

    def headers(self):
        return {'Authorization': f'Bearer {self.args.token}'} if self.args.token else {}

    def post(self, offer):
        req = urllib.request.Request(self.args.url, data=offer.encode(), method='POST',
                                     headers={'Content-Type': 'application/sdp', **self.headers()})
        try:
            with urllib.request.urlopen(req, timeout=self.args.timeout) as res:
                body, status, location = res.read().decode(), res.status, res.headers.get('Location')
        except urllib.error.HTTPError as e:
            self.r['post'] = {'status': e.code, 'body': e.read().decode()[:400]}
            self.stop('POST refused')
            return False
        except OSError as e:
            self.r['errors'].append(f'POST: {e}')
            self.stop('POST failed')
            return False
        self.r['post'] = {'status': status, 'location': location}
        self.r['answer'] = [line for line in body.splitlines()
                            if line.startswith(('m=', 'a=candidate', 'a=group', 'a=mid', 'a=setup', 'c='))]
        if status != 201 or not location:
            self.stop('POST answered without a session')
            return False
        self.session = urllib.parse.urljoin(self.args.url, location)
        _, sdp = GstSdp.SDPMessage.new_from_text(body)
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        self.webrtc.emit('set-remote-description', answer, Gst.Promise.new())
        return False

    def stop(self, why):
        self.r.setdefault('stopped', why)
        self.loop.quit()
        return True

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        # NOTE: an offer made before the payloaders fixed their caps comes back empty
        # in 1.22: offer after the first buffers went through.
        GLib.timeout_add(700, self.create_offer)
        GLib.timeout_add((self.args.seconds + 2 * self.args.timeout) * 1000, lambda: self.stop('watchdog'))
        self.loop.run()
        self.r['final_state'] = self.webrtc.get_property('connection-state').value_nick
        if self.session:
            req = urllib.request.Request(self.session, method='DELETE', headers=self.headers())
            try:
                with urllib.request.urlopen(req, timeout=5) as res:
                    self.r['delete'] = {'status': res.status}
            except (urllib.error.HTTPError, OSError) as e:
                self.r['errors'].append(f'DELETE: {e}')
        self.pipe.set_state(Gst.State.NULL)
        self.r['ms'] = ms()
        self.r['ok'] = ('connected_ms' in self.r and self.r['sent']['video'] > 0
                        and self.r.get('stopped') == 'done')
        return self.r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', required=True)
    ap.add_argument('--media', required=True)
    ap.add_argument('--seconds', type=int, default=8)
    ap.add_argument('--audio-delay-ms', type=int, default=0)
    ap.add_argument('--token', default='')
    ap.add_argument('--timeout', type=int, default=15)
    args = ap.parse_args()
    Gst.init(None)
    r = Publisher(args).run()
    print(json.dumps(r), flush=True)
    os._exit(0 if r['ok'] else 1)  # NOTE: no finalizers: see bind_loopback


if __name__ == '__main__':
    main()
