#include "gateway/core/base64.h"

#include <gtest/gtest.h>

namespace brygga::core {
namespace {

TEST(Base64, RoundTripsTheRfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(base64Encode(bytes), text);
    EXPECT_EQ(base64Decode(text).value(), bytes);
  }
}

TEST(Base64, StrictDecodingSaysWhichRuleTheTextBreaks) {
  const std::pair<const char*, const char*> cases[] = {
      {"Zg=", "base64: the length is not a multiple of 4"},
      {"Zm9v\n", "base64: the length is not a multiple of 4"},
      {"Zm-v", "base64: a character outside the standard alphabet"},
      {"Z=9v", "base64: a character outside the standard alphabet"},
      {"Zh==", "base64: bits under the padding are not zero"},  // a second spelling of "f"
  };
  for (const auto& [text, why] : cases) {
    const auto decoded = base64Decode(text);
    ASSERT_FALSE(decoded.isOk()) << text;
    EXPECT_EQ(decoded.status().code(), core::StatusCode::kInvalidArgument);
    EXPECT_EQ(decoded.status().message(), why) << text;
  }
}

TEST(Base64, UrlAlphabetWithoutPaddingIsStrict) {
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64UrlDecode("-_8").value(), std::string("\xfb\xff"));
  EXPECT_FALSE(base64UrlDecode("+/8").isOk());
  EXPECT_FALSE(base64UrlDecode("-_8=").isOk());
  EXPECT_FALSE(base64UrlDecode("-_9").isOk());  // spare bits set
  EXPECT_FALSE(base64UrlDecode("A").isOk());
}

}  // namespace
}  // namespace brygga::core
