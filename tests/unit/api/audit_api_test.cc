#include "gateway/api/audit_api.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/audit/audit_trail.h"
#include "gateway/audit/merkle.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_store.h"

namespace brygga::api {
namespace {

using ::testing::HasSubstr;
namespace merkle = audit::merkle;

constexpr const char* kOrigin = "brygga.test/audit";

audit::NoteSigner newSigner() {
  auto pem = audit::NoteSigner::generatePrivateKeyPem();
  return *audit::NoteSigner::fromPrivateKeyPem(kOrigin, *pem);
}

Caller caller(const std::string& id, core::ClientRole role) {
  Caller c;
  c.authenticated = true;
  c.clientId = id;
  c.tenant = id;
  c.role = role;
  c.address = "10.1.2.3:5000";
  return c;
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

std::vector<merkle::Hash> hashesOf(const rapidjson::Value& array) {
  std::vector<merkle::Hash> out;
  for (const auto& v : array.GetArray()) out.push_back(*merkle::fromBase64(v.GetString()));
  return out;
}

class AuditApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(log_.open().isOk());
    appendEvents(1, 20);
  }

  void appendEvents(int from, int to) {
    ASSERT_TRUE(store_
                    .write([&](store::StoreTransaction& txn) {
                      for (int i = from; i <= to; ++i) {
                        audit::AuditContext c;
                        c.recordedMs = 1795428900000 + i;
                        c.subtype = "read";
                        c.action = 'R';
                        c.clientId = "falkenberg";
                        c.patient = "Patient/p" + std::to_string(i % 3);
                        auto seq = audit::AuditTrail::append(txn, c);
                        if (!seq.isOk()) return seq.status();
                      }
                      return core::Status::ok();
                    })
                    .isOk());
  }

  ApiResponse get(const std::string& path, const std::string& query = {},
                  Caller who = caller("integration", core::ClientRole::kIntegration)) {
    ApiRequest request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    request.caller = who;
    request.requestId = "req-test";
    return api_.handle(request);
  }

