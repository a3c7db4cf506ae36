#include "gateway/search/query.h"

#include <algorithm>
#include <map>

#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/subset.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::search {

namespace {

std::vector<std::string> splitComma(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

// The values of a parameter: split at each comma that is not escaped as \, (R4 3.1.1.4.3,
// "Escaping search parameters"), with \, \$ \| and \\ unescaped.
std::vector<std::string> splitEscapedComma(const std::string& text) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      parts.back() += text[++i];
    } else if (text[i] == ',') {
      parts.emplace_back();
    } else {
      parts.back() += text[i];
    }
  }
  return parts;
}

// The last millisecond of the period a FHIR date/dateTime names (2026-01-01 -> 23:59:59.999), given
// its first (parseFhirDateTime: a partial date is read in UTC).
int64_t periodEnd(const std::string& text, int64_t start) {
  const core::CivilDate first = core::civilFromUtcMs(start).date;
  core::CivilDate next;
  if (text.size() == 4) {
    next = {first.year + 1, 1, 1};
  } else if (text.size() == 7) {
    next = first.month == 12 ? core::CivilDate{first.year + 1, 1, 1}
                             : core::CivilDate{first.year, first.month + 1, 1};
  } else if (text.size() == 10) {
    next = core::addDays(first, 1);
  } else {
    return start;  // a full dateTime is a point in time
  }
  return core::daysFromCivil(next) * core::kDayMs - 1;
}

// birthdate=[prefix]YYYY[-MM[-DD]]: the days of the period the value names, compared with the
// indexed whole birth dates (eq: within it; ge, gt/sa, le, lt/eb: from or to its edges).
core::StatusOr<store::SearchCriterion> birthdateCriterion(const std::string& value) {
  const bool prefixed =
      value.size() > 2 && core::isAsciiAlpha(value[0]) && core::isAsciiAlpha(value[1]);
  const std::string prefix = prefixed ? value.substr(0, 2) : "eq";
  const std::string date = prefixed ? value.substr(2) : value;
  const auto bad = [&] {
    return core::invalidArgument("birthdate: '" + value +
                                 "' is not a date (YYYY, YYYY-MM or YYYY-MM-DD), optionally "
                                 "prefixed with eq, ge, gt, le, lt, sa or eb");
  };
  if (date.size() != 4 && date.size() != 7 && date.size() != 10) return bad();
  auto start = core::parseFhirDateTime(date);
  if (!start.isOk()) return bad();
  const core::CivilDate first = core::civilFromUtcMs(*start).date;
  const core::CivilDate last = core::civilFromUtcMs(periodEnd(date, *start)).date;
  store::SearchCriterion c;
  c.param = "birthdate";
  // R4 3.1.1.4.3 on ranges: eq, the birth date's period lies within the value's; ge and gt, the
  // periods from the value's start or after its end overlap it; le and lt, those up to its end or
  // before its start; sa starts after the value's end, eb ends before its start.
  if (prefix == "eq") {
    c.startFrom = first.iso();
    c.endTo = last.iso();
  } else if (prefix == "ge") {
    c.endFrom = first.iso();
  } else if (prefix == "gt") {
    c.endFrom = core::addDays(last, 1).iso();
  } else if (prefix == "sa") {
    c.startFrom = core::addDays(last, 1).iso();
  } else if (prefix == "le") {
    c.startTo = last.iso();
  } else if (prefix == "lt") {
    c.startTo = core::addDays(first, -1).iso();
  } else if (prefix == "eb") {
    c.endTo = core::addDays(first, -1).iso();
  } else {
    return core::invalidArgument("birthdate prefix '" + prefix + "' is not supported");
  }
  return c;
}

// The parameters every search takes besides the type's own.
bool isControlParam(const std::string& name) {
  return name == "_count" || name == "_offset" || name == "_format" || name == "_pretty" ||
         name == "_summary" || name == "_total" || name == "_sort" || name == "_elements" ||
         name == "_include" || name == "_revinclude";
}

// "identifier:exact" -> "identifier".
std::string baseNameOf(const std::string& name) {
  return name.substr(0, name.find(':'));
}

// A search the server cannot do: not-supported, naming what the type does support, so that the
// client can correct itself.
core::Status notSupported(const std::string& type, const std::string& what) {
  std::string supported;
  for (const auto& name : searchParamsFor(type)) supported += name + ", ";
  const std::string text = what + "; " + type + " searches by " + supported + "_count and _offset";
  return {core::StatusCode::kInvalidArgument, text, {core::Issue::error("not-supported", text)}};
}

