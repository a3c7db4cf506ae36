#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace brygga::fhir {

inline constexpr std::string_view kPersonnummerSystem =
    "http://electronichealth.se/identifier/personnummer";
inline constexpr std::string_view kSamordningsnummerSystem =
    "http://electronichealth.se/identifier/samordningsnummer";
inline constexpr std::string_view kHsaOrganizationSystem = "urn:oid:1.2.752.29.4.19";
inline constexpr std::string_view kHsaPractitionerSystem = "urn:oid:1.2.752.29.6.2.1";
// Other forms accepted on input (Inera's URIs and the OIDs), stored as the HL7 Sweden URIs above.
inline constexpr std::string_view kPersonnummerInera =
    "https://terminology.hl7.se/sid/se-personnummer";
inline constexpr std::string_view kSamordningsnummerInera =
    "https://terminology.hl7.se/sid/se-samordningsnummer";
inline constexpr std::string_view kPersonnummerOid = "urn:oid:1.2.752.129.2.1.3.1";
inline constexpr std::string_view kSamordningsnummerOid = "urn:oid:1.2.752.129.2.1.3.3";
inline constexpr std::string_view kHsaOid = "urn:oid:1.2.752.129.2.1.4.1";

// The canonical system for an accepted alias (Inera's URIs and the OID forms), or the input
// unchanged.
std::string canonicalIdentifierSystem(std::string_view system);

// The forms a destination may want Swedish identifiers in (destinations.<name>.identifierForm).
enum class IdentifierForm {
  kHl7se,  // HL7 Sweden's base profiles: the canonical systems above (what Brygga stores)
  kInera,  // Inera's implementation guides: terminology.hl7.se URIs; HSA-ids under 1.2.752.29.4.19
  kOid,    // the OIDs: 1.2.752.129.2.1.3.1 / .3.3, HSA-ids 1.2.752.129.2.1.4.1
};
// "hl7se" | "inera" | "oid".
const char* toString(IdentifierForm form);
// kInvalidArgument for any other name.
core::StatusOr<IdentifierForm> identifierFormNamed(std::string_view name);
// The table of forms: the system `form` uses for what Brygga stores under `system` (personnummer,
// samordningsnummer, organisation and practitioner HSA-ids, and the HSA OID a sender used);
// any other system is returned unchanged.
std::string_view identifierSystemIn(std::string_view system, IdentifierForm form);

// A person's national number: which kind, in its normalised 12-digit form.
enum class PersonNumberKind { kPersonnummer, kSamordningsnummer };
// "pnr" | "snr": the stored form of the kind (the store's patient_identity.kind).
const char* toString(PersonNumberKind kind);

struct PersonNumber {
  PersonNumberKind kind = PersonNumberKind::kPersonnummer;
  std::string number;  // 12 digits, YYYYMMDDNNNC
  bool operator==(const PersonNumber&) const = default;
  bool operator<(const PersonNumber& other) const {
    return kind != other.kind ? kind < other.kind : number < other.number;
  }
};

// The kind of person number an identifier system names, in any of its three accepted forms (HL7
// Sweden, Inera, OID); nullopt for any other system.
std::optional<PersonNumberKind> personNumberKind(std::string_view system);
// The one place an identifier (system, value) becomes a person: any accepted system form, the
// value with or without the hyphen. kInvalidArgument when the system is no person-number system
// ("system: ...") or the value is not a valid number of that kind (as normalizePersonnummer says).
core::StatusOr<PersonNumber> personNumberOf(std::string_view system, std::string_view value);
// The canonical system of a kind (the HL7 Sweden URI).
std::string_view canonicalSystemOf(PersonNumberKind kind);

// Personnummer: 12 digits YYYYMMDDNNNC (a hyphen or plus allowed before the last four), a real
// calendar date, Luhn check digit over the 10 digits from YYMMDD. Returns the normalised 12-digit
// form, or kInvalidArgument whose message says which rule failed ("format: ...", "date: ...",
// "check digit: ...") and never repeats the number.
core::StatusOr<std::string> normalizePersonnummer(std::string_view text);
// Samordningsnummer: as personnummer with day + 60.
core::StatusOr<std::string> normalizeSamordningsnummer(std::string_view text);
// HSA-id: country code SE, 10-digit organisation number, optional '-' and 1..21 alphanumerics
// (e.g. SE2321000131-E000000000001).
bool isValidHsaId(std::string_view text);

}  // namespace brygga::fhir
