// The backends of the store contract suite (store_fixture.h).
#include "tests/unit/store/store_fixture.h"

namespace brygga::store {

namespace {

class SqliteBackend final : public StoreBackend {
 public:
  std::unique_ptr<Store> open() override {
    SqliteOptions options;
    options.path = dir_.file("brygga.db");
    options.readConnections = 2;
    auto opened = openSqliteStore(options);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    return opened.isOk() ? std::move(opened).value() : nullptr;
  }

 private:
  brygga::testing::TempDir dir_;
};

}  // namespace

std::vector<std::string> storeBackendNames() {
  return {"sqlite"};
}

std::unique_ptr<StoreBackend> makeStoreBackend(const std::string& name) {
  if (name == "sqlite") return std::make_unique<SqliteBackend>();
  ADD_FAILURE() << "no store backend " << name;
  return nullptr;
}

std::string backendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

BRYGGA_STORE_CONTRACT(StoreTest);

}  // namespace brygga::store
