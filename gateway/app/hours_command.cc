#include "gateway/app/hours_command.h"

#include "gateway/core/civil_time.h"
#include "gateway/flows/mapping_registry.h"
#include "mappings/mapping_set.h"
#include "mappings/service_hours.h"

namespace brygga::app {

namespace {

constexpr int kOk = 0;
constexpr int kUsage = 64;
constexpr int kConfig = 78;

}  // namespace

int hoursCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                 std::ostream& out, std::ostream& err) {
  auto at = flags.find("at");
  if (at == flags.end()) {
    err << "brygga hours: give the day or time to ask about: --at 2026-12-24 (the whole day), "
           "--at 2026-06-19T10:00 (Stockholm time) or --at 2026-06-19T10:00:00+02:00\n";
    return kUsage;
  }
  // A date alone asks about the whole day: the service's hours are one window a day, so the
  // answer at its opening time is the day's (open during those hours, or closed and why).
  const bool wholeDay = at->second.size() == 10;
  const auto day = wholeDay ? core::parseIsoDate(at->second)
                            : core::StatusOr<core::CivilDate>(core::CivilDate{});
  auto when = wholeDay ? core::StatusOr<int64_t>(0) : mappings::parseTimeArgument(at->second);
  if (!day.isOk() || !when.isOk()) {
    err << "brygga hours: "
        << (wholeDay ? "--at: " + day.status().message() + " (a day is 2026-12-24)"
                     : when.status().message())
        << "\n";
    return kUsage;
  }
  const std::string directory = flows::mappingsDirectory(config.mappings);
  auto files = flows::readMappingFiles(directory);
  if (!files.isOk()) {
    err << "brygga hours: " << files.status().message() << "\n";
    return kConfig;
  }
  auto set = mappings::MappingSet::parse(std::move(files).value());
  if (!set.isOk()) {
    err << "brygga hours: " << set.status().message() << "\n";
    return kConfig;
  }
  std::string code;
  std::string name;
  if (auto sp = flags.find("service-point"); sp != flags.end()) {
    const mappings::ServicePoint* point = (*set)->routing().servicePoint(sp->second);
    if (point == nullptr) {
      std::string known;
      for (const auto& p : (*set)->routing().servicePoints()) {
        known += (known.empty() ? "" : ", ") + p.name;
      }
      err << "brygga hours: unknown service point '" << sp->second << "' (known: " << known
          << ")\n";
      return kUsage;
    }
    code = point->code;
    name = point->name;
  }
  if (wholeDay) when = core::fromStockholm(*day, (*set)->hours().rules(code).openMinute);
  const mappings::HoursVerdict verdict = (*set)->hours().at(*when, code);
  out << verdict.text() << "\n";
  if (wholeDay) {
    out << "day: " << day->iso() << " (" << core::weekdayName(core::isoWeekday(*day))
        << "), the whole day: the answer at its opening time, "
        << core::formatStockholmForPeople(*when) << "\n";
  } else {
    out << "time: " << core::formatStockholmForPeople(*when) << " (Europe/Stockholm)\n";
  }
  out << "service point: " << (name.empty() ? std::string("all (common calendar)") : name) << ", "
      << (*set)->hours().hoursText(code) << "\n";
  out << "mappings: " << (*set)->version() << " (" << directory << ")\n";
  return kOk;
}

}  // namespace brygga::app