// The index parameter a search parameter's values are found under: a subject is indexed as the
// patient it names (write::searchIndexOf).
std::string indexParamOf(const std::string& name) {
  return name == "subject" ? "patient" : name;
}

// The index parameters matched together with `name`: R4's Patient and Practitioner `name` is any
// part of a HumanName, and the family and given parts are indexed under their own parameters
// only (fhir::extractIndex), not a second time under `name`.
std::vector<std::string> alsoParamsOf(const std::string& name) {
  if (name == "name") return {"family", "given"};
  return {};
}

// One _sort key ("-family": descending); nullopt when `type` does not sort by it.
std::optional<store::SearchQuery::SortKey> sortKeyOf(const std::string& type,
                                                     const std::string& key) {
  store::SearchQuery::SortKey sort;
  sort.descending = !key.empty() && key[0] == '-';
  const std::string name = sort.descending ? key.substr(1) : key;
  const std::vector<std::string> keys = sortKeysFor(type);
  if (std::find(keys.begin(), keys.end(), name) == keys.end()) return std::nullopt;
  sort.field = indexParamOf(name);
  sort.alsoParams = alsoParamsOf(name);
  return sort;
}

core::Status sortNotSupported(const std::string& type, const std::string& key) {
  const std::vector<std::string> keys = sortKeysFor(type);
  std::string text = "_sort by '" + key + "' is not supported; ";
  if (keys.empty()) {
    text += type + " answers in the order it was recorded and takes no _sort";
  } else {
    text += type + " sorts by ";
    for (size_t i = 0; i < keys.size(); ++i) text += (i == 0 ? "" : ", ") + keys[i];
    text += " (- for descending; several keys comma-separated, in order)";
  }
  return {core::StatusCode::kInvalidArgument, text, {core::Issue::error("not-supported", text)}};
}

store::SearchQuery firstPageOf(const std::string& type, int defaultCount) {
  store::SearchQuery query;
  query.type = type;
  query.count = defaultCount;
  return query;
}

// _count and _offset into `query`: true when `name` is one of them.
core::StatusOr<bool> readPaging(const std::string& name, const std::string& value, int maxCount,
                                store::SearchQuery& query) {
  if (name == "_count") {
    const auto count = core::parseDecimal(value);
    if (!count.isOk() || value.size() > 6) return core::invalidArgument("_count must be a number");
    query.count = std::min(static_cast<int>(*count), maxCount);
    return true;
  }
  if (name == "_offset") {
    const auto offset = core::parseDecimal(value);
    if (!offset.isOk() || value.size() > 9) {
      return core::invalidArgument("_offset must be a number");
    }
    query.offset = static_cast<int>(*offset);
    return true;
  }
  return false;
}

}  // namespace

bool isStringParam(const std::string& name) {
  return name == "name" || name == "family" || name == "given" || name == "address-city";
}

core::StatusOr<QueryParams> parseQuery(const std::string& query) {
  QueryParams params;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    std::string part =
        query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      BRYGGA_ASSIGN_OR_RETURN(std::string name, core::percentDecode(part.substr(0, eq)));
      std::string value;
      if (eq != std::string::npos) {
        BRYGGA_ASSIGN_OR_RETURN(value, core::percentDecode(part.substr(eq + 1)));
      }
      params.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return params;
}

