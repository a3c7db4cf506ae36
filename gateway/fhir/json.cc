#include "gateway/fhir/json.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_set>
#include <utility>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace brygga::fhir {

namespace {

// Numbers arrive as text and are converted here (see StrictHandler::RawNumber): RapidJSON 1.1's
// full-precision conversion turns a zero with a large exponent ("0e40") into garbage such as
// -2.4e229, which a fuzzer found. std::from_chars is exact (correctly rounded), so precision is
// still full; kParseFullPrecisionFlag stays in the set for any number RapidJSON would convert.
constexpr unsigned kParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
    rapidjson::kParseFullPrecisionFlag | rapidjson::kParseNumbersAsStringsFlag;

// Objects in FHIR rarely have more than a dozen members; a linear scan over the keys seen so far
// beats hashing until an object grows past this.
constexpr size_t kLinearKeyScanLimit = 16;

// SAX filter between the reader and the document: enforces the depth limit and unique keys per
// object, and forwards every event to the document being built.
class StrictHandler {
 public:
  StrictHandler(rapidjson::Document& doc, int maxDepth) : doc_(doc), maxDepth_(maxDepth) {}

  const std::string& failure() const { return failure_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  // `text` has already been checked against the JSON number grammar by the reader.
  bool RawNumber(const char* str, rapidjson::SizeType length, bool /*copy*/) {
    const std::string_view text(str, length);
    const bool negative = !text.empty() && text[0] == '-';
    if (text.find_first_of(".eE") == std::string_view::npos) {
      const std::string_view digits = text.substr(negative ? 1 : 0);
      uint64_t magnitude = 0;
      const auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
      if (error == std::errc() && end == digits.data() + digits.size()) {
        constexpr uint64_t kInt32Limit = uint64_t{1} << 31;
        constexpr uint64_t kInt64Limit = uint64_t{1} << 63;
        if (!negative) {
          return magnitude <= std::numeric_limits<unsigned>::max()
                     ? doc_.Uint(static_cast<unsigned>(magnitude))
                     : doc_.Uint64(magnitude);
        }
        if (magnitude <= kInt32Limit) {
          return doc_.Int(static_cast<int>(-static_cast<int64_t>(magnitude)));
        }
        if (magnitude < kInt64Limit) return doc_.Int64(-static_cast<int64_t>(magnitude));
        if (magnitude == kInt64Limit) return doc_.Int64(std::numeric_limits<int64_t>::min());
      }
      // Integers beyond 64 bits become doubles, as RapidJSON itself does.
    }
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc::result_out_of_range) {
      if (decimalExponent(text) > 0) {
        failure_ = "number too large for a double";
        return false;
      }
      value = negative ? -0.0 : 0.0;  // underflow
    } else if (error != std::errc() || end != text.data() + text.size()) {
      failure_ = "malformed number";
      return false;
    }
    return doc_.Double(value);
  }
  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    if (!checkNoSurrogate(str, length)) return false;
    return doc_.String(str, length, copy);
  }

