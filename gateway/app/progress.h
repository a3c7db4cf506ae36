#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace brygga::app {

// Progress of long CLI work on stderr, one line per tenth done and one at the end:
// "brygga backup: 40 % (7240 of 18100 pages)".
class ProgressLines {
 public:
  ProgressLines(std::ostream& err, std::string what, std::string unit)
      : err_(err), what_(std::move(what)), unit_(std::move(unit)) {}

  void operator()(int64_t done, int64_t total) {
    const int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
    if (percent / 10 == lastPercent_ / 10 && percent != 100) return;
    if (percent == 100 && lastPercent_ == 100) return;
    lastPercent_ = percent;
    err_ << "brygga " << what_ << ": " << percent << " % (" << done << " of " << total << " "
         << unit_ << ")\n";
  }

 private:
  std::ostream& err_;
  const std::string what_;
  const std::string unit_;
  int lastPercent_ = -10;
};

}  // namespace brygga::app
