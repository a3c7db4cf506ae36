#include "gateway/fhir/definitions.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <unordered_map>
#include <utility>

#include "gateway/fhir/embedded_files.h"
#include "gateway/fhir/invariants.h"

namespace brygga::fhir::r4 {

namespace {

using core::Status;
using rapidjson::Value;

constexpr std::string_view kCorePrefix = "http://hl7.org/fhir/StructureDefinition/";

std::string_view view(const Value& v) {
  return {v.GetString(), v.GetStringLength()};
}

std::string_view str(const Value& object, const char* key) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return view(it->value);
}

const Value* arr(const Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return nullptr;
  return &it->value;
}

Status broken(std::string message) {
  return core::internalError("FHIR definitions: " + std::move(message));
}

uint32_t parseMax(std::string_view max) {
  if (max == "*") return kUnbounded;
  uint32_t n = 0;
  for (const char c : max) {
    if (c < '0' || c > '9') return kUnbounded;
    n = n * 10 + static_cast<uint32_t>(c - '0');
  }
  return n;
}

std::string capitalized(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 32);
  return out;
}

core::Issue::Severity severityOf(std::string_view text) {
  if (text == "warning") return core::Issue::Severity::kWarning;
  if (text == "information") return core::Issue::Severity::kInformation;
  return core::Issue::Severity::kError;
}

