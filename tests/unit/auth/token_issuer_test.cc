#include "gateway/auth/token_issuer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/core/base64.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_keys.h"

namespace brygga::auth {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'800'000'000'000;
constexpr const char* kTokenUrl = "https://brygga.example/auth/token";
constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// What an attacker (or an honest client) can put in an assertion.
struct Assertion {
  std::string alg = "ES384";
  std::string kid = "k1";
  std::string iss = "ehr-app";
  std::string sub = "ehr-app";
  std::string aud = kTokenUrl;
  int64_t exp = kNow / 1000 + 240;
  std::string jti = "jti-1";
  std::string extraHeader;
};

class TokenIssuerTest : public ::testing::Test {
 protected:
  TokenIssuerTest() : key_(JoseKey::privateFromPem(testing::makeEcKeyPem("P-384")).value()) {
    SmartClient client;
    client.id = "ehr-app";
    client.keys.emplace_back("k1", JoseKey::publicFromJwk(key_.publicJwk("k1", {})).value());
    client.allowed = ScopeSet::parse("system/Patient.rs system/EpisodeOfCare.cruds").value();
    issuer_ = std::make_unique<TokenIssuer>(std::vector<SmartClient>{client}, 300'000, clock_);
  }

  std::string sign(const Assertion& a, const JoseKey* with = nullptr) {
    const std::string header =
        R"({"alg":")" + a.alg + R"(","kid":")" + a.kid + "\"" + a.extraHeader + "}";
    const std::string claims = R"({"iss":")" + a.iss + R"(","sub":")" + a.sub + R"(","aud":")" +
                               a.aud + R"(","exp":)" + std::to_string(a.exp) + R"(,"jti":")" +
                               a.jti + "\"}";
    auto jws = signCompactJws(with ? *with : key_, JwsAlgorithm::kES384, header, claims);
    return jws.value();
  }

  TokenAnswer ask(const std::string& assertion, const std::string& scope = "system/Patient.rs") {
    return issuer_->issue({{"grant_type", "client_credentials"},
                           {"client_assertion_type", kAssertionType},
                           {"client_assertion", assertion},
                           {"scope", scope}},
                          kTokenUrl);
  }

  static std::string tokenOf(const TokenAnswer& answer) {
    const std::string marker = R"("access_token":")";
    const size_t at = answer.body.find(marker);
    if (at == std::string::npos) return {};
    const size_t start = at + marker.size();
    return answer.body.substr(start, answer.body.find('"', start) - start);
  }

  testing::SimulatedTimeSystem clock_{kNow};
  JoseKey key_;
  std::unique_ptr<TokenIssuer> issuer_;
};