const std::vector<std::string>& searchParamsFor(const std::string& type) {
  static const std::vector<std::string> kNone = {"_id", "_lastUpdated"};
  static const std::map<std::string, std::vector<std::string>> kParams = {
      {"Patient",
       {"_id", "identifier", "birthdate", "name", "family", "given", "address-city",
        "_lastUpdated"}},
      {"EpisodeOfCare", {"_id", "identifier", "patient", "status", "_lastUpdated"}},
      {"Encounter", {"_id", "identifier", "patient", "subject", "status", "_lastUpdated"}},
      {"CarePlan", {"_id", "identifier", "patient", "subject", "status", "_lastUpdated"}},
      {"Task", {"_id", "identifier", "patient", "subject", "status", "_lastUpdated"}},
      {"ServiceRequest", {"_id", "identifier", "patient", "subject", "status", "_lastUpdated"}},
      {"DocumentReference", {"_id", "identifier", "patient", "subject", "status", "_lastUpdated"}},
      {"Composition", {"_id", "identifier", "patient", "subject", "status", "_lastUpdated"}},
      {"Condition", {"_id", "identifier", "patient", "subject", "_lastUpdated"}},
      {"Organization", {"_id", "identifier", "_lastUpdated"}},
      {"Practitioner", {"_id", "identifier", "name", "family", "given", "_lastUpdated"}},
      {"PractitionerRole", {"_id", "identifier", "_lastUpdated"}},
      {"HealthcareService", {"_id", "identifier", "_lastUpdated"}},
      {"Location", {"_id", "identifier", "status", "_lastUpdated"}},
      {"Provenance", {"_id", "patient", "_lastUpdated"}},
      {"Subscription", {"_id", "status", "_lastUpdated"}},
      {"AuditEvent", {"patient"}},
  };
  auto it = kParams.find(type);
  return it == kParams.end() ? kNone : it->second;
}

std::vector<std::string> sortKeysFor(const std::string& type) {
  if (type == "AuditEvent") return {};  // the audit log's order (search of the audit log)
  return searchParamsFor(type);
}

QueryParams withoutUnknownParams(const std::string& type, const QueryParams& params) {
  const auto& allowed = searchParamsFor(type);
  QueryParams kept;
  for (const auto& param : params) {
    const std::string name = baseNameOf(param.first);
    if (param.first == "_sort") {  // the keys the type sorts by, if any
      std::string keys;
      for (const auto& key : splitComma(param.second)) {
        if (sortKeyOf(type, key)) keys += (keys.empty() ? "" : ",") + key;
      }
      if (!keys.empty()) kept.emplace_back(param.first, keys);
      continue;
    }
    if (isControlParam(name) || std::find(allowed.begin(), allowed.end(), name) != allowed.end()) {
      kept.push_back(param);
    }
  }
  return kept;
}

core::StatusOr<store::SearchQuery> buildHistoryQuery(const std::string& type,
                                                     const QueryParams& params, int defaultCount,
                                                     int maxCount) {
  store::SearchQuery query = firstPageOf(type, defaultCount);
  for (const auto& [name, value] : params) {
    if (name == "_format" || name == "_pretty") continue;
    BRYGGA_ASSIGN_OR_RETURN(bool paging, readPaging(name, value, maxCount, query));
    if (paging) continue;
    if (name == "_since") {
      auto since = core::parseFhirDateTime(value);
      if (!since.isOk()) {
        return core::invalidArgument("_since: '" + value + "' is not a FHIR instant or dateTime");
      }
      query.lastUpdatedGeMs = *since;
      continue;
    }
    const std::string text = "history parameter '" + name +
                             "' is not supported; history takes _count, _offset and "
                             "_since";
    return core::Status(core::StatusCode::kInvalidArgument, text,
                        {core::Issue::error("not-supported", text)});
  }
  return query;
}

core::StatusOr<std::string> normalisePatientReference(const std::string& text) {
  if (fhir::isValidId(text)) return "Patient/" + text;
  const auto bad = [] {
    return core::invalidArgument("a Patient reference is an id, Patient/{id} or a URL ending so");
  };
  size_t pos = text.rfind("Patient/");
  if (pos == std::string::npos || (pos != 0 && text[pos - 1] != '/')) return bad();
  std::string id = text.substr(pos + 8);
  size_t hist = id.find("/_history");
  if (hist != std::string::npos) id = id.substr(0, hist);
  if (!fhir::isValidId(id)) return bad();
  return "Patient/" + id;
}

