// libFuzzer target for the config loader: every key is checked, so no file, however wrong, may
// crash it, hang it or be half-applied; a refusal names what is wrong.
#include "gateway/app/config_loader.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace brygga;
  using fuzz::require;

  auto config = app::parseConfig(std::string(fuzz::asText(data, size)));
  if (!config.isOk()) {
    require(config.status().code() == core::StatusCode::kInvalidArgument);
    require(!config.status().message().empty());
    return 0;
  }
  const core::Status checked = app::checkConfig(*config);
  require(checked.isOk() || checked.code() == core::StatusCode::kInvalidArgument);
  return 0;
}
