#include "gateway/app/service_notifier.h"

#include <gtest/gtest.h>

#include "tests/support/notify_socket.h"
#include "tests/support/test_support.h"

namespace brygga::app {
namespace {

using testing::notifyField;

// A status is one line of `systemctl status`: a newline in it must not start another assignment
// (a mapping error text could otherwise inject READY=1 or STOPPING=1).
TEST(ServiceNotifier, AStatusStaysOneAssignment) {
  testing::TempDir dir;
  testing::NotifySocket manager(dir.file("notify.sock"));
  ASSERT_FALSE(manager.address().empty());
  auto notifier = makeServiceNotifier(manager.address());
  ASSERT_TRUE(notifier.isOk()) << notifier.status().message();

  ASSERT_TRUE((*notifier)->status("reload failed:\nSTOPPING=1").isOk());
  const auto message = manager.receive(5000);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(*message, "STATUS=reload failed: STOPPING=1");
  EXPECT_FALSE(notifyField(*message, "STOPPING").has_value());
}

TEST(ServiceNotifier, WithoutASocketNothingIsSentAndNothingFails) {
  auto notifier = makeServiceNotifier("");
  ASSERT_TRUE(notifier.isOk());
  EXPECT_TRUE((*notifier)->ready("serving").isOk());
  EXPECT_TRUE((*notifier)->stopping("stopping").isOk());
}

TEST(ServiceNotifier, AnAddressThatIsNoSocketIsRefused) {
  EXPECT_FALSE(makeServiceNotifier("relative.sock").isOk());
  EXPECT_FALSE(makeServiceNotifier("/" + std::string(200, 'x')).isOk());
}

// Sending to a socket nobody holds fails, so serve can log why systemd saw no readiness.
TEST(ServiceNotifier, ASocketNobodyListensOnIsAnError) {
  testing::TempDir dir;
  auto notifier = makeServiceNotifier(dir.file("gone.sock"));
  ASSERT_TRUE(notifier.isOk());
  const core::Status sent = (*notifier)->ready("serving");
  EXPECT_EQ(sent.code(), core::StatusCode::kUnavailable) << sent.message();
}

}  // namespace
}  // namespace brygga::app
