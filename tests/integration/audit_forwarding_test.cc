// Audit forwarding, the witness push, key rotation and the requesting user's HSA-id through the
// real gateway: syslog over TLS to a fake Audit Record Repository (OpenSSL, the dev
// certificates) that is down, comes up, goes down and comes back; FHIR AuditEvent POSTs to a
// TestPeer that refuses at first; checkpoints pushed to a TestPeer witness; refused logins and
// certificates in the audit log.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>

#include "gateway/audit/audit_forwarder.h"
#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/audit/audit_verifier.h"
#include "gateway/audit/fhir_audit_sink.h"
#include "gateway/audit/merkle.h"
#include "gateway/audit/signed_note.h"
#include "gateway/audit/syslog_sink.h"
#include "gateway/core/digest.h"
#include "gateway/store/sqlite_store.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/audit_records.h"
#include "tests/support/fake_syslog_server.h"

namespace brygga::testing {
namespace {

// A port nothing listens on (yet).
int freePort() {
  FakeSyslogServer probe(certsDir());
  const int port = probe.port();
  probe.stop();
  return port;
}

// The seq in a message's [meta sequenceId="N"], and its MSG after the BOM.
int64_t sequenceIdOf(const std::string& message) {
  const std::string key = "[meta sequenceId=\"";
  const size_t at = message.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(message.substr(at + key.size()));
}
std::string msgOf(const std::string& message) {
  const size_t bom = message.find("\xEF\xBB\xBF");
  return bom == std::string::npos ? std::string() : message.substr(bom + 3);
}

std::vector<store::AuditRecord> allRecords(store::Store& store) {
  auto records = store.auditLog().auditRecords(1, 1 << 30);
  EXPECT_TRUE(records.isOk());
  return *records;
}

void configureSyslog(app::GatewayConfig& config, int port) {
  auto& f = config.audit.forward;
  f.syslog.host = "127.0.0.1";
  f.syslog.port = port;
  f.syslog.serverName = "localhost";
  f.syslog.caFile = certsDir() + "/ca.crt";
  f.syslog.clientCertificateFile = certsDir() + "/integration.crt";
  f.syslog.clientKeyFile = certsDir() + "/integration.key";
  f.syslog.hostname = "gw-test";
  f.syslog.connectTimeoutMs = 500;
  f.pollIntervalMs = 20;
  f.retryBaseMs = 30;
  f.retryMaxMs = 150;
}

// Every record once, in seq order, byte for byte.
void expectExactlyTheLog(const std::vector<std::string>& messages,
                         const std::vector<store::AuditRecord>& records) {
  ASSERT_EQ(messages.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(sequenceIdOf(messages[i]), records[i].seq) << "message " << i;
    EXPECT_EQ(msgOf(messages[i]), records[i].json) << "message " << i;
    EXPECT_NE(messages[i].find(" gw-test brygga "), std::string::npos);
  }
}

TEST(AuditForwardingTest, SyslogOverTlsLosesNothingWhileTheRepositoryIsDownOrTheGatewayRestarts) {
  const int port = freePort();
  TempDir data;
  GatewayHarness harness(nullptr, data.path());
  configureSyslog(harness.config(), port);
  harness.start();
  // The repository is down: the records wait in the audit table.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(harness.call("region", "GET", "/Patient").status, 200);
  auto& forwarder = *harness.gateway().auditForwarders().front();
  EXPECT_TRUE(waitUntil([&] { return forwarder.stats().failures >= 1; }));
  EXPECT_EQ(forwarder.stats().cursor, 0);

  {
    FakeSyslogServer arr(certsDir(), port);  // up
    waitUntil([&] { return forwarder.stats().cursor >= 10; }, 10000);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(harness.call("region", "GET", "/Patient").status, 200);
    const size_t total = allRecords(harness.gateway().store()).size();
    arr.waitFor(total, 10000);
    EXPECT_EQ(arr.framingErrors(), 0);
    expectExactlyTheLog(arr.messages(), allRecords(harness.gateway().store()));
  }  // down again; the open connection breaks
  for (int i = 0; i < 5; ++i) ASSERT_EQ(harness.call("region", "GET", "/Patient").status, 200);
  harness.stop();  // and the gateway restarts meanwhile
  harness.start();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(harness.call("region", "GET", "/Patient").status, 200);

  FakeSyslogServer arr(certsDir(), port);  // up again: the rest, from the durable cursor
  auto records = allRecords(harness.gateway().store());
  const int64_t before = records.front().seq;
  EXPECT_EQ(before, 1);
  auto& again = *harness.gateway().auditForwarders().front();
  waitUntil([&] { return again.stats().cursor >= records.back().seq; }, 10000);
  records = allRecords(harness.gateway().store());
  // The first server got 1..15; this one the rest, each once.
  std::vector<store::AuditRecord> rest(records.begin() + 15, records.end());
  arr.waitFor(rest.size(), 10000);
  expectExactlyTheLog(arr.messages(), rest);
}

TEST(AuditForwardingTest, FhirAuditEventPostsAreRetriedUntilTheRepositoryTakesThem) {
  TestPeer arr;
  std::atomic<int> calls{0};
  arr.setHandler([&](const TestPeer::Request&) {
    TestPeer::Response r;
    r.status = ++calls <= 3 ? 503 : 201;
    return r;
  });
  GatewayHarness harness(nullptr);
  auto& f = harness.config().audit.forward;
  f.fhir.baseUrl = arr.baseUrl();
  f.fhir.timeoutMs = 5000;
  f.pollIntervalMs = 20;
  f.retryBaseMs = 20;
  f.retryMaxMs = 100;
  harness.start();
  for (int i = 0; i < 8; ++i) ASSERT_EQ(harness.call("varberg", "GET", "/Patient").status, 200);
  auto& forwarder = *harness.gateway().auditForwarders().front();
  waitUntil([&] { return forwarder.stats().cursor >= 8; }, 10000);
  const auto records = allRecords(harness.gateway().store());
  ASSERT_GE(records.size(), 8u);
  waitUntil([&] { return forwarder.stats().cursor >= records.back().seq; }, 10000);
  // Accepted POSTs: every record once, in order (the refused ones were the first record, again).
  std::vector<TestPeer::Request> accepted;
  const auto requests = arr.requests();
  for (size_t i = 3; i < requests.size(); ++i) accepted.push_back(requests[i]);
  ASSERT_GE(accepted.size(), records.size());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(requests[i].headers.at("x-brygga-audit-seq"), "1");
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(accepted[i].uri, "/fhir/AuditEvent");
    EXPECT_EQ(accepted[i].body, records[i].json);
  }

