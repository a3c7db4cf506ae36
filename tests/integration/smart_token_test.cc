// Inbound SMART Backend Services (issue 17 item 2): a client registered with its public keys gets
// an access token at POST /auth/token and uses it on /fhir within its scopes; everything an
// attacker would try against the token endpoint is refused the way RFC 6749 says.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/auth/form_encoding.h"
#include "gateway/auth/jose.h"
#include "gateway/core/base64.h"
#include "gateway/core/digest.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/test_keys.h"

namespace brygga::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPublicBase = "https://brygga.example";
constexpr const char* kTokenUrl = "https://brygga.example/auth/token";
constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct Claims {
  std::string alg = "ES384";
  std::string kid = "ehr-1";
  std::string iss = "ehr-app";
  std::string aud = kTokenUrl;
  int64_t expInS = 240;
  std::string jti = core::newUuid();
};

class SmartTokens : public ::testing::Test {
 protected:
  SmartTokens()
      : clock_(1'800'000'000'000),
        key_(auth::JoseKey::privateFromPem(makeEcKeyPem("P-384")).value()),
        harness_(&peer_) {
    harness_.setTimeSystem(&clock_);
    app::GatewayConfig& config = harness_.config();
    config.server.publicBaseUrl = kPublicBase;
    http::ClientConfig app;
    app.id = "ehr-app";
    // A municipality's care system: a patient enters Brygga through its enrollment (issue 11).
    app.tenant = "kungsbacka";
    app.role = core::ClientRole::kMunicipal;
    app.jwks = R"({"keys":[)" + key_.publicJwk("ehr-1", auth::JwsAlgorithm::kES384) + "]}";
    app.scope = "system/Patient.cruds system/EpisodeOfCare.cruds";
    config.clients.push_back(app);
    harness_.start();
  }

  std::string assertion(const Claims& c, const auth::JoseKey* key = nullptr) {
    const std::string header = R"({"alg":")" + c.alg + R"(","typ":"JWT","kid":")" + c.kid + "\"}";
    const std::string claims =
        R"({"iss":")" + c.iss + R"(","sub":")" + c.iss + R"(","aud":")" + c.aud + R"(","exp":)" +
        std::to_string(clock_.nowMs() / 1000 + c.expInS) + R"(,"jti":")" + c.jti + "\"}";
    return auth::signCompactJws(key ? *key : key_, auth::JwsAlgorithm::kES384, header, claims)
        .value();
  }

  HttpAnswer tokenRequest(const auth::FormFields& fields,
                          const std::string& contentType = "application/x-www-form-urlencoded") {
    return httpCall(
        "POST", "http://127.0.0.1:" + std::to_string(harness_.gateway().httpPort()) + "/auth/token",
        auth::formBody(fields), {{"Content-Type", contentType}});
  }

  HttpAnswer askToken(const std::string& jwt, const std::string& scope) {
    return tokenRequest({{"grant_type", "client_credentials"},
                         {"scope", scope},
                         {"client_assertion_type", kAssertionType},
                         {"client_assertion", jwt}});
  }

  std::string tokenFor(const std::string& scope) {
    const HttpAnswer answer = askToken(assertion({}), scope);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return parse(answer.body)["access_token"].GetString();
  }

  HttpAnswer fhir(const std::string& token, const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    return httpCall(
        method, harness_.base() + path, body,
        {{"Authorization", "Bearer " + token}, {"Content-Type", "application/fhir+json"}});
  }

  SimulatedTimeSystem clock_;
  auth::JoseKey key_;
  TestPeer peer_;
  GatewayHarness harness_;
};