  static std::string header(const ApiResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  int64_t records() {
    return static_cast<int64_t>(store_.auditLog().auditRecords(1, 1 << 30)->size());
  }

  testing::TestStore store_;
  testing::SimulatedTimeSystem clock_{1795428900000};
  std::ostringstream logText_;
  core::Logger logger_{logText_};
  audit::AuditLog log_{store_, newSigner(), kOrigin, clock_};
  AuditApi api_{log_, store_, clock_, logger_};
};

TEST_F(AuditApiTest, CheckpointAndKeyArePublicAndVerifyEachOther) {
  EXPECT_EQ(get("/checkpoint", "", Caller{}).status, 404);  // nothing signed yet
  auto made = log_.checkpoint();
  ASSERT_TRUE(made.isOk() && made->has_value());

  ApiResponse checkpoint = get("/checkpoint", "", Caller{});
  ASSERT_EQ(checkpoint.status, 200) << checkpoint.body;
  EXPECT_EQ(header(checkpoint, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(checkpoint.body, (*made)->note);

  ApiResponse key = get("/key", "", Caller{});
  ASSERT_EQ(key.status, 200);
  auto doc = parse(key.body);
  auto vkey = audit::NoteVerifier::fromVkey(doc["vkey"].GetString());
  ASSERT_TRUE(vkey.isOk()) << vkey.status().toString();
  auto opened = audit::openCheckpoint(checkpoint.body, *vkey, doc["origin"].GetString());
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  // The 20 events; the public calls (the 404 above included) write nothing.
  EXPECT_EQ(opened->size, 20u);
  auto pem = audit::NoteVerifier::fromPublicKeyPem(kOrigin, doc["publicKeyPem"].GetString());
  ASSERT_TRUE(pem.isOk());
  EXPECT_EQ(pem->vkey(), vkey->vkey());
  EXPECT_STREQ(doc["algorithm"].GetString(), "Ed25519");
}

TEST_F(AuditApiTest, InclusionProofOfARecordVerifiesAgainstTheCheckpoint) {
  ASSERT_TRUE(log_.checkpoint().isOk());
  const auto cp = audit::openCheckpoint(get("/checkpoint").body, log_.verifier(), kOrigin);
  ASSERT_TRUE(cp.isOk());

  ApiResponse record = get("/records/7");
  ASSERT_EQ(record.status, 200);
  const auto stored = store_.auditLog().auditRecords(7, 1);
  EXPECT_EQ(record.body, stored->front().json);  // byte for byte

  ApiResponse proof = get("/proof/inclusion", "seq=7");  // size: the latest checkpoint's
  ASSERT_EQ(proof.status, 200) << proof.body;
  auto doc = parse(proof.body);
  EXPECT_EQ(doc["leafIndex"].GetUint64(), 6u);
  EXPECT_EQ(doc["treeSize"].GetUint64(), 20u);
  const merkle::Hash leaf = merkle::leafHash(record.body);
  EXPECT_EQ(merkle::toBase64(leaf), doc["leafHash"].GetString());
  EXPECT_TRUE(merkle::verifyInclusion(6, 20, leaf, hashesOf(doc["hashes"]), cp->root));
}

TEST_F(AuditApiTest, ConsistencyProofLinksTwoCheckpoints) {
  ASSERT_TRUE(log_.checkpoint().isOk());
  const auto old = audit::openCheckpoint(get("/checkpoint").body, log_.verifier(), kOrigin);
  appendEvents(21, 45);
  ASSERT_TRUE(log_.checkpoint().isOk());
  const auto now = audit::openCheckpoint(get("/checkpoint").body, log_.verifier(), kOrigin);
  ASSERT_TRUE(old.isOk() && now.isOk());
  ASSERT_GT(now->size, old->size);

  ApiResponse proof = get("/proof/consistency",
                          "from=" + std::to_string(old->size) + "&to=" + std::to_string(now->size));
  ASSERT_EQ(proof.status, 200) << proof.body;
  auto doc = parse(proof.body);
  EXPECT_TRUE(merkle::verifyConsistency(old->size, now->size, old->root, now->root,
                                        hashesOf(doc["hashes"])));
}

TEST_F(AuditApiTest, ProofsAndRecordsAreForTheIntegrationRoleOnly) {
  ASSERT_TRUE(log_.checkpoint().isOk());
  EXPECT_EQ(get("/proof/inclusion", "seq=1", Caller{}).status, 401);
  EXPECT_EQ(get("/records/1", "", Caller{}).status, 401);
  EXPECT_EQ(
      get("/proof/inclusion", "seq=1", caller("varberg", core::ClientRole::kMunicipal)).status,
      403);
  EXPECT_EQ(get("/records/1", "", caller("region", core::ClientRole::kRegional)).status, 403);
  EXPECT_EQ(
      get("/proof/consistency", "from=1", caller("region", core::ClientRole::kRegional)).status,
      403);
}

TEST_F(AuditApiTest, BadRequestsAreRefusedWithAnOperationOutcome) {
  ASSERT_TRUE(log_.checkpoint().isOk());
  for (const char* query :
       {"", "seq=abc", "seq=0", "seq=-1", "seq=07", "seq=1&size=x", "seq=1&bogus=2", "seq=1&seq=2",
        "seq=21", "seq=5&size=4", "seq=1&size=1000"}) {
    ApiResponse r = get("/proof/inclusion", query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_THAT(r.body, HasSubstr("OperationOutcome"));
  }
  for (const char* query : {"", "from=0", "from=5&to=4", "from=1&to=999"}) {
    EXPECT_EQ(get("/proof/consistency", query).status, 400) << query;
  }
  EXPECT_EQ(get("/records/999").status, 404);
  EXPECT_EQ(get("/records/x").status, 404);
  EXPECT_EQ(get("/nothing").status, 404);
  ApiRequest post;
  post.method = "POST";
  post.path = "/checkpoint";
  EXPECT_EQ(api_.handle(post).status, 405);
}

TEST_F(AuditApiTest, EveryCallButThePublicOnesIsAuditedAndARecordReadShowsInThePatientsLog) {
  ASSERT_TRUE(log_.checkpoint().isOk());
  const int64_t before = records();
  // Public: served to anyone, and anonymous traffic must cost nothing durable (issue 18).
  EXPECT_EQ(get("/checkpoint", "", Caller{}).status, 200);
  EXPECT_EQ(get("/key", "", Caller{}).status, 200);
  EXPECT_EQ(records(), before);
  get("/proof/inclusion", "seq=3");
  get("/proof/inclusion", "seq=3", caller("varberg", core::ClientRole::kMunicipal));  // refused
  EXPECT_EQ(records(), before + 2);

  // Record 5 concerns Patient/p2: reading it is an access to that patient's log.
  const size_t patientBefore = store_.auditLog().auditRecordsForPatient("Patient/p2", 1000)->size();
  ASSERT_EQ(get("/records/5").status, 200);
  const auto patientLog = store_.auditLog().auditRecordsForPatient("Patient/p2", 1000);
  ASSERT_EQ(patientLog->size(), patientBefore + 1);
  EXPECT_THAT(patientLog->back().json, HasSubstr("\"value\":\"integration\""));
  EXPECT_THAT(patientLog->back().json, HasSubstr("AuditEvent/5"));

  const auto exchanges = store_.exchangeLog().exchanges(store::ExchangeQuery{});
  ASSERT_TRUE(exchanges.isOk());
  EXPECT_EQ(exchanges->size(), 3u);  // the two proofs and the record read
}

}  // namespace
}  // namespace brygga::api
