#include "core/format/amf0.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace core {

namespace {

// Wire markers that are not value types of their own.
constexpr uint8_t kMarkerMovieClip = 0x04;
constexpr uint8_t kMarkerReference = 0x07;
constexpr uint8_t kMarkerObjectEnd = 0x09;
constexpr uint8_t kMarkerLongString = 0x0C;
constexpr uint8_t kMarkerUnsupported = 0x0D;
constexpr uint8_t kMarkerRecordSet = 0x0E;
constexpr uint8_t kMarkerAvmPlus = 0x11;
constexpr size_t kMaxShortString = 0xFFFF;

void writeShortString(std::string_view s, ByteWriter& out) {
  const size_t n = std::min(s.size(), kMaxShortString);
  out.u16(static_cast<uint16_t>(n));
  out.string(s.substr(0, n));
}

void writeLongString(std::string_view s, ByteWriter& out) {
  // NOTE: u32 length; a >4 GiB string cannot occur in a process with sane limits.
  out.u32(static_cast<uint32_t>(s.size()));
  out.string(s);
}

void writeProperties(const std::vector<Amf0Property>& props, ByteWriter& out) {
  for (const auto& p : props) {
    writeShortString(p.key, out);
    encodeAmf0(p.value, out);
  }
  out.u16(0);
  out.u8(kMarkerObjectEnd);
}

std::string hex(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", b);
  return buf;
}

void describeInto(const Amf0Value& v, std::string& out);

void describeProps(const std::vector<Amf0Property>& props, std::string& out) {
  out += '{';
  for (size_t i = 0; i < props.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += props[i].key;
    out += "\":";
    describeInto(props[i].value, out);
  }
  out += '}';
}

void describeInto(const Amf0Value& v, std::string& out) {
  switch (v.type()) {
    case Amf0Type::Number: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.asNumber());
      out += buf;
      break;
    }
    case Amf0Type::Boolean:
      out += v.asBool() ? "true" : "false";
      break;
    case Amf0Type::String:
      out += '"' + std::string(v.asString()) + '"';
      break;
    case Amf0Type::Xml:
      out += "xml\"" + std::string(v.asString()) + '"';
      break;
    case Amf0Type::Null:
      out += "null";
      break;
    case Amf0Type::Undefined:
      out += "undefined";
      break;
    case Amf0Type::Date:
      out += "date(" + std::to_string(int64_t(v.asNumber())) + ")";
      break;
    case Amf0Type::Object:
      describeProps(v.properties(), out);
      break;
    case Amf0Type::EcmaArray:
      out += "ecma";
      describeProps(v.properties(), out);
      break;
    case Amf0Type::TypedObject:
      out += v.className();
      describeProps(v.properties(), out);
      break;
    case Amf0Type::StrictArray:
      out += '[';
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ',';
        describeInto(v.items()[i], out);
      }
      out += ']';
      break;
  }
}

}  // namespace

// ---- Amf0Value --------------------------------------------------------------------

Amf0Value Amf0Value::undefined() {
  Amf0Value v;
  v.type_ = Amf0Type::Undefined;
  return v;
}

Amf0Value Amf0Value::object(std::vector<Amf0Property> properties) {
  Amf0Value v;
  v.type_ = Amf0Type::Object;
  v.properties_ = std::move(properties);
  return v;
}

Amf0Value Amf0Value::object(std::initializer_list<Amf0Property> properties) {
  return object(std::vector<Amf0Property>(properties));
}

Amf0Value Amf0Value::ecmaArray(std::vector<Amf0Property> properties) {
  Amf0Value v = object(std::move(properties));
  v.type_ = Amf0Type::EcmaArray;
  return v;
}

Amf0Value Amf0Value::ecmaArray(std::initializer_list<Amf0Property> properties) {
  return ecmaArray(std::vector<Amf0Property>(properties));
}

Amf0Value Amf0Value::strictArray(std::vector<Amf0Value> items) {
  Amf0Value v;
  v.type_ = Amf0Type::StrictArray;
  v.items_ = std::move(items);
  return v;
}

Amf0Value Amf0Value::date(double msSinceEpoch, int16_t timezoneMinutes) {
  Amf0Value v;
  v.type_ = Amf0Type::Date;
  v.number_ = msSinceEpoch;
  v.timezone_ = timezoneMinutes;
  return v;
}

Amf0Value Amf0Value::xml(std::string document) {
  Amf0Value v(std::move(document));
  v.type_ = Amf0Type::Xml;
  return v;
}

Amf0Value Amf0Value::typedObject(std::string className, std::vector<Amf0Property> properties) {
  Amf0Value v = object(std::move(properties));
  v.type_ = Amf0Type::TypedObject;
  v.string_ = std::move(className);
  return v;
}

bool Amf0Value::hasProperties() const {
  return type_ == Amf0Type::Object || type_ == Amf0Type::EcmaArray ||
         type_ == Amf0Type::TypedObject;
}

