#include "bench/traffic_year.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <random>
#include <set>

#include <rapidjson/document.h>

#include "gateway/core/civil_time.h"
#include "gateway/core/log.h"
#include "gateway/fhir/json.h"
#include "mappings/residence.h"

namespace brygga::traffic {

namespace {

using core::CivilDate;

constexpr const char* kPnr = "http://electronichealth.se/identifier/personnummer";
constexpr const char* kCosmic = "https://cosmic.regionhalland.se/vardkontakt";
constexpr const char* kIcd10 = "http://hl7.org/fhir/sid/icd-10";
constexpr const char* kSnomed = "http://snomed.info/sct";
constexpr int64_t kMinuteMs = 60000;

std::string q(std::string_view s) {
  std::string out = "\"";
  core::appendJsonEscaped(out, s);
  out += '"';
  return out;
}

int64_t at(const CivilDate& date, int minute) {
  return core::fromStockholm(date, minute);
}

std::string pnrReference(const std::string& pnr) {
  return R"({"identifier":{"system":")" + std::string(kPnr) + R"(","value":)" + q(pnr) + "}}";
}

std::string physician() {
  return R"({"type":"Practitioner","identifier":{"system":"urn:oid:1.2.752.29.6.2.1","value":"SE2321000115-P00000000001"},"display":"Läkare"})";
}

}  // namespace

struct YearScenario::Plan {
  Patient patient;
  CivilDate enrollDate;
  int enrollMinute = 600;
  std::optional<CivilDate> dischargeDate;  // discharged at 15:00
  std::string sp0, code0;                  // routing code; "home" | "short-term"
  std::optional<CivilDate> moveDate;       // moves at 11:00 to sp1/code1
  std::string sp1, code1;
  std::string moveFacility, moveFacilityName;
  struct Visit {
    CivilDate date;
    int minute;
    char modality;
    bool corrected = false;
  };
  std::vector<Visit> visits;
  struct Request {
    CivilDate date;
    int minute;
    bool acute = false;
    int outcome = 0;  // 0 open, 1 answered, 2 declined (within service hours only)
    int delayMinutes = 0;
  };
  std::vector<Request> requests;
  std::string conditionSystem, conditionCode;  // a diagnosis sent after the enrollment
  bool heartFailure = false;
  struct Admission {
    CivilDate startDate;
    int startMinute;
    CivilDate endDate;
    int endMinute;
  };
  std::vector<Admission> admissions;

