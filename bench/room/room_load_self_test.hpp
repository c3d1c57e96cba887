// The --self-test of roomcast-room-load: checks the frame codec, the handshake and
// the histogram on byte buffers, without a server. Main thread.
#pragma once

namespace bench {

// Prints one line per failed check and a "N passed, N failed" line; 0 = all passed.
int runRoomLoadSelfTest();

}  // namespace bench