double Amf0Value::asNumber(double fallback) const {
  return (type_ == Amf0Type::Number || type_ == Amf0Type::Date) ? number_ : fallback;
}

std::string_view Amf0Value::asString(std::string_view fallback) const {
  return (type_ == Amf0Type::String || type_ == Amf0Type::Xml) ? std::string_view(string_)
                                                               : fallback;
}

bool Amf0Value::asBool(bool fallback) const {
  if (type_ == Amf0Type::Boolean) return bool_;
  if (type_ == Amf0Type::Number) return number_ != 0 && !std::isnan(number_);
  return fallback;
}

const Amf0Value* Amf0Value::find(std::string_view key) const {
  if (!hasProperties()) return nullptr;
  for (const auto& p : properties_) {
    if (p.key == key) return &p.value;
  }
  return nullptr;
}

Amf0Value* Amf0Value::find(std::string_view key) {
  return const_cast<Amf0Value*>(std::as_const(*this).find(key));
}

void Amf0Value::set(std::string_view key, Amf0Value value) {
  if (Amf0Value* existing = find(key)) {
    *existing = std::move(value);
    return;
  }
  if (!hasProperties()) *this = object();
  properties_.push_back({std::string(key), std::move(value)});
}

std::string Amf0Value::describe() const {
  std::string out;
  describeInto(*this, out);
  return out;
}

bool Amf0Value::operator==(const Amf0Value& other) const = default;

// ---- encoder ----------------------------------------------------------------------

void encodeAmf0(const Amf0Value& v, ByteWriter& out) {
  switch (v.type()) {
    case Amf0Type::Number:
      out.u8(0x00);
      out.f64(v.asNumber());
      break;
    case Amf0Type::Boolean:
      out.u8(0x01);
      out.u8(v.asBool() ? 1 : 0);
      break;
    case Amf0Type::String:
      if (v.asString().size() > kMaxShortString) {
        out.u8(kMarkerLongString);
        writeLongString(v.asString(), out);
      } else {
        out.u8(0x02);
        writeShortString(v.asString(), out);
      }
      break;
    case Amf0Type::Object:
      out.u8(0x03);
      writeProperties(v.properties(), out);
      break;
    case Amf0Type::Null:
      out.u8(0x05);
      break;
    case Amf0Type::Undefined:
      out.u8(0x06);
      break;
    case Amf0Type::EcmaArray:
      out.u8(0x08);
      out.u32(static_cast<uint32_t>(v.properties().size()));
      writeProperties(v.properties(), out);
      break;
    case Amf0Type::StrictArray:
      out.u8(0x0A);
      out.u32(static_cast<uint32_t>(v.items().size()));
      for (const auto& item : v.items()) encodeAmf0(item, out);
      break;
    case Amf0Type::Date:
      out.u8(0x0B);
      out.f64(v.asNumber());
      out.u16(static_cast<uint16_t>(v.timezone()));
      break;
    case Amf0Type::Xml:
      out.u8(0x0F);
      writeLongString(v.asString(), out);
      break;
    case Amf0Type::TypedObject:
      out.u8(0x10);
      writeShortString(v.className(), out);
      writeProperties(v.properties(), out);
      break;
  }
}

std::vector<uint8_t> encodeAmf0All(std::span<const Amf0Value> values) {
  ByteWriter out(64);
  for (const auto& v : values) encodeAmf0(v, out);
  return out.take();
}

std::vector<uint8_t> encodeAmf0All(std::initializer_list<Amf0Value> values) {
  return encodeAmf0All(std::span<const Amf0Value>(values.begin(), values.size()));
}

// ---- decoder ----------------------------------------------------------------------

bool Amf0Decoder::fail(std::string reason) {
  if (error_.empty()) error_ = "amf0: " + std::move(reason);
  return false;
}

bool Amf0Decoder::need(size_t n, const char* what) {
  if (reader_.remaining() >= n) return true;
  return fail(std::string("truncated ") + what + " at offset " +
              std::to_string(reader_.position()) + " (need " + std::to_string(n) + " bytes, have " +
              std::to_string(reader_.remaining()) + ")");
}

bool Amf0Decoder::utf8(std::string& out, size_t length, const char* what) {
  if (!need(length, what)) return false;
  out.assign(reader_.string(length));
  return true;
}

bool Amf0Decoder::decode(Amf0Value& out) {
  error_.clear();
  return value(out, 0);
}

bool Amf0Decoder::properties(std::vector<Amf0Property>& out, int depth, const char* what) {
  for (;;) {
    if (!need(2, what)) return false;
    const size_t keyLength = reader_.u16();
    if (keyLength == 0) {
      // NOTE: AMF0 2.11: an empty key followed by the object-end marker closes the object.
      if (!need(1, what)) return false;
      const uint8_t marker = reader_.u8();
      if (marker == kMarkerObjectEnd) return true;
      return fail(std::string(what) + ": empty key followed by marker " + hex(marker) +
                  " instead of object-end");
    }
    Amf0Property prop;
    if (!utf8(prop.key, keyLength, "property key")) return false;
    if (!value(prop.value, depth + 1)) return false;
    out.push_back(std::move(prop));
  }
}