std::string_view parentPath(std::string_view path) {
  const size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

std::string_view lastSegment(std::string_view path) {
  const size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

// "Reference(Patient|Group)" -> name "Reference", targets {Patient, Group}.
void splitTypeSpec(std::string_view spec, std::string_view& name,
                   std::vector<std::string>& targets) {
  const size_t open = spec.find('(');
  name = spec.substr(0, open);
  if (open == std::string_view::npos) return;
  std::string_view rest = spec.substr(open + 1);
  if (!rest.empty() && rest.back() == ')') rest.remove_suffix(1);
  while (!rest.empty()) {
    const size_t bar = rest.find('|');
    targets.emplace_back(rest.substr(0, bar));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
}

}  // namespace

const Node::Key* Node::find(std::string_view json) const {
  auto it = std::lower_bound(keys.begin(), keys.end(), json,
                             [](const Key& k, std::string_view j) { return k.json < j; });
  if (it == keys.end() || it->json != json) return nullptr;
  return &*it;
}

void Node::index() {
  keys.clear();
  required.clear();
  for (size_t i = 0; i < children.size(); ++i) {
    const ElementDef* child = children[i];
    for (size_t t = 0; t < child->jsonNames.size(); ++t) {
      keys.push_back(Key{child->jsonNames[t], static_cast<uint16_t>(i), static_cast<uint16_t>(t)});
    }
    if (child->min > 0) required.push_back(static_cast<uint16_t>(i));
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return a.json < b.json; });
}

bool ValueSetDef::contains(std::string_view system, std::string_view code) const {
  for (const auto& [s, codes] : systems) {
    if (s == system) return std::binary_search(codes.begin(), codes.end(), code);
  }
  return false;
}

bool ValueSetDef::containsCode(std::string_view code) const {
  for (const auto& entry : systems) {
    if (std::binary_search(entry.second.begin(), entry.second.end(), code)) return true;
  }
  return false;
}

bool ValueSetDef::hasExternal(std::string_view system) const {
  return std::find(external.begin(), external.end(), system) != external.end();
}

bool CodeSystemDef::contains(std::string_view code) const {
  return std::binary_search(codes.begin(), codes.end(), code);
}

const CodeSystemDef* Definitions::codeSystem(std::string_view url) const {
  auto it = codeSystemsByUrl_.find(url);
  return it == codeSystemsByUrl_.end() ? nullptr : it->second;
}

Definitions::Definitions() : valueOwner_(rapidjson::kObjectType) {}

const TypeDef* Definitions::type(std::string_view name) const {
  auto it = typesByName_.find(name);
  return it == typesByName_.end() ? nullptr : it->second;
}

const ValueSetDef* Definitions::valueSet(std::string_view url) const {
  auto it = valueSetsByUrl_.find(url);
  return it == valueSetsByUrl_.end() ? nullptr : it->second;
}

const Profile* Definitions::profile(std::string_view url) const {
  auto it = profilesByUrl_.find(url);
  return it == profilesByUrl_.end() ? nullptr : it->second;
}

const Value* Definitions::keepValue(const Value& v) {
  return &values_.emplace_back(v, valueOwner_.GetAllocator());
}

const Invariant* Definitions::newInvariant(std::string_view typeName, const Value& constraint,
                                           bool mustExist, Status& status) {
  const std::string_view key = str(constraint, "key");
  InvariantFn fn = findInvariant(typeName, key);
  if (fn == nullptr) {
    if (mustExist) {
      status = broken("profile invariant '" + std::string(key) + "' has no implementation");
    } else {
      unimplemented_.push_back(std::string(typeName) + ":" + std::string(key));
    }
    return nullptr;
  }
  Invariant& inv = invariants_.emplace_back();
  inv.key = std::string(key);
  inv.severity = severityOf(str(constraint, "severity"));
  inv.human = std::string(str(constraint, "human"));
  inv.check = fn;
  return &inv;
}

Status Definitions::loadR4(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return broken("r4/definitions.json does not parse");
  if (auto source = std::as_const(doc).FindMember("source"); source != doc.MemberEnd()) {
    sourceSha256_ = std::string(str(source->value, "sha256"));
  }

  // Shared implicit elements.
  auto implicit = [&](const char* name, const char* path, uint32_t max) -> ElementDef& {
    ElementDef& e = newElement();
    e.path = path;
    e.name = name;
    e.max = max;
    e.jsonNames = {name};
    return e;
  };
  ElementDef& id = implicit("id", "Element.id", 1);
  ElementDef& ext = implicit("extension", "Element.extension", kUnbounded);
  ElementDef& modExt =
      implicit("modifierExtension", "BackboneElement.modifierExtension", kUnbounded);
  elementId = &id;
  extension = &ext;
  modifierExtension = &modExt;

  const Value* primitives = arr(doc, "primitives");
  const Value* types = arr(doc, "types");
  const Value* valueSets = arr(doc, "valueSets");
  if (primitives == nullptr || types == nullptr || valueSets == nullptr) {
    return broken("r4/definitions.json lacks primitives, types or valueSets");
  }
  for (const auto& p : primitives->GetArray()) {
    TypeDef& t = types_.emplace_back();
    t.name = std::string(str(p, "name"));
    t.kind = TypeDef::Kind::kPrimitive;
    t.primitive = primitiveByName(t.name);
    if (t.primitive == Primitive::kNone) return broken("unknown primitive type " + t.name);
    typesByName_[t.name] = &t;
  }
  for (const auto& vs : valueSets->GetArray()) {
    ValueSetDef& v = valueSets_.emplace_back();
    v.url = std::string(str(vs, "url"));
    if (const Value* systems = arr(vs, "systems")) {
      for (const auto& s : systems->GetArray()) {
        std::vector<std::string> codes;
        if (const Value* list = arr(s, "codes")) {
          for (const auto& c : list->GetArray()) {
            if (c.IsString()) codes.emplace_back(view(c));
          }
        }
        std::sort(codes.begin(), codes.end());
        v.systems.emplace_back(std::string(str(s, "system")), std::move(codes));
      }
    }
    if (const Value* external = arr(vs, "external")) {
      for (const auto& e : external->GetArray()) {
        if (e.IsString()) v.external.emplace_back(view(e));
      }
    }
    valueSetsByUrl_[v.url] = &v;
  }

  if (const Value* codeSystems = arr(doc, "codeSystems")) {
    for (const auto& cs : codeSystems->GetArray()) {
      CodeSystemDef& c = codeSystems_.emplace_back();
      c.url = std::string(str(cs, "url"));
      if (const Value* list = arr(cs, "codes")) {
        for (const auto& code : list->GetArray()) {
          if (code.IsString()) c.codes.emplace_back(view(code));
        }
      }
      std::sort(c.codes.begin(), c.codes.end());
      codeSystemsByUrl_[c.url] = &c;
    }
  }

  struct Pending {
    ElementDef* element;
    std::string contentReference;
  };
  std::vector<Pending> contentReferences;
  struct PendingTypes {
    ElementDef* element;
    std::vector<std::string> specs;
  };
  std::vector<PendingTypes> pendingTypes;
  std::vector<std::pair<TypeDef*, Node*>> roots;
  std::unordered_map<std::string, Node*> nodeByPath;

  for (const auto& t : types->GetArray()) {
    TypeDef& type = types_.emplace_back();
    type.name = std::string(str(t, "name"));
    type.kind = str(t, "kind") == "resource" ? TypeDef::Kind::kResource : TypeDef::Kind::kComplex;
    type.abstract = t.HasMember("abstract") && t["abstract"].IsTrue();
    typesByName_[type.name] = &type;
    const Value* elements = arr(t, "elements");
    if (elements == nullptr || elements->Empty()) return broken("type " + type.name + " is empty");

    std::unordered_map<std::string_view, ElementDef*> elementByPath;
    for (const auto& e : elements->GetArray()) {
      const std::string_view path = str(e, "path");
      const std::string_view flags = str(e, "x");
      const bool isRoot = path == type.name;
      Node* ownNode = nullptr;
      auto nodeFor = [&](std::string_view p) -> Node* {
        auto it = nodeByPath.find(std::string(p));
        if (it != nodeByPath.end()) return it->second;
        Node& n = newNode();
        n.path = std::string(p);
        nodeByPath[n.path] = &n;
        return &n;
      };
      if (isRoot) {
        ownNode = nodeFor(path);
        type.root = ownNode;
        roots.emplace_back(&type, ownNode);
        if (const Value* inv = arr(e, "inv")) {
          for (const auto& c : inv->GetArray()) {
            Status s;
            if (const Invariant* i = newInvariant(type.name, c, false, s)) {
              ownNode->invariants.push_back(i);
            }
          }
        }
      } else {
        ElementDef& el = newElement();
        el.path = std::string(path);
        std::string_view name = lastSegment(path);
        if (name.size() > 3 && name.substr(name.size() - 3) == "[x]") {
          el.choice = true;
          name.remove_suffix(3);
        }
        el.name = std::string(name);
        if (e.HasMember("min") && e["min"].IsUint()) el.min = e["min"].GetUint();
        el.max = parseMax(str(e, "max"));
        el.summary = e.HasMember("s");
        if (const std::string_view cr = str(e, "cr"); !cr.empty()) {
          contentReferences.push_back(Pending{&el, std::string(cr)});
        }
        PendingTypes pending{&el, {}};
        if (const Value* list = arr(e, "types")) {
          for (const auto& spec : list->GetArray()) {
            if (spec.IsString()) pending.specs.emplace_back(view(spec));
          }
        }
        pendingTypes.push_back(std::move(pending));
        if (const std::string_view binding = str(e, "binding"); !binding.empty()) {
          el.binding = valueSet(binding);
          if (el.binding == nullptr) return broken("no ValueSet " + std::string(binding));
        }
        if (e.HasMember("fixed")) el.fixed = keepValue(e["fixed"]);
        if (e.HasMember("pattern")) el.pattern = keepValue(e["pattern"]);
        if (const Value* inv = arr(e, "inv")) {
          for (const auto& c : inv->GetArray()) {
            Status s;
            if (const Invariant* i = newInvariant(type.name, c, false, s)) {
              el.invariants.push_back(i);
            }
          }
        }
        auto parent = elementByPath.find(parentPath(path));
        if (parent == elementByPath.end() && parentPath(path) != type.name) {
          return broken("element " + el.path + " has no parent");
        }
        Node* parentNode = nodeFor(parentPath(path));
        if (parent != elementByPath.end()) parent->second->node = parentNode;
        parentNode->children.push_back(&el);
        elementByPath[el.path] = &el;
        if (!flags.empty()) ownNode = nodeFor(path), el.node = ownNode;
      }
      if (ownNode != nullptr) {
        if (flags.find('i') != std::string_view::npos) ownNode->children.push_back(&id);
        if (flags.find('e') != std::string_view::npos) ownNode->children.push_back(&ext);
        if (flags.find('m') != std::string_view::npos) ownNode->children.push_back(&modExt);
      }
    }
  }

  for (auto& [element, specs] : pendingTypes) {
    for (const auto& spec : specs) {
      std::string_view name;
      TypeRef ref;
      splitTypeSpec(spec, name, ref.targets);
      ref.type = type(name);
      if (ref.type == nullptr) return broken("unknown type " + std::string(name));
      ref.ofType =
          name == "SimpleQuantity" || name == "MoneyQuantity" ? "Quantity" : std::string(name);
      element->types.push_back(std::move(ref));
    }
    if (element->choice) {
      for (const auto& t : element->types)
        element->jsonNames.push_back(element->name + capitalized(t.ofType));
    } else {
      element->jsonNames.push_back(element->name);
    }
  }
  // The implicit elements, typed now that the types exist.
  for (auto [element, typeName] : {std::pair<ElementDef*, const char*>{&id, "string"},
                                   {&ext, "Extension"},
                                   {&modExt, "Extension"}}) {
    TypeRef ref;
    ref.type = type(typeName);
    if (ref.type == nullptr) return broken(std::string("no type ") + typeName);
    ref.ofType = typeName;
    element->types.push_back(std::move(ref));
  }
  for (const auto& [element, target] : contentReferences) {
    auto it = nodeByPath.find(target);
    if (it == nodeByPath.end()) return broken("content reference to " + target);
    element->node = it->second;
  }
  for (Node& n : nodes_) n.index();
  for (const auto& [t, root] : roots) {
    if (root->children.empty() && !t->abstract && t->name != "Element") {
      return broken("type " + t->name + " has no elements");
    }
  }
  return Status::ok();
}

// A profile: the base type's tree, copied where the differential changes it.
Status Definitions::loadProfile(std::string_view json) {
  rapidjson::Document sd;
  sd.Parse(json.data(), json.size());
  if (sd.HasParseError() || !sd.IsObject()) return broken("a profile does not parse");
  const std::string url(str(sd, "url"));
  if (str(sd, "resourceType") != "StructureDefinition" || str(sd, "derivation") != "constraint" ||
      url.empty()) {
    return broken("profile " + url + " must be a constraint StructureDefinition with a url");
  }
  const TypeDef* base = type(str(sd, "type"));
  if (base == nullptr || base->kind != TypeDef::Kind::kResource) {
    return broken("profile " + url + " constrains an unknown resource type");
  }
  if (str(sd, "baseDefinition") != std::string(kCorePrefix) + base->name) {
    return broken("profile " + url + " must derive from the core " + base->name);
  }

  // ValueSets contained in the profile, for bindings "#id".
  std::map<std::string, const ValueSetDef*, std::less<>> local;
  if (const Value* contained = arr(sd, "contained")) {
    for (const auto& c : contained->GetArray()) {
      if (str(c, "resourceType") != "ValueSet") continue;
      ValueSetDef& v = valueSets_.emplace_back();
      v.url = url + "#" + std::string(str(c, "id"));
      std::map<std::string, std::vector<std::string>> systems;
      if (const Value* compose = c.IsObject() && c.HasMember("compose") ? &c["compose"] : nullptr) {
        if (const Value* includes = arr(*compose, "include")) {
          for (const auto& inc : includes->GetArray()) {
            auto& codes = systems[std::string(str(inc, "system"))];
            if (const Value* concepts = arr(inc, "concept")) {
              for (const auto& item : concepts->GetArray()) {
                codes.emplace_back(str(item, "code"));
              }
            }
          }
        }
      }
      for (auto& [system, codes] : systems) {
        std::sort(codes.begin(), codes.end());
        v.systems.emplace_back(system, std::move(codes));
      }
      local["#" + std::string(str(c, "id"))] = &v;
    }
  }

  Profile& profile = profileStore_.emplace_back();
  profile.url = url;
  profile.name = std::string(str(sd, "name"));
  profile.type = base;
  std::set<const void*> owned;
  std::vector<Node*> ownedNodes;
  Node& root = newNode();
  root = *base->root;
  owned.insert(&root);
  ownedNodes.push_back(&root);
  profile.root = &root;

  const Value* differential = sd.HasMember("differential") ? &sd["differential"] : nullptr;
  const Value* elements = differential != nullptr ? arr(*differential, "element") : nullptr;
  if (elements == nullptr) return broken("profile " + url + " has no differential");

  for (const auto& e : elements->GetArray()) {
    const std::string_view path = str(e, "path");
    if (e.HasMember("sliceName") || e.HasMember("slicing")) {
      return broken("profile " + url + ": slicing is not supported (" + std::string(path) + ")");
    }
    std::vector<std::string_view> segments;
    for (std::string_view rest = path; !rest.empty();) {
      const size_t dot = rest.find('.');
      segments.push_back(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (segments.empty() || segments[0] != base->name) {
      return broken("profile " + url + ": path " + std::string(path) + " is not in " + base->name);
    }
    Node* node = &root;
    ElementDef* target = nullptr;
    for (size_t i = 1; i < segments.size(); ++i) {
      std::string_view segment = segments[i];
      const bool choice = segment.size() > 3 && segment.substr(segment.size() - 3) == "[x]";
      if (choice) segment.remove_suffix(3);
      size_t index = node->children.size();
      for (size_t c = 0; c < node->children.size(); ++c) {
        if (node->children[c]->name == segment && node->children[c]->choice == choice) index = c;
      }
      if (index == node->children.size()) {
        return broken("profile " + url + ": no element " + std::string(path));
      }
      ElementDef* element = const_cast<ElementDef*>(node->children[index]);
      if (owned.count(element) == 0) {
        element = &newElement();
        *element = *node->children[index];
        owned.insert(element);
        node->children[index] = element;
      }
      if (i + 1 == segments.size()) {
        target = element;
        break;
      }
      // Descend: constrain a copy of the children (the backbone's, or the type's).
      const Node* children = element->node;
      if (children == nullptr) {
        if (element->types.size() != 1 || element->types[0].type->root == nullptr) {
          return broken("profile " + url + ": cannot constrain inside " + element->path);
        }
        children = element->types[0].type->root;
      }
      if (owned.count(children) == 0) {
        Node& copy = newNode();
        copy = *children;
        owned.insert(&copy);
        ownedNodes.push_back(&copy);
        element->node = &copy;
        children = &copy;
      }
      node = const_cast<Node*>(children);
    }

    const std::string typeName = base->name;
    if (target == nullptr) {  // the root: only invariants apply
      if (const Value* constraints = arr(e, "constraint")) {
        for (const auto& c : constraints->GetArray()) {
          Status s;
          const Invariant* inv = newInvariant(typeName, c, true, s);
          if (inv == nullptr) return s;
          root.invariants.push_back(inv);
        }
      }
      continue;
    }
    if (e.HasMember("min") && e["min"].IsUint())
      target->min = std::max(target->min, e["min"].GetUint());
    if (const std::string_view max = str(e, "max"); !max.empty()) {
      target->max = std::min(target->max, parseMax(max));
    }
    if (const Value* typeList = arr(e, "type")) {
      std::vector<TypeRef> kept;
      for (const auto& t : typeList->GetArray()) {
        const std::string_view code = str(t, "code");
        for (const TypeRef& ref : target->types) {
          if (ref.type->name != code) continue;
          TypeRef narrowed = ref;
          if (const Value* targets = arr(t, "targetProfile")) {
            narrowed.targets.clear();
            for (const auto& tp : targets->GetArray()) {
              std::string_view name = view(tp);
              if (name.substr(0, kCorePrefix.size()) == kCorePrefix) {
                name.remove_prefix(kCorePrefix.size());
              }
              narrowed.targets.emplace_back(name);
            }
          }
          kept.push_back(std::move(narrowed));
        }
      }
      if (kept.empty()) return broken("profile " + url + ": no type left on " + target->path);
      target->types = std::move(kept);
      target->jsonNames.clear();
      if (target->choice) {
        for (const auto& t : target->types)
          target->jsonNames.push_back(target->name + capitalized(t.ofType));
      } else {
        target->jsonNames.push_back(target->name);
      }
    }
    if (e.HasMember("binding") && e["binding"].IsObject()) {
      const Value& binding = e["binding"];
      if (str(binding, "strength") == "required") {
        const std::string_view vs = str(binding, "valueSet");
        auto it = local.find(vs);
        target->binding = it != local.end() ? it->second : valueSet(vs);
        if (target->binding == nullptr) {
          return broken("profile " + url + ": unknown ValueSet " + std::string(vs));
        }
      }
    }
    for (auto m = e.MemberBegin(); m != e.MemberEnd(); ++m) {
      const std::string_view key = view(m->name);
      if (key.substr(0, 5) == "fixed") target->fixed = keepValue(m->value);
      if (key.substr(0, 7) == "pattern") target->pattern = keepValue(m->value);
    }
    if (const Value* constraints = arr(e, "constraint")) {
      for (const auto& c : constraints->GetArray()) {
        Status s;
        const Invariant* inv = newInvariant(typeName, c, true, s);
        if (inv == nullptr) return s;
        target->invariants.push_back(inv);
      }
    }
  }
  // Every copied node needs its lookup rebuilt: element copies changed min, max or types.
  for (Node* n : ownedNodes) n->index();
  profilesByUrl_[profile.url] = &profile;
  profileList_.push_back(&profile);
  return Status::ok();
}

core::StatusOr<std::unique_ptr<Definitions>> Definitions::load(
    std::string_view r4Json, const std::vector<std::string_view>& profileJsons) {
  std::unique_ptr<Definitions> defs(new Definitions());
  BRYGGA_RETURN_IF_ERROR(defs->loadR4(r4Json));
  for (const auto& profile : profileJsons) BRYGGA_RETURN_IF_ERROR(defs->loadProfile(profile));
  std::sort(defs->profileList_.begin(), defs->profileList_.end(),
            [](const Profile* a, const Profile* b) { return a->url < b->url; });
  std::sort(defs->unimplemented_.begin(), defs->unimplemented_.end());
  defs->unimplemented_.erase(std::unique(defs->unimplemented_.begin(), defs->unimplemented_.end()),
                             defs->unimplemented_.end());
  return defs;
}

const Definitions& builtinDefinitions() {
  static const Definitions* const kDefinitions = [] {
    std::vector<std::string_view> profiles;
    embedded::forEachFile("profiles/",
                          [&](std::string_view name) { profiles.push_back(embedded::file(name)); });
    auto loaded = Definitions::load(embedded::file("r4/definitions.json"), profiles);
    if (!loaded.isOk()) {
      std::fprintf(stderr, "brygga: %s\n", loaded.status().message().c_str());
      std::abort();
    }
    return std::move(loaded).value().release();
  }();
  return *kDefinitions;
}

}  // namespace brygga::fhir::r4
