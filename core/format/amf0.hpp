// AMF0 (Adobe Action Message Format 0): the value type, encoder and a hardened decoder
// used by RTMP commands and FLV script tags (onMetaData). Pure code, no I/O; values are
// plain copies owned by the caller. Usable from any thread.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/buffer/byte_io.hpp"

namespace core {

// Wire markers (AMF0 spec section 2.1). Reference (0x07) decodes as a Number holding
// the reference index; LongString (0x0C) decodes as String; Unsupported (0x0D) as
// Undefined. ObjectEnd (0x09) only terminates objects and is never a value.
enum class Amf0Type : uint8_t {
  Number = 0x00,
  Boolean = 0x01,
  String = 0x02,  // encoded as LongString (0x0C) when longer than 65535 bytes
  Object = 0x03,
  Null = 0x05,
  Undefined = 0x06,
  EcmaArray = 0x08,
  StrictArray = 0x0A,
  Date = 0x0B,
  Xml = 0x0F,
  TypedObject = 0x10,
};

struct Amf0Property;

class Amf0Value {
 public:
  Amf0Value() = default;  // Null
  Amf0Value(bool b) : type_(Amf0Type::Boolean), bool_(b) {}
  template <typename T>
  requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) Amf0Value(T n)
      : type_(Amf0Type::Number), number_(static_cast<double>(n)) {}
  Amf0Value(const char* s) : type_(Amf0Type::String), string_(s) {}
  Amf0Value(std::string_view s) : type_(Amf0Type::String), string_(s) {}
  Amf0Value(std::string s) : type_(Amf0Type::String), string_(std::move(s)) {}

  static Amf0Value null() { return {}; }
  static Amf0Value undefined();
  static Amf0Value object(std::vector<Amf0Property> properties = {});
  static Amf0Value object(std::initializer_list<Amf0Property> properties);
  static Amf0Value ecmaArray(std::vector<Amf0Property> properties = {});
  static Amf0Value ecmaArray(std::initializer_list<Amf0Property> properties);
  static Amf0Value strictArray(std::vector<Amf0Value> items = {});
  static Amf0Value date(double msSinceEpoch, int16_t timezoneMinutes = 0);
  static Amf0Value xml(std::string document);
  static Amf0Value typedObject(std::string className, std::vector<Amf0Property> properties);

  Amf0Type type() const { return type_; }
  bool isNumber() const { return type_ == Amf0Type::Number; }
  bool isBool() const { return type_ == Amf0Type::Boolean; }
  bool isString() const { return type_ == Amf0Type::String; }
  bool isNull() const { return type_ == Amf0Type::Null; }
  bool isUndefined() const { return type_ == Amf0Type::Undefined; }
  // Object, EcmaArray or TypedObject: anything with key/value properties.
  bool hasProperties() const;

  // Fallbacks: asNumber accepts Number and Date (ms) and returns `fallback` otherwise;
  // asString accepts String and Xml; asBool accepts Boolean and Number (non-zero).
  double asNumber(double fallback = 0) const;
  std::string_view asString(std::string_view fallback = {}) const;
  bool asBool(bool fallback = false) const;

  // First property named `key` of an Object/EcmaArray/TypedObject; nullptr if absent
  // or if this value has no properties.
  const Amf0Value* find(std::string_view key) const;
  Amf0Value* find(std::string_view key);
  // Replaces the property `key` or appends it; turns a non-property value into an Object.
  void set(std::string_view key, Amf0Value value);

  const std::vector<Amf0Property>& properties() const { return properties_; }
  std::vector<Amf0Property>& properties() { return properties_; }
  const std::vector<Amf0Value>& items() const { return items_; }  // StrictArray
  std::vector<Amf0Value>& items() { return items_; }
  const std::string& className() const { return string_; }  // TypedObject
  int16_t timezone() const { return timezone_; }            // Date, minutes

  // A compact JSON-like rendering for logs and test messages.
  std::string describe() const;

  bool operator==(const Amf0Value& other) const;

 private:
  Amf0Type type_ = Amf0Type::Null;
  bool bool_ = false;
  int16_t timezone_ = 0;
  double number_ = 0;
  std::string string_;  // String, Xml, TypedObject class name
  std::vector<Amf0Property> properties_;
  std::vector<Amf0Value> items_;
};

struct Amf0Property {
  std::string key;
  Amf0Value value;
  bool operator==(const Amf0Property&) const = default;
};

// Appends the encoding of `value`. Keys and class names longer than 65535 bytes are
// truncated (AMF0 has only 16-bit lengths for them); strings switch to LongString.
void encodeAmf0(const Amf0Value& value, ByteWriter& out);
// The concatenated encodings, e.g. a whole RTMP command message.
std::vector<uint8_t> encodeAmf0All(std::span<const Amf0Value> values);
std::vector<uint8_t> encodeAmf0All(std::initializer_list<Amf0Value> values);

struct Amf0Limits {
  int maxDepth = 64;          // nesting of objects/arrays
  size_t maxValues = 200000;  // all values of one decoder, nested ones included
};

struct Amf0DecodeResult {
  std::vector<Amf0Value> values;
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
};

// Decodes values one at a time from a ByteReader. Never reads past the reader's end;
// on failure the reader position is unspecified and error() names what was wrong.
class Amf0Decoder {
 public:
  explicit Amf0Decoder(ByteReader& reader, Amf0Limits limits = {})
      : reader_(reader), limits_(limits) {}

  bool decode(Amf0Value& out);
  const std::string& error() const { return error_; }

  // Every value of `bytes` (an RTMP command or data message): all or an error.
  static Amf0DecodeResult decodeAll(std::span<const uint8_t> bytes, Amf0Limits limits = {});

 private:
  bool value(Amf0Value& out, int depth);
  bool properties(std::vector<Amf0Property>& out, int depth, const char* what);
  bool container(uint8_t marker, Amf0Value& out, int depth);
  bool strictArray(Amf0Value& out, int depth);
  bool utf8(std::string& out, size_t length, const char* what);
  bool need(size_t n, const char* what);
  bool fail(std::string reason);

  ByteReader& reader_;
  Amf0Limits limits_;
  size_t values_ = 0;
  std::string error_;
};

// One value; `error` (optional) receives the reason on failure.
bool decodeAmf0(ByteReader& reader, Amf0Value& out, std::string* error = nullptr);

}  // namespace core
