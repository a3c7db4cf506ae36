#pragma once

#include <initializer_list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace brygga::core {

// Structured logging: one JSON object per line. Callers pass only non-PHI fields (ids, tenant,
// route, status, timing); never a personnummer or note text. Thread-safe.
class Logger {
 public:
  enum class Level { kDebug, kInfo, kWarn, kError };
  using Field = std::pair<std::string_view, std::string>;

  explicit Logger(std::ostream& out, Level minLevel = Level::kInfo) : out_(out), min_(minLevel) {}

  void log(Level level, std::string_view event, std::initializer_list<Field> fields = {});
  void info(std::string_view event, std::initializer_list<Field> fields = {}) {
    log(Level::kInfo, event, fields);
  }
  void warn(std::string_view event, std::initializer_list<Field> fields = {}) {
    log(Level::kWarn, event, fields);
  }
  void error(std::string_view event, std::initializer_list<Field> fields = {}) {
    log(Level::kError, event, fields);
  }

 private:
  std::ostream& out_;
  Level min_;
  std::mutex mutex_;
};

// Appends `text` to `out` as the inside of a JSON string (quotes not included): " and \ escaped,
// the control characters as \b \t \n \f \r or \u00xx (lower-case hex), every other byte as it
// is. This is the one escaping RFC 8785 (JCS) allows, so canonical JSON uses it too.
void appendJsonEscaped(std::string& out, std::string_view text);
// Appends `text` to `out` as a JSON string, quotes included.
void appendJsonString(std::string& out, std::string_view text);

}  // namespace brygga::core
