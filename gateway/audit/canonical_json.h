#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "gateway/core/status.h"

// FHIR's JSON canonicalization (http://hl7.org/fhir/canonicalization/json), which is the JSON
// Canonicalization Scheme of RFC 8785: no whitespace, object members sorted by the UTF-16 code
// units of their names, strings with only the escapes JCS requires, numbers as ECMAScript
// prints IEEE 754 doubles (so 1.50 becomes 1.5 and 1e30 becomes 1e+30). What Provenance
// signatures are computed over.
namespace brygga::audit {

std::string canonicalJson(const rapidjson::Value& value);
// Parses `json` strictly (gateway/fhir's reader: UTF-8, no duplicate names) and canonicalizes it.
core::StatusOr<std::string> canonicalJson(std::string_view json);

// A double as ECMAScript's Number.prototype.toString prints it (RFC 8785 section 3.2.2.3).
std::string ecmaScriptNumber(double value);

}  // namespace brygga::audit