  bool StartObject() {
    if (!enter()) return false;
    frames_.push_back(Frame{keys_.size(), arena_.size(), nullptr});
    return doc_.StartObject();
  }

  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    if (frames_.empty()) return false;  // cannot happen with a conforming reader
    if (!checkNoSurrogate(str, length)) return false;
    if (!rememberKey(frames_.back(), std::string_view(str, length))) {
      failure_ = "duplicate key " + quoteForDiagnostics(std::string_view(str, length));
      return false;
    }
    return doc_.Key(str, length, copy);
  }

  bool EndObject(rapidjson::SizeType memberCount) {
    if (!frames_.empty()) {
      keys_.resize(frames_.back().firstKey);
      arena_.resize(frames_.back().arenaStart);
      frames_.pop_back();
    }
    --depth_;
    return doc_.EndObject(memberCount);
  }

  bool StartArray() {
    if (!enter()) return false;
    return doc_.StartArray();
  }

  bool EndArray(rapidjson::SizeType elementCount) {
    --depth_;
    return doc_.EndArray(elementCount);
  }

 private:
  struct Frame {
    size_t firstKey;                                           // index into keys_
    size_t arenaStart;                                         // offset into arena_
    std::unique_ptr<std::unordered_set<std::string>> bigKeys;  // only for large objects
  };
  struct KeySpan {
    size_t offset;
    size_t length;
  };

  // Roughly the power of ten of the leading significant digit; only its sign matters, to tell
  // overflow from underflow when from_chars reports a value out of range.
  static int64_t decimalExponent(std::string_view text) {
    size_t i = !text.empty() && text[0] == '-' ? 1 : 0;
    int64_t integerDigits = 0, leadingFractionZeros = 0;
    bool significant = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      if (significant || text[i] != '0') {
        significant = true;
        ++integerDigits;
      }
    }
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (!significant && text[i] == '0') ++leadingFractionZeros;
        if (text[i] != '0') significant = true;
      }
    }
    int64_t exponent = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      const bool negativeExponent = i < text.size() && text[i] == '-';
      if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
      for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        exponent = std::min<int64_t>(exponent * 10 + (text[i] - '0'), 1000000000);
      }
      if (negativeExponent) exponent = -exponent;
    }
    return (integerDigits > 0 ? integerDigits : -leadingFractionZeros) + exponent;
  }

  // The reader validates raw UTF-8 and surrogate pairs, but RapidJSON 1.1 lets the escape of a lone
  // low surrogate (U+DC00..U+DFFF) through and encodes it as ED B0..BF xx, which is not UTF-8. Raw
  // input cannot produce those bytes (it was validated), so finding them means such an escape.
  bool checkNoSurrogate(const char* str, size_t length) {
    const char* end = str + length;
    for (const char* p = str; p < end;) {
      p = static_cast<const char*>(std::memchr(p, '\xED', static_cast<size_t>(end - p)));
      if (p == nullptr) return true;
      if (p + 1 < end && static_cast<unsigned char>(p[1]) >= 0xA0) {
        failure_ = "invalid \\u escape: unpaired UTF-16 surrogate";
        return false;
      }
      ++p;
    }
    return true;
  }

  bool enter() {
    if (++depth_ > maxDepth_) {
      failure_ = "nesting deeper than " + std::to_string(maxDepth_);
      return false;
    }
    return true;
  }

  // False when `key` was already seen in this object.
  bool rememberKey(Frame& frame, std::string_view key) {
    if (frame.bigKeys) return frame.bigKeys->emplace(key).second;
    for (size_t i = frame.firstKey; i < keys_.size(); ++i) {
      const KeySpan& seen = keys_[i];
      if (seen.length == key.size() &&
          std::memcmp(arena_.data() + seen.offset, key.data(), key.size()) == 0) {
        return false;
      }
    }
    if (keys_.size() - frame.firstKey < kLinearKeyScanLimit) {
      keys_.push_back(KeySpan{arena_.size(), key.size()});
      arena_.append(key);
      return true;
    }
    // The object is large: move its keys into a hash set and drop them from the shared arena.
    frame.bigKeys = std::make_unique<std::unordered_set<std::string>>();
    for (size_t i = frame.firstKey; i < keys_.size(); ++i) {
      frame.bigKeys->emplace(arena_.substr(keys_[i].offset, keys_[i].length));
    }
    frame.bigKeys->emplace(key);
    keys_.resize(frame.firstKey);
    arena_.resize(frame.arenaStart);
    return true;
  }

  rapidjson::Document& doc_;
  const int maxDepth_;
  int depth_ = 0;
  std::string failure_;
  std::vector<Frame> frames_;
  std::vector<KeySpan> keys_;  // keys of the open objects, innermost last
  std::string arena_;          // their bytes
};

std::string describeParseError(rapidjson::ParseErrorCode code, size_t offset,
                               const std::string& handlerFailure) {
  const std::string at = " at offset " + std::to_string(offset);
  switch (code) {
    case rapidjson::kParseErrorTermination:
      return (handlerFailure.empty() ? std::string("parsing stopped") : handlerFailure) + at;
    case rapidjson::kParseErrorStringInvalidEncoding:
      return "invalid UTF-8" + at;
    case rapidjson::kParseErrorDocumentEmpty:
      return "empty JSON document";
    case rapidjson::kParseErrorDocumentRootNotSingular:
      return "unexpected content after the JSON value" + at;
    default: {
      std::string text = rapidjson::GetParseError_En(code);
      if (!text.empty() && text.back() == '.') text.pop_back();
      return "invalid JSON: " + text + at;
    }
  }
}

}  // namespace

core::StatusOr<rapidjson::Document> parseJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return core::Status(core::StatusCode::kPayloadTooLarge,
                        "JSON body of " + std::to_string(text.size()) +
                            " bytes exceeds the limit of " + std::to_string(limits.maxBytes));
  }
  rapidjson::Document doc;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  std::string handlerFailure;
  auto generator = [&](rapidjson::Document& target) {
    StrictHandler handler(target, limits.maxDepth);
    reader.Parse<kParseFlags>(stream, handler);
    handlerFailure = handler.failure();
    return !reader.HasParseError();
  };
  doc.Populate(generator);
  if (reader.HasParseError()) {
    return core::invalidArgument(
        describeParseError(reader.GetParseErrorCode(), reader.GetErrorOffset(), handlerFailure));
  }
  // The memory stream reports a NUL byte as the end of input, so the reader stops there without
  // complaint; anything left over is content after the value.
  if (stream.Tell() != text.size()) {
    return core::invalidArgument("unexpected content after the JSON value at offset " +
                                 std::to_string(stream.Tell()));
  }
  return core::StatusOr<rapidjson::Document>(std::move(doc));
}

std::string quoteForDiagnostics(std::string_view text) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += '?';
    }
  }
  if (text.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

std::string toJson(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  const rapidjson::Value name(rapidjson::StringRef(key.data(), key.size()));
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* mutableMember(rapidjson::Value& object, std::string_view key) {
  // Through the const lookup: comparing rapidjson 1.1's mutable member iterators is ambiguous
  // under C++20 rewritten operators (clang rejects it).
  return const_cast<rapidjson::Value*>(member(object, key));
}

std::string_view stringMember(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* value = member(object, key);
  if (value == nullptr || !value->IsString()) return {};
  return {value->GetString(), value->GetStringLength()};
}

}  // namespace brygga::fhir
