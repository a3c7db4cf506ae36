#include "gateway/fhir/validator.h"

#include <algorithm>
#include <array>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/core/clock.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::fhir {

namespace {

using core::Issue;
using rapidjson::SizeType;
using rapidjson::Value;

std::string_view view(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

template <size_t N>
bool oneOf(std::string_view value, const std::array<std::string_view, N>& codes) {
  return std::find(codes.begin(), codes.end(), value) != codes.end();
}

constexpr std::array<std::string_view, 4> kGenders = {"male", "female", "other", "unknown"};
constexpr std::array<std::string_view, 7> kEpisodeStatuses = {
    "planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"};
constexpr std::array<std::string_view, 9> kEncounterStatuses = {
    "planned",  "arrived",   "triaged",          "in-progress", "onleave",
    "finished", "cancelled", "entered-in-error", "unknown"};
constexpr std::array<std::string_view, 9> kBundleTypes = {
    "document", "message",   "transaction", "transaction-response", "batch", "batch-response",
    "history",  "searchset", "collection"};
constexpr std::array<std::string_view, 6> kRequestMethods = {"GET", "HEAD",   "POST",
                                                             "PUT", "DELETE", "PATCH"};
// Types whose status is 1..1 in R4 among those Brygga serves.
constexpr std::array<std::string_view, 7> kStatusRequired = {
    "CarePlan",       "Composition", "DocumentReference", "Encounter", "EpisodeOfCare",
    "ServiceRequest", "Task"};

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Lowercase canonical UUID text, as the FHIR uuid type requires.
bool isUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? text[i] != '-' : !isHex(text[i])) return false;
  }
  return true;
}

// [0-2](\.(0|[1-9][0-9]*))+
bool isOid(std::string_view text) {
  if (text.size() < 3 || text[0] < '0' || text[0] > '2') return false;
  size_t pos = 1;
  int arcs = 0;
  while (pos < text.size()) {
    if (text[pos] != '.' || pos + 1 >= text.size() || !isDigit(text[pos + 1])) return false;
    const size_t start = ++pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    if (text[start] == '0' && pos - start > 1) return false;
    ++arcs;
  }
  return arcs > 0;
}

bool isAbsoluteHttpUrl(std::string_view text) {
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (startsWith(text, scheme)) return text.size() > scheme.size();
  }
  return false;
}