  int64_t moveMs() const {
    return moveDate ? at(*moveDate, 660) : std::numeric_limits<int64_t>::max();
  }
  const std::string& servicePointAt(int64_t ms) const { return ms < moveMs() ? sp0 : sp1; }
};

YearScenario::YearScenario(std::shared_ptr<const mappings::MappingSet> mappings, uint64_t seed,
                           int year, int randomPatients)
    : mappings_(std::move(mappings)), year_(year) {
  generator_ =
      std::make_unique<Generator>(mappings_, seed, static_cast<int64_t>(seed * 7919 % 300000));
  for (int m = 1; m <= 12; ++m) expected_[m];
  build(seed, randomPatients);
}

void YearScenario::count(int month, const std::string& key, const std::string& servicePoint,
                         const std::string& municipality, bool stratified) {
  auto figures = expected_.find(month);
  if (figures == expected_.end()) return;  // outside the year
  ++figures->second[key];
  if (!stratified) return;
  const mappings::ServicePoint* sp = mappings_->routing().servicePoint(servicePoint);
  ++figures->second[key + "/service-point=" + (sp ? sp->followUpCode : "unknown")];
  ++figures->second[key + "/municipality=" + municipality];
}

void YearScenario::build(uint64_t seed, int randomPatients) {
  std::mt19937_64 rng(seed ^ 0x5eed);
  const auto uniform = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  const CivilDate jan1{year_, 1, 1};
  const auto day = [&](int offset) { return core::addDays(jan1, offset); };
  const auto residenceOf = [&](Plan& plan) {
    const Patient& p = plan.patient;
    mappings::Residence r;
    if (!p.facilityCode.empty()) {
      r.kind = mappings::Residence::Kind::kFacility;
      r.facility = p.facilityCode;
    } else {
      r.kind = mappings::Residence::Kind::kHome;
      r.area = p.area;
    }
    auto sp = mappings::responsibleServicePoint(mappings_->routing(), p.tenant, r);
    plan.sp0 = sp.isOk() ? (*sp)->code : "";
    plan.code0 = p.facilityCode.empty() ? "home" : "short-term";
  };
  std::vector<Plan> plans;
  const auto randomActivity = [&](Plan& plan, int firstDay, int lastDay) {
    const int visits = uniform(2, 8);
    for (int i = 0; i < visits && lastDay > firstDay; ++i) {
      const double m = std::uniform_real_distribution<double>(0, 1)(rng);
      Plan::Visit v{day(uniform(firstDay, lastDay)), uniform(8 * 60, 18 * 60),
                    m < 0.4 ? 'H' : (m < 0.9 ? 'P' : 'V')};
      v.corrected = uniform(0, 9) == 0;
      plan.visits.push_back(v);
    }
    const int requests = uniform(0, 3);
    for (int i = 0; i < requests && lastDay > firstDay; ++i) {
      Plan::Request r{day(uniform(firstDay, lastDay)), uniform(7 * 60, 19 * 60)};
      r.acute = uniform(0, 9) == 0;
      const int o = uniform(0, 9);
      r.outcome = o < 5 ? 1 : (o < 7 ? 2 : 0);
      r.delayMinutes = uniform(30, 240);
      plan.requests.push_back(r);
    }
  };

  // Random patients over the year.
  for (int i = 0; i < randomPatients; ++i) {
    Plan plan;
    plan.patient = generator_->newPatient();
    residenceOf(plan);
    const int start = uniform(3, 330);
    plan.enrollDate = day(start);
    plan.enrollMinute = uniform(8 * 60, 15 * 60);
    int last = 362;
    if (uniform(0, 9) < 4 && start + 20 < 355) {
      const int end = std::min(354, start + uniform(15, 90));
      plan.dischargeDate = day(end);
      last = end - 1;
    }
    randomActivity(plan, start + 1, last);
    plans.push_back(std::move(plan));
  }

  // A patient who moves mid-May from ordinary housing in Ullared (Varberg's service point) to
  // Tallgläntan (Halmstad's), and is discharged on the last day of September.
  {
    Plan plan;
    plan.patient = generator_->newPatient();
    plan.patient.tenant = "falkenberg";
    plan.patient.facilityCode.clear();
    plan.patient.facilityName.clear();
    plan.patient.area = "Ullared";
    residenceOf(plan);
    plan.enrollDate = CivilDate{year_, 2, 3};
    plan.moveDate = CivilDate{year_, 5, 14};
    plan.moveFacility = "tallglantan";
    plan.moveFacilityName = "Tallgläntan";
    plan.sp1 = mappings_->routing().facility("tallglantan")->servicePoint;
    plan.code1 = "short-term";
    plan.dischargeDate = CivilDate{year_, 9, 30};
    plan.visits.push_back({CivilDate{year_, 5, 6}, 600, 'H'});
    plan.visits.push_back({CivilDate{year_, 5, 14}, 9 * 60, 'P'});   // before the move that day
    plan.visits.push_back({CivilDate{year_, 5, 14}, 13 * 60, 'H'});  // after it
    plan.visits.push_back({CivilDate{year_, 5, 20}, 600, 'V'});
    plan.requests.push_back({CivilDate{year_, 5, 12}, 600, false, 1, 60});
    plan.requests.push_back({CivilDate{year_, 5, 19}, 600, false, 1, 120});
    randomActivity(plan, 40, 260);
    plans.push_back(std::move(plan));
  }
  // Discharged on the last day of June; another enrolled on the first of July.
  for (const auto& [from, to] : {std::pair{CivilDate{year_, 5, 10}, CivilDate{year_, 6, 30}},
                                 std::pair{CivilDate{year_, 7, 1}, CivilDate{year_, 8, 31}}}) {
    Plan plan;
    plan.patient = generator_->newPatient();
    residenceOf(plan);
    plan.enrollDate = from;
    plan.enrollMinute = 8 * 60 + 30;
    plan.dischargeDate = to;
    const int first = static_cast<int>(core::daysFromCivil(from) - core::daysFromCivil(jan1));
    const int last = static_cast<int>(core::daysFromCivil(to) - core::daysFromCivil(jan1));
    randomActivity(plan, first + 1, last - 1);
    plans.push_back(std::move(plan));
  }
  // Contacts on both sides of the clock changes and of the month ends around them.
  {
    Plan plan;
    plan.patient = generator_->newPatient();
    residenceOf(plan);
    plan.enrollDate = CivilDate{year_, 1, 2};
    plan.enrollMinute = 9 * 60;
    plan.visits.push_back({CivilDate{year_, 3, 29}, 90, 'H'});             // 01:30, before the jump
    plan.visits.push_back({CivilDate{year_, 3, 31}, 23 * 60 + 40, 'H'});   // March
    plan.visits.push_back({CivilDate{year_, 4, 1}, 10, 'H'});              // April
    plan.visits.push_back({CivilDate{year_, 10, 25}, 150, 'H'});           // 02:30, the first one
    plan.visits.push_back({CivilDate{year_, 10, 31}, 23 * 60 + 50, 'H'});  // October
    plan.visits.push_back({CivilDate{year_, 11, 1}, 20, 'H'});             // November
    plans.push_back(std::move(plan));
  }
  // The heart-failure cohort (and one patient outside it), enrolled early in January, with
  // admissions from the region: discharges on a month's last day, readmission on day 30 and 31.
  {
    struct Fixed {
      const char* system;
      const char* code;
      std::vector<Plan::Admission> admissions;
    };
    const int y = year_;
    const std::vector<Fixed> fixed = {
        {kIcd10,
         "I50.9",
         {{{y, 1, 25}, 600, {y, 1, 31}, 14 * 60}, {{y, 3, 2}, 540, {y, 3, 6}, 720}}},  // day 30
        {kIcd10,
         "I50.1",
         {{{y, 4, 20}, 600, {y, 4, 30}, 720}, {{y, 5, 31}, 600, {y, 6, 3}, 660}}},  // day 31
        {kSnomed,
         "84114007",
         {{{y, 3, 27}, 600, {y, 3, 29}, 210}, {{y, 4, 15}, 600, {y, 4, 20}, 600}}},  // DST day
        {kSnomed,
         "42343007",
         {{{y, 10, 20}, 600, {y, 10, 31}, 23 * 60 + 30}, {{y, 11, 29}, 480, {y, 12, 2}, 600}}},
        {kIcd10,
         "I50",
         {{{y, 7, 1}, 600, {y, 7, 10}, 600},
          {{y, 8, 9}, 600, {y, 8, 12}, 600},     // day 30
          {{y, 9, 11}, 600, {y, 9, 15}, 600}}},  // day 30
        {kIcd10,
         "J44.9",  // not heart failure: outside the cohort
         {{{y, 2, 1}, 600, {y, 2, 5}, 600}, {{y, 2, 10}, 600, {y, 2, 12}, 600}}},
    };
    int n = 0;
    for (const Fixed& f : fixed) {
      Plan plan;
      plan.patient = generator_->newPatient();
      plan.patient.facilityCode.clear();
      plan.patient.facilityName.clear();
      residenceOf(plan);
      plan.enrollDate = CivilDate{year_, 1, 5 + n++};
      plan.conditionSystem = f.system;
      plan.conditionCode = f.code;
      plan.heartFailure =
          std::string(f.code).rfind("I50", 0) == 0 || std::string_view(f.system) == kSnomed;
      plan.admissions = f.admissions;
      plans.push_back(std::move(plan));
    }
  }

  for (Plan& plan : plans) planPatient(plan);
  std::stable_sort(steps_.begin(), steps_.end(),
                   [](const Step& a, const Step& b) { return a.atMs < b.atMs; });
  countEpisodes(plans);
  countReadmissions(plans);
  finishScores();
}

void YearScenario::planPatient(Plan& plan) {
  Patient& p = plan.patient;
  const std::string& muni = p.tenant;
  const int64_t enrolledMs = at(plan.enrollDate, plan.enrollMinute);
  steps_.push_back({enrolledMs, generator_->enrollment(p, enrolledMs)});
  if (!plan.conditionCode.empty()) {
    const std::string body =
        R"({"resourceType":"Condition","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},"code":{"coding":[{"system":)" +
        q(plan.conditionSystem) + R"(,"code":)" + q(plan.conditionCode) + R"(}]},"subject":)" +
        pnrReference(p.personnummer) + R"(,"recordedDate":)" + q(plan.enrollDate.iso()) + "}";
    steps_.push_back({enrolledMs + 5 * kMinuteMs, {"condition", muni, "POST", "/Condition", body}});
  }
  if (plan.moveDate) {
    // The same enrollment again, now naming the facility: a new responsible service point.
    Patient moved = p;
    moved.facilityCode = plan.moveFacility;
    moved.facilityName = plan.moveFacilityName;
    moved.area.clear();
    steps_.push_back({plan.moveMs(), generator_->enrollment(moved, plan.moveMs())});
    p = moved;  // the discharge names the new residence
  }
  for (const Plan::Visit& v : plan.visits) {
    const int64_t startMs = at(v.date, v.minute);
    // Patient p as at the visit (the generator only names the place in the text).
    const int64_t sentMs = startMs + ((v.modality == 'H' ? 40 : 15) + 5) * kMinuteMs;
    Message visit = generator_->visit(p, v.modality, false, sentMs);
    steps_.push_back({sentMs, visit});
    // A correction two days later, while the patient is still enrolled.
    const bool corrected =
        v.corrected && (!plan.dischargeDate ||
                        core::daysFromCivil(*plan.dischargeDate) - core::daysFromCivil(v.date) > 3);
    if (corrected) {
      // Entered in error two days later: no longer a contact.
      const size_t s = visit.body.find(R"("status":"finished")");
      visit.body.replace(s, 19, R"("status":"entered-in-error")");
      steps_.push_back({sentMs + 2 * core::kDayMs, visit});
      continue;
    }
    const std::string group = v.modality == 'H' ? "home-visit" : "consultation";
    count(v.date.month, "contacts/" + group + "/initial-population", plan.servicePointAt(startMs),
          muni);
  }
  for (const Plan::Request& r : plan.requests) {
    const int64_t receivedMs = at(r.date, r.minute);
    const std::string& sp = plan.servicePointAt(receivedMs);
    const bool open = mappings_->hours().at(receivedMs, sp).open;
    Message request = generator_->consultation(p, r.acute, receivedMs);
    steps_.push_back({receivedMs, request});
    const std::string prefix = "consultation-requests/";
    count(r.date.month, prefix + (open ? "within-hours" : "outside-hours") + "/initial-population",
          sp, muni);
    if (!open || r.outcome == 0) continue;
    // The physicians' answer: the Task updated (and for an accepted request, their encounter).
    auto bundle = fhir::parseJson(request.body);
    rapidjson::Document task;
    task.CopyFrom((*bundle)["entry"][1]["resource"], task.GetAllocator());
    auto& a = task.GetAllocator();
    task.RemoveMember("focus");
    const std::string taskUrl =
        "Task?identifier=" + std::string(fhir::stringMember(task["identifier"][0], "system")) +
        "|" + std::string(fhir::stringMember(task["identifier"][0], "value"));
    std::vector<std::string> entries;
    if (r.outcome == 1) {
      const int64_t encStart = receivedMs + r.delayMinutes * kMinuteMs;
      const std::string encId = "C-" + std::to_string(++regionCounter_);
      const mappings::ServicePoint* point = mappings_->routing().servicePoint(sp);
      const std::string encounter =
          R"({"resourceType":"Encounter","identifier":[{"system":")" + std::string(kCosmic) +
          R"(","value":)" + q(encId) +
          R"(}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"type":[{"coding":[{"system":"http://snomed.info/sct","code":"439708006"}]}],"subject":)" +
          pnrReference(p.personnummer) +
          R"(,"participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PPRF"}]}],"individual":)" +
          physician() + R"(}],"period":{"start":)" + q(core::formatStockholm(encStart)) +
          R"(,"end":)" + q(core::formatStockholm(encStart + 30 * kMinuteMs)) +
          R"(},"serviceProvider":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":)" +
          q(point->hsaId) + "}}}";
      entries.push_back(
          R"({"fullUrl":"urn:uuid:00000000-0000-4000-8000-)" +
          std::string(12 - std::min<size_t>(12, std::to_string(regionCounter_).size()), '0') +
          std::to_string(regionCounter_) + R"(","resource":)" + encounter +
          R"(,"request":{"method":"PUT","url":)" +
          q(std::string("Encounter?identifier=") + kCosmic + "|" + encId) + "}}");
      task["status"].SetString("completed", a);
      rapidjson::Value output(rapidjson::kObjectType);
      rapidjson::Value type(rapidjson::kObjectType);
      type.AddMember("text", "Läkarbesök", a);
      output.AddMember("type", type, a);
      rapidjson::Value ref(rapidjson::kObjectType);
      const std::string urn =
          "urn:uuid:00000000-0000-4000-8000-" +
          std::string(12 - std::min<size_t>(12, std::to_string(regionCounter_).size()), '0') +
          std::to_string(regionCounter_);
      ref.AddMember("reference", rapidjson::Value(urn.c_str(), a), a);
      output.AddMember("valueReference", ref, a);
      rapidjson::Value outputs(rapidjson::kArrayType);
      outputs.PushBack(output, a);
      task.AddMember("output", outputs, a);
      count(r.date.month, prefix + "answered/initial-population", sp, muni);
      count(r.date.month, prefix + "time-to-encounter/initial-population", sp, muni, false);
      count(r.date.month, prefix + "time-to-encounter/measure-observation", sp, muni, false);
      minutesToEncounter_[r.date.month].push_back(r.delayMinutes);
      // The encounter is a contact too (same day: requests are made 07:00-19:00, answered
      // within four hours).
      count(r.date.month, "contacts/home-visit/initial-population", plan.servicePointAt(encStart),
            muni);
      entries.push_back(R"({"resource":)" + fhir::toJson(task) +
                        R"(,"request":{"method":"PUT","url":)" + q(taskUrl) + "}}");
      steps_.push_back({encStart + 35 * kMinuteMs,
                        {"answer", "region", "POST", "/",
                         R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entries[0] +
                             "," + entries[1] + "]}"}});
    } else {
      task["status"].SetString("rejected", a);
      rapidjson::Value reason(rapidjson::kObjectType);
      reason.AddMember("text", "Avböjd av läkaren", a);
      task.AddMember("statusReason", reason, a);
      count(r.date.month, prefix + "declined/initial-population", sp, muni);
      steps_.push_back({receivedMs + 30 * kMinuteMs,
                        {"answer", "region", "PUT", "/" + taskUrl, fhir::toJson(task)}});
    }
  }
  for (const Plan::Admission& adm : plan.admissions) {
    const int64_t startMs = at(adm.startDate, adm.startMinute);
    const int64_t endMs = at(adm.endDate, adm.endMinute);
    const std::string id = "A-" + std::to_string(++regionCounter_);
    const std::string body =
        R"({"resourceType":"Encounter","identifier":[{"system":")" + std::string(kCosmic) +
        R"(","value":)" + q(id) +
        R"(}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":)" +
        pnrReference(p.personnummer) +
        R"(,"participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PPRF"}]}],"individual":)" +
        physician() + R"(}],"period":{"start":)" + q(core::formatStockholm(startMs)) +
        R"(,"end":)" + q(core::formatStockholm(endMs)) +
        R"(},"serviceProvider":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000115-E00000000101"}},"reasonCode":[{"coding":[{"system":)" +
        q(plan.conditionSystem) + R"(,"code":)" + q(plan.conditionCode) + "}]}]}";
    steps_.push_back({endMs + 60 * kMinuteMs, {"admission", "region", "POST", "/Encounter", body}});
  }
  if (plan.dischargeDate) {
    const int64_t ms = at(*plan.dischargeDate, 15 * 60);
    steps_.push_back({ms, generator_->discharge(p, ms)});
  }
}

void YearScenario::countEpisodes(const std::vector<Plan>& plans) {
  const CivilDate never{9999, 12, 31};
  for (int month = 1; month <= 12; ++month) {
    const CivilDate first{year_, month, 1};
    const CivilDate last{year_, month, core::daysInMonth(year_, month)};
    for (const char* measure : {"enrolled-patients", "short-term-patients"}) {
      const bool shortTerm = std::string(measure) == "short-term-patients";
      std::set<int64_t> total;
      std::map<std::string, std::set<int64_t>> bySp, byMuni;
      for (const Plan& plan : plans) {
        const CivilDate end = plan.dischargeDate.value_or(never);
        struct Seg {
          CivilDate from, to;
          const std::string* sp;
          const std::string* code;
          bool fresh;
        };
        std::vector<Seg> segs;
        segs.push_back(
            {plan.enrollDate, plan.moveDate.value_or(end), &plan.sp0, &plan.code0, true});
        if (plan.moveDate) {
          segs.push_back({*plan.moveDate, end, &plan.sp1, &plan.code1,
                          shortTerm && plan.code0 != "short-term"});
        }
        for (const Seg& s : segs) {
          if (shortTerm && *s.code != "short-term") continue;
          if (s.from <= last && s.to >= first) {
            const mappings::ServicePoint* sp = mappings_->routing().servicePoint(*s.sp);
            total.insert(plan.patient.number);
            bySp[sp->followUpCode].insert(plan.patient.number);
            byMuni[plan.patient.tenant].insert(plan.patient.number);
          }
          if (s.fresh && s.from >= first && s.from <= last) {
            count(month, std::string(measure) + "/new-enrollments/initial-population", *s.sp,
                  plan.patient.tenant);
          }
        }
      }
      const std::string key = std::string(measure) + "/enrolled/initial-population";
      if (!total.empty()) expected_[month][key] = static_cast<int64_t>(total.size());
      for (const auto& [sp, set] : bySp) {
        expected_[month][key + "/service-point=" + sp] = static_cast<int64_t>(set.size());
      }
      for (const auto& [m, set] : byMuni) {
        expected_[month][key + "/municipality=" + m] = static_cast<int64_t>(set.size());
      }
    }
  }
}

void YearScenario::countReadmissions(const std::vector<Plan>& plans) {
  const std::string key = "readmission-30d/readmission-30d/";
  for (const Plan& plan : plans) {
    if (!plan.heartFailure) continue;
    for (size_t i = 0; i < plan.admissions.size(); ++i) {
      const Plan::Admission& a = plan.admissions[i];
      if (a.endDate.year != year_) continue;
      const int month = a.endDate.month;
      count(month, key + "initial-population", plan.sp0, plan.patient.tenant);
      count(month, key + "denominator", plan.sp0, plan.patient.tenant);
      if (i + 1 < plan.admissions.size() &&
          core::daysFromCivil(plan.admissions[i + 1].startDate) - core::daysFromCivil(a.endDate) <=
              30) {
        count(month, key + "numerator", plan.sp0, plan.patient.tenant);
      }
    }
  }
}

void YearScenario::finishScores() {
  for (auto& [month, figures] : expected_) {
    auto& minutes = minutesToEncounter_[month];
    if (!minutes.empty()) {
      std::sort(minutes.begin(), minutes.end());
      const size_t n = minutes.size();
      const double median =
          n % 2 == 1 ? minutes[n / 2] : (minutes[n / 2 - 1] + minutes[n / 2]) / 2.0;
      figures["consultation-requests/time-to-encounter/score"] =
          std::llround(std::round(median * 10.0) / 10.0 * 10000.0);
    }
    const std::string key = "readmission-30d/readmission-30d/";
    auto den = figures.find(key + "denominator");
    if (den != figures.end()) {
      const auto num = figures.find(key + "numerator");
      const int64_t n = num == figures.end() ? 0 : num->second;
      figures[key + "score"] = std::llround(
          std::round(static_cast<double>(n) / static_cast<double>(den->second) * 10000.0) /
          10000.0 * 10000.0);
    }
  }
}

}  // namespace brygga::traffic