bool Amf0Decoder::strictArray(Amf0Value& out, int depth) {
  if (!need(4, "strict array count")) return false;
  const uint32_t count = reader_.u32();
  // NOTE: every value takes at least one byte, so a count above the remaining bytes is
  // a lie; checking it first keeps a forged count from driving a huge reserve().
  if (count > reader_.remaining()) {
    return fail("strict array count " + std::to_string(count) + " exceeds the " +
                std::to_string(reader_.remaining()) + " remaining bytes");
  }
  std::vector<Amf0Value> items;
  items.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    items.emplace_back();
    if (!value(items.back(), depth + 1)) return false;
  }
  out = Amf0Value::strictArray(std::move(items));
  return true;
}

// Object (0x03), EcmaArray (0x08) and TypedObject (0x10): key/value lists.
bool Amf0Decoder::container(uint8_t marker, Amf0Value& out, int depth) {
  std::string className;
  if (marker == 0x08) {
    // NOTE: the count is only a hint (many encoders write 0); the object-end decides.
    if (!need(4, "ecma array count")) return false;
    reader_.u32();
  } else if (marker == 0x10) {
    if (!need(2, "class name length") || !utf8(className, reader_.u16(), "class name")) {
      return false;
    }
  }
  const char* what = marker == 0x03 ? "object" : marker == 0x08 ? "ecma array" : "typed object";
  std::vector<Amf0Property> props;
  if (!properties(props, depth, what)) return false;
  if (marker == 0x03) out = Amf0Value::object(std::move(props));
  if (marker == 0x08) out = Amf0Value::ecmaArray(std::move(props));
  if (marker == 0x10) out = Amf0Value::typedObject(std::move(className), std::move(props));
  return true;
}

bool Amf0Decoder::value(Amf0Value& out, int depth) {
  if (depth > limits_.maxDepth) {
    return fail("nesting deeper than " + std::to_string(limits_.maxDepth));
  }
  if (++values_ > limits_.maxValues) {
    return fail("more than " + std::to_string(limits_.maxValues) + " values");
  }
  if (!need(1, "value marker")) return false;
  const uint8_t marker = reader_.u8();
  std::string s;
  switch (marker) {
    case 0x00:
      if (!need(8, "number")) return false;
      out = Amf0Value(reader_.f64());
      return true;
    case 0x01:
      if (!need(1, "boolean")) return false;
      out = Amf0Value(reader_.u8() != 0);
      return true;
    case 0x02:
      if (!need(2, "string length") || !utf8(s, reader_.u16(), "string")) return false;
      out = Amf0Value(std::move(s));
      return true;
    case kMarkerLongString:
    case 0x0F:
      if (!need(4, "long string length") || !utf8(s, reader_.u32(), "long string")) return false;
      out = marker == 0x0F ? Amf0Value::xml(std::move(s)) : Amf0Value(std::move(s));
      return true;
    case 0x03:
    case 0x08:
    case 0x10:
      return container(marker, out, depth);
    case 0x0A:
      return strictArray(out, depth);
    case 0x0B: {
      if (!need(10, "date")) return false;
      const double ms = reader_.f64();
      out = Amf0Value::date(ms, static_cast<int16_t>(reader_.u16()));
      return true;
    }
    case 0x05:
      out = Amf0Value::null();
      return true;
    case 0x06:
    case kMarkerUnsupported:
      out = Amf0Value::undefined();
      return true;
    case kMarkerReference:
      if (!need(2, "reference")) return false;
      out = Amf0Value(reader_.u16());
      return true;
    case kMarkerObjectEnd:
      return fail("unexpected object-end marker at offset " +
                  std::to_string(reader_.position() - 1));
    case kMarkerMovieClip:
    case kMarkerRecordSet:
      return fail("reserved marker " + hex(marker) + " is not supported");
    case kMarkerAvmPlus:
      return fail("AMF3 (avmplus marker 0x11) is not supported");
    default:
      return fail("unknown marker " + hex(marker) + " at offset " +
                  std::to_string(reader_.position() - 1));
  }
}

Amf0DecodeResult Amf0Decoder::decodeAll(std::span<const uint8_t> bytes, Amf0Limits limits) {
  Amf0DecodeResult result;
  ByteReader reader(bytes);
  Amf0Decoder decoder(reader, limits);
  while (reader.remaining() > 0) {
    Amf0Value v;
    if (!decoder.decode(v)) {
      result.error = decoder.error();
      result.values.clear();
      return result;
    }
    result.values.push_back(std::move(v));
  }
  return result;
}

bool decodeAmf0(ByteReader& reader, Amf0Value& out, std::string* error) {
  Amf0Decoder decoder(reader);
  if (decoder.decode(out)) return true;
  if (error) *error = decoder.error();
  return false;
}

}  // namespace core