core::StatusOr<store::SearchQuery> buildSearchQuery(const std::string& type,
                                                    const QueryParams& params, int defaultCount,
                                                    int maxCount) {
  store::SearchQuery query = firstPageOf(type, defaultCount);
  const auto& allowed = searchParamsFor(type);
  bool summaryCount = false;  // whatever _count says
  for (const auto& [rawName, value] : params) {
    std::string name = rawName;
    std::string modifier;
    if (size_t colon = name.find(':'); colon != std::string::npos) {
      modifier = name.substr(colon + 1);
      name = name.substr(0, colon);
    }
    if (name == "_format" || name == "_pretty") continue;
    const bool known = (isStringParam(name) && (modifier == "exact" || modifier == "contains")) ||
                       ((name == "_include" || name == "_revinclude") && modifier == "iterate");
    if (!modifier.empty() && !known) {
      return notSupported(type,
                          "search modifier :" + modifier + " on " + name + " is not supported");
    }
    BRYGGA_ASSIGN_OR_RETURN(bool paging, readPaging(name, value, maxCount, query));
    if (paging) continue;
    if (name == "_summary") {
      // count: the total alone; false: the whole resources, as without it.
      if (value == "count") {
        summaryCount = true;
      } else if (value != "false" && value != "data" && value != "true") {
        return notSupported(
            type, "_summary=" + value + " is not supported (true, count, data and false are)");
      }
      continue;
    }
    if (name == "_sort") {
      for (const auto& key : splitComma(value)) {
        auto sort = sortKeyOf(type, key);
        if (!sort)
          return sortNotSupported(type, key.empty() || key[0] != '-' ? key : key.substr(1));
        query.sort.push_back(std::move(*sort));
      }
      continue;
    }
    if (name == "_elements") continue;  // the answer's shape: resultShapeOf()
    if (name == "_include" || name == "_revinclude") continue;  // includesOf()
    if (name == "_total") {
      // The store counts exactly what a search matches, whatever the client asks for.
      if (value != "none" && value != "estimate" && value != "accurate") {
        return core::invalidArgument("_total must be none, estimate or accurate");
      }
      continue;
    }
    if (name == "_id") {
      store::SearchCriterion ids;
      ids.param = "_id";
      for (const auto& id : splitComma(value)) {
        if (!fhir::isValidId(id)) return core::invalidArgument("_id: '" + id + "' is not an id");
        ids.values.push_back(id);
      }
      query.criteria.push_back(std::move(ids));
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return notSupported(type, "search parameter '" + name + "' is not supported");
    }
    if (value.empty()) return core::invalidArgument("search parameter '" + name + "' has no value");
    if (name == "_lastUpdated") {
      // A prefix is two letters before a digit (ge2026-01-01); anything else is the date itself,
      // and a diagnostic quotes the value as the client sent it.
      const bool prefixed = value.size() > 2 && core::isAsciiAlpha(value[0]) &&
                            core::isAsciiAlpha(value[1]) && !core::isAsciiAlpha(value[2]);
      const std::string prefix = prefixed ? value.substr(0, 2) : "eq";
      const std::string date = prefixed ? value.substr(2) : value;
      auto parsed = core::parseFhirDateTime(date);
      if (!parsed.isOk()) {
        return core::invalidArgument("_lastUpdated: '" + value +
                                     "' is not a FHIR date or dateTime, optionally prefixed with "
                                     "eq, ge, gt, le or lt");
      }
      const int64_t start = *parsed;
      const int64_t end = periodEnd(date, start);
      auto tighten = [](std::optional<int64_t>& bound, int64_t v, bool lower) {
        if (!bound || (lower ? v > *bound : v < *bound)) bound = v;
      };
      if (prefix == "ge") {
        tighten(query.lastUpdatedGeMs, start, true);
      } else if (prefix == "gt") {
        tighten(query.lastUpdatedGeMs, end + 1, true);
      } else if (prefix == "le") {
        tighten(query.lastUpdatedLeMs, end, false);
      } else if (prefix == "lt") {
        tighten(query.lastUpdatedLeMs, start - 1, false);
      } else if (prefix == "eq") {
        tighten(query.lastUpdatedGeMs, start, true);
        tighten(query.lastUpdatedLeMs, end, false);
      } else {
        return core::invalidArgument("_lastUpdated prefix '" + prefix + "' is not supported");
      }
      continue;
    }
    store::SearchCriterion criterion;
    if (name == "birthdate") {
      BRYGGA_ASSIGN_OR_RETURN(criterion, birthdateCriterion(value));
      query.criteria.push_back(std::move(criterion));
      continue;
    }
    if (isStringParam(name)) {
      // R4 string search: starts with (default) or contains the value, both folded for case and
      // accent, or :exact the text as written; a comma separates values to OR (\, is a comma).
      using Match = store::SearchCriterion::Match;
      criterion.param = name;
      criterion.alsoParams = alsoParamsOf(name);
      criterion.match = modifier == "exact"      ? Match::kExact
                        : modifier == "contains" ? Match::kContains
                                                 : Match::kStartsWith;
      for (std::string& part : splitEscapedComma(value)) {
        if (part.empty()) return core::invalidArgument(name + " search needs a value");
        criterion.values.push_back(criterion.match == Match::kExact ? std::move(part)
                                                                    : core::foldForSearch(part));
      }
      query.criteria.push_back(std::move(criterion));
      continue;
    }
    if (name == "identifier") {
      criterion.param = "identifier";
      for (const auto& part : splitComma(value)) {
        size_t bar = part.find('|');
        std::string system = bar == std::string::npos ? std::string() : part.substr(0, bar);
        std::string code = bar == std::string::npos ? part : part.substr(bar + 1);
        if (code.empty()) return core::invalidArgument("identifier search needs a value");
        if (!system.empty()) {
          if (auto person = fhir::personNumberOf(system, code); person.isOk())
            code = person->number;
          system = fhir::canonicalIdentifierSystem(system);
          if (criterion.system && *criterion.system != system) {
            return core::invalidArgument(
                "identifier values with different systems in one "
                "parameter are not supported");
          }
          criterion.system = system;
        }
        criterion.values.push_back(code);
      }
    } else if (name == "patient" || name == "subject") {
      criterion.param = "patient";
      for (const auto& part : splitComma(value)) {
        auto ref = normalisePatientReference(part);
        if (!ref.isOk())
          return core::invalidArgument(name + ": '" + part + "' is not a Patient reference");
        criterion.values.push_back(*ref);
      }
    } else {
      criterion.param = name;
      criterion.values = splitComma(value);
    }
    query.criteria.push_back(std::move(criterion));
  }
  if (query.count < 0) query.count = defaultCount;
  if (summaryCount) query.count = 0;
  return query;
}

