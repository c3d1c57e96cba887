# A chat client whose requests are refused again and again (unknown commands, then
# too many requests): the server logs a few of those lines per client and counts the
# rest in one line when the client goes. Owner: integration tests. One server (~3 s).
import re

import harness as h
import room_client as rc

REFUSED = 30  # within the burst the client rate allows (room.client_rate 20/s, 2 s)
FLOOD = 150  # then far past it (the server stops answering after 20 and closes at 200)


class RoomLogLimitTest(h.IntegrationTest):
    def test_refused_requests_are_logged_a_few_times_per_client(self):
        with h.Server(sets={"room.client_rate": 20}) as srv:
            mark = srv.log_mark()
            c = rc.WsClient(srv.http_port, name="refused").connect()
            port = c.local_port()
            try:
                ids = [c.send_cmd("bogus-%d" % i) for i in range(REFUSED)]
                for rid in ids:
                    self.assertNotEqual(c.reply_to(rid).get("code"), 0)
                for i in range(FLOOD):
                    c.send_cmd("bogus-flood-%d" % i)
                c.wait_for(lambda e: e.get("event") == "error", 5, "a too-fast error")
            finally:
                c.close()
            rx = re.compile(r"room ws 127\.0\.0\.1:%d\b" % port)
            srv.wait_for_log([rx.pattern, r"closed"], 5, mark)
            lines = [l for l in srv.log_text()[mark:].splitlines() if rx.search(l)]
            h.log("%d lines name the client:\n%s" % (len(lines), "\n".join(lines)))
            refused = [l for l in lines if re.search(r": bogus[-\w]* refused", l)]
            errors = [l for l in lines if "error" in l and "too many requests" in l]
            self.assertEqual(len(refused), 5, "\n".join(lines))
            self.assertEqual(len(errors), 5, "\n".join(lines))
            summary = [l for l in lines if "suppressed" in l]
            self.assertEqual(len(summary), 2, "\n".join(lines))
            counts = {m.group(2): int(m.group(1)) for m in (
                re.search(r"suppressed (\d+) similar lines \(([\w ]+)\)", l) for l in summary)}
            self.assertGreaterEqual(counts.get("request refused", 0), REFUSED - 5, counts)
            self.assertGreater(counts.get("error sent", 0), 0, counts)
            self.assertLessEqual(len(lines), 20, "\n".join(lines))


if __name__ == "__main__":
    h.main()
