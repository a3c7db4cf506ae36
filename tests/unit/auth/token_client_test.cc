#include "gateway/auth/token_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "gateway/auth/form_encoding.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_support.h"
#include "tests/support/token_endpoint.h"

namespace brygga::auth {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kStart = 1'800'000'000'000;

class TokenClientTest : public ::testing::Test {
 protected:
  // A smart-backend client "brygga" registered at the endpoint with a fresh key.
  std::unique_ptr<OAuthTokenClient> smartClient(const std::string& alg = "ES384") {
    const std::string pem =
        alg == "ES384" ? testing::makeEcKeyPem("P-384") : testing::makeRsaKeyPem();
    testing::writeKeyFile(temp_.file("client.key"), pem);
    endpoint_.addAssertionClient("brygga", testing::publicKeyPemOf(pem), "brygga-1", alg);
    return make(
        testing::smartBackendAuth(endpoint_.url(), temp_.file("client.key"), "brygga-1", alg));
  }

  std::unique_ptr<OAuthTokenClient> make(const DestinationAuthConfig& config) {
    adapters::HttpPeer destination;
    auto client = OAuthTokenClient::create(
        "regional", config, adapters::makeCurlHttpClient(destination), clock_, logger_);
    EXPECT_TRUE(client.isOk()) << client.status().toString();
    return client.isOk() ? std::move(client).value() : nullptr;
  }