core::StatusOr<std::vector<Include>> includesOf(const std::string& type,
                                                const QueryParams& params) {
  std::vector<Include> includes;
  for (const auto& [rawName, value] : params) {
    const std::string name = baseNameOf(rawName);
    if (name != "_include" && name != "_revinclude") continue;
    Include include;
    include.reverse = name == "_revinclude";
    include.iterate = rawName.size() > name.size();  // the only modifier buildSearchQuery lets by
    // T:param[:Patient]
    const size_t colon = value.find(':');
    const size_t target = colon == std::string::npos ? colon : value.find(':', colon + 1);
    include.type = value.substr(0, colon);
    include.param = colon == std::string::npos ? "" : value.substr(colon + 1, target - colon - 1);
    const std::string targetType =
        target == std::string::npos ? "Patient" : value.substr(target + 1);
    const auto& followed = searchParamsFor(include.type);
    if ((include.param != "patient" && include.param != "subject") || targetType != "Patient" ||
        include.type == "AuditEvent" ||
        std::find(followed.begin(), followed.end(), include.param) == followed.end()) {
      return notSupported(type, name + "=" + value +
                                    " is not supported: Brygga includes along the Patient "
                                    "references (T:patient, T:subject) of the types that search "
                                    "by them");
    }
    // Without :iterate an include starts from the matches only.
    const std::string from = include.reverse ? "Patient" : include.type;
    if (!include.iterate && from != type) {
      return notSupported(type, name + "=" + value + " cannot apply to a search of " + type +
                                    " (it starts from " + from +
                                    "; :iterate follows it from "
                                    "what was included)");
    }
    includes.push_back(std::move(include));
  }
  return includes;
}

core::StatusOr<ResultShape> resultShapeOf(const std::string& type, const QueryParams& params) {
  ResultShape shape;
  bool summary = false, elements = false;
  for (const auto& [name, value] : params) {
    if (name == "_summary" && value == "data") shape.dropText = true;
    if (name == "_summary" && value == "true") {
      summary = true;
      shape.dropText = true;
      shape.elements = fhir::summaryElementsOf(type);
      shape.elements.push_back("id");  // never empty, which would mean every element
    }
    elements |= name == "_elements";
    if (name != "_elements") continue;
    for (const auto& element : splitComma(value)) {
      const bool plain =
          !element.empty() && std::all_of(element.begin(), element.end(), [](char c) {
            return core::isAsciiAlpha(c) || core::isAsciiDigit(c);
          });
      if (!plain) {
        return core::invalidArgument("_elements: '" + element + "' is not an element name");
      }
      shape.elements.push_back(element);
    }
  }
  if (summary && elements) {
    return core::invalidArgument("_summary=true and _elements each choose the elements; use one");
  }
  return shape;
}

}  // namespace brygga::search
