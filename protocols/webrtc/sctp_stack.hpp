// SctpStack: usrsctp (userland SCTP) started without its timer thread; the owner drives
// its timers with onTimer(). usrsctp's C callbacks reach associations through a heap
// Handle {stack, id} looked up by id. One per process (usrsctp is process-global), owned
// by WebrtcLibraries and outliving every SctpAssociation; loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

struct socket;  // usrsctp's socket (usrsctp.h), global namespace

namespace webrtc {

class SctpAssociation;

class SctpStack {
 public:
  // usrsctp_init_nothreads and the settings every association shares. nullptr + error
  // when a setting is refused. Create at most one per process.
  static std::unique_ptr<SctpStack> create(std::string& error);
  // Inbound and outbound streams we offer (RFC 8831 §6.2: see the NOTE in sctp_stack.cpp).
  static constexpr uint16_t kStreams = 1024;
  // finish(). Destroy the associations first.
  ~SctpStack();
  SctpStack(const SctpStack&) = delete;
  SctpStack& operator=(const SctpStack&) = delete;

  // usrsctp's timers (retransmission, delayed SACK, heartbeat). The owner calls it every
  // ~10 ms while associationCount() > 0, with the milliseconds since the last call.
  void onTimer(int64_t elapsedMs);
  // usrsctp_finish, after driving usrsctp's timers until it has freed the endpoints of
  // closed sockets (usrsctp frees them from its timers); true when usrsctp is finished.
  // false while associations exist. Afterwards the stack is unusable.
  bool finish();
  size_t associationCount() const { return associations_.size(); }
  // The sum of onTimer's elapsedMs: the clock of the associations' log limiters.
  int64_t clockMs() const { return clockMs_; }

  // ---- For SctpAssociation and usrsctp's callbacks (sctp_stack.cpp) ----
  // The AF_CONN "address" registered with usrsctp for one association, and the socket's
  // ulp_info. NOTE: usrsctp hands this pointer to the C callbacks; it stays allocated
  // for a grace period after the association is gone (see detach), so a late callback
  // finds the id unknown and drops the packet instead of reading freed memory.
  struct Handle {
    SctpStack* stack;
    uint64_t id;
  };
  Handle* attach(SctpAssociation& association);
  // Closes `sock` (may be null; ABORT), forgets the association and deregisters its
  // address; from inside a usrsctp call, forgets it at once and does the rest after.
  void detach(Handle* handle, struct socket* sock);
  SctpAssociation* find(uint64_t id) const;
  // A non-blocking AF_CONN socket for `handle` with the data-channel options, bound to
  // localPort and connecting to remotePort (the INIT goes out through `send` from here).
  // nullptr + error when usrsctp refuses; the handle stays registered (detach it).
  struct socket* openSocket(Handle* handle, uint16_t localPort, uint16_t remotePort,
                            std::string& error);

  // Every call into usrsctp holds an Entry. NOTE: usrsctp runs our callbacks from inside
  // its own calls (usrsctp_conninput, _handle_timers, _sendv) with some of its locks
  // held, and those callbacks reach user code that may send or close. So a call made
  // while inside() is queued with defer() and runs when the outermost Entry ends (at
  // depth 0: an op takes its own Entry around its usrsctp calls).
  class Entry {
   public:
    explicit Entry(SctpStack& stack) : stack_(stack) { ++stack_.depth_; }
    ~Entry() { stack_.leave(); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

   private:
    SctpStack& stack_;
  };
  bool inside() const { return depth_ > 0; }
  void defer(std::function<void()> op) { deferred_.push_back(std::move(op)); }

 private:
  SctpStack() = default;
  void leave();
  void closeSocket(struct socket* sock);
  void freeRetiredHandles();

  struct Attached {
    SctpAssociation* association;
    std::unique_ptr<Handle> handle;
  };
  struct Retired {
    int64_t freeAtMs;
    std::unique_ptr<Handle> handle;
  };

  std::unordered_map<uint64_t, Attached> associations_;
  std::vector<Retired> retired_;
  std::vector<std::function<void()>> deferred_;
  uint64_t nextId_ = 1;
  int64_t clockMs_ = 0;
  int depth_ = 0;
  bool draining_ = false;
  bool finished_ = false;
};

}  // namespace webrtc
