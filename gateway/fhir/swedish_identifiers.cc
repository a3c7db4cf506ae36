#include "gateway/fhir/swedish_identifiers.h"

#include "gateway/core/civil_time.h"

namespace brygga::fhir {

namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlnum(char c) {
  return isDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int number(std::string_view digits) {
  int n = 0;
  for (const char c : digits) n = n * 10 + (c - '0');
  return n;
}

// Luhn over the ten digits YYMMDDNNNC: weights 2,1,2,1,... from the left, digit sums of the
// products; the total including the check digit is a multiple of ten.
bool luhnOk(std::string_view tenDigits) {
  int sum = 0;
  for (size_t i = 0; i < tenDigits.size(); ++i) {
    int d = tenDigits[i] - '0';
    if (i % 2 == 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 == 0;
}

constexpr const char* kFormatProblem =
    "format: expected 12 digits YYYYMMDDNNNC, optionally with '-' or '+' before the last four";

// Shared by personnummer and samordningsnummer, which differ only in the day offset.
core::StatusOr<std::string> normalizeNationalNumber(std::string_view text, int dayOffset) {
  std::string digits;
  if (text.size() == 12) {
    digits.assign(text);
  } else if (text.size() == 13 && (text[8] == '-' || text[8] == '+')) {
    digits.assign(text.substr(0, 8));
    digits.append(text.substr(9));
  } else {
    return core::invalidArgument(kFormatProblem);
  }
  for (const char c : digits) {
    if (!isDigit(c)) {
      return core::invalidArgument(kFormatProblem);
    }
  }
  const int year = number(std::string_view(digits).substr(0, 4));
  const int month = number(std::string_view(digits).substr(4, 2));
  const int day = number(std::string_view(digits).substr(6, 2)) - dayOffset;
  if (!core::isValidCivilDate(year, month, day)) {
    return core::invalidArgument(
        dayOffset == 0 ? "date: the date part is not a real calendar date"
                       : "date: the date part (day minus 60) is not a real calendar date");
  }
  if (!luhnOk(std::string_view(digits).substr(2))) {
    return core::invalidArgument("check digit: the Luhn check digit does not match");
  }
  return digits;
}

}  // namespace

std::string canonicalIdentifierSystem(std::string_view system) {
  // The HSA OID (1.2.752.129.2.1.4.1) names HSA-ids of both organisations and people, so it has no
  // single canonical URI; it stays as sent.
  if (auto kind = personNumberKind(system)) return std::string(canonicalSystemOf(*kind));
  return std::string(system);
}

const char* toString(IdentifierForm form) {
  switch (form) {
    case IdentifierForm::kHl7se:
      return "hl7se";
    case IdentifierForm::kInera:
      return "inera";
    case IdentifierForm::kOid:
      return "oid";
  }
  return "";
}

core::StatusOr<IdentifierForm> identifierFormNamed(std::string_view name) {
  for (IdentifierForm form :
       {IdentifierForm::kHl7se, IdentifierForm::kInera, IdentifierForm::kOid}) {
    if (name == toString(form)) return form;
  }
  return core::invalidArgument("an identifier form is \"hl7se\", \"inera\" or \"oid\"");
}

std::string_view identifierSystemIn(std::string_view system, IdentifierForm form) {
  // One row per stored system: its HL7 Sweden, Inera and OID spellings. Inera's guides name every
  // HSA-id (organisation, person, function) by the HSA root OID 1.2.752.29.4.19.
  struct Row {
    std::string_view stored;
    std::string_view forms[3];
  };
  static constexpr Row kTable[] = {
      {kPersonnummerSystem, {kPersonnummerSystem, kPersonnummerInera, kPersonnummerOid}},
      {kSamordningsnummerSystem,
       {kSamordningsnummerSystem, kSamordningsnummerInera, kSamordningsnummerOid}},
      {kHsaOrganizationSystem, {kHsaOrganizationSystem, kHsaOrganizationSystem, kHsaOid}},
      {kHsaPractitionerSystem, {kHsaPractitionerSystem, kHsaOrganizationSystem, kHsaOid}},
      // Stored as sent (it does not say whether it names an organisation or a person).
      {kHsaOid, {kHsaOid, kHsaOrganizationSystem, kHsaOid}},
  };
  for (const Row& row : kTable) {
    if (row.stored == system) return row.forms[static_cast<int>(form)];
  }
  return system;
}

const char* toString(PersonNumberKind kind) {
  return kind == PersonNumberKind::kPersonnummer ? "pnr" : "snr";
}

std::optional<PersonNumberKind> personNumberKind(std::string_view system) {
  if (system == kPersonnummerSystem || system == kPersonnummerInera || system == kPersonnummerOid) {
    return PersonNumberKind::kPersonnummer;
  }
  if (system == kSamordningsnummerSystem || system == kSamordningsnummerInera ||
      system == kSamordningsnummerOid) {
    return PersonNumberKind::kSamordningsnummer;
  }
  return std::nullopt;
}

std::string_view canonicalSystemOf(PersonNumberKind kind) {
  return kind == PersonNumberKind::kPersonnummer ? kPersonnummerSystem : kSamordningsnummerSystem;
}

core::StatusOr<PersonNumber> personNumberOf(std::string_view system, std::string_view value) {
  const std::optional<PersonNumberKind> kind = personNumberKind(system);
  if (!kind) return core::invalidArgument("system: not a personnummer or samordningsnummer system");
  BRYGGA_ASSIGN_OR_RETURN(
      std::string number,
      normalizeNationalNumber(value, *kind == PersonNumberKind::kPersonnummer ? 0 : 60));
  return PersonNumber{*kind, std::move(number)};
}

core::StatusOr<std::string> normalizePersonnummer(std::string_view text) {
  return normalizeNationalNumber(text, 0);
}

core::StatusOr<std::string> normalizeSamordningsnummer(std::string_view text) {
  return normalizeNationalNumber(text, 60);
}

bool isValidHsaId(std::string_view text) {
  constexpr size_t kOrgDigits = 10;
  constexpr size_t kMaxSuffix = 21;
  if (text.size() < 2 + kOrgDigits + 1 || text[0] != 'S' || text[1] != 'E') return false;
  for (size_t i = 2; i < 2 + kOrgDigits; ++i) {
    if (!isDigit(text[i])) return false;
  }
  std::string_view suffix = text.substr(2 + kOrgDigits);
  if (suffix.front() == '-') suffix.remove_prefix(1);
  if (suffix.empty() || suffix.size() > kMaxSuffix) return false;
  for (const char c : suffix) {
    if (!isAlnum(c)) return false;
  }
  return true;
}

}  // namespace brygga::fhir
