#include "gateway/fhir/swedish_identifiers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace brygga::fhir {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Skatteverket's published test personnummer "Tolvan Tolvansson".
constexpr const char* kTolvan = "191212121212";

// Why a number was refused ("" when it was accepted).
template <typename T>
std::string why(const core::StatusOr<T>& number) {
  if (number.isOk()) return "";
  EXPECT_EQ(number.status().code(), core::StatusCode::kInvalidArgument);
  return number.status().message();
}

TEST(PersonnummerTest, AcceptsTwelveDigitsWithOrWithoutSeparator) {
  EXPECT_EQ(normalizePersonnummer(kTolvan).value(), kTolvan);
  EXPECT_EQ(normalizePersonnummer("19121212-1212").value(), kTolvan);
  EXPECT_EQ(normalizePersonnummer("19121212+1212").value(), kTolvan);
}

TEST(PersonnummerTest, RejectsWrongFormatWithReason) {
  for (const char* bad :
       {"121212-1212", "1212121212", "1912121212", "19121212 1212", "1912121-21212", "19121212-121",
        "1912121212120", "19121212_1212", "191212121a12", ""}) {
    EXPECT_THAT(why(normalizePersonnummer(bad)), StartsWith("format:")) << bad;
  }
}

TEST(PersonnummerTest, RejectsBadCheckDigit) {
  EXPECT_THAT(why(normalizePersonnummer("191212121213")), StartsWith("check digit:"));
  EXPECT_THAT(why(normalizePersonnummer("19121212-1211")), StartsWith("check digit:"));
}

TEST(PersonnummerTest, RejectsDatesThatDoNotExist) {
  // 1912-02-30 does not exist, whatever the check digit.
  for (const char* bad : {"191202301234", "191202300000", "191213121212", "191200121212",
                          "191212001212", "191212321212", "190002291234"}) {
    EXPECT_THAT(why(normalizePersonnummer(bad)), StartsWith("date:")) << bad;
  }
}

TEST(PersonnummerTest, HandlesLeapYears) {
  // Future birth dates, so that no real person can have these numbers; check digits by Luhn.
  EXPECT_TRUE(normalizePersonnummer("209602292386").isOk());                     // divisible by 4
  EXPECT_TRUE(normalizePersonnummer("240002292381").isOk());                     // divisible by 400
  EXPECT_THAT(why(normalizePersonnummer("210002292381")), StartsWith("date:"));  // by 100, not 400
  EXPECT_THAT(why(normalizePersonnummer("209502292386")), StartsWith("date:"));
}

TEST(PersonnummerTest, DiagnosticsNeverEchoTheNumber) {
  EXPECT_THAT(why(normalizePersonnummer("191212121213")), ::testing::Not(HasSubstr("1212")));
  EXPECT_THAT(why(normalizePersonnummer("191202301234")), ::testing::Not(HasSubstr("0230")));
}

TEST(SamordningsnummerTest, DayPlusSixty) {
  // Day 72 = the 12th + 60; check digit 9 by Luhn over 1212721212 -> 121272121 + 9.
  EXPECT_EQ(normalizeSamordningsnummer("19121272-1219").value(), "191212721219");
  EXPECT_EQ(normalizeSamordningsnummer("191212721219").value(), "191212721219");
  EXPECT_THAT(why(normalizeSamordningsnummer("191212721218")), StartsWith("check digit:"));
  // A personnummer is not a samordningsnummer, and the other way round.
  EXPECT_THAT(why(normalizeSamordningsnummer(kTolvan)), StartsWith("date:"));
  EXPECT_THAT(why(normalizePersonnummer("191212721219")), StartsWith("date:"));
  // Day 92 would be the 32nd.
  EXPECT_THAT(why(normalizeSamordningsnummer("191212921215")), StartsWith("date:"));
}

TEST(HsaIdTest, AcceptsTheDocumentedShapes) {
  EXPECT_TRUE(isValidHsaId("SE2321000131-E000000000001"));
  EXPECT_TRUE(isValidHsaId("SE2120001306-HSJV01"));
  EXPECT_TRUE(isValidHsaId("SE162321000131"));  // no hyphen
  EXPECT_TRUE(isValidHsaId("SE2321000131-" + std::string(21, 'A')));
}

