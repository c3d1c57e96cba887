// SctpAssociation: the data channels of one WebRTC session (RFC 8831): an SCTP association
// (usrsctp AF_CONN socket) carried in DTLS application data (RFC 8261), DCEP (RFC 8832)
// to open channels, stream resets to close them. Owned by the session; loop thread only.
// Never destroy it from inside one of its callbacks (defer the delete to the loop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/log/log_limiter.hpp"
#include "protocols/webrtc/dcep_message.hpp"
#include "protocols/webrtc/sctp_stack.hpp"

namespace webrtc {

// The largest user message we accept, which the SDP answer must announce
// (a=max-message-size:262144, RFC 8841 §6); also the cap of what we send.
inline constexpr uint32_t kSctpMaxMessageSizeCap = 262144;
inline constexpr uint16_t kSctpDefaultPort = 5000;  // RFC 8841 §5.1 (a=sctp-port default)

class SctpAssociation {
 public:
  struct Callbacks {
    std::function<void(std::span<const uint8_t>)> send;  // an SCTP packet, to DTLS
    // The peer opened a channel (DCEP OPEN, already ACKed).
    std::function<void(uint16_t stream, const std::string& label, const std::string& protocol)>
        channelOpen;
    // One whole user message (PPID 51/56: text, 53/57: binary; empty for 56/57).
    std::function<void(uint16_t stream, bool text, std::span<const uint8_t>)> message;
    // The channel is closed: the peer reset its stream (at once when the peer closes it,
    // as its answer when we do).
    std::function<void(uint16_t stream)> channelClosed;
    // The association is gone (lost, aborted, shut down); nothing works afterwards.
    std::function<void(const std::string& reason)> failed;
    // The association is up (may be empty). Channels opened before it are sent now.
    std::function<void()> connected;
  };

  // Starts the association at once (its INIT goes out through `send` from inside this
  // constructor, so construct it when DTLS is connected). Both sides connect, as WebRTC
  // does (simultaneous open, RFC 9260 §5.2.1). `maxMessageSize`: the peer's SDP
  // a=max-message-size, the largest message we send (0, "no limit", or above the cap:
  // the cap); what we accept is kSctpMaxMessageSizeCap.
  // `dtlsClient`: our DTLS role, which decides the streams we open (RFC 8832 §6).
  // When usrsctp refuses the socket, isFailed() is true and lastError() says why.
  SctpAssociation(SctpStack& stack, uint16_t localPort, uint16_t remotePort,
                  uint32_t maxMessageSize, bool dtlsClient, Callbacks callbacks,
                  std::string logName = "sctp");
  ~SctpAssociation();
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  void onPacket(std::span<const uint8_t> packet);  // DTLS application data

  // false (and lastError()) when the association is not up, no channel is open on
  // `stream`, the message is larger than maxMessageSize() (the peer's limit), or usrsctp's
  // send buffer is full.
  bool sendText(uint16_t stream, std::string_view text);
  bool sendBinary(uint16_t stream, std::span<const uint8_t> bytes);

  // Opens a reliable ordered channel on our next free stream (even as DTLS client, odd as
  // server); sent when the association is up. nullopt when closed or no stream is free.
  std::optional<uint16_t> openChannel(const std::string& label, const std::string& protocol = {});
  // The same with the channel type, priority and reliability of `open` (RFC 8832 §5.1).
  std::optional<uint16_t> openChannel(const DcepOpen& open);
  // Closes one channel: resets our outgoing stream (RFC 8831 §6.7); channelClosed follows
  // when the peer resets its own.
  void closeChannel(uint16_t stream);
  // Aborts the association (ABORT to the peer) and closes the socket; no callback after.
  void close();

