# RoomServerTest: the fixture the room's integration tests share: a roomcast
# started per test with the room keys of room_test (plus each test's settings),
# WebSocket members that are logged in (and joined) and closed before the server
# stops, and the admin API client. Not a test module itself.
import contextlib
import sys

import harness as h
import room_client as rc
import room_test as rt  # the module only: its RoomTest must not run from here


class RoomServerTest(h.IntegrationTest):
    def setUp(self):
        self.clients = []
        self.srv = self.api = None

    def server_sets(self):
        """Settings every server of this test class gets (override)."""
        return {}

    @contextlib.contextmanager
    def serve(self, **sets):
        conf = {"room.key": rt.KEY, "room.app_id": rt.APP_ID}
        conf.update(self.server_sets())
        conf.update(sets)
        srv = h.Server(sets=conf, name="roomcast-" + self._testMethodName[5:]).start()
        self.srv, self.api = srv, rc.Api(srv.http_port, rt.APP_ID, rt.KEY)
        try:
            yield srv
        finally:
            self.close_clients()
            srv.__exit__(*sys.exc_info())
            self.srv = None

    def close_clients(self):
        for c in self.clients:
            c.close()
        self.clients = []

    def wait_room_status(self, room, status=2, timeout=15):
        """Waits until `room` exists with `status` (2: its stream is live)."""
        h.wait_until(lambda: any(r.get("id") == room and r.get("status") == status
                                 for r in self.api.rooms()), timeout, 0.2,
                     "room %s with status %d" % (room, status))

    def member(self, user, room=None, check_join=True, **ws_opts):
        """A logged-in member, joined to `room` if given; c.joined is the join
        reply (checked for code 0 unless check_join is False)."""
        c = rc.WsClient(self.srv.http_port, name=user, **ws_opts).connect()
        self.clients.append(c)
        r = rc.ok(c.login(user, rt.sig(user)), "login " + user)
        self.assertEqual(r.get("user"), user, r)
        if room:
            reply = c.request("join", room=room)
            c.joined = rc.ok(reply, "join %s %s" % (user, room)) if check_join else reply
        return c