TEST_F(SmartTokens, AClientWithItsKeyGetsAShortLivedTokenThatWorksWithinItsScopes) {
  const HttpAnswer answer = askToken(assertion({}), "system/Patient.cu system/EpisodeOfCare.cu");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.headers.at("cache-control"), "no-store");
  const auto doc = parse(answer.body);
  EXPECT_EQ(std::string(doc["token_type"].GetString()), "bearer");
  EXPECT_EQ(doc["expires_in"].GetInt(), 300);
  EXPECT_EQ(std::string(doc["scope"].GetString()), "system/Patient.cu system/EpisodeOfCare.cu");
  const std::string token = doc["access_token"].GetString();

  // Writes within the scopes go through...
  const HttpAnswer written = fhir(token, "POST", "", enrollmentBundle("19121212-1212", "E-1"));
  EXPECT_EQ(written.status, 200) << written.body;
  // ...a search is outside them: 403 naming the scope it needs.
  const HttpAnswer search = fhir(token, "GET", "/Patient?" + personnummerQuery("191212121212"));
  EXPECT_EQ(search.status, 403);
  EXPECT_THAT(search.body, HasSubstr("system/Patient.s"));
  // After five minutes the token is gone.
  clock_.advance(std::chrono::milliseconds(300'000));
  EXPECT_EQ(fhir(token, "POST", "", enrollmentBundle("19121212-1212", "E-1")).status, 401);
}

TEST_F(SmartTokens, AWriteOutsideTheScopesIsRefusedAndStoresNothing) {
  const std::string reader = tokenFor("system/Patient.rs system/EpisodeOfCare.rs");
  const HttpAnswer refused = fhir(reader, "POST", "", enrollmentBundle("19121212-1212", "E-2"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("system/Patient.c"));
  EXPECT_THAT(refused.body, HasSubstr("OperationOutcome"));
  const HttpAnswer found = fhir(reader, "GET", "/Patient?" + personnummerQuery("191212121212"));
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(parse(found.body)["total"].GetInt(), 0);
  EXPECT_EQ(peer_.requestCount(), 0u);
}

TEST_F(SmartTokens, AttacksOnTheTokenEndpointAreInvalidClient) {
  const auth::JoseKey stranger = auth::JoseKey::privateFromPem(makeEcKeyPem("P-384")).value();
  Claims wrongAud;
  wrongAud.aud = "http://127.0.0.1/auth/token";
  Claims expired;
  expired.expInS = -120;
  Claims unknownKid;
  unknownKid.kid = "ehr-2";
  Claims farAhead;
  farAhead.expInS = 3600;
  const std::string claims = core::base64UrlEncode(
      R"({"iss":"ehr-app","sub":"ehr-app","aud":")" + std::string(kTokenUrl) + R"(","exp":)" +
      std::to_string(clock_.nowMs() / 1000 + 200) + R"(,"jti":"forged"})");
  const std::string algNone =
      core::base64UrlEncode(R"({"alg":"none","kid":"ehr-1"})") + "." + claims + ".";
  // HS256 with the client's public JWK as the HMAC secret: the key-confusion attack.
  const std::string hs256 = core::base64UrlEncode(R"({"alg":"HS256","kid":"ehr-1"})") + "." +
                            claims + "." + core::base64UrlEncode(std::string(32, '\x11'));
  const std::pair<const char*, std::string> attacks[] = {
      {"wrong aud", assertion(wrongAud)},
      {"expired", assertion(expired)},
      {"exp an hour ahead", assertion(farAhead)},
      {"unknown kid", assertion(unknownKid)},
      {"signed by another key", assertion({}, &stranger)},
      {"alg none", algNone},
      {"alg HS256", hs256},
      {"not a JWT", "a.b"},
  };
  for (const auto& [what, jwt] : attacks) {
    const HttpAnswer answer = askToken(jwt, "system/Patient.rs");
    EXPECT_EQ(answer.status, 401) << what << ": " << answer.body;
    EXPECT_THAT(answer.body, HasSubstr(R"("error":"invalid_client")")) << what;
    EXPECT_THAT(answer.body, Not(HasSubstr("access_token"))) << what;
  }
  // A captured assertion cannot be used twice.
  const std::string once = assertion({});
  EXPECT_EQ(askToken(once, "system/Patient.rs").status, 200);
  const HttpAnswer replay = askToken(once, "system/Patient.rs");
  EXPECT_EQ(replay.status, 401);
  EXPECT_THAT(replay.body, HasSubstr("jti"));
}

// Anonymous traffic costs nothing durable (issue 18): an assertion no registered key verifies names
// nobody, so it is counted with its source's refused logins instead of written on its own.
TEST_F(SmartTokens, AssertionsNoRegisteredKeyVerifiesAreCountedNotWrittenOneByOne) {
  const auth::JoseKey stranger = auth::JoseKey::privateFromPem(makeEcKeyPem("P-384")).value();
  store::Store& store = harness_.gateway().store();
  const size_t before = store.auditLog().auditRecords(1, 1 << 30).value().size();
  for (int i = 0; i < 50; ++i) {
    Claims claims;
    claims.jti = "stranger-" + std::to_string(i);
    ASSERT_EQ(askToken(assertion(claims, &stranger), "system/Patient.rs").status, 401);
  }
  EXPECT_EQ(store.auditLog().auditRecords(1, 1 << 30).value().size(), before);
  harness_.gateway().stop();  // closes the open window of refused logins
  const auto records = store.auditLog().auditRecords(1, 1 << 30).value();
  ASSERT_EQ(records.size(), before + 1);
  EXPECT_THAT(records.back().json, HasSubstr("50 refused logins from 127.0.0.1"));
  EXPECT_THAT(records.back().json, HasSubstr("client assertion"));
}

TEST_F(SmartTokens, ScopeEscalationAndMalformedRequestsFollowRfc6749) {
  const HttpAnswer wider = askToken(assertion({}), "system/*.cruds");
  EXPECT_EQ(wider.status, 400);
  EXPECT_THAT(wider.body, HasSubstr(R"("error":"invalid_scope")"));
  const HttpAnswer other = askToken(assertion({}), "system/Observation.r");
  EXPECT_EQ(other.status, 400);
  EXPECT_THAT(other.body, HasSubstr("invalid_scope"));
  const HttpAnswer grant = tokenRequest({{"grant_type", "password"}});
  EXPECT_EQ(grant.status, 400);
  EXPECT_THAT(grant.body, HasSubstr("unsupported_grant_type"));
  const HttpAnswer json = tokenRequest({{"grant_type", "client_credentials"}}, "application/json");
  EXPECT_EQ(json.status, 400);
  EXPECT_THAT(json.body, HasSubstr("invalid_request"));
  const HttpAnswer noAssertion = tokenRequest({{"grant_type", "client_credentials"}});
  EXPECT_EQ(noAssertion.status, 401);
  EXPECT_THAT(noAssertion.body, HasSubstr("invalid_client"));
  const HttpAnswer get = httpCall(
      "GET", "http://127.0.0.1:" + std::to_string(harness_.gateway().httpPort()) + "/auth/token");
  EXPECT_EQ(get.status, 405);
}

TEST_F(SmartTokens, AnAccessTokenOpensOnlyTheFhirApi) {
  const std::string token = tokenFor("system/Patient.rs");
  const HttpAnswer admin = httpCall(
      "GET",
      "http://127.0.0.1:" + std::to_string(harness_.gateway().httpPort()) + "/admin/destinations",
      "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(admin.status, 403) << admin.body;
  // Static tokens keep working as before.
  EXPECT_EQ(harness_.call("region", "GET", "/Patient?" + personnummerQuery("191212121212")).status,
            200);
}

TEST_F(SmartTokens, TheDiscoveryDocumentsNameTheTokenEndpoint) {
  const std::string base = "http://127.0.0.1:" + std::to_string(harness_.gateway().httpPort());
  for (const char* path :
       {"/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"}) {
    const HttpAnswer answer = httpCall("GET", base + path);
    ASSERT_EQ(answer.status, 200) << path;
    const auto doc = parse(answer.body);
    EXPECT_EQ(std::string(doc["token_endpoint"].GetString()), kTokenUrl);
    EXPECT_THAT(answer.body, HasSubstr("private_key_jwt"));
    EXPECT_THAT(answer.body, HasSubstr("ES384"));
  }
  const HttpAnswer jwks = httpCall("GET", base + "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  EXPECT_TRUE(parse(jwks.body)["keys"].IsArray());
}

TEST_F(SmartTokens, TokenRequestsAreAuditedWithoutTheAssertion) {
  const std::string jwt = assertion({});
  ASSERT_EQ(askToken(jwt, "system/Patient.rs").status, 200);
  ASSERT_EQ(askToken(jwt, "system/Patient.rs").status, 401);  // the replay
  auto records = harness_.gateway().store().auditLog().auditRecords(1, 100);
  ASSERT_TRUE(records.isOk());
  int logins = 0;
  for (const auto& r : *records) {
    EXPECT_THAT(r.json, Not(HasSubstr(jwt.substr(jwt.rfind('.') + 1))));
    if (r.json.find("ehr-app") != std::string::npos) ++logins;
  }
  EXPECT_EQ(logins, 2);
}

}  // namespace
}  // namespace brygga::testing
