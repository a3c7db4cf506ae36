// Backup and restore with the real binary (issue 15): a backup taken while the gateway accepts
// enrollments holds every one acknowledged before it began, restores into a data dir that serves
// again, and its audit log verifies; restore refuses while a gateway serves.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "tests/integration/delivery_peer.h"
#include "tests/integration/harness.h"
#include "tests/integration/process.h"

namespace brygga::testing {
namespace {

constexpr int kWaitMs = 30000;

// The EpisodeOfCare identifiers stored in the database at `path`.
std::set<std::string> episodesIn(const std::string& path) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session session("SQLite", path);
  std::vector<std::string> values;
  session << "SELECT s.value FROM search_index s JOIN resource_current c"
             " ON c.type = s.type AND c.id = s.id"
             " WHERE s.type = 'EpisodeOfCare' AND s.param = 'identifier' AND c.deleted = 0",
      Poco::Data::Keywords::into(values), Poco::Data::Keywords::now;
  return {values.begin(), values.end()};
}

TEST(Backup, ABackupUnderLoadHoldsEveryAcknowledgedMessageAndRestoresToAVerifiedLog) {
  DeliveryPeer peer;
  peer.start();
  TempDir dir;
  const std::string config = writeServeConfig(dir, peer.baseUrl());
  ServeProcess serving = startServe(config, dir.file("gateway.log"));
  ASSERT_GT(serving.port, 0);
  KeepSending senders("http://127.0.0.1:" + std::to_string(serving.port) + "/fhir", 700, 8);
  ASSERT_TRUE(waitUntil([&] { return senders.count() >= 200; }, kWaitMs));

  // Taken while the senders go on: what was acknowledged before it began must be in it.
  const std::set<std::string> before = senders.acknowledged();
  auto backup =
      runBrygga("backup --config " + config + " --out " + dir.file("backup.db") + " 2>&1");
  const size_t during = senders.count();
  EXPECT_EQ(backup.exitCode, 0) << backup.output;
  EXPECT_NE(backup.output.find("100 %"), std::string::npos) << backup.output;
  // A second backup never overwrites the first.
  EXPECT_EQ(runBrygga("backup --config " + config + " --out " + dir.file("backup.db")).exitCode,
            73);
  // The gateway serves on: restoring over its data dir is refused.
  auto busy = runBrygga("restore --config " + config + " --from " + dir.file("backup.db") +
                        " --force 2>&1");
  EXPECT_EQ(busy.exitCode, 75) << busy.output;
  ASSERT_TRUE(waitUntil([&] { return senders.count() > during; }, kWaitMs));
  senders.stop();
  EXPECT_TRUE(stopServe(serving, SIGTERM));

  // Restored into a new data dir: every message acknowledged before the backup, an audit log
  // that verifies, and a gateway that serves on it.
  const std::string restoredDir = dir.file("restored");
  auto restored =
      runBrygga("restore --data-dir " + restoredDir + " --from " + dir.file("backup.db") + " 2>&1");
  ASSERT_EQ(restored.exitCode, 0) << restored.output;
  const std::set<std::string> episodes = episodesIn(restoredDir + "/brygga.db");
  for (const std::string& episode : before) EXPECT_TRUE(episodes.count(episode)) << episode;
  auto verified =
      runBrygga("audit verify --data-dir " + restoredDir + " --config " + config + " 2>&1");
  EXPECT_EQ(verified.exitCode, 0) << verified.output;
  EXPECT_NE(verified.output.find("intact"), std::string::npos) << verified.output;
  EXPECT_NE(verified.output.find("brygga audit verify: 100 % ("), std::string::npos)
      << verified.output;  // progress on stderr
  // Restoring again over it needs --force.
  EXPECT_EQ(
      runBrygga("restore --data-dir " + restoredDir + " --from " + dir.file("backup.db")).exitCode,
      73);
}

TEST(Backup, ARestoreRefusesWhatIsNotASoundBryggaDatabase) {
  TempDir dir;
  std::ofstream(dir.file("junk.db")) << "not a database";
  auto junk = runBrygga("restore --data-dir " + dir.file("data") + " --from " +
                        dir.file("junk.db") + " 2>&1");
  EXPECT_EQ(junk.exitCode, 65) << junk.output;
  EXPECT_NE(junk.output.find("not a sound database"), std::string::npos) << junk.output;
  EXPECT_EQ(
      runBrygga("restore --data-dir " + dir.file("data") + " --from " + dir.file("missing.db"))
          .exitCode,
      66);
  EXPECT_EQ(runBrygga("restore --data-dir " + dir.file("data")).exitCode, 64);
  EXPECT_EQ(
      runBrygga("backup --data-dir " + dir.file("nothing") + " --out " + dir.file("b.db")).exitCode,
      66);
}

}  // namespace
}  // namespace brygga::testing