  testing::TempDir temp_;
  testing::SimulatedTimeSystem clock_{kStart};  // the endpoint's too
  testing::TestTokenEndpoint endpoint_{&clock_};
  std::ostringstream log_;
  core::Logger logger_{log_};
};

TEST_F(TokenClientTest, AnEs384AssertionGetsATokenThatIsKeptUntilItIsDueForRefresh) {
  auto client = smartClient("ES384");
  auto first = client->token();
  ASSERT_TRUE(first.isOk()) << first.status().toString() << " "
                            << ::testing::PrintToString(endpoint_.refusals());
  EXPECT_TRUE(endpoint_.isValid(*first));
  EXPECT_EQ(endpoint_.lastScope(), "system/Patient.cu system/EpisodeOfCare.cu");
  // A 300 s token is refreshed when a minute is left, not before.
  clock_.advance(std::chrono::milliseconds(239'000));
  EXPECT_EQ(client->token().value(), *first);
  EXPECT_EQ(endpoint_.requests(), 1);
  clock_.advance(std::chrono::milliseconds(2'000));
  auto second = client->token();
  ASSERT_TRUE(second.isOk());
  EXPECT_NE(*second, *first);
  EXPECT_EQ(endpoint_.requests(), 2);
  EXPECT_TRUE(endpoint_.refusals().empty());
  EXPECT_EQ(client->health().obtained, 2);
}

TEST_F(TokenClientTest, AnRs384AssertionGetsAToken) {
  auto client = smartClient("RS384");
  auto token = client->token();
  ASSERT_TRUE(token.isOk()) << token.status().toString();
  EXPECT_TRUE(endpoint_.isValid(*token));
}

TEST_F(TokenClientTest, EveryAssertionHasItsOwnJti) {
  auto client = smartClient();
  ASSERT_TRUE(client->token().isOk());
  client->rejected(client->token().value());
  ASSERT_TRUE(client->token().isOk());  // a second assertion, not refused as a replay
  EXPECT_EQ(endpoint_.issued(), 2);
}

TEST_F(TokenClientTest, AClientSecretGoesAsBasicAuthenticationAndNeverIntoTheLog) {
  endpoint_.addSecretClient("brygga", "s3cret:with&odd=chars");
  std::ofstream(temp_.file("secret")) << "s3cret:with&odd=chars\n";
  DestinationAuthConfig config;
  config.type = DestinationAuthConfig::Type::kClientSecret;
  config.tokenUrl = endpoint_.url();
  config.clientId = "brygga";
  config.clientSecretFile = temp_.file("secret");
  auto client = make(config);
  auto token = client->token();
  ASSERT_TRUE(token.isOk()) << token.status().toString() << " "
                            << ::testing::PrintToString(endpoint_.refusals());
  EXPECT_TRUE(endpoint_.isValid(*token));

  std::ofstream(temp_.file("wrong")) << "not-the-secret";
  config.clientSecretFile = temp_.file("wrong");
  auto wrong = make(config);
  auto refused = wrong->token();
  ASSERT_FALSE(refused.isOk());
  EXPECT_THAT(refused.status().message(), HasSubstr("HTTP 401 invalid_client"));
  EXPECT_EQ(wrong->health().lastError, "token endpoint: HTTP 401 invalid_client");
  EXPECT_THAT(log_.str(), HasSubstr("auth.token_failed"));
  EXPECT_THAT(log_.str(), Not(HasSubstr("not-the-secret")));
  EXPECT_THAT(log_.str(), Not(HasSubstr(*token)));
}

TEST_F(TokenClientTest, ManyCallersWithoutATokenCauseOneRequest) {
  auto client = smartClient();
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto token = client->token();
      std::lock_guard lock(mutex);
      seen.insert(token.isOk() ? *token : "error");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(endpoint_.requests(), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(*seen.begin(), "error");
}

TEST_F(TokenClientTest, AFailingEndpointIsAskedAgainOnlyAfterItsBackoffAndShowsInTheHealth) {
  auto client = smartClient();
  endpoint_.failNext(2);
  auto failed = client->token();
  ASSERT_FALSE(failed.isOk());
  EXPECT_EQ(failed.status().code(), core::StatusCode::kUnavailable);
  TokenHealth health = client->health();
  EXPECT_EQ(health.consecutiveFailures, 1);
  EXPECT_EQ(health.failingSinceMs, kStart);
  EXPECT_EQ(health.nextAttemptMs, kStart + 1000);
  EXPECT_THAT(health.lastError, HasSubstr("HTTP 500"));
  // Within the backoff nobody asks the endpoint.
  EXPECT_FALSE(client->token().isOk());
  EXPECT_EQ(endpoint_.requests(), 1);
  clock_.advance(std::chrono::milliseconds(1000));
  EXPECT_FALSE(client->token().isOk());  // the second failure doubles the wait
  EXPECT_EQ(client->health().nextAttemptMs, kStart + 1000 + 2000);
  clock_.advance(std::chrono::milliseconds(1999));
  EXPECT_FALSE(client->token().isOk());
  EXPECT_EQ(endpoint_.requests(), 2);
  clock_.advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(client->token().isOk());
  health = client->health();
  EXPECT_EQ(health.consecutiveFailures, 0);
  EXPECT_EQ(health.failingSinceMs, 0);
  EXPECT_TRUE(health.valid);
  EXPECT_THAT(log_.str(), HasSubstr("auth.token_recovered"));
}

TEST_F(TokenClientTest, ARejectedTokenIsReplacedOnceEvenWhenManyLanesReportIt) {
  auto client = smartClient();
  const std::string first = client->token().value();
  client->rejected(first);
  const std::string second = client->token().value();
  EXPECT_NE(second, first);
  client->rejected(first);  // a late report about the old token changes nothing
  EXPECT_EQ(client->token().value(), second);
  EXPECT_EQ(endpoint_.requests(), 2);
}

TEST_F(TokenClientTest, AConfigThatCannotSignIsRefusedNamingTheKey) {
  testing::writeKeyFile(temp_.file("p256.key"), testing::makeEcKeyPem("P-256"));
  DestinationAuthConfig config =
      testing::smartBackendAuth(endpoint_.url(), temp_.file("p256.key"), "brygga-1", "ES384");
  adapters::HttpPeer destination;
  auto client = OAuthTokenClient::create(
      "regional", config, adapters::makeCurlHttpClient(destination), clock_, logger_);
  ASSERT_FALSE(client.isOk());
  EXPECT_THAT(client.status().message(),
              HasSubstr("destinations.regional.auth.privateKeyFile: the key cannot sign ES384"));
  config.algorithm = "HS256";
  client = OAuthTokenClient::create("regional", config, adapters::makeCurlHttpClient(destination),
                                    clock_, logger_);
  ASSERT_FALSE(client.isOk());
  EXPECT_THAT(client.status().message(), HasSubstr("algorithm must be ES384 or RS384"));
}

// Sends one request on an asynchronous client and waits for its answer.
adapters::HttpResult sendOne(adapters::AsyncHttpClient& client, adapters::HttpRequestSpec request) {
  std::optional<adapters::HttpResult> answer;
  client.start(std::move(request), [&answer](adapters::HttpResult r) { answer = std::move(r); });
  while (!answer) client.run(std::chrono::milliseconds(1000));
  return std::move(*answer);
}

TEST_F(TokenClientTest, A401IsFollowedByOneRefreshAndOneRetry) {
  std::shared_ptr<TokenSource> tokens = smartClient();
  adapters::HttpPeer destination;
  testing::TestPeer once;
  once.setHandler(testing::requireBearer(endpoint_, 1));
  AuthorizedAsyncHttpClient client(adapters::makeCurlAsyncHttpClient(destination, 4), tokens);
  adapters::HttpRequestSpec request;
  request.url = once.baseUrl();
  request.body = "{}";
  EXPECT_EQ(sendOne(client, request).status, 200);
  EXPECT_EQ(once.requestCount(), 2u);
  EXPECT_EQ(endpoint_.issued(), 2);

  testing::TestPeer always;
  always.setHandler(testing::requireBearer(endpoint_, 1000));
  request.url = always.baseUrl();
  EXPECT_EQ(sendOne(client, request).status, 401);
  EXPECT_EQ(always.requestCount(), 2u);  // not a third time
}

TEST_F(TokenClientTest, WithoutATokenNothingIsSent) {
  std::shared_ptr<TokenSource> tokens = smartClient();
  endpoint_.failNext(1);
  adapters::HttpPeer destination;
  testing::TestPeer peer;
  AuthorizedAsyncHttpClient client(adapters::makeCurlAsyncHttpClient(destination, 4), tokens);
  adapters::HttpRequestSpec request;
  request.url = peer.baseUrl();
  const adapters::HttpResult result = sendOne(client, request);
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, HasSubstr("not sent: no access token for regional"));
  EXPECT_EQ(peer.requestCount(), 0u);
}

TEST(FormEncodingTest, RoundTripsAndRefusesMalformedBodies) {
  const FormFields fields = {{"grant_type", "client_credentials"},
                             {"scope", "system/Patient.rs system/*.cruds"},
                             {"odd", "a&b=c%d+e\xc3\xa5"}};
  const std::string body = formBody(fields);
  EXPECT_EQ(body.find(' '), std::string::npos);
  auto decoded = formDecode(body);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, fields);
  for (const char* bad : {"a", "=b", "a=%4", "a=%zz"}) {
    EXPECT_FALSE(formDecode(bad).has_value()) << bad;
  }
  EXPECT_EQ(formDecode("a=1&&b=2")->size(), 2u);
}

}  // namespace
}  // namespace brygga::auth
