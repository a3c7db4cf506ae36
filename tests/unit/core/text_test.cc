#include "gateway/core/text.h"

#include <gtest/gtest.h>

#include "gateway/core/digest.h"

namespace brygga::core {
namespace {

TEST(ParseDecimal, ReadsOneToEighteenDigits) {
  EXPECT_EQ(parseDecimal("0").value(), 0);
  EXPECT_EQ(parseDecimal("007").value(), 7);
  EXPECT_EQ(parseDecimal("999999999999999999").value(), 999999999999999999);
}

TEST(ParseDecimal, SaysWhatIsWrongWithoutRepeatingTheText) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "a number is expected and the text is empty"},
      {"1000000000000000000", "a number has at most 18 digits"},
      {"-1", "a number has only the digits 0-9"},
      {"12 ", "a number has only the digits 0-9"},
      {"1e3", "a number has only the digits 0-9"},
      {"\xd9\xa3", "a number has only the digits 0-9"},  // ARABIC-INDIC DIGIT THREE
  };
  for (const auto& [text, why] : cases) {
    const auto n = parseDecimal(text);
    ASSERT_FALSE(n.isOk()) << text;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(n.status().message(), why) << text;
  }
}

TEST(Hex, RoundTripsBytesAndRefusesWhatIsNotHex) {
  const std::string bytes("\x00\x7f\x80\xff", 4);
  EXPECT_EQ(toHex(bytes), "007f80ff");
  EXPECT_EQ(fromHex("007f80ff").value(), bytes);
  EXPECT_EQ(fromHex("007F80FF").value(), bytes);
  EXPECT_EQ(fromHex("").value(), "");
  EXPECT_EQ(fromHex("abc").status().message(), "hex text has an odd number of digits");
  EXPECT_EQ(fromHex("0g").status().message(), "hex text has a character that is not 0-9, a-f");
}

TEST(AsciiClasses, KnowOnlyAsciiWhateverTheByte) {
  EXPECT_TRUE(isAsciiAlpha('a') && isAsciiAlpha('Z') && !isAsciiAlpha('5') && !isAsciiAlpha('_'));
  EXPECT_TRUE(isAsciiAlnum('5') && isAsciiAlnum('q') && !isAsciiAlnum('-'));
  EXPECT_TRUE(isAsciiSpace(' ') && isAsciiSpace('\t') && isAsciiSpace('\r') && !isAsciiSpace('x'));
  EXPECT_TRUE(isAsciiHexDigit('f') && isAsciiHexDigit('F') && !isAsciiHexDigit('g'));
  // Bytes of UTF-8 text (negative as char) are in no class: no locale, no undefined behaviour.
  for (const char c : std::string("\xc3\xa5\xc3\x85\xa0")) {
    EXPECT_FALSE(isAsciiAlpha(c) || isAsciiDigit(c) || isAsciiSpace(c) || isAsciiHexDigit(c));
  }
  EXPECT_EQ(lowerAscii("Service-Point \xc3\x85"
                       "BY"),
            "service-point \xc3\x85"
            "by");
}

TEST(PercentCoding, RoundTripsAQueryComponentAndRefusesAMalformedEscape) {
  const std::string value =
      "http://electronichealth.se/identifier/personnummer|19121212-1212 \xc3\xa5";
  const std::string encoded = percentEncode(value);
  EXPECT_EQ(encoded, "http://electronichealth.se/identifier/personnummer%7C19121212-1212%20%C3%A5");
  EXPECT_EQ(percentDecode(encoded).value(), value);
  EXPECT_EQ(percentDecode("a+b%2b%2F").value(), "a b+/");
  for (const char* bad : {"%", "%4", "%zz", "x%2G1"}) {
    const auto decoded = percentDecode(bad);
    ASSERT_FALSE(decoded.isOk()) << bad;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(AlignColumns, LinesUpEachColumnUnderItsHeaderWhateverTheCellsLength) {
  const std::string table = alignColumns({{"ID", "DESTINATION", "REASON"},
                                          {"1", "regional", "HTTP 400: unknown care unit"},
                                          {"12345", "", "g\xc3\xb6teborg"},
                                          {"7", "a-much-longer-destination"}});
  EXPECT_EQ(table,
            "ID     DESTINATION                REASON\n"
            "1      regional                   HTTP 400: unknown care unit\n"
            "12345  -                          g\xc3\xb6teborg\n"
            "7      a-much-longer-destination  -\n");
  // "Göteborg" is 8 characters wide, not 9 bytes: the next column starts where it does for ASCII.
  EXPECT_EQ(alignColumns({{"g\xc3\xb6teborg", "x"}, {"halmstad", "y"}}),
            "g\xc3\xb6teborg  x\nhalmstad  y\n");
}

TEST(FoldForSearch, LowersAndDropsAccentsAsFhirStringSearchDoes) {
  EXPECT_EQ(foldForSearch("Åkesson"), "akesson");
  EXPECT_EQ(foldForSearch("ÖSTERGÅRD Ärlig"), "ostergard arlig");
  EXPECT_EQ(foldForSearch("Müller-Lüdenscheidt"), "muller-ludenscheidt");
  EXPECT_EQ(foldForSearch("Strauß Æbelø Łukasz Œuvre Širok"), "strauss aebelo lukasz oeuvre sirok");
  // Signs among the letters, other scripts and broken UTF-8 are kept byte for byte.
  EXPECT_EQ(foldForSearch("2×3÷1"), "2×3÷1");
  EXPECT_EQ(foldForSearch("Иван"), "Иван");
  EXPECT_EQ(foldForSearch(std::string("a\xC3", 2)), std::string("a\xC3", 2));
}

}  // namespace
}  // namespace brygga::core