  // The operators' view: the sink, its cursor and the failed passes (integration role only).
  const std::string url =
      "http://127.0.0.1:" + std::to_string(harness.gateway().httpPort()) + "/audit/forwarding";
  EXPECT_EQ(httpCall("GET", url).status, 401);
  const HttpAnswer status =
      httpCall("GET", url, "", {{"Authorization", "Bearer " + tokenOf("integration")}});
  ASSERT_EQ(status.status, 200) << status.body;
  auto doc = parse(status.body);
  ASSERT_EQ(doc["sinks"].Size(), 1u);
  EXPECT_EQ(std::string(doc["sinks"][0]["sink"].GetString()), "fhir");
  EXPECT_GE(doc["sinks"][0]["cursor"].GetInt64(), records.back().seq);
  EXPECT_GE(doc["sinks"][0]["failedPasses"].GetInt64(), 3);
}

// --- Witness ---------------------------------------------------------------------------------

struct WitnessBody {
  uint64_t oldSize = 0;
  std::vector<audit::merkle::Hash> proof;
  std::string note;
};

WitnessBody parseWitnessBody(const std::string& body) {
  WitnessBody out;
  size_t pos = body.find('\n');
  out.oldSize = std::stoull(body.substr(4, pos - 4));
  for (;;) {
    const size_t next = body.find('\n', pos + 1);
    const std::string line = body.substr(pos + 1, next - pos - 1);
    pos = next;
    if (line.empty()) break;
    out.proof.push_back(*audit::merkle::fromBase64(line));
  }
  out.note = body.substr(pos + 1);
  return out;
}

TEST(AuditWitnessTest, EveryCheckpointReachesTheWitnessWithAProofFromTheLastOne) {
  TestPeer witness;
  witness.setHandler([](const TestPeer::Request&) {
    TestPeer::Response r;
    r.body = "\xE2\x80\x94 witness.test AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
    return r;
  });
  GatewayHarness harness(nullptr);
  harness.config().audit.witness.endpoint.baseUrl =
      "http://127.0.0.1:" + std::to_string(witness.port()) + "/witness";
  harness.config().audit.witness.retryIntervalMs = 100;
  harness.config().audit.checkpointEveryRecords = 4;
  harness.config().audit.checkpointIntervalMs = 100;
  harness.start();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) ASSERT_EQ(harness.call("region", "GET", "/Patient").status, 200);
    const size_t seen = witness.requestCount();
    witness.waitForRequests(seen + 1, 5000);
  }
  harness.gateway().checkpointer().runOnce();
  auto latest = harness.gateway().store().auditLog().latestAuditCheckpoint();
  ASSERT_TRUE(latest.isOk() && latest->has_value());
  waitUntil(
      [&] {
        return harness.gateway().witnessPusher()->state().witnessedSize == (*latest)->treeSize;
      },
      5000);

  const auto requests = witness.requests();
  ASSERT_GE(requests.size(), 2u);
  const audit::NoteVerifier key = harness.gateway().auditLog().verifier();
  const std::string origin = harness.gateway().auditLog().origin();
  uint64_t previousSize = 0;
  audit::merkle::Hash previousRoot{};
  for (const auto& request : requests) {
    EXPECT_EQ(request.uri, "/witness/add-checkpoint");
    const WitnessBody body = parseWitnessBody(request.body);
    auto checkpoint = audit::openCheckpoint(body.note, key, origin);
    ASSERT_TRUE(checkpoint.isOk()) << checkpoint.status().toString();
    EXPECT_EQ(body.oldSize, previousSize);  // the witness always hears from where it is
    if (previousSize > 0) {
      EXPECT_TRUE(audit::merkle::verifyConsistency(previousSize, checkpoint->size, previousRoot,
                                                   checkpoint->root, body.proof));
    }
    previousSize = checkpoint->size;
    previousRoot = checkpoint->root;
  }
  const HttpAnswer answer = httpCall(
      "GET", "http://127.0.0.1:" + std::to_string(harness.gateway().httpPort()) + "/audit/witness");
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto doc = parse(answer.body);
  EXPECT_EQ(doc["witnessedSize"].GetInt64(), (*latest)->treeSize);
  EXPECT_NE(std::string(doc["cosignatures"].GetString()).find("witness.test"), std::string::npos);
}

