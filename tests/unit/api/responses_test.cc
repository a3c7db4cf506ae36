#include "gateway/api/responses.h"

#include <gtest/gtest.h>

namespace brygga::api {
namespace {

ApiRequest request(const std::string& method, std::map<std::string, std::string> headers) {
  ApiRequest r;
  r.method = method;
  r.path = "/destinations/regional/pause";
  r.baseUrl = "https://Brygga.Example:443/admin";
  r.headers = std::move(headers);
  return r;
}

TEST(CrossSite, ReadsNeedNothing) {
  EXPECT_TRUE(checkNotCrossSite(request("GET", {{"origin", "https://evil.example"}})).isOk());
  EXPECT_TRUE(checkNotCrossSite(request("HEAD", {})).isOk());
}

TEST(CrossSite, AChangeNeedsTheConsoleHeaderOrTheGatewaysOwnOrigin) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    const core::Status refused = checkNotCrossSite(request(method, {}));
    EXPECT_EQ(refused.code(), core::StatusCode::kPermissionDenied) << method;
    EXPECT_TRUE(checkNotCrossSite(request(method, {{"x-brygga-console", "1"}})).isOk()) << method;
  }
  EXPECT_FALSE(checkNotCrossSite(request("POST", {{"x-brygga-console", "0"}})).isOk());
  // Scheme and host without regard to case; the default port may be left out on either side.
  EXPECT_TRUE(checkNotCrossSite(request("POST", {{"origin", "https://brygga.example"}})).isOk());
  EXPECT_TRUE(
      checkNotCrossSite(request("POST", {{"origin", "HTTPS://BRYGGA.EXAMPLE:443"}})).isOk());
  for (const char* origin :
       {"https://evil.example", "null", "http://brygga.example", "https://brygga.example:8443",
        "https://brygga.example.evil.example", "https://evil.example/https://brygga.example", ""}) {
    EXPECT_FALSE(checkNotCrossSite(request("POST", {{"origin", origin}})).isOk()) << origin;
  }
}

}  // namespace
}  // namespace brygga::api