TEST_F(TokenIssuerTest, AGoodAssertionGetsAFiveMinuteTokenWithTheAskedScopes) {
  const TokenAnswer answer = ask(sign({}), "system/Patient.rs system/EpisodeOfCare.cu");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_THAT(answer.body, HasSubstr(R"("token_type":"bearer","expires_in":300)"));
  EXPECT_EQ(answer.scope, "system/Patient.rs system/EpisodeOfCare.cu");
  const std::string token = tokenOf(answer);
  EXPECT_GE(token.size(), 43u);  // 256 bits
  auto grant = issuer_->verify(token);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->clientId, "ehr-app");
  EXPECT_TRUE(grant->scopes.permits("EpisodeOfCare", Interaction::kCreate));
  EXPECT_FALSE(grant->scopes.permits("EpisodeOfCare", Interaction::kDelete));
  EXPECT_FALSE(grant->scopes.permits("Patient", Interaction::kUpdate));
  clock_.advance(std::chrono::milliseconds(299'999));
  EXPECT_TRUE(issuer_->verify(token).has_value());
  clock_.advance(std::chrono::milliseconds(1));
  EXPECT_FALSE(issuer_->verify(token).has_value());
  EXPECT_FALSE(issuer_->verify(token + "x").has_value());
  EXPECT_FALSE(issuer_->verify("").has_value());
}

TEST_F(TokenIssuerTest, AttacksOnTheAssertionAreInvalidClient) {
  struct Case {
    const char* what;
    Assertion assertion;
    const char* reason;
  };
  Assertion wrongAud;
  wrongAud.aud = "https://brygga.example/fhir";
  Assertion expired;
  expired.exp = kNow / 1000 - 60;
  Assertion farAhead;
  farAhead.exp = kNow / 1000 + 600;
  Assertion unknownKid;
  unknownKid.kid = "k2";
  Assertion otherSub;
  otherSub.sub = "someone-else";
  Assertion unknownClient;
  unknownClient.iss = unknownClient.sub = "intruder";
  Assertion critical;
  critical.extraHeader = R"(,"crit":["exp"])";
  Assertion noJti;
  noJti.jti = "";
  const Case cases[] = {
      {"wrong aud", wrongAud, "aud must be"},
      {"expired", expired, "expired"},
      {"exp too far ahead", farAhead, "more than 5 minutes ahead"},
      {"unknown kid", unknownKid, "kid is no key"},
      {"sub other than iss", otherSub, "sub must equal"},
      {"unknown client", unknownClient, "no registered client"},
      {"crit header", critical, "critical"},
      {"no jti", noJti, "jti"},
  };
  for (const Case& c : cases) {
    const TokenAnswer answer = ask(sign(c.assertion));
    EXPECT_EQ(answer.status, 401) << c.what;
    EXPECT_THAT(answer.body, HasSubstr(R"("error":"invalid_client")")) << c.what;
    EXPECT_THAT(answer.error, HasSubstr(c.reason)) << c.what;
    EXPECT_TRUE(tokenOf(answer).empty()) << c.what;
  }
}

TEST_F(TokenIssuerTest, AReplayedJtiIsRefusedUntilTheAssertionExpires) {
  const std::string assertion = sign({});
  EXPECT_EQ(ask(assertion).status, 200);
  const TokenAnswer replayed = ask(assertion);
  EXPECT_EQ(replayed.status, 401);
  EXPECT_THAT(replayed.error, HasSubstr("jti was used before"));
  // A fresh assertion with the same jti is a replay too.
  EXPECT_EQ(ask(sign({})).status, 401);
  Assertion other;
  other.jti = "jti-2";
  EXPECT_EQ(ask(sign(other)).status, 200);
}

TEST_F(TokenIssuerTest, AlgNoneHs256AndForeignSignaturesAreRefused) {
  const std::string claims = core::base64UrlEncode(
      R"({"iss":"ehr-app","sub":"ehr-app","aud":")" + std::string(kTokenUrl) + R"(","exp":)" +
      std::to_string(kNow / 1000 + 200) + R"(,"jti":"j-none"})");
  const std::string none =
      core::base64UrlEncode(R"({"alg":"none","kid":"k1"})") + "." + claims + ".";
  EXPECT_EQ(ask(none).status, 401);
  const std::string noneSigned =
      core::base64UrlEncode(R"({"alg":"none","kid":"k1"})") + "." + claims + ".AAAA";
  EXPECT_THAT(ask(noneSigned).error, HasSubstr("alg must be ES384 or RS384"));
  // HS256 "signed" with the public key as the secret: the classic key-confusion attack.
  const std::string hs = core::base64UrlEncode(R"({"alg":"HS256","kid":"k1"})") + "." + claims +
                         "." + core::base64UrlEncode(std::string(32, 'x'));
  EXPECT_THAT(ask(hs).error, HasSubstr("alg must be ES384 or RS384"));
  // Right shape, another key.
  const JoseKey stranger = JoseKey::privateFromPem(testing::makeEcKeyPem("P-384")).value();
  Assertion a;
  a.jti = "j-stranger";
  EXPECT_THAT(ask(sign(a, &stranger)).error, HasSubstr("signature does not verify"));
  // A signature byte changed.
  std::string tampered = sign(a);
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ask(tampered).status, 401);
  EXPECT_FALSE(issuer_->issue({{"grant_type", "client_credentials"}}, kTokenUrl).status == 200);
}

TEST_F(TokenIssuerTest, ScopesBeyondTheClientsOrMalformedAreInvalidScope) {
  Assertion a;
  for (const char* scope : {"system/Patient.cruds", "system/*.rs", "system/Observation.r",
                            "patient/Patient.rs", "openid", "system/Patient.sr", ""}) {
    a.jti = std::string("j-") + scope;
    const TokenAnswer answer = ask(sign(a), scope);
    EXPECT_EQ(answer.status, 400) << scope;
    EXPECT_THAT(answer.body, HasSubstr(R"("error":"invalid_scope")")) << scope;
    EXPECT_EQ(answer.clientId, "ehr-app") << scope;
  }
  a.jti = "j-v1";
  EXPECT_EQ(ask(sign(a), "system/Patient.read system/EpisodeOfCare.write").status, 200);
}