// --- Key rotation with the gateway running -----------------------------------------------------

TEST(AuditKeyRotationTest, TheRunningGatewaySignsWithTheNewKeyAndVerifyPassesAcrossIt) {
  TempDir data;
  GatewayHarness harness(nullptr, data.path());
  harness.start();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(harness.call("region", "GET", "/Patient").status, 200);
  harness.gateway().checkpointer().runOnce();
  ASSERT_TRUE(harness.gateway().auditLog().checkpoint().isOk());
  const std::string oldVkey = harness.gateway().auditLog().verifier().vkey();

  core::RealTimeSystem clock;
  const std::string keyFile = app::auditSigningKeyFile(harness.config());
  auto rotated = audit::rotateSigningKey(harness.gateway().store(),
                                         harness.gateway().auditLog().origin(), keyFile, clock);
  ASSERT_TRUE(rotated.isOk()) << rotated.status().toString();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(harness.call("region", "GET", "/Patient").status, 200);
  auto made = harness.gateway().auditLog().checkpoint();
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  EXPECT_EQ(harness.gateway().auditLog().verifier().vkey(), rotated->newVkey);

  // GET /audit/key lists both keys and the note that hands over.
  const HttpAnswer key = httpCall(
      "GET", "http://127.0.0.1:" + std::to_string(harness.gateway().httpPort()) + "/audit/key");
  ASSERT_EQ(key.status, 200);
  auto doc = parse(key.body);
  ASSERT_TRUE(doc["keys"].IsArray());
  ASSERT_EQ(doc["keys"].Size(), 2u);
  EXPECT_EQ(std::string(doc["keys"][0]["vkey"].GetString()), oldVkey);
  EXPECT_EQ(std::string(doc["vkey"].GetString()), rotated->newVkey);
  harness.stop();

  // `brygga audit verify` on the data dir, from the old key and (by default) the new one.
  auto oldKeyFile = data.file("old.vkey");
  FILE* out = std::fopen(oldKeyFile.c_str(), "w");
  std::fputs(oldVkey.c_str(), out);
  std::fclose(out);
  for (const std::string& extra : {std::string(), " --key " + oldKeyFile}) {
    const std::string command =
        std::string(BRYGGA_BIN) + " audit verify --data-dir " + data.path() + extra + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    std::string text;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe) != nullptr) text += buf;
    EXPECT_EQ(pclose(pipe), 0) << text;
    EXPECT_NE(text.find("audit log intact"), std::string::npos) << text;
  }
}

