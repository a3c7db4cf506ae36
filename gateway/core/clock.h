#pragma once

#include <cstdint>
#include <string>

namespace brygga::core {

// FHIR instant with millisecond precision in UTC: 2026-11-23T10:15:00.123Z.
std::string formatInstant(int64_t epochMs);
// Parses a FHIR date, dateTime or instant to epoch milliseconds (the start of the period a partial
// date names). Returns false when the text is not one of those forms.
bool parseFhirDateTime(const std::string& text, int64_t& epochMs);

}  // namespace brygga::core
