#include "protocols/rtmp/rtmp_commands.hpp"

#include "protocols/rtmp/chunk_writer.hpp"
#include "protocols/rtmp/rtmp_message.hpp"

namespace rtmp {

using core::Amf0Value;

core::SharedBuffer commandMessage(uint32_t csid, uint32_t streamId,
                                  std::initializer_list<Amf0Value> values, uint32_t chunkSize) {
  const auto payload = core::encodeAmf0All(values);
  return serializeMessage(csid, msg::kCommandAmf0, 0, streamId, payload, chunkSize);
}

core::SharedBuffer dataMessage(std::initializer_list<Amf0Value> values, uint32_t chunkSize) {
  const auto payload = core::encodeAmf0All(values);
  return serializeMessage(kDataCsid, msg::kDataAmf0, 0, kMediaStreamId, payload, chunkSize);
}

core::SharedBuffer statusMessage(std::string_view level, std::string_view code,
                                 std::string_view description, uint32_t chunkSize) {
  return commandMessage(
      kStatusCsid, kMediaStreamId,
      {"onStatus", 0, Amf0Value::null(),
       Amf0Value::object({{"level", level}, {"code", code}, {"description", description}})},
      chunkSize);
}

core::SharedBuffer resultMessage(double transactionId, Amf0Value properties, Amf0Value information,
                                 uint32_t chunkSize) {
  return commandMessage(kCommandCsid, 0,
                        {"_result", transactionId, std::move(properties), std::move(information)},
                        chunkSize);
}

core::SharedBuffer errorMessage(double transactionId, std::string_view code,
                                std::string_view description, uint32_t chunkSize) {
  return commandMessage(
      kCommandCsid, 0,
      {"_error", transactionId, Amf0Value::null(),
       Amf0Value::object({{"level", "error"}, {"code", code}, {"description", description}})},
      chunkSize);
}

core::SharedBuffer controlBytes(uint8_t type, std::vector<uint8_t> payload, uint32_t chunkSize) {
  return serializeMessage(kControlCsid, type, 0, 0, payload, chunkSize);
}

}  // namespace rtmp
