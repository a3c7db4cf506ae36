#pragma once

#include <string_view>

#include <rapidjson/document.h>

// The FHIR R4 primitive types and their lexical rules (the `regex` of each primitive's
// StructureDefinition, plus what the regexes cannot say: real calendar dates, 32-bit integer
// ranges, non-empty strings). Hand-written scanners, no std::regex: they run for every primitive
// value of every resource.
namespace brygga::fhir::r4 {

enum class Primitive : unsigned char {
  kNone,
  kBase64Binary,
  kBoolean,
  kCanonical,
  kCode,
  kDate,
  kDateTime,
  kDecimal,
  kId,
  kInstant,
  kInteger,
  kMarkdown,
  kOid,
  kPositiveInt,
  kString,
  kTime,
  kUnsignedInt,
  kUri,
  kUrl,
  kUuid,
  kXhtml,
};

// kNone for a name that is not an R4 primitive type.
Primitive primitiveByName(std::string_view name);
const char* primitiveName(Primitive p);

// nullptr when `value` is a valid JSON representation of `p`, else what is wrong (a short
// phrase naming the expected form; never the value itself).
const char* primitiveProblem(Primitive p, const rapidjson::Value& value);

// The lexical checks on text alone (the JSON type already known to be a string), exposed for
// tests that compare them with the spec's regular expressions.
bool isDate(std::string_view text);
bool isDateTime(std::string_view text);
bool isInstant(std::string_view text);
bool isTime(std::string_view text);
bool isCode(std::string_view text);
bool isFhirId(std::string_view text);
bool isOidUri(std::string_view text);   // urn:oid:...
bool isUuidUri(std::string_view text);  // urn:uuid:... (lowercase)
bool isBase64(std::string_view text);
bool isUriText(std::string_view text);  // no whitespace
bool isFhirString(std::string_view text);

// Narrative.div: an XHTML <div> in the XHTML namespace, tags balanced, only the elements and
// attributes the narrative rules allow (no scripts, forms, event handlers: txt-1), and some
// non-whitespace content (txt-2). nullptr when fine, else the rule broken.
const char* xhtmlProblem(std::string_view text, bool* noContent = nullptr);

}  // namespace brygga::fhir::r4
