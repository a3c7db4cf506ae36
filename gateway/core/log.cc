#include "gateway/core/log.h"

#include <cstdio>

#include "gateway/core/civil_time.h"
#include "gateway/core/time_source.h"

namespace brygga::core {

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  appendJsonEscaped(out, text);
  out += '"';
}

void appendJsonEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

void Logger::log(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (level < min_) return;
  static const char* kNames[] = {"debug", "info", "warn", "error"};
  std::string line = "{\"time\":\"" + formatInstant(RealTimeSystem().nowMs()) + "\",\"level\":\"" +
                     kNames[static_cast<int>(level)] + "\",\"event\":\"";
  appendJsonEscaped(line, event);
  line += '"';
  for (const auto& [key, value] : fields) {
    line += ",\"";
    appendJsonEscaped(line, key);
    line += "\":\"";
    appendJsonEscaped(line, value);
    line += '"';
  }
  line += "}\n";
  std::lock_guard lock(mutex_);
  out_ << line << std::flush;
}

}  // namespace brygga::core