TEST(HsaIdTest, RejectsMalformed) {
  EXPECT_FALSE(isValidHsaId(""));
  EXPECT_FALSE(isValidHsaId("SE2321000131"));     // nothing after the organisation number
  EXPECT_FALSE(isValidHsaId("SE2321000131-"));    // hyphen without extension
  EXPECT_FALSE(isValidHsaId("se2321000131-E1"));  // lowercase country code
  EXPECT_FALSE(isValidHsaId("NO2321000131-E1"));
  EXPECT_FALSE(isValidHsaId("SE232100013-E1"));  // nine digits, then '-' where a digit belongs
  EXPECT_FALSE(isValidHsaId("SE2321000131-E 1"));
  EXPECT_FALSE(isValidHsaId("SE2321000131--E1"));
  EXPECT_FALSE(isValidHsaId("SE2321000131-" + std::string(22, 'A')));
  EXPECT_FALSE(isValidHsaId("SE2321000131-\xC3\xA5"));
}

TEST(CanonicalSystemTest, MapsOidFormsToUris) {
  EXPECT_EQ(canonicalIdentifierSystem(kPersonnummerOid), kPersonnummerSystem);
  EXPECT_EQ(canonicalIdentifierSystem(kSamordningsnummerOid), kSamordningsnummerSystem);
  EXPECT_EQ(canonicalIdentifierSystem(kPersonnummerSystem), kPersonnummerSystem);
  EXPECT_EQ(canonicalIdentifierSystem(kHsaOrganizationSystem), kHsaOrganizationSystem);
  EXPECT_EQ(canonicalIdentifierSystem("https://example.org/ids"), "https://example.org/ids");
  EXPECT_EQ(canonicalIdentifierSystem(""), "");
}

TEST(CanonicalSystemTest, MapsIneraFormsToUris) {
  EXPECT_EQ(canonicalIdentifierSystem(kPersonnummerInera), kPersonnummerSystem);
  EXPECT_EQ(canonicalIdentifierSystem(kSamordningsnummerInera), kSamordningsnummerSystem);
}

// Every accepted form of one person's number is the same person.
TEST(PersonNumberTest, AllThreeSystemsWithOrWithoutHyphenAreOnePerson) {
  const PersonNumber tolvan{PersonNumberKind::kPersonnummer, kTolvan};
  for (std::string_view system : {kPersonnummerSystem, kPersonnummerInera, kPersonnummerOid}) {
    for (const char* value : {"191212121212", "19121212-1212"}) {
      EXPECT_EQ(personNumberOf(system, value).valueOr(PersonNumber{}), tolvan)
          << system << " " << value;
    }
  }
  const PersonNumber coordination{PersonNumberKind::kSamordningsnummer, "191212721219"};
  for (std::string_view system :
       {kSamordningsnummerSystem, kSamordningsnummerInera, kSamordningsnummerOid}) {
    EXPECT_EQ(personNumberOf(system, "19121272-1219").valueOr(PersonNumber{}), coordination)
        << system;
  }
  EXPECT_STREQ(toString(PersonNumberKind::kPersonnummer), "pnr");
  EXPECT_STREQ(toString(PersonNumberKind::kSamordningsnummer), "snr");
}

TEST(PersonNumberTest, OtherSystemsAndInvalidNumbersAreNoPerson) {
  EXPECT_THAT(why(personNumberOf("https://example.org/mrn", kTolvan)), StartsWith("system:"));
  EXPECT_THAT(why(personNumberOf(kPersonnummerInera, "19121212-1213")), StartsWith("check digit:"));
  // A personnummer is no samordningsnummer (day + 60).
  EXPECT_THAT(why(personNumberOf(kSamordningsnummerOid, kTolvan)), StartsWith("date:"));
  EXPECT_EQ(personNumberKind(kHsaOid), std::nullopt);
}

}  // namespace
}  // namespace brygga::fhir