TEST_F(TokenIssuerTest, RequestErrorsFollowRfc6749) {
  EXPECT_EQ(issuer_->issue({}, kTokenUrl).status, 400);
  EXPECT_THAT(issuer_->issue({}, kTokenUrl).body, HasSubstr("invalid_request"));
  const TokenAnswer code = issuer_->issue({{"grant_type", "authorization_code"}}, kTokenUrl);
  EXPECT_EQ(code.status, 400);
  EXPECT_THAT(code.body, HasSubstr("unsupported_grant_type"));
  const TokenAnswer twice = issuer_->issue(
      {{"grant_type", "client_credentials"}, {"grant_type", "client_credentials"}}, kTokenUrl);
  EXPECT_THAT(twice.body, HasSubstr("invalid_request"));
  const TokenAnswer noAuth = issuer_->issue({{"grant_type", "client_credentials"}}, kTokenUrl);
  EXPECT_EQ(noAuth.status, 401);
  EXPECT_THAT(noAuth.body, HasSubstr("invalid_client"));
}

TEST(JwksTest, KeysNeedKidsThatFitEs384OrRs384) {
  const JoseKey p384 = JoseKey::privateFromPem(testing::makeEcKeyPem("P-384")).value();
  const JoseKey p256 = JoseKey::privateFromPem(testing::makeEcKeyPem("P-256")).value();
  auto good = parseJwks(R"({"keys":[)" + p384.publicJwk("a", JwsAlgorithm::kES384) + "]}");
  ASSERT_TRUE(good.isOk()) << good.status().toString();
  EXPECT_EQ(good->front().first, "a");
  EXPECT_THAT(parseJwks(R"({"keys":[)" + p256.publicJwk("a", {}) + "]}").status().message(),
              HasSubstr("neither ES384 nor RS384"));
  EXPECT_THAT(parseJwks(R"({"keys":[)" + p384.publicJwk("", {}) + "]}").status().message(),
              HasSubstr("no kid"));
  EXPECT_THAT(
      parseJwks(R"({"keys":[)" + p384.publicJwk("a", {}) + "," + p384.publicJwk("a", {}) + "]}")
          .status()
          .message(),
      HasSubstr("repeats the kid"));
  EXPECT_FALSE(parseJwks(R"({"keys":[]})").isOk());
  EXPECT_FALSE(parseJwks("[]").isOk());
}

TEST(ScopeSetTest, ParsesV2AndV1Forms) {
  auto set = ScopeSet::parse("system/Patient.rs system/*.c system/EpisodeOfCare.write");
  ASSERT_TRUE(set.isOk());
  EXPECT_TRUE(set->permits("Patient", Interaction::kSearch));
  EXPECT_TRUE(set->permits("Condition", Interaction::kCreate));
  EXPECT_FALSE(set->permits("Condition", Interaction::kRead));
  EXPECT_TRUE(set->permits("EpisodeOfCare", Interaction::kDelete));
  EXPECT_EQ(set->toString(), "system/Patient.rs system/*.c system/EpisodeOfCare.cud");
  EXPECT_EQ(ScopeSet::needed("EpisodeOfCare", Interaction::kUpdate), "system/EpisodeOfCare.u");
  for (const char* bad :
       {"system/Patient.", "system/Patient.x", "system/Patient.rr", "system/Patient.sr",
        "user/Patient.rs", "system/patient.rs", "system/.rs", "launch"}) {
    EXPECT_FALSE(ScopeSet::parse(bad).isOk()) << bad;
  }
  const ScopeSet wide = ScopeSet::parse("system/Patient.cruds system/EpisodeOfCare.rs").value();
  EXPECT_TRUE(wide.covers(ScopeSet::parse("system/Patient.read").value()));
  EXPECT_EQ(wide.firstNotCovered(ScopeSet::parse("system/Patient.r system/*.r").value()),
            "system/*.r");
  EXPECT_TRUE(ScopeSet::all().covers(wide));
}

}  // namespace
}  // namespace brygga::auth
