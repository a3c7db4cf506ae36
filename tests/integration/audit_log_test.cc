// The audit transparency log through the real gateway: a record made by a FHIR request is covered
// by a signed checkpoint and an inclusion proof that a verifier written from RFC 9162 alone (here,
// not the gateway's code) accepts; the PDL extract lists refused attempts; and `brygga audit
// verify` on the data dir catches a record changed in the database file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/provenance.h"
#include "gateway/audit/signed_note.h"
#include "gateway/core/base64.h"
#include "gateway/core/digest.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/integration/process.h"
#include "tests/support/test_personnummer.h"

namespace brygga::testing {
namespace {

// --- An independent RFC 9162 verifier (2.1.3.2 and 2.1.4.2), on raw byte strings -------------

std::string node(const std::string& l, const std::string& r) {
  return core::sha256("\x01" + l + r);
}

bool rfcVerifyInclusion(uint64_t index, uint64_t size, const std::string& leaf,
                        const std::vector<std::string>& path, const std::string& root) {
  if (index >= size) return false;
  uint64_t fn = index, sn = size - 1;
  std::string r = leaf;
  for (const std::string& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = node(p, r);
      if (!(fn & 1)) {
        while (!(fn & 1) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool rfcVerifyConsistency(uint64_t first, uint64_t second, const std::string& firstHash,
                          const std::string& secondHash, std::vector<std::string> path) {
  if (path.empty()) return false;
  if ((first & (first - 1)) == 0) path.insert(path.begin(), firstHash);
  uint64_t fn = first - 1, sn = second - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = node(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == firstHash && sr == secondHash && sn == 0;
}

std::vector<std::string> hashes(const rapidjson::Value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.GetArray()) out.push_back(core::base64Decode(v.GetString()).value());
  return out;
}

// A checkpoint body: origin, size, base64 root.
struct Body {
  std::string origin;
  uint64_t size = 0;
  std::string root;
};
Body bodyOf(const std::string& note) {
  Body b;
  size_t first = note.find('\n');
  size_t second = note.find('\n', first + 1);
  size_t third = note.find('\n', second + 1);
  b.origin = note.substr(0, first);
  b.size = std::stoull(note.substr(first + 1, second - first - 1));
  b.root = core::base64Decode(note.substr(second + 1, third - second - 1)).value();
  return b;
}

// --- The gateway -----------------------------------------------------------------------------

class AuditLogFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<GatewayHarness>(&peer_, data_.path());
    harness_->config().audit.checkpointIntervalMs = 50;
    harness_->start();
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(harness_->gateway().httpPort()) + path;
  }
  HttpAnswer audit(const std::string& path, const std::string& client = "integration") {
    std::map<std::string, std::string> headers;
    if (!client.empty()) headers["Authorization"] = "Bearer " + tokenOf(client);
    return httpCall("GET", url(path), {}, headers);
  }
  // Enrolls the person with `client`'s municipality, then creates the Patient again (a plain
  // create of a person Brygga holds answers with that Patient): a "create" in the audit log.
  std::string createPatient(const std::string& client, const std::string& pnr) {
    const std::string id = harness_->enroll(client, pnr);
    auto r = harness_->call(client, "POST", "/Patient", patientJson(pnr),
                            {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(r.status, 200) << r.body;
    auto doc = parse(r.body);
    EXPECT_EQ(doc.HasMember("id") ? doc["id"].GetString() : "", id);
    return id;
  }
  // The seq of the patient's AuditEvent with this subtype (the first one).
  int64_t auditSeqOf(const std::string& patient, const std::string& subtype) {
    auto r = harness_->call("integration", "GET", "/AuditEvent?patient=" + patient);
    EXPECT_EQ(r.status, 200) << r.body;
    auto doc = parse(r.body);
    for (const auto& entry : doc["entry"].GetArray()) {
      const auto& event = entry["resource"];
      if (subtype == event["subtype"][0]["code"].GetString()) {
        return std::stoll(event["id"].GetString());
      }
    }
    return 0;
  }
  // The latest checkpoint once it covers `size` records (the checkpointer signs every 50 ms).
  std::string checkpointCovering(uint64_t size) {
    std::string body;
    const bool covered = waitUntil([&] {
      auto r = audit("/audit/checkpoint", "");
      body = r.body;
      return r.status == 200 && bodyOf(r.body).size >= size;
    });
    if (covered) return body;
    ADD_FAILURE() << "no checkpoint covers " << size << " records";
    return {};
  }

  TempDir data_;
  TestPeer peer_;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(AuditLogFlow, ACheckpointAndAnInclusionProofCoverARecordMadeByAFhirRequest) {
  const std::string id = createPatient("kungsbacka", "19121212-1212");
  ASSERT_FALSE(id.empty());
  const int64_t seq = auditSeqOf("Patient/" + id, "create");
  ASSERT_GT(seq, 0);

  const std::string note = checkpointCovering(static_cast<uint64_t>(seq));
  ASSERT_FALSE(note.empty());
  // The signature, with the published key.
  auto key = audit("/audit/key", "");
  ASSERT_EQ(key.status, 200);
  auto keyDoc = parse(key.body);
  auto verifier = audit::NoteVerifier::fromVkey(keyDoc["vkey"].GetString());
  ASSERT_TRUE(verifier.isOk());
  auto parsed = audit::parseSignedNote(note);
  ASSERT_TRUE(parsed.isOk());
  EXPECT_TRUE(verifier->verify(*parsed).isOk());
  const Body checkpoint = bodyOf(note);
  EXPECT_EQ(checkpoint.origin, keyDoc["origin"].GetString());

  // The record as stored, its leaf, and the proof for the checkpoint's size.
  auto record = audit("/audit/records/" + std::to_string(seq));
  ASSERT_EQ(record.status, 200);
  EXPECT_NE(record.body.find("\"Patient/" + id + "\""), std::string::npos);
  const std::string leaf = core::sha256(std::string(1, '\0') + record.body);
  auto proof = audit("/audit/proof/inclusion?seq=" + std::to_string(seq) +
                     "&size=" + std::to_string(checkpoint.size));
  ASSERT_EQ(proof.status, 200) << proof.body;
  auto proofDoc = parse(proof.body);
  EXPECT_EQ(core::base64Decode(proofDoc["leafHash"].GetString()).value(), leaf);
  EXPECT_TRUE(rfcVerifyInclusion(static_cast<uint64_t>(seq - 1), checkpoint.size, leaf,
                                 hashes(proofDoc["hashes"]), checkpoint.root));
  // A changed record does not verify.
  std::string changed = record.body;
  changed[changed.find("create")] = 'C';
  EXPECT_FALSE(rfcVerifyInclusion(static_cast<uint64_t>(seq - 1), checkpoint.size,
                                  core::sha256(std::string(1, '\0') + changed),
                                  hashes(proofDoc["hashes"]), checkpoint.root));

  // More traffic, a later checkpoint, and the proof that it extends the first.
  createPatient("varberg", "19121212-1212");
  const std::string later = checkpointCovering(checkpoint.size + 2);
  const Body next = bodyOf(later);
  auto consistency = audit("/audit/proof/consistency?from=" + std::to_string(checkpoint.size) +
                           "&to=" + std::to_string(next.size));
  ASSERT_EQ(consistency.status, 200) << consistency.body;
  EXPECT_TRUE(rfcVerifyConsistency(checkpoint.size, next.size, checkpoint.root, next.root,
                                   hashes(parse(consistency.body)["hashes"])));
}

TEST_F(AuditLogFlow, ThePatientsLogExtractListsRefusedAttemptsAndItsOwnRequests) {
  const std::string id = createPatient("kungsbacka", "19121212-1212");
  const std::string patient = "Patient/" + id;
  // Another municipality tries to read the patient: not found for it, and in the patient's log.
  EXPECT_EQ(harness_->call("varberg", "GET", "/" + patient).status, 404);
  EXPECT_EQ(harness_->call("varberg", "GET", "/AuditEvent?patient=" + patient).status, 403);
  // No credentials at all: a refused login, counted with the others of its address (one record
  // per address and window, serving_test.cc), not an access to the patient's record.
  EXPECT_EQ(harness_->call("", "GET", "/" + patient).status, 401);

  auto extract = harness_->call("integration", "GET", "/AuditEvent?patient=" + patient);
  ASSERT_EQ(extract.status, 200);
  auto doc = parse(extract.body);
  bool created = false, refusedRead = false, refusedExtract = false;
  for (const auto& entry : doc["entry"].GetArray()) {
    const auto& e = entry["resource"];
    const std::string subtype = e["subtype"][0]["code"].GetString();
    const std::string who = e["agent"][0]["who"]["identifier"]["value"].GetString();
    const std::string outcome = e["outcome"].GetString();
    created = created || (subtype == "create" && who == "kungsbacka" && outcome == "0");
    refusedRead = refusedRead || (subtype == "read" && who == "varberg" && outcome == "4");
    refusedExtract =
        refusedExtract || (subtype == "search-type" && who == "varberg" && outcome == "4");
  }
  EXPECT_TRUE(created);
  EXPECT_TRUE(refusedRead);
  EXPECT_TRUE(refusedExtract);

  // The extract itself is audited: the next one lists it.
  auto again = parse(harness_->call("integration", "GET", "/AuditEvent?patient=" + patient).body);
  bool listed = false;
  for (const auto& entry : again["entry"].GetArray()) {
    const auto& e = entry["resource"];
    listed = listed || (std::string(e["agent"][0]["who"]["identifier"]["value"].GetString()) ==
                            "integration" &&
                        std::string(e["outcome"].GetString()) == "0");
  }
  EXPECT_TRUE(listed);

  // The same from the command line, on the data dir, as a table and as a Bundle.
  harness_->stop();
  auto text = runBrygga("audit extract --patient " + patient + " --data-dir " + data_.path());
  ASSERT_EQ(text.exitCode, 0) << text.output;
  EXPECT_NE(text.output.find("PDL log extract for " + patient), std::string::npos);
  EXPECT_NE(text.output.find("varberg"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("refused: forbidden"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("no care relationship"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("kungsbacka (municipal)"), std::string::npos) << text.output;
  EXPECT_EQ(text.output.find("19121212"), std::string::npos);  // no personnummer
  auto json =
      runBrygga("audit extract --patient " + patient + " --format json --data-dir " + data_.path());
  ASSERT_EQ(json.exitCode, 0) << json.output;
  auto bundle = parse(json.output);
  EXPECT_STREQ(bundle["resourceType"].GetString(), "Bundle");
  EXPECT_GE(bundle["entry"].Size(), 6u);  // create, 2 refusals, 2 extracts, the text extract...
  EXPECT_EQ(runBrygga("audit extract --patient Patient/a%20b --data-dir " + data_.path()).exitCode,
            64);
}

// What the operator at the terminal has in hand is the person number: the extract takes it, with
// or without the hyphen, in aligned columns; an unknown patient is an error that does not repeat
// the number.
TEST_F(AuditLogFlow, TheCommandLineExtractTakesAPersonNumberAndRefusesAnUnknownPatient) {
  const std::string id = createPatient("kungsbacka", "19121212-1212");
  EXPECT_EQ(harness_->call("varberg", "GET", "/Patient/" + id).status, 404);
  harness_->stop();
  const std::string dir = " --data-dir " + data_.path();

  for (const char* number : {"19121212-1212", "191212121212"}) {
    auto text = runBrygga(std::string("audit extract --patient ") + number + dir);
    ASSERT_EQ(text.exitCode, 0) << text.output;
    EXPECT_NE(text.output.find("PDL log extract for Patient/" + id), std::string::npos)
        << text.output;
    EXPECT_EQ(text.output.find("19121212"), std::string::npos) << text.output;
    // Aligned columns: every row's WHO starts where the header's does, and the times are
    // Stockholm's with their offset.
    std::vector<std::string> lines;
    std::istringstream in(text.output);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_GE(lines.size(), 4u) << text.output;  // heading, header, create, refused read
    const size_t who = lines[1].find("WHO");
    ASSERT_NE(who, std::string::npos) << lines[1];
    EXPECT_EQ(lines[1].rfind("#  ", 0), 0u) << lines[1];
    for (size_t i = 2; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i][who - 2], ' ') << lines[i];
      EXPECT_NE(lines[i][who], ' ') << lines[i];
      EXPECT_TRUE(
          std::regex_search(lines[i], std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0[12]:00)")))
          << lines[i];
    }
    EXPECT_NE(text.output.find("refused: not-found"), std::string::npos) << text.output;
  }
  auto json = runBrygga("audit extract --patient 19121212-1212 --json" + dir);
  ASSERT_EQ(json.exitCode, 0) << json.output;
  EXPECT_STREQ(parse(json.output)["resourceType"].GetString(), "Bundle");
  EXPECT_NE(json.output.find("\"recorded\":\""), std::string::npos);

  // A valid test number no Patient here has.
  const std::string other = testPersonnummer(42);
  auto unknown = runBrygga("audit extract --patient " + other + dir);
  EXPECT_EQ(unknown.exitCode, 66) << unknown.output;
  EXPECT_NE(unknown.output.find("no Patient with that person number"), std::string::npos)
      << unknown.output;
  EXPECT_EQ(unknown.output.find(other.substr(0, 8)), std::string::npos) << unknown.output;
  auto wrong = runBrygga("audit extract --patient 19121212-1213" + dir);  // check digit
  EXPECT_EQ(wrong.exitCode, 64) << wrong.output;
  EXPECT_EQ(wrong.output.find("19121212"), std::string::npos) << wrong.output;
  EXPECT_EQ(runBrygga("audit extract --patient Patient/nobody" + dir).exitCode, 66);
  EXPECT_EQ(runBrygga("audit extract --patient " + id + dir).exitCode, 0);
}

TEST_F(AuditLogFlow, AuditVerifyOnTheDataDirCatchesAChangedRecord) {
  const std::string id = createPatient("kungsbacka", "19121212-1212");
  harness_->call("kungsbacka", "GET", "/Patient/" + id);
  harness_->stop();  // signs a last checkpoint

  auto intact = runBrygga("audit verify --data-dir " + data_.path());
  EXPECT_EQ(intact.exitCode, 0) << intact.output;
  EXPECT_NE(intact.output.find("audit log intact"), std::string::npos) << intact.output;
  EXPECT_NE(intact.output.find("signed checkpoints verified"), std::string::npos);

  // With the published verifier key given explicitly, as an outside auditor would.
  auto signer =
      audit::NoteSigner::loadOrCreate(audit::defaultOrigin(), data_.file("audit-signing.key"));
  ASSERT_TRUE(signer.isOk());
  std::ofstream(data_.file("vkey.txt")) << signer->verifier().vkey() << "\n";
  auto withKey =
      runBrygga("audit verify --data-dir " + data_.path() + " --key " + data_.file("vkey.txt"));
  EXPECT_EQ(withKey.exitCode, 0) << withKey.output;

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(data_.file("brygga.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TRIGGER audit_no_update;"
                         "UPDATE audit SET json = replace(json, 'kungsbacka', 'kungsbackx')"
                         " WHERE seq = 2",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto broken = runBrygga("audit verify --data-dir " + data_.path());
  EXPECT_EQ(broken.exitCode, 65) << broken.output;
  EXPECT_NE(broken.output.find("BROKEN at record 2"), std::string::npos) << broken.output;
}

TEST(ProvenanceFlow, AForwardedBundleCarriesAProvenanceThePeerCanVerify) {
  TestPeer peer;
  TempDir data;
  GatewayHarness harness(&peer, data.path());
  harness.start();
  auto r = harness.call("kungsbacka", "POST", "/", enrollmentBundle());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(peer.waitForRequests(1, 10000), 1u);
  const std::string sent = peer.requests().front().body;

  // In process, against the CA that issued the gateway's certificate...
  std::ifstream caFile(certsDir() + "/ca.crt");
  const std::string ca((std::istreambuf_iterator<char>(caFile)), std::istreambuf_iterator<char>());
  auto checked = audit::verifyBundleProvenance(sent, ca);
  ASSERT_TRUE(checked.isOk()) << checked.status().toString();
  EXPECT_EQ(checked->targets, 2);  // the Patient and the EpisodeOfCare
  EXPECT_NE(checked->signers.front().find("CN=localhost"), std::string::npos)
      << checked->signers.front();

  // ...and as a peer's operator would, with the command line.
  std::ofstream(data.file("sent.json")) << sent;
  auto ok =
      runBrygga("verify-provenance " + data.file("sent.json") + " --ca " + certsDir() + "/ca.crt");
  EXPECT_EQ(ok.exitCode, 0) << ok.output;
  EXPECT_NE(ok.output.find(": valid: 1 signature over 2 resources"), std::string::npos)
      << ok.output;
  std::string changed = sent;
  changed[changed.find("Tolvansson") + 3] = 'W';
  std::ofstream(data.file("changed.json")) << changed;
  auto bad = runBrygga("verify-provenance " + data.file("changed.json") + " --ca " + certsDir() +
                       "/ca.crt");
  EXPECT_EQ(bad.exitCode, 65) << bad.output;
  EXPECT_NE(bad.output.find("INVALID"), std::string::npos) << bad.output;

  // An entry slipped into the Bundle beside the signed ones is not vouched for.
  std::string added = sent;
  added.insert(added.find("[") + 1,
               R"({"fullUrl":"urn:uuid:0b1e0000-0000-4000-8000-0000000000ff","resource":)"
               R"({"resourceType":"Observation","status":"final","code":{"text":"x"}},)"
               R"("request":{"method":"POST","url":"Observation"}},)");
  std::ofstream(data.file("added.json")) << added;
  auto uncovered =
      runBrygga("verify-provenance " + data.file("added.json") + " --ca " + certsDir() + "/ca.crt");
  EXPECT_EQ(uncovered.exitCode, 65) << uncovered.output;
  EXPECT_NE(uncovered.output.find("is not covered by a signature"), std::string::npos)
      << uncovered.output;
}

TEST(ProvenanceFlow, VerifyProvenanceTrustsOnlyAConfiguredCa) {
  TestPeer peer;
  TempDir data;
  GatewayHarness harness(&peer, data.path());
  harness.start();
  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  ASSERT_EQ(peer.waitForRequests(1, 10000), 1u);
  std::ofstream(data.file("sent.json")) << peer.requests().front().body;

  // Without a CA the certificate in the Bundle would vouch for itself: refused, naming both ways.
  auto none = runBrygga("verify-provenance " + data.file("sent.json"));
  EXPECT_EQ(none.exitCode, 78) << none.output;
  EXPECT_NE(none.output.find("--ca"), std::string::npos) << none.output;
  EXPECT_NE(none.output.find("audit.provenanceTrustFile"), std::string::npos) << none.output;

  // The CA named in the config.
  std::ofstream(data.file("verify.json"))
      << R"({"audit":{"provenanceTrustFile":")" << certsDir() << R"(/ca.crt"}})";
  auto configured = runBrygga("verify-provenance " + data.file("sent.json") + " --config " +
                              data.file("verify.json"));
  EXPECT_EQ(configured.exitCode, 0) << configured.output;
  EXPECT_NE(configured.output.find(": valid: 1 signature"), std::string::npos) << configured.output;

  // Another CA (the dev certificates' unrelated one) does not vouch for the gateway's key.
  auto other = runBrygga("verify-provenance " + data.file("sent.json") + " --ca " + certsDir() +
                         "/untrusted-ca.crt");
  EXPECT_EQ(other.exitCode, 65) << other.output;
  EXPECT_NE(other.output.find("does not chain"), std::string::npos) << other.output;
}

}  // namespace
}  // namespace brygga::testing