// --- The requesting user, and refused logins ----------------------------------------------------

rapidjson::Document lastEvent(store::Store& store) {
  const auto records = allRecords(store);
  return parse(records.back().json);
}

std::string userHsaIdOf(const rapidjson::Document& event) {
  for (const auto& agent : event["agent"].GetArray()) {
    if (agent.HasMember("who") && agent["who"].HasMember("identifier")) {
      const auto& id = agent["who"]["identifier"];
      if (std::string(id["system"].GetString()) == "urn:oid:1.2.752.29.6.2.1") {
        return id["value"].GetString();
      }
    }
  }
  return {};
}

TEST(AuditUserTest, TheUsersHsaIdComesOnlyFromClientsAllowedToNameThem) {
  GatewayHarness harness(nullptr);
  for (auto& client : harness.config().clients) client.mayAssertUser = client.id == "region";
  harness.start();
  const std::string user = "SE2321000131-E000000000001";
  store::Store& store = harness.gateway().store();

  auto named = harness.call("region", "GET", "/Patient", "", {{"X-Brygga-User-HSA-Id", user}});
  EXPECT_EQ(named.status, 200);
  EXPECT_EQ(userHsaIdOf(lastEvent(store)), user);

  auto notAllowed =
      harness.call("kungsbacka", "GET", "/Patient", "", {{"X-Brygga-User-HSA-Id", user}});
  EXPECT_EQ(notAllowed.status, 400);
  auto refused = lastEvent(store);
  EXPECT_EQ(std::string(refused["outcome"].GetString()), "4");  // the refusal is audited
  EXPECT_EQ(userHsaIdOf(refused), "");                          // with no user nobody vouched for
  EXPECT_NE(notAllowed.body.find("mayAssertUser"), std::string::npos);

  auto malformed =
      harness.call("region", "GET", "/Patient", "", {{"X-Brygga-User-HSA-Id", "191212121212"}});
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("not a valid HSA-id"), std::string::npos);

  auto plain = harness.call("region", "GET", "/Patient");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(userHsaIdOf(lastEvent(store)), "");
}

// Refused logins are counted per source address and window (server.failedAuthWindowMs) and
// written as one record when the window closes, or at stop.
TEST(AuditLoginTest, ARefusedTokenOnTheAuditEndpointsIsALoginEventToo) {
  GatewayHarness harness(nullptr);
  harness.start();
  store::Store& store = harness.gateway().store();
  const std::string root = "http://127.0.0.1:" + std::to_string(harness.gateway().httpPort());

  auto wrong = httpCall("GET", root + "/audit/records/1", "",
                        {{"Authorization", "Bearer not-a-real-token"}});
  EXPECT_EQ(wrong.status, 401);
  harness.gateway().stop();
  const std::string event = allRecords(store).back().json;
  EXPECT_NE(event.find("\"110122\""), std::string::npos) << event;  // DICOM Login
  EXPECT_NE(event.find("bearer token sha256:"), std::string::npos) << event;
  EXPECT_NE(event.find("1 refused login from 127.0.0.1"), std::string::npos) << event;
}