bool hasSpaceOrControl(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

// nullptr when `ref` is a well-formed Reference.reference, else what is wrong with it.
const char* referenceProblem(std::string_view ref, bool allowConditional) {
  if (ref.empty()) return "a reference must not be empty";
  if (hasSpaceOrControl(ref)) return "a reference must not contain spaces or control characters";
  if (ref[0] == '#') {
    return ref.size() == 1 || isValidId(ref.substr(1))
               ? nullptr
               : "a local reference must be '#' followed by the id of a contained resource";
  }
  if (startsWith(ref, "urn:uuid:")) {
    return isUuid(ref.substr(9)) ? nullptr : "urn:uuid: must be followed by a lowercase UUID";
  }
  if (startsWith(ref, "urn:oid:")) {
    return isOid(ref.substr(8)) ? nullptr : "urn:oid: must be followed by a valid OID";
  }
  if (startsWith(ref, "http://") || startsWith(ref, "https://")) {
    return isAbsoluteHttpUrl(ref) ? nullptr : "an absolute reference needs a host";
  }
  const size_t slash = ref.find('/');
  const size_t question = ref.find('?');
  if (allowConditional && question != std::string_view::npos &&
      (slash == std::string_view::npos || slash > question)) {
    // A conditional reference, resolved by the transaction ("Patient?identifier=s|v").
    if (!isKnownR4ResourceType(ref.substr(0, question))) {
      return "unknown resource type in conditional reference";
    }
    return question + 1 < ref.size() ? nullptr : "a conditional reference needs search criteria";
  }
  if (slash == std::string_view::npos) {
    return "expected Type/id, an absolute URL, urn:uuid:, urn:oid: or #id";
  }
  if (!isKnownR4ResourceType(ref.substr(0, slash))) return "unknown resource type in reference";
  std::string_view rest = ref.substr(slash + 1);
  const size_t next = rest.find('/');
  if (!isValidId(rest.substr(0, next))) return "the id in the reference is not a valid FHIR id";
  if (next == std::string_view::npos) return nullptr;
  rest = rest.substr(next);
  if (!startsWith(rest, "/_history/") || !isValidId(rest.substr(10))) {
    return "expected Type/id or Type/id/_history/version";
  }
  return nullptr;
}

enum class DateKind { kDate, kDateTime, kInstant };

const char* dateKindName(DateKind kind) {
  switch (kind) {
    case DateKind::kDate:
      return "date (YYYY, YYYY-MM or YYYY-MM-DD)";
    case DateKind::kDateTime:
      return "dateTime";
    case DateKind::kInstant:
      return "instant (YYYY-MM-DDThh:mm:ss with a time zone)";
  }
  return "date";
}

bool parseDate(std::string_view text, DateKind kind, int64_t& epochMs) {
  const bool hasTime = text.size() > 10;
  if (kind == DateKind::kDate && hasTime) return false;
  if (kind == DateKind::kInstant && !hasTime) return false;
  return core::parseFhirDateTime(std::string(text), epochMs);
}

// The first millisecond after the period a partial date names ("2024" -> 2025-01-01), so that
// period.start <= period.end compares at the precision given.
int64_t endOfPrecision(std::string_view text, int64_t startMs) {
  constexpr int64_t kDayMs = 86400000;
  if (text.size() == 10) return startMs + kDayMs;
  int64_t ms = startMs;
  if (text.size() == 4) {
    const int year =
        (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
    if (core::parseFhirDateTime(std::to_string(year + 1), ms)) return ms;
    return startMs + 366 * kDayMs;
  }
  if (text.size() == 7) {
    // Step past the longest month, then back to its first day.
    int64_t probe = startMs + 31 * kDayMs;
    const std::string nextMonth = core::formatInstant(probe).substr(0, 7);
    if (core::parseFhirDateTime(nextMonth, ms) && ms > startMs) return ms;
    return probe;
  }
  return startMs + 1;
}

// A position inside the resource being walked: the container and the index of the child being
// looked at (next - 1). The path to the current element is rebuilt from the stack only when an
// issue needs it.
struct Cursor {
  const Value* container;
  SizeType next;
};

struct Job {
  const Value* resource;
  std::string base;  // expression of the resource; empty for the root (its type is used)
  bool inTransaction;
};

class Checker {
 public:
  explicit Checker(std::vector<Issue>& issues) : issues_(issues) {}

  void run(const Value& root) {
    jobs_.push_back(Job{&root, std::string(), false});
    while (!jobs_.empty()) {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      checkResource(job);
    }
  }

 private:
  void add(const char* code, std::string diagnostics, std::string expression) {
    issues_.push_back(Issue::error(code, std::move(diagnostics), std::move(expression)));
  }

  static std::string join(const std::string& base, std::string_view name) {
    if (base.empty()) return std::string(name);
    std::string out = base;
    out += '.';
    out += name;
    return out;
  }

  static std::string indexed(std::string path, size_t i) {
    path += '[';
    path += std::to_string(i);
    path += ']';
    return path;
  }

  std::string walkPath(std::string_view suffix = {}) const {
    std::string out = base_;
    for (const Cursor& c : cursors_) {
      const SizeType i = c.next - 1;
      if (c.container->IsObject()) {
        out += '.';
        out += view((c.container->MemberBegin() + i)->name);
      } else {
        out = indexed(std::move(out), i);
      }
    }
    out += suffix;
    return out;
  }

  void checkResource(const Job& job) {
    const Value& r = *job.resource;
    if (!r.IsObject()) {
      add("structure", "a resource must be a JSON object", job.base);
      return;
    }
    const Value* resourceType = member(r, "resourceType");
    if (resourceType == nullptr) {
      add("required", "resourceType is missing", join(job.base, "resourceType"));
      return;
    }
    if (!resourceType->IsString()) {
      add("structure", "resourceType must be a string", join(job.base, "resourceType"));
      return;
    }
    const std::string_view type = view(*resourceType);
    if (!isKnownR4ResourceType(type)) {
      add("invalid", "unknown resource type " + quoteForDiagnostics(type),
          join(job.base, "resourceType"));
      return;
    }
    base_ = job.base.empty() ? std::string(type) : job.base;
    inTransaction_ = job.inTransaction;
    childrenInTransaction_ = job.inTransaction;

    checkId(r);
    checkMeta(r);
    checkContained(r);
    checkTopLevelElements(r, type);
    if (type == "Patient") checkPatient(r);
    if (type == "EpisodeOfCare") checkEpisodeOfCare(r);
    if (type == "Encounter") checkEncounter(r);
    if (type == "Bundle") checkBundle(r);
    walk(r);
  }

  void checkId(const Value& r) {
    const Value* id = member(r, "id");
    if (id == nullptr) return;
    if (!id->IsString()) {
      add("structure", "id must be a string", join(base_, "id"));
    } else if (!isValidId(view(*id))) {
      add("value", "id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '.'",
          join(base_, "id"));
    }
  }

  void checkMeta(const Value& r) {
    const Value* meta = member(r, "meta");
    if (meta == nullptr) return;
    const std::string path = join(base_, "meta");
    if (!meta->IsObject()) {
      add("structure", "meta must be an object", path);
      return;
    }
    if (const Value* versionId = member(*meta, "versionId"); versionId != nullptr) {
      if (!versionId->IsString()) {
        add("structure", "meta.versionId must be a string", path + ".versionId");
      } else if (!isValidId(view(*versionId))) {
        add("value", "meta.versionId must be a valid id", path + ".versionId");
      }
    }
    if (const Value* lastUpdated = member(*meta, "lastUpdated"); lastUpdated != nullptr) {
      checkDate(*lastUpdated, DateKind::kInstant, path + ".lastUpdated");
    }
    if (const Value* profile = member(*meta, "profile"); profile != nullptr) {
      if (!profile->IsArray()) {
        add("structure", "meta.profile must be an array of canonical URLs", path + ".profile");
      } else {
        for (SizeType i = 0; i < profile->Size(); ++i) {
          const Value& p = (*profile)[i];
          if (!p.IsString() || p.GetStringLength() == 0 || hasSpaceOrControl(view(p))) {
            add("structure", "meta.profile entries must be canonical URL strings",
                indexed(path + ".profile", i));
          }
        }
      }
    }
  }

  void checkContained(const Value& r) {
    const Value* contained = member(r, "contained");
    if (contained == nullptr) return;
    const std::string path = join(base_, "contained");
    if (!contained->IsArray()) {
      add("structure", "contained must be an array of resources", path);
      return;
    }
    for (SizeType i = 0; i < contained->Size(); ++i) {
      const Value& c = (*contained)[i];
      if (!c.IsObject()) {
        add("structure", "a contained resource must be an object", indexed(path, i));
      } else if (member(c, "resourceType") == nullptr) {
        add("required", "resourceType is missing", indexed(path, i) + ".resourceType");
      }
    }
  }

  void checkTopLevelElements(const Value& r, std::string_view type) {
    const Value* status = member(r, "status");
    if (status != nullptr && !status->IsString()) {
      add("structure", "status must be a string", join(base_, "status"));
    } else if (status == nullptr && oneOf(type, kStatusRequired)) {
      add("required", std::string(type) + ".status is required", join(base_, "status"));
    }
    static constexpr std::pair<std::string_view, DateKind> kDates[] = {
        {"authoredOn", DateKind::kDateTime},
        {"recorded", DateKind::kInstant},
        {"date", DateKind::kDateTime},
        {"issued", DateKind::kInstant},
    };
    for (const auto& [name, kind] : kDates) {
      if (const Value* v = member(r, name); v != nullptr) checkDate(*v, kind, join(base_, name));
    }
  }

  // Returns the value in epochMs when it is a valid date of `kind`.
  bool checkDate(const Value& v, DateKind kind, const std::string& path,
                 int64_t* epochMs = nullptr) {
    if (!v.IsString()) {
      add("structure", std::string("must be a ") + dateKindName(kind) + " string", path);
      return false;
    }
    int64_t ms = 0;
    if (!parseDate(view(v), kind, ms)) {
      add("value", std::string("not a valid FHIR ") + dateKindName(kind), path);
      return false;
    }
    if (epochMs != nullptr) *epochMs = ms;
    return true;
  }

  void checkCode(const Value& r, std::string_view name, bool required,
                 const std::string_view* first, const std::string_view* last) {
    const Value* v = member(r, name);
    const std::string path = join(base_, name);
    if (v == nullptr) {
      if (required) add("required", path + " is required", path);
      return;
    }
    if (!v->IsString()) return;  // reported as structure where the element is checked
    if (std::find(first, last, view(*v)) == last) {
      std::string allowed;
      for (const auto* c = first; c != last; ++c) {
        if (!allowed.empty()) allowed += " | ";
        allowed += *c;
      }
      add("code-invalid", "unknown code " + quoteForDiagnostics(view(*v)) + "; expected " + allowed,
          path);
    }
  }

  void checkPatient(const Value& r) {
    if (const Value* gender = member(r, "gender"); gender != nullptr && !gender->IsString()) {
      add("structure", "gender must be a string", join(base_, "gender"));
      return;
    }
    checkCode(r, "gender", false, kGenders.begin(), kGenders.end());
  }

  void checkEpisodeOfCare(const Value& r) {
    checkCode(r, "status", false, kEpisodeStatuses.begin(), kEpisodeStatuses.end());
    const Value* patient = member(r, "patient");
    if (patient == nullptr) {
      add("required", "EpisodeOfCare.patient is required", join(base_, "patient"));
    } else if (!patient->IsObject()) {
      add("structure", "patient must be a Reference object", join(base_, "patient"));
    }
  }

  void checkEncounter(const Value& r) {
    checkCode(r, "status", false, kEncounterStatuses.begin(), kEncounterStatuses.end());
    const Value* encounterClass = member(r, "class");
    if (encounterClass == nullptr) {
      add("required", "Encounter.class is required", join(base_, "class"));
    } else if (!encounterClass->IsObject()) {
      add("structure", "class must be a Coding object", join(base_, "class"));
    }
  }

  void checkBundle(const Value& r) {
    const Value* typeValue = member(r, "type");
    std::string_view bundleType;
    if (typeValue == nullptr) {
      add("required", "Bundle.type is required", join(base_, "type"));
    } else if (!typeValue->IsString()) {
      add("structure", "type must be a string", join(base_, "type"));
    } else {
      bundleType = view(*typeValue);
      checkCode(r, "type", true, kBundleTypes.begin(), kBundleTypes.end());
    }
    const bool transactionLike = bundleType == "transaction" || bundleType == "batch";
    if (transactionLike) childrenInTransaction_ = true;

    const Value* entries = member(r, "entry");
    if (entries == nullptr) return;
    const std::string entryPath = join(base_, "entry");
    if (!entries->IsArray()) {
      add("structure", "entry must be an array", entryPath);
      return;
    }
    std::set<std::pair<std::string_view, std::string_view>> fullUrls;
    for (SizeType i = 0; i < entries->Size(); ++i) {
      const Value& entry = (*entries)[i];
      const std::string path = indexed(entryPath, i);
      if (!entry.IsObject()) {
        add("structure", "a Bundle entry must be an object", path);
        continue;
      }
      const Value* resource = member(entry, "resource");
      if (resource != nullptr) {
        if (!resource->IsObject()) {
          add("structure", "entry.resource must be a resource object", path + ".resource");
          resource = nullptr;
        } else if (member(*resource, "resourceType") == nullptr) {
          add("required", "resourceType is missing", path + ".resource.resourceType");
        }
      }
      if (const Value* fullUrl = member(entry, "fullUrl"); fullUrl != nullptr) {
        checkFullUrl(*fullUrl, resource, path + ".fullUrl", fullUrls);
      }
      if (transactionLike) checkRequest(entry, resource != nullptr, path);
    }
  }

  void checkFullUrl(const Value& fullUrl, const Value* resource, const std::string& path,
                    std::set<std::pair<std::string_view, std::string_view>>& seen) {
    if (!fullUrl.IsString()) {
      add("structure", "fullUrl must be a string", path);
      return;
    }
    const std::string_view url = view(fullUrl);
    const bool ok =
        !hasSpaceOrControl(url) &&
        (isAbsoluteHttpUrl(url) || (startsWith(url, "urn:uuid:") && isUuid(url.substr(9))) ||
         (startsWith(url, "urn:oid:") && isOid(url.substr(8))));
    if (!ok) {
      add("value", "fullUrl must be an absolute http(s) URL, urn:uuid:<uuid> or urn:oid:<oid>",
          path);
      return;
    }
    std::string_view versionId;
    if (resource != nullptr) {
      if (const Value* meta = member(*resource, "meta"); meta != nullptr) {
        versionId = stringMember(*meta, "versionId");
      }
    }
    if (!seen.emplace(url, versionId).second) {
      add("invariant", "bdl-7: fullUrl must be unique in a bundle unless the versionIds differ",
          path);
    }
  }

  void checkRequest(const Value& entry, bool hasResource, const std::string& path) {
    const Value* request = member(entry, "request");
    const std::string requestPath = path + ".request";
    if (request == nullptr) {
      add("required", "transaction and batch entries need a request", requestPath);
      return;
    }
    if (!request->IsObject()) {
      add("structure", "request must be an object", requestPath);
      return;
    }
    const Value* method = member(*request, "method");
    if (method == nullptr) {
      add("required", "request.method is required", requestPath + ".method");
    } else if (!method->IsString()) {
      add("structure", "request.method must be a string", requestPath + ".method");
    } else if (!oneOf(view(*method), kRequestMethods)) {
      add("code-invalid",
          "unknown method " + quoteForDiagnostics(view(*method)) +
              "; expected GET | HEAD | POST | PUT | DELETE | PATCH",
          requestPath + ".method");
    } else if ((view(*method) == "POST" || view(*method) == "PUT") && !hasResource) {
      add("required", std::string(view(*method)) + " entries must carry a resource",
          path + ".resource");
    }
    const Value* url = member(*request, "url");
    if (url == nullptr) {
      add("required", "request.url is required", requestPath + ".url");
    } else if (!url->IsString() || url->GetStringLength() == 0) {
      add("structure", "request.url must be a non-empty string", requestPath + ".url");
    }
  }

  void checkIdentifier(const Value& identifier, const std::string& path) {
    if (!identifier.IsObject()) {
      add("structure", "an Identifier must be an object", path);
      return;
    }
    const Value* system = member(identifier, "system");
    const Value* value = member(identifier, "value");
    if (system != nullptr && !system->IsString()) {
      add("structure", "identifier.system must be a string", path + ".system");
      system = nullptr;
    }
    if (value != nullptr && !value->IsString()) {
      add("structure", "identifier.value must be a string", path + ".value");
      value = nullptr;
    }
    if (system == nullptr || value == nullptr) return;
    const std::string_view s = view(*system);
    const std::string_view v = view(*value);
    std::string why;
    if (s == kPersonnummerSystem || s == kPersonnummerOid) {
      if (!normalizePersonnummer(v, &why)) {
        add("value", "not a valid personnummer: " + why, path + ".value");
      }
    } else if (s == kSamordningsnummerSystem || s == kSamordningsnummerOid) {
      if (!normalizeSamordningsnummer(v, &why)) {
        add("value", "not a valid samordningsnummer: " + why, path + ".value");
      }
    } else if (s == kHsaOrganizationSystem || s == kHsaPractitionerSystem || s == kHsaOid) {
      if (!isValidHsaId(v)) {
        add("value",
            "not a valid HSA-id: expected SE, a 10-digit organisation number, an optional '-' "
            "and 1 to 21 letters or digits",
            path + ".value");
      }
    }
  }

  void checkPeriod(const Value& period) {
    int64_t startMs = 0, endMs = 0;
    bool haveStart = false, haveEnd = false;
    const Value* start = member(period, "start");
    const Value* end = member(period, "end");
    if (start != nullptr)
      haveStart = checkDate(*start, DateKind::kDateTime, walkPath(".start"), &startMs);
    if (end != nullptr) haveEnd = checkDate(*end, DateKind::kDateTime, walkPath(".end"), &endMs);
    if (haveStart && haveEnd && startMs >= endOfPrecision(view(*end), endMs)) {
      add("invariant", "per-1: period.start must not be after period.end", walkPath());
    }
  }

  // The member `name` with value `v` has just been reached; checks what its name implies.
  void checkMember(std::string_view name, const Value& v) {
    if (name == "reference") {
      if (v.IsString()) {
        if (const char* problem = referenceProblem(view(v), inTransaction_)) {
          add("value", std::string("invalid reference: ") + problem, walkPath());
        }
      } else if (!v.IsObject()) {
        add("structure", "reference must be a string", walkPath());
      }
    } else if (name == "identifier") {
      if (v.IsArray()) {
        const std::string path = walkPath();
        for (SizeType i = 0; i < v.Size(); ++i) checkIdentifier(v[i], indexed(path, i));
      } else if (v.IsObject()) {
        checkIdentifier(v, walkPath());
      } else {
        add("structure", "identifier must be an Identifier object or an array of them", walkPath());
      }
    } else if (name == "period") {
      // Timing.repeat.period is a number; only Period objects are checked.
      if (v.IsObject()) checkPeriod(v);
    } else if (name == "birthDate") {
      checkDate(v, DateKind::kDate, walkPath());
    }
  }

  // Iterative depth-first walk over the resource: element checks that apply anywhere, and inline
  // resources (contained, Bundle entries, outcomes) queued as jobs of their own.
  void walk(const Value& r) {
    cursors_.clear();
    cursors_.push_back(Cursor{&r, 0});
    while (!cursors_.empty()) {
      Cursor& top = cursors_.back();
      const Value& container = *top.container;
      const Value* child = nullptr;
      if (container.IsObject()) {
        if (top.next >= container.MemberCount()) {
          cursors_.pop_back();
          continue;
        }
        const auto& m = *(container.MemberBegin() + top.next);
        ++top.next;
        child = &m.value;
        checkMember(view(m.name), *child);
      } else {
        if (top.next >= container.Size()) {
          cursors_.pop_back();
          continue;
        }
        child = &container[top.next];
        ++top.next;
      }
      if (child->IsObject() && child->HasMember("resourceType")) {
        jobs_.push_back(Job{child, walkPath(), childrenInTransaction_});
      } else if (child->IsObject() || child->IsArray()) {
        cursors_.push_back(Cursor{child, 0});
      }
    }
  }

  std::vector<Issue>& issues_;
  std::deque<Job> jobs_;
  std::vector<Cursor> cursors_;
  std::string base_;
  bool inTransaction_ = false;
  bool childrenInTransaction_ = false;
};

class StructuralValidator final : public Validator {
 public:
  std::vector<Issue> validate(const Value& resource) const override {
    std::vector<Issue> issues;
    Checker(issues).run(resource);
    return issues;
  }
};

}  // namespace

std::unique_ptr<Validator> makeStructuralValidator() {
  return std::make_unique<StructuralValidator>();
}

}  // namespace brygga::fhir
