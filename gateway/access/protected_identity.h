#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

// Protected identity (skyddade personuppgifter): a Patient labelled meta.security R (restricted)
// or V (very restricted) of v3-Confidentiality never has its address or telecom leave Brygga:
// not in a forwarded payload (nor the residence Location of its enrollment), not to a reader
// other than the integration role, not in the console or the logs. Pure.
namespace brygga::access {

inline constexpr std::string_view kConfidentialitySystem =
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
inline constexpr std::string_view kObservationValueSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

// "V" or "R" when the Patient is so labelled (V wins), else nullopt.
std::optional<std::string> confidentialityOf(const rapidjson::Value& patient);
// False when the JSON cannot carry the label (a cheap test before parsing).
bool mayCarryConfidentiality(std::string_view json);

// Removes address and telecom (the Patient's and its contacts') and tags it REDACTED
// (v3-ObservationValue).
void redactPatient(rapidjson::Value& patient, rapidjson::Document::AllocatorType& alloc);
// The Patient JSON a reader other than the integration role gets: redacted when protected, else
// unchanged. Any other JSON is returned unchanged.
std::string redactedForReader(const std::string& json);

// A forwarded Bundle with a protected patient: every Patient and Location entry without address
// and telecom, and the label on the Bundle (meta.security). `label` is the patient's
// confidentiality when the flows know it (a Bundle that carries only a reference to the patient);
// the Bundle's own Patient entries are looked at too. Unchanged when nothing is protected.
std::string protectForward(const std::string& payload, const std::optional<std::string>& label);

}  // namespace brygga::access
