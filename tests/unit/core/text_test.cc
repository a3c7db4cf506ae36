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

}  // namespace
}  // namespace brygga::core
