#include "gateway/fhir/operation_outcome.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace brygga::fhir {

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// The FHIR issue-type (http://hl7.org/fhir/issue-type) that best describes a status without
// detailed issues.
const char* issueTypeOf(core::StatusCode code) {
  switch (code) {
    case core::StatusCode::kOk:
      return "informational";
    case core::StatusCode::kInvalidArgument:
      return "structure";
    case core::StatusCode::kUnauthenticated:
      return "login";
    case core::StatusCode::kPermissionDenied:
      return "forbidden";
    case core::StatusCode::kNotFound:
      return "not-found";
    case core::StatusCode::kMethodNotAllowed:
      return "not-supported";
    case core::StatusCode::kRequestTimeout:
      return "timeout";
    case core::StatusCode::kConflict:
      return "conflict";
    case core::StatusCode::kGone:
      return "deleted";
    case core::StatusCode::kPreconditionFailed:
      return "conflict";
    case core::StatusCode::kPayloadTooLarge:
      return "too-long";
    case core::StatusCode::kUnsupportedMediaType:
      return "not-supported";
    case core::StatusCode::kUnprocessable:
      return "invalid";
    case core::StatusCode::kTooManyRequests:
      return "throttled";
    case core::StatusCode::kUnavailable:
      return "transient";
    case core::StatusCode::kInternal:
      return "exception";
  }
  return "exception";
}

// Length of the well-formed UTF-8 sequence at text[pos], or 0 when there is none (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8SequenceLength(const std::string& text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  if (byte(pos + 1) < low || byte(pos + 1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(pos + i) < 0x80 || byte(pos + i) > 0xBF) return 0;
  }
  return length;
}

// Diagnostics may quote outside text; the answer must stay valid JSON, so bytes that are not
// UTF-8 become U+FFFD.
std::string validUtf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t length = utf8SequenceLength(text, pos);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      ++pos;
    } else {
      out.append(text, pos, length);
      pos += length;
    }
  }
  return out;
}

void writeString(JsonWriter& writer, const std::string& text) {
  const std::string safe = validUtf8(text);
  writer.String(safe.data(), static_cast<rapidjson::SizeType>(safe.size()));
}

void writeIssue(JsonWriter& writer, const core::Issue& issue) {
  writer.StartObject();
  writer.Key("severity");
  writer.String(core::toString(issue.severity));
  writer.Key("code");
  writeString(writer, issue.code.empty() ? std::string("invalid") : issue.code);
  if (!issue.diagnostics.empty()) {
    writer.Key("diagnostics");
    writeString(writer, issue.diagnostics);
  }
  if (!issue.expression.empty()) {
    writer.Key("expression");
    writer.StartArray();
    writeString(writer, issue.expression);
    writer.EndArray();
  }
  writer.EndObject();
}

std::string outcomeJson(const std::vector<core::Issue>& issues) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("resourceType");
  writer.String("OperationOutcome");
  writer.Key("issue");
  writer.StartArray();
  for (const auto& issue : issues) writeIssue(writer, issue);
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string operationOutcomeJson(const core::Status& status) {
  if (!status.issues().empty()) return outcomeJson(status.issues());
  if (status.isOk()) return operationOutcomeJson(std::vector<core::Issue>{});
  core::Issue issue;
  issue.severity = core::Issue::Severity::kError;
  issue.code = issueTypeOf(status.code());
  issue.diagnostics = status.message();
  return outcomeJson({issue});
}

std::string operationOutcomeJson(const std::vector<core::Issue>& issues) {
  if (!issues.empty()) return outcomeJson(issues);
  core::Issue ok;
  ok.severity = core::Issue::Severity::kInformation;
  ok.code = "informational";
  ok.diagnostics = "All OK";
  return outcomeJson({ok});
}

bool hasErrors(const std::vector<core::Issue>& issues) {
  for (const auto& issue : issues) {
    if (issue.severity == core::Issue::Severity::kFatal ||
        issue.severity == core::Issue::Severity::kError) {
      return true;
    }
  }
  return false;
}

}  // namespace brygga::fhir