TEST(AuditLoginTest, RefusedTokensAndCertificatesAreAuditedOncePerSourceAndWindow) {
  GatewayHarness harness(nullptr);
  harness.config().server.failedAuthWindowMs = 200;
  harness.start();
  store::Store& store = harness.gateway().store();
  const size_t before = allRecords(store).size();

  for (int i = 0; i < 3; ++i) {
    auto wrong = httpCall("GET", harness.base() + "/Patient", "",
                          {{"Authorization", "Bearer not-a-real-token"}});
    EXPECT_EQ(wrong.status, 401);
  }
  // A certificate from another CA never becomes a request: the handshake fails.
  bool refused = false;
  try {
    Poco::Net::Context::Params p;
    p.caLocation = certsDir() + "/ca.crt";
    p.certificateFile = certsDir() + "/untrusted-client.crt";
    p.privateKeyFile = certsDir() + "/untrusted-client.key";
    p.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    p.loadDefaultCAs = false;
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
    Poco::Net::HTTPSClientSession session(
        "localhost", static_cast<Poco::UInt16>(harness.gateway().httpsPort()), ctx);
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req("GET", "/fhir/Patient", Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    session.receiveResponse(resp);
  } catch (const Poco::Exception&) {
    refused = true;
  }
  EXPECT_TRUE(refused);
  // The window closes 200 ms after the first refusal; its record follows.
  waitUntil([&] { return allRecords(store).size() > before; }, 5000);
  const auto records = allRecords(store);
  ASSERT_GT(records.size(), before);
  std::string events;
  for (size_t i = before; i < records.size(); ++i) events += records[i].json + "\n";
  EXPECT_NE(events.find("bearer token sha256:"), std::string::npos) << events;
  EXPECT_EQ(events.find("not-a-real-token"), std::string::npos);  // never the token
  harness.gateway().stop();
  events.clear();
  for (const auto& record : allRecords(store)) events += record.json + "\n";
  EXPECT_NE(events.find("certificate subject CN=intruder"), std::string::npos) << events;
  EXPECT_NE(events.find("\"outcome\":\"4\""), std::string::npos) << events;
  // Four refusals from one address: at most one record per window, however many there were.
  EXPECT_LE(allRecords(store).size(), before + 2);
}

// --- Volume (the rates are measured by bench/audit_forwarding_bench.cc) ------------------------

TEST(AuditForwardingVolumeTest, TwentyThousandRecordsReachTheSyslogRepositoryOnceEachInSeqOrder) {
  TempDir data;
  constexpr int kRecords = 20000;
  auto store = storeWithAuditRecords(data, kRecords, 1000, searchAuditEvent);
  ASSERT_NE(store, nullptr);
  FakeSyslogServer arr(certsDir());
  app::GatewayConfig config;
  configureSyslog(config, arr.port());
  auto sink = audit::SyslogTlsSink::create(config.audit.forward.syslog);
  ASSERT_TRUE(sink.isOk()) << sink.status().toString();
  std::ostringstream logText;
  core::Logger logger(logText);
  core::RealTimeSystem clock;
  audit::ForwarderOptions fo;
  fo.batchSize = 500;
  audit::AuditForwarder forwarder(*store, std::move(sink).value(), fo, clock, logger);
  auto sent = forwarder.runOnce();
  ASSERT_TRUE(sent.isOk()) << sent.status().toString();
  EXPECT_EQ(*sent, kRecords);
  arr.waitFor(kRecords, 30000);
  EXPECT_EQ(arr.framingErrors(), 0);
  expectExactlyTheLog(arr.messages(), allRecords(*store));
}

TEST(AuditForwardingVolumeTest, TheFhirSinkPostsEachOfTwoThousandRecordsOnceInSeqOrder) {
  TempDir data;
  constexpr int kRecords = 2000;
  auto store = storeWithAuditRecords(data, kRecords, kRecords, readAuditEvent);
  ASSERT_NE(store, nullptr);
  TestPeer arr;
  std::ostringstream logText;
  core::Logger logger(logText);
  core::RealTimeSystem clock;
  audit::ForwarderOptions fo;
  fo.batchSize = 100;
  audit::AuditForwarder forwarder(*store, fhirSinkTakingEverything(arr), fo, clock, logger);
  auto sent = forwarder.runOnce();
  ASSERT_TRUE(sent.isOk()) << sent.status().toString();
  EXPECT_EQ(*sent, kRecords);
  const std::vector<TestPeer::Request> posts = arr.requests();
  ASSERT_EQ(posts.size(), static_cast<size_t>(kRecords));
  for (size_t i = 0; i < posts.size(); ++i) {
    auto seq = posts[i].headers.find("x-brygga-audit-seq");
    ASSERT_NE(seq, posts[i].headers.end()) << "request " << i;
    EXPECT_EQ(seq->second, std::to_string(i + 1)) << "request " << i;
  }
}

// --- Configuration -----------------------------------------------------------------------------

TEST(AuditForwardingConfigTest, TheNewKeysAreReadAndChecked) {
  auto config = app::parseConfig(R"({"audit":{
      "forward":{"syslog":{"host":"arr.example","port":6514,"caFile":"/etc/arr-ca.pem",
                            "clientCertificateFile":"/etc/c.pem","clientKeyFile":"/etc/c.key"},
                 "fhir":{"baseUrl":"https://arr.example/fhir","timeoutMs":3000},
                 "batchSize":50,"retryMaxMs":30000},
      "witness":{"url":"https://witness.example","retryIntervalMs":5000}},
    "clients":[{"id":"cosmic","tenant":"region","role":"regional","tokenSha256":
      "580d28aa2fb9ee7836eab3294c802eee57ef8e890fcdaee71443e469663c617a","mayAssertUser":true}]})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->audit.forward.syslog.host, "arr.example");
  EXPECT_EQ(config->audit.forward.fhir.baseUrl, "https://arr.example/fhir");
  EXPECT_EQ(config->audit.forward.batchSize, 50);
  EXPECT_EQ(config->audit.witness.endpoint.baseUrl, "https://witness.example");
  EXPECT_TRUE(config->clients[0].mayAssertUser);

  const std::pair<const char*, const char*> bad[] = {
      {R"({"audit":{"forward":{"syslog":{"host":"arr.example"}}}})", "caFile is required"},
      {R"({"audit":{"forward":{"syslog":{"host":"a","caFile":"c","clientKeyFile":"k"}}}})",
       "both clientCertificateFile and clientKeyFile"},
      {R"({"audit":{"forward":{"fhir":{"baseUrl":"ftp://x"}}}})", "http:// or https://"},
      {R"({"audit":{"forward":{"retryBaseMs":5000,"retryMaxMs":1000}}})", "retryBaseMs"},
      {R"({"audit":{"forward":{"sylog":{}}}})", "audit.forward.sylog is not a known key"},
      {R"({"audit":{"witness":{"retryIntervalMs":5}}})", "audit.witness.url is required"},
      {R"({"audit":{"witness":{"url":"https://w.example","vkey":"w.example+00000000+AAAA"}}})",
       "audit.witness.vkey"},
      {R"({"clients":[{"id":"x","tenant":"x","role":"regional","tokenSha256":
          "580d28aa2fb9ee7836eab3294c802eee57ef8e890fcdaee71443e469663c617a",
          "mayAssertUser":"yes"}]})",
       "mayAssertUser must be true or false"},
  };
  for (const auto& [json, message] : bad) {
    auto parsed = app::parseConfig(json);
    ASSERT_FALSE(parsed.isOk()) << json;
    EXPECT_NE(parsed.status().message().find(message), std::string::npos)
        << parsed.status().message();
  }
}

}  // namespace
}  // namespace brygga::testing
