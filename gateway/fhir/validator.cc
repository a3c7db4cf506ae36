#include "gateway/fhir/validator.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/fhir/definitions.h"
#include "gateway/fhir/invariants.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/primitives.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::fhir {

namespace {

using core::Issue;
using r4::Definitions;
using r4::ElementDef;
using r4::Invariant;
using r4::Node;
using r4::Primitive;
using r4::TypeDef;
using r4::TypeRef;
using r4::ValueSetDef;
using rapidjson::SizeType;
using rapidjson::Value;

constexpr std::string_view kCoreProfilePrefix = "http://hl7.org/fhir/StructureDefinition/";
// Nesting of JSON objects the walk descends into; far beyond any real resource, well within
// the stack. Parsed input is bounded earlier by the reader's depth limit.
constexpr int kMaxDepth = 200;
// A document can be made to fail on every element; past this many issues the rest is summed up
// in one, so an answer stays bounded.
constexpr size_t kMaxIssues = 2000;

std::string_view view(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

bool startsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool hasSpaceOrControl(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

bool isAbsoluteHttpUrl(std::string_view text) {
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (startsWith(text, scheme)) return text.size() > scheme.size();
  }
  return false;
}

// nullptr when `ref` is a well-formed Reference.reference, else what is wrong with it.
const char* referenceProblem(std::string_view ref, bool allowConditional) {
  if (hasSpaceOrControl(ref)) return "a reference must not contain spaces or control characters";
  if (ref[0] == '#') {
    return ref.size() == 1 || isValidId(ref.substr(1))
               ? nullptr
               : "a local reference must be '#' followed by the id of a contained resource";
  }
  if (startsWith(ref, "urn:uuid:")) {
    return r4::isUuidUri(ref) ? nullptr : "urn:uuid: must be followed by a lowercase UUID";
  }
  if (startsWith(ref, "urn:oid:")) {
    return r4::isOidUri(ref) ? nullptr : "urn:oid: must be followed by a valid OID";
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

// The resource type a reference names by its form: "Patient/1", "http://x/fhir/Patient/1",
// "Patient/1/_history/2", "Patient?identifier=..."; empty when the form does not say.
std::string_view typeNamedBy(std::string_view ref) {
  const size_t question = ref.find('?');
  if (question != std::string_view::npos) {
    const size_t slash = ref.find('/');
    if (slash == std::string_view::npos || slash > question) return ref.substr(0, question);
    ref = ref.substr(0, question);
  }
  const size_t history = ref.find("/_history/");
  if (history != std::string_view::npos) ref = ref.substr(0, history);
  const size_t last = ref.rfind('/');
  if (last == std::string_view::npos || last == 0) return {};
  const size_t before = ref.rfind('/', last - 1);
  const size_t start = before == std::string_view::npos ? 0 : before + 1;
  const std::string_view type = ref.substr(start, last - start);
  return isKnownR4ResourceType(type) ? type : std::string_view();
}

// A URI with a scheme ("http:", "urn:"): what code and identifier systems must be.
bool isAbsoluteUri(std::string_view uri) {
  const size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!letter(uri[0])) return false;
  return std::all_of(uri.begin(), uri.begin() + static_cast<std::ptrdiff_t>(colon), [&](char c) {
    return letter(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
  });
}

const Value* member(const Value& object, std::string_view key) {
  return fhir::member(object, key);
}

// Deep "pattern" match: every member the pattern names is there with a matching value; every
// item of a pattern array matches some item of the value's array.
bool matchesPattern(const Value& value, const Value& pattern) {
  if (pattern.IsObject()) {
    if (!value.IsObject()) return false;
    for (auto m = pattern.MemberBegin(); m != pattern.MemberEnd(); ++m) {
      auto it = value.FindMember(m->name);
      if (it == value.MemberEnd() || !matchesPattern(it->value, m->value)) return false;
    }
    return true;
  }
  if (pattern.IsArray()) {
    if (!value.IsArray()) return false;
    for (const auto& p : pattern.GetArray()) {
      bool found = false;
      for (const auto& v : value.GetArray()) found = found || matchesPattern(v, p);
      if (!found) return false;
    }
    return true;
  }
  return value == pattern;
}

struct RootScope {
  const Value* resource = nullptr;
  std::vector<std::string_view> localReferences;  // ids referred to as "#id"
  std::vector<bool> containedRefersToContainer;
};

struct ResourceFrame {
  const Value* resource;
  size_t scope;
  int containedIndex;  // -1 unless a contained resource
};

struct BundleScope {
  std::string_view type;
  std::vector<std::pair<std::string_view, const Value*>> entries;  // fullUrl -> resource
};

struct Types {
  const TypeDef* reference;
  const TypeDef* identifier;
  const TypeDef* coding;
  const TypeDef* codeableConcept;
  const TypeDef* resource;
  const TypeDef* element;
};

class Walker final : public r4::InvariantContext {
 public:
  Walker(const Definitions& defs, const Types& types, std::vector<Issue>& issues)
      : defs_(defs), types_(types), issues_(&issues) {}

  void run(const Value& root) {
    path_.clear();
    validateResource(root, -1);
    if (issues_->size() >= kMaxIssues) {
      issues_->push_back(Issue::error(
          "too-costly", "validation stopped after " + std::to_string(kMaxIssues) + " issues", ""));
    }
  }

  // --- InvariantContext ----------------------------------------------------------------------

  void fail(std::string_view subPath, std::string_view detail) override {
    std::string diagnostics = invariant_->key + ": " + invariant_->human;
    diagnostics += detail;
    std::string expression = path_;
    expression += subPath;
    add(invariant_->severity, "invariant", std::move(diagnostics), std::move(expression));
  }

  const Value& resource() const override { return *frames_.back().resource; }

  const Value& rootResource() const override { return *scopes_[frames_.back().scope].resource; }

  const Value* resolve(std::string_view reference) const override {
    if (reference.empty()) return nullptr;
    if (reference[0] == '#') {
      const Value* contained = member(rootResource(), "contained");
      if (contained == nullptr || !contained->IsArray()) return nullptr;
      for (const auto& r : contained->GetArray()) {
        if (stringMember(r, "id") == reference.substr(1)) return &r;
      }
      return nullptr;
    }
    if (bundles_.empty()) return nullptr;
    const BundleScope& bundle = bundles_.back();
    for (const auto& [fullUrl, resource] : bundle.entries) {
      if (fullUrl == reference) return resource;
    }
    // A relative "Type/id" matches an entry's fullUrl ending in it, or the entry's own type/id.
    const std::string_view type = typeNamedBy(reference);
    if (type.empty() || startsWith(reference, "http")) return nullptr;
    const std::string_view id = reference.substr(type.size() + 1);
    for (const auto& [fullUrl, resource] : bundle.entries) {
      if (resource == nullptr) continue;
      if (fullUrl.size() > reference.size() &&
          fullUrl.substr(fullUrl.size() - reference.size()) == reference &&
          fullUrl[fullUrl.size() - reference.size() - 1] == '/') {
        return resource;
      }
      if (stringMember(*resource, "resourceType") == type && stringMember(*resource, "id") == id) {
        return resource;
      }
    }
    return nullptr;
  }

  bool referencesLocally(std::string_view id) const override {
    const auto& refs = scopes_[frames_.back().scope].localReferences;
    return std::find(refs.begin(), refs.end(), id) != refs.end();
  }

  bool containedRefersToContainer(size_t index) const override {
    const auto& flags = scopes_[frames_.back().scope].containedRefersToContainer;
    return index < flags.size() && flags[index];
  }

 private:
  // --- Issues and paths ----------------------------------------------------------------------

  void add(Issue::Severity severity, const char* code, std::string diagnostics,
           std::string expression) {
    if (issues_->size() >= kMaxIssues) return;
    Issue issue;
    issue.severity = severity;
    issue.code = code;
    issue.diagnostics = std::move(diagnostics);
    issue.expression = std::move(expression);
    issues_->push_back(std::move(issue));
  }

  void error(const char* code, std::string diagnostics, std::string_view subPath = {}) {
    std::string expression = path_;
    expression += subPath;
    add(Issue::Severity::kError, code, std::move(diagnostics), std::move(expression));
  }

  void pushName(std::string_view name) {
    if (!path_.empty()) path_ += '.';
    path_ += name;
  }

  void pushIndex(SizeType i) {
    char buffer[16];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, i);
    (void)ec;
    path_ += '[';
    path_.append(buffer, end);
    path_ += ']';
  }

  // --- Resources -----------------------------------------------------------------------------

  void validateResource(const Value& v, int containedIndex) {
    if (!v.IsObject()) {
      error("structure", "a resource must be a JSON object");
      return;
    }
    const Value* resourceType = member(v, "resourceType");
    const size_t mark = path_.size();
    if (resourceType == nullptr) {
      pushName("resourceType");
      error("required", "resourceType is missing");
      path_.resize(mark);
      return;
    }
    if (!resourceType->IsString()) {
      pushName("resourceType");
      error("structure", "resourceType must be a string");
      path_.resize(mark);
      return;
    }
    const std::string_view typeName = view(*resourceType);
    const TypeDef* type = defs_.type(typeName);
    if (type == nullptr || type->kind != TypeDef::Kind::kResource || type->abstract) {
      pushName("resourceType");
      error("invalid",
            (type != nullptr && type->abstract ? "abstract type " : "unknown resource type ") +
                quoteForDiagnostics(typeName) + " cannot be instantiated");
      path_.resize(mark);
      return;
    }
    if (path_.empty()) path_ = typeName;

    std::vector<const r4::Profile*> profiles;
    selectProfiles(v, *type, profiles);

    if (containedIndex < 0) {
      RootScope& scope = scopes_.emplace_back();
      scope.resource = &v;
      frames_.push_back(ResourceFrame{&v, scopes_.size() - 1, -1});
    } else {
      frames_.push_back(ResourceFrame{&v, frames_.back().scope, containedIndex});
    }
    const bool isBundle = typeName == "Bundle";
    if (isBundle) enterBundle(v);

    if (profiles.empty()) {
      validateObject(*type->root, v, true);
    } else {
      validateObject(*profiles[0]->root, v, true);
      for (size_t i = 1; i < profiles.size(); ++i) {
        // Further profiles: their findings, without repeating what the first one reported.
        std::vector<Issue> more;
        std::vector<Issue>* saved = issues_;
        issues_ = &more;
        validateObject(*profiles[i]->root, v, true);
        issues_ = saved;
        for (auto& issue : more) {
          const bool known = std::any_of(issues_->begin(), issues_->end(), [&](const Issue& seen) {
            return seen.expression == issue.expression && seen.diagnostics == issue.diagnostics;
          });
          if (!known && issues_->size() < kMaxIssues) issues_->push_back(std::move(issue));
        }
      }
    }
    if (isBundle) {
      checkBundleEntries(v);
      bundles_.pop_back();
    }
    frames_.pop_back();
  }

  void selectProfiles(const Value& v, const TypeDef& type,
                      std::vector<const r4::Profile*>& profiles) {
    const Value* meta = member(v, "meta");
    const Value* list = meta != nullptr ? member(*meta, "profile") : nullptr;
    if (list == nullptr || !list->IsArray()) return;  // the walk reports a bad shape
    for (SizeType i = 0; i < list->Size(); ++i) {
      const Value& p = (*list)[i];
      if (!p.IsString()) continue;
      std::string_view url = view(p);
      const size_t bar = url.find('|');
      if (bar != std::string_view::npos) url = url.substr(0, bar);
      const size_t mark = path_.size();
      pushName("meta.profile");
      pushIndex(i);
      if (startsWith(url, kCoreProfilePrefix) &&
          url.substr(kCoreProfilePrefix.size()) == type.name) {
        // The base definition itself.
      } else if (const r4::Profile* profile = defs_.profile(url)) {
        if (profile->type != &type) {
          error("invalid", "profile " + quoteForDiagnostics(url) + " constrains " +
                               profile->type->name + ", not " + type.name);
        } else if (std::find(profiles.begin(), profiles.end(), profile) == profiles.end()) {
          profiles.push_back(profile);
        }
      } else {
        add(Issue::Severity::kWarning, "not-supported",
            "profile " + quoteForDiagnostics(url) +
                " is not known to Brygga; validated against the base definition only",
            path_);
      }
      path_.resize(mark);
    }
  }

  void enterBundle(const Value& bundle) {
    BundleScope& scope = bundles_.emplace_back();
    scope.type = stringMember(bundle, "type");
    const Value* entries = member(bundle, "entry");
    if (entries == nullptr || !entries->IsArray()) return;
    for (const auto& e : entries->GetArray()) {
      const Value* resource = member(e, "resource");
      scope.entries.emplace_back(stringMember(e, "fullUrl"),
                                 resource != nullptr && resource->IsObject() ? resource : nullptr);
    }
  }

  bool inTransaction() const {
    return !bundles_.empty() &&
           (bundles_.back().type == "transaction" || bundles_.back().type == "batch");
  }

  // Brygga's Bundle rules beyond the spec's invariants: fullUrl is absolute (http(s), urn:uuid,
  // urn:oid), and a transaction or batch POST/PUT entry carries the resource it writes.
  void checkBundleEntries(const Value& bundle) {
    const Value* entries = member(bundle, "entry");
    if (entries == nullptr || !entries->IsArray()) return;
    const bool transactionLike = inTransaction();
    const size_t mark = path_.size();
    for (SizeType i = 0; i < entries->Size(); ++i) {
      const Value& e = (*entries)[i];
      if (!e.IsObject()) continue;
      pushName("entry");
      pushIndex(i);
      const Value* fullUrl = member(e, "fullUrl");
      if (fullUrl != nullptr && fullUrl->IsString() && fullUrl->GetStringLength() > 0) {
        const std::string_view url = view(*fullUrl);
        const bool ok = !hasSpaceOrControl(url) &&
                        (isAbsoluteHttpUrl(url) || r4::isUuidUri(url) || r4::isOidUri(url));
        if (!ok) {
          error("value",
                "fullUrl must be an absolute http(s) URL, urn:uuid:<uuid> or urn:oid:<oid>",
                ".fullUrl");
        }
      }
      const Value* request = member(e, "request");
      if (transactionLike && request != nullptr && request->IsObject()) {
        const std::string_view method = stringMember(*request, "method");
        const Value* resource = member(e, "resource");
        if ((method == "POST" || method == "PUT") && resource == nullptr) {
          error("required", std::string(method) + " entries must carry a resource", ".resource");
        }
      }
      path_.resize(mark);
    }
  }

  // --- Objects -------------------------------------------------------------------------------

  void validateObject(const Node& node, const Value& object, bool resourceRoot) {
    if (depth_ >= kMaxDepth) {
      error("structure", "nested too deeply");
      return;
    }
    ++depth_;
    if (counts_.size() < static_cast<size_t>(depth_)) counts_.emplace_back();
    std::vector<uint32_t>* counts = &counts_[static_cast<size_t>(depth_ - 1)];
    counts->assign(node.children.size(), 0);

    if (object.MemberCount() == 0) {
      error("invariant", "ele-1: All FHIR elements must have a @value or children");
    }
    bool underscores = false;
    for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
      if (m->name.GetStringLength() > 0 && m->name.GetString()[0] == '_') underscores = true;
    }
    const size_t mark = path_.size();
    for (auto m = object.MemberBegin(); m != object.MemberEnd(); ++m) {
      const std::string_view name = view(m->name);
      if (resourceRoot && name == "resourceType") continue;
      if (!name.empty() && name[0] == '_') {
        validatePrimitiveExtension(node, object, name, m->value, *counts);
        continue;
      }
      const Node::Key* key = node.find(name);
      if (key == nullptr) {
        pushName(name);
        error("structure", name == "resourceType"
                               ? "resourceType is only allowed on a resource"
                               : "unknown element " + quoteForDiagnostics(name) + " in " +
                                     (node.path.empty() ? std::string("this element") : node.path));
        path_.resize(mark);
        continue;
      }
      const ElementDef& element = *node.children[key->child];
      const TypeRef* type = element.types.empty() ? nullptr : &element.types[key->type];
      uint32_t& count = (*counts)[key->child];
      pushName(element.name);
      if (element.choice) {
        path_ += ".ofType(";
        path_ += type->ofType;
        path_ += ')';
        if (count > 0) {
          error("structure", "only one of the " + element.name + "[x] types may be present");
        }
      }
      count += m->value.IsArray() ? m->value.Size() : 1;
      const Value* extension = nullptr;
      if (underscores && type != nullptr && type->type->kind == TypeDef::Kind::kPrimitive) {
        std::string underscored = "_";
        underscored += name;
        extension = member(object, underscored);
      }
      validateMember(element, type, m->value, extension);
      path_.resize(mark);
    }
    for (const uint16_t index : node.required) {
      if ((*counts)[index] > 0) continue;
      const ElementDef& element = *node.children[index];
      pushName(element.name);
      error("required", element.path + " is required (minimum cardinality " +
                            std::to_string(element.min) + ")");
      path_.resize(mark);
    }
    for (const Invariant* inv : node.invariants) runInvariant(*inv, object);
    --depth_;
  }

  // `_name`: the id and extensions of primitive `name`, an object or an array aligned with the
  // primitive's array.
  void validatePrimitiveExtension(const Node& node, const Value& object, std::string_view name,
                                  const Value& value, std::vector<uint32_t>& counts) {
    const size_t mark = path_.size();
    const std::string_view base = name.substr(1);
    const Node::Key* key = node.find(base);
    const ElementDef* element = key != nullptr ? node.children[key->child] : nullptr;
    const TypeRef* type =
        element != nullptr && !element->types.empty() ? &element->types[key->type] : nullptr;
    if (type == nullptr || type->type->kind != TypeDef::Kind::kPrimitive) {
      pushName(name);
      error("structure", "unknown element " + quoteForDiagnostics(name) +
                             " (only primitive elements have a '_' extension part)");
      path_.resize(mark);
      return;
    }
    const Value* primitive = member(object, base);
    if (primitive == nullptr) counts[key->child] += value.IsArray() ? value.Size() : 1;
    pushName(element->name);
    if (element->choice) {
      path_ += ".ofType(";
      path_ += type->ofType;
      path_ += ')';
    }
    const Node& elementNode = *types_.element->root;
    if (value.IsArray()) {
      if (element->max <= 1) {
        error("structure", "must be a single object, not an array");
      } else if (primitive != nullptr &&
                 (!primitive->IsArray() || primitive->Size() != value.Size())) {
        error("structure", "_" + element->name + " must have as many items as " + element->name);
      } else {
        for (SizeType i = 0; i < value.Size(); ++i) {
          const Value& item = value[i];
          if (item.IsNull()) continue;
          const size_t itemMark = path_.size();
          pushIndex(i);
          if (!item.IsObject()) {
            error("structure", "primitive extensions must be objects");
          } else {
            validateObject(elementNode, item, false);
          }
          path_.resize(itemMark);
        }
      }
    } else if (!value.IsObject()) {
      error("structure", "primitive extensions must be objects");
    } else {
      validateObject(elementNode, value, false);
    }
    path_.resize(mark);
  }

  void validateMember(const ElementDef& element, const TypeRef* type, const Value& value,
                      const Value* extension) {
    if (element.max == 0) {
      error("structure", element.path + " is not allowed here (maximum cardinality 0)");
      return;
    }
    const bool many = element.max > 1;
    if (value.IsArray()) {
      if (!many) {
        error("structure", element.path + " takes a single value, not an array");
        return;
      }
      if (value.Empty()) {
        error("structure", "an array must not be empty (leave the element out instead)");
        return;
      }
      if (value.Size() > element.max) {
        error("structure",
              element.path + " allows at most " + std::to_string(element.max) + " values");
      }
      const size_t mark = path_.size();
      for (SizeType i = 0; i < value.Size(); ++i) {
        pushIndex(i);
        const Value& item = value[i];
        if (item.IsNull()) {
          const bool extended = extension != nullptr && extension->IsArray() &&
                                i < extension->Size() && !(*extension)[i].IsNull();
          if (!extended)
            error("structure", "null is only allowed where _" + element.name +
                                   " has extensions at the same index");
        } else {
          validateValue(element, type, item, static_cast<int>(i));
        }
        path_.resize(mark);
      }
      return;
    }
    if (many) {
      error("structure", element.path + " must be an array");
      return;
    }
    if (value.IsNull()) {
      error("structure", "null is not a value; leave the element out");
      return;
    }
    validateValue(element, type, value, -1);
  }

  void validateValue(const ElementDef& element, const TypeRef* type, const Value& value,
                     int index) {
    const TypeDef* t = type != nullptr ? type->type : nullptr;
    if (element.node != nullptr && (t == nullptr || t->kind != TypeDef::Kind::kPrimitive)) {
      if (!value.IsObject()) {
        error("structure", element.path + " must be a JSON object");
        return;
      }
      validateObject(*element.node, value, false);
      if (t != nullptr) afterComplex(element, *type, value);
    } else if (t == nullptr) {
      return;  // cannot happen with the generated definitions: every leaf has a type
    } else if (t->kind == TypeDef::Kind::kPrimitive) {
      validatePrimitive(element, t->primitive, value);
    } else if (t == types_.resource) {
      const bool contained = element.name == "contained";
      if (contained && value.IsObject()) {
        auto& flags = scopes_[frames_.back().scope].containedRefersToContainer;
        if (flags.size() <= static_cast<size_t>(index))
          flags.resize(static_cast<size_t>(index) + 1);
      }
      validateResource(value, contained ? std::max(index, 0) : -1);
    } else {
      if (!value.IsObject()) {
        error("structure", element.path + " must be a JSON object (" + t->name + ")");
        return;
      }
      validateObject(*t->root, value, false);
      afterComplex(element, *type, value);
    }
    if (element.fixed != nullptr && !(value == *element.fixed)) {
      error("value", element.path + " must have the fixed value " + toJson(*element.fixed));
    }
    if (element.pattern != nullptr && !matchesPattern(value, *element.pattern)) {
      error("value", element.path + " must match the pattern " + toJson(*element.pattern));
    }
    for (const Invariant* inv : element.invariants) runInvariant(*inv, value);
  }

  void validatePrimitive(const ElementDef& element, Primitive primitive, const Value& value) {
    if (const char* problem = r4::primitiveProblem(primitive, value)) {
      const bool jsonTypeWrong =
          value.IsObject() || value.IsArray() ||
          (value.IsString() !=
           (primitive != Primitive::kBoolean && primitive != Primitive::kInteger &&
            primitive != Primitive::kPositiveInt && primitive != Primitive::kUnsignedInt &&
            primitive != Primitive::kDecimal));
      error(jsonTypeWrong ? "structure" : "value",
            std::string(r4::primitiveName(primitive)) + " " + problem);
      return;
    }
    if (!value.IsString()) return;
    const std::string_view text = view(value);
    if (!text.empty() && text[0] == '#' &&
        (primitive == Primitive::kUri || primitive == Primitive::kCanonical)) {
      noteLocalReference(text);
    }
    if (element.binding != nullptr) checkCode(*element.binding, text);
  }

  // --- Type-specific rules -------------------------------------------------------------------

  void afterComplex(const ElementDef& element, const TypeRef& type, const Value& value) {
    const TypeDef* t = type.type;
    if (t == types_.reference) {
      checkReference(type, value);
    } else if (t == types_.identifier) {
      checkIdentifier(value);
    } else if (t == types_.coding) {
      checkCodeSystem(value);
    }
    if (element.binding != nullptr) {
      if (t == types_.coding) {
        checkCoding(*element.binding, value);
      } else if (t == types_.codeableConcept) {
        checkConcept(*element.binding, value);
      }
    }
  }

  void noteLocalReference(std::string_view ref) {
    RootScope& scope = scopes_[frames_.back().scope];
    if (ref.size() == 1) {
      const int index = frames_.back().containedIndex;
      if (index >= 0) {
        auto& flags = scope.containedRefersToContainer;
        if (flags.size() <= static_cast<size_t>(index))
          flags.resize(static_cast<size_t>(index) + 1);
        flags[static_cast<size_t>(index)] = true;
      }
      return;
    }
    scope.localReferences.push_back(ref.substr(1));
  }

  void checkReference(const TypeRef& type, const Value& value) {
    const Value* reference = member(value, "reference");
    if (reference == nullptr || !reference->IsString() || reference->GetStringLength() == 0) {
      return;  // shape and emptiness are reported by the walk
    }
    const std::string_view ref = view(*reference);
    if (const char* problem = referenceProblem(ref, inTransaction())) {
      error("value", std::string("invalid reference: ") + problem, ".reference");
      return;
    }
    if (ref[0] == '#') noteLocalReference(ref);
    std::string_view target;
    if (ref[0] == '#' || startsWith(ref, "urn:")) {
      if (const Value* resolved = resolve(ref)) {
        target = stringMember(*resolved, "resourceType");
      } else if (startsWith(ref, "urn:uuid:") && !bundles_.empty() &&
                 bundles_.back().type == "transaction") {
        error("not-found", "the reference is not to an entry of this transaction", ".reference");
        return;
      }
    } else {
      target = typeNamedBy(ref);
    }
    if (target.empty() || type.targets.empty()) return;
    if (std::find(type.targets.begin(), type.targets.end(), target) != type.targets.end()) return;
    std::string allowed;
    for (const auto& t : type.targets) allowed += (allowed.empty() ? "" : ", ") + t;
    error(
        "structure",
        "a reference to " + std::string(target) + " is not allowed here (expected " + allowed + ")",
        ".reference");
  }

  // Swedish identifiers (HL7 Sweden base profiles): personnummer and samordningsnummer by
  // format, real date and Luhn check digit; HSA-ids by format. Messages never echo the number.
  void checkIdentifier(const Value& identifier) {
    const std::string_view system = stringMember(identifier, "system");
    if (!system.empty() && !isAbsoluteUri(system)) {
      error("value", "Identifier.system must be an absolute URI, not a local name", ".system");
      return;
    }
    const Value* valueMember = member(identifier, "value");
    if (system.empty() || valueMember == nullptr || !valueMember->IsString()) return;
    const std::string_view value = view(*valueMember);
    if (const auto kind = personNumberKind(system)) {
      if (auto number = personNumberOf(system, value); !number.isOk()) {
        error("value",
              std::string(*kind == PersonNumberKind::kPersonnummer
                              ? "not a valid personnummer: "
                              : "not a valid samordningsnummer: ") +
                  number.status().message(),
              ".value");
      }
    } else if (r4::isHsaSystem(system)) {
      if (!isValidHsaId(value)) {
        error("value",
              "not a valid HSA-id: expected SE, a 10-digit organisation number, an optional '-' "
              "and 1 to 21 letters or digits",
              ".value");
      }
    }
  }

  static std::string describe(const ValueSetDef& vs) {
    std::string out = "the required ValueSet " + vs.url;
    size_t total = 0;
    for (const auto& s : vs.systems) total += s.second.size();
    if (total > 0 && total <= 12) {
      out += " (";
      bool first = true;
      for (const auto& s : vs.systems) {
        for (const auto& c : s.second) {
          out += (first ? "" : " | ") + c;
          first = false;
        }
      }
      out += ")";
    }
    return out;
  }

  // Codes from systems the definitions cannot enumerate are checked by form.
  static bool externalCodeOk(const ValueSetDef& vs, std::string_view system,
                             std::string_view code) {
    if (!system.empty() && !vs.hasExternal(system)) return false;
    if (system.empty() && vs.external.empty()) return false;
    if (vs.hasExternal("urn:ietf:bcp:13") && (system.empty() || system == "urn:ietf:bcp:13")) {
      // CapabilityStatement.format documents xml, json and ttl beside mime types.
      if (code == "xml" || code == "json" || code == "ttl") return true;
      const size_t slash = code.find('/');
      return slash != std::string_view::npos && slash > 0 && slash + 1 < code.size();
    }
    if (vs.hasExternal("urn:iso:std:iso:4217") &&
        (system.empty() || system == "urn:iso:std:iso:4217")) {
      return code.size() == 3 &&
             std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    }
    return true;
  }

  // A Coding of a code system the definitions know completely must use one of its codes,
  // whatever the binding.
  void checkCodeSystem(const Value& coding) {
    const std::string_view system = stringMember(coding, "system");
    const std::string_view code = stringMember(coding, "code");
    if (!system.empty() && !isAbsoluteUri(system)) {
      error("value", "Coding.system must be an absolute URI, not a local name", ".system");
      return;
    }
    if (system.empty() || code.empty()) return;
    const r4::CodeSystemDef* cs = defs_.codeSystem(system);
    if (cs == nullptr || cs->contains(code)) return;
    error("code-invalid",
          "unknown code " + quoteForDiagnostics(code) + " in the code system " + cs->url, ".code");
  }

  void checkCode(const ValueSetDef& vs, std::string_view code) {
    if (vs.containsCode(code) || externalCodeOk(vs, {}, code)) return;
    error("code-invalid", "the code " + quoteForDiagnostics(code) + " is not in " + describe(vs));
  }

  bool codingInValueSet(const ValueSetDef& vs, const Value& coding) {
    const std::string_view system = stringMember(coding, "system");
    const std::string_view code = stringMember(coding, "code");
    if (code.empty()) return false;
    return vs.contains(system, code) || externalCodeOk(vs, system, code);
  }

  void checkCoding(const ValueSetDef& vs, const Value& coding) {
    const std::string_view code = stringMember(coding, "code");
    if (code.empty() && stringMember(coding, "system").empty()) {
      error("code-invalid", "a code from " + describe(vs) + " is required");
      return;
    }
    if (codingInValueSet(vs, coding)) return;
    error("code-invalid", "the code " + quoteForDiagnostics(code) + " (system " +
                              quoteForDiagnostics(stringMember(coding, "system")) + ") is not in " +
                              describe(vs));
  }

  void checkConcept(const ValueSetDef& vs, const Value& codeableConcept) {
    const Value* codings = member(codeableConcept, "coding");
    if (codings != nullptr && codings->IsArray()) {
      for (const auto& c : codings->GetArray()) {
        if (codingInValueSet(vs, c)) return;
      }
    }
    error("code-invalid", "no coding is from " + describe(vs));
  }

  void runInvariant(const Invariant& inv, const Value& focus) {
    const Invariant* saved = invariant_;
    invariant_ = &inv;
    inv.check(*this, focus);
    invariant_ = saved;
  }

  const Definitions& defs_;
  const Types& types_;
  std::vector<Issue>* issues_;
  std::string path_;
  std::deque<RootScope> scopes_;
  std::vector<ResourceFrame> frames_;
  std::vector<BundleScope> bundles_;
  std::deque<std::vector<uint32_t>> counts_;  // per depth; a deque keeps references stable
  const Invariant* invariant_ = nullptr;
  int depth_ = 0;
};

class DefinitionValidator final : public Validator {
 public:
  explicit DefinitionValidator(const Definitions& defs)
      : defs_(defs), types_{defs.type("Reference"), defs.type("Identifier"),
                            defs.type("Coding"),    defs.type("CodeableConcept"),
                            defs.type("Resource"),  defs.type("Element")} {}

  std::vector<Issue> validate(const Value& resource) const override {
    std::vector<Issue> issues;
    Walker(defs_, types_, issues).run(resource);
    return issues;
  }

 private:
  const Definitions& defs_;
  const Types types_;
};

}  // namespace

std::unique_ptr<Validator> makeValidator() {
  return std::make_unique<DefinitionValidator>(r4::builtinDefinitions());
}

std::vector<std::string> knownProfiles(std::string_view resourceType) {
  std::vector<std::string> urls;
  for (const r4::Profile* p : r4::builtinDefinitions().profiles()) {
    if (resourceType.empty() || p->type->name == resourceType) urls.push_back(p->url);
  }
  return urls;
}

}  // namespace brygga::fhir