  bool isConnected() const { return state_ == State::Up; }
  bool isFailed() const { return state_ == State::Failed; }
  uint32_t maxMessageSize() const { return maxMessageSize_; }
  const std::string& lastError() const { return lastError_; }
  struct Stats {
    uint64_t messagesIn = 0, messagesOut = 0;  // user messages
    uint64_t refusedIn = 0, refusedOut = 0;    // too big, no channel, bad PPID, buffer full
    uint64_t packetsIn = 0, packetsOut = 0;    // SCTP packets
  };
  const Stats& stats() const { return stats_; }

  // ---- For usrsctp's callbacks (sctp_stack.cpp); the unit test feeds handleInbound ----
  void handleOutput(std::span<const uint8_t> packet);
  struct Inbound {
    std::span<const uint8_t> data;
    uint16_t stream = 0;
    uint32_t ppid = 0;  // host order
    bool notification = false;
    bool endOfRecord = false;  // the last piece of the message
    bool eof = false;          // usrsctp: the association has shut down
  };
  void handleInbound(const Inbound& in);

 private:
  enum class State { Connecting, Up, Failed, Closed };
  struct Channel {
    std::string label, protocol;
    DcepChannelType type = DcepChannelType::Reliable;
    uint32_t reliability = 0;
    uint16_t priority = kDcepPriorityNormal;
    bool ours = false;     // we sent the OPEN
    bool acked = false;    // ours: ACK seen; before it we send ordered (RFC 8832 §6)
    bool closing = false;  // our outgoing stream is reset (or being reset)
  };
  struct Partial {  // a message usrsctp delivers in pieces (partial delivery)
    uint32_t ppid = 0;
    std::vector<uint8_t> bytes;
    size_t received = 0;
    bool refused = false;
  };
  struct Outgoing {  // one message for usrsctp_sendv
    uint16_t stream = 0;
    uint32_t ppid = 0;
    bool unordered = false;
    uint16_t prPolicy = 0;
    uint32_t prValue = 0;
  };

  bool createSocket(uint16_t localPort, uint16_t remotePort);
  void shutdownSocket();
  bool sendUser(uint16_t stream, bool text, std::span<const uint8_t> bytes);
  bool sendMessage(const Outgoing& out, std::span<const uint8_t> bytes);
  bool sendNow(const Outgoing& out, std::span<const uint8_t> bytes);
  void sendDcep(uint16_t stream, std::vector<uint8_t> bytes);
  void resetOutgoing(uint16_t stream);
  void resetOutgoingNow(uint16_t stream);
  void handleData(const Inbound& in);
  void dispatch(uint16_t stream, uint32_t ppid, std::span<const uint8_t> bytes);
  void handleDcep(uint16_t stream, std::span<const uint8_t> bytes);
  void handleNotification(std::span<const uint8_t> bytes);
  void handleAssocChange(std::span<const uint8_t> bytes);
  void handleStreamReset(std::span<const uint8_t> bytes);
  void peerClosedStream(uint16_t stream);
  void onUp(uint16_t outboundStreams);
  void fail(const std::string& reason);
  bool refuse(std::string reason);  // lastError_ = reason, refusedOut++, false
  Outgoing outgoingFor(uint16_t stream, const Channel& channel, uint32_t ppid) const;

  // passed in
  SctpStack& stack_;
  Callbacks callbacks_;
  std::string logName_;
  uint32_t maxMessageSize_;
  bool dtlsClient_;
  // owned
  SctpStack::Handle* handle_ = nullptr;  // owned by stack_
  struct socket* sock_ = nullptr;
  State state_ = State::Connecting;
  uint16_t outboundStreams_;
  std::map<uint16_t, Channel> channels_;
  std::map<uint16_t, Partial> partials_;
  size_t partialBytes_ = 0;       // held by partials_
  std::set<uint16_t> resetting_;  // our outgoing resets not yet confirmed
  std::vector<uint16_t> pendingOpens_;
  std::string lastError_;
  Stats stats_;
  core::LogLimiter log_;
  // NOTE: false once destroyed; a callback that may destroy us is followed by a check.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace webrtc
