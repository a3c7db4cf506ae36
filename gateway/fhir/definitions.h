#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "gateway/fhir/primitives.h"

// The compiled form of the FHIR R4 definitions (gateway/fhir/r4/definitions.json, generated from
// the official package) and of Brygga's profiles (gateway/fhir/profiles/*.json): lookup tables
// built once, immutable afterwards, shared by every validator in the process.
namespace brygga::fhir::r4 {

struct TypeDef;
struct Node;
struct ValueSetDef;
class InvariantContext;

// A constraint implemented in C++ (see invariants.h), evaluated on each value of the element it
// sits on. Reports through the context.
using InvariantFn = void (*)(InvariantContext& context, const rapidjson::Value& focus);

struct Invariant {
  std::string key;
  core::Issue::Severity severity = core::Issue::Severity::kError;
  std::string human;
  InvariantFn check = nullptr;
};

constexpr uint32_t kUnbounded = UINT32_MAX;

struct TypeRef {
  const TypeDef* type = nullptr;
  // The name FHIRPath's ofType() and the JSON choice suffix use ("Quantity" for SimpleQuantity).
  std::string ofType;
  // Allowed target resource types of a Reference or canonical; empty: any.
  std::vector<std::string> targets;
};

struct ElementDef {
  std::string path;  // as in the definition: "Patient.contact.name", "Observation.value[x]"
  std::string name;  // the JSON name; for a choice, without [x]
  bool choice = false;
  uint32_t min = 0;
  uint32_t max = kUnbounded;
  bool summary = false;  // isSummary: in the resource's summary (_summary=true)
  std::vector<TypeRef> types;
  // JSON names of a choice element, one per type ("valueString", ...); the name alone otherwise.
  std::vector<std::string> jsonNames;
  // The children to validate a value against when the element has its own (a backbone element,
  // a content reference, or a profile's constrained view of a complex type); else the type's.
  const Node* node = nullptr;
  const ValueSetDef* binding = nullptr;  // required bindings only
  const rapidjson::Value* fixed = nullptr;
  const rapidjson::Value* pattern = nullptr;
  std::vector<const Invariant*> invariants;
};

// An element with children: the root of a complex type or resource, or a backbone element.
struct Node {
  std::string path;
  std::vector<const ElementDef*> children;
  struct Key {
    std::string_view json;
    uint16_t child;
    uint16_t type;  // index into the child's types (a choice's chosen type)
  };
  std::vector<Key> keys;           // sorted by json name
  std::vector<uint16_t> required;  // children with min > 0
  std::vector<const Invariant*> invariants;

  const Key* find(std::string_view json) const;
  // Rebuilds `keys` and `required` from `children`.
  void index();
};

struct TypeDef {
  enum class Kind { kPrimitive, kComplex, kResource };
  std::string name;
  Kind kind = Kind::kComplex;
  bool abstract = false;
  Primitive primitive = Primitive::kNone;
  const Node* root = nullptr;
};

struct ValueSetDef {
  std::string url;
  // Codes per system, each list sorted.
  std::vector<std::pair<std::string, std::vector<std::string>>> systems;
  // Code systems the package cannot enumerate (BCP-13 mime types, UCUM, ISO 4217): codes from
  // them are checked by form only.
  std::vector<std::string> external;

  bool contains(std::string_view system, std::string_view code) const;
  bool containsCode(std::string_view code) const;  // in any system
  bool hasExternal(std::string_view system) const;
};

// A code system the package defines completely (content = complete): every code it has.
struct CodeSystemDef {
  std::string url;
  std::vector<std::string> codes;  // sorted
  bool contains(std::string_view code) const;
};

struct Profile {
  std::string url;
  std::string name;
  const TypeDef* type = nullptr;
  const Node* root = nullptr;
};

class Definitions {
 public:
  // Compiles the R4 definitions and the profiles (StructureDefinitions of derivation
  // `constraint` with a differential). kInternal naming the problem when the data is broken
  // (a build problem: the data is embedded) or a profile uses what the engine cannot apply
  // (slicing, an invariant key without a C++ implementation).
  static core::StatusOr<std::unique_ptr<Definitions>> load(
      std::string_view r4Json, const std::vector<std::string_view>& profileJsons);

  const TypeDef* type(std::string_view name) const;
  const ValueSetDef* valueSet(std::string_view url) const;
  const Profile* profile(std::string_view url) const;
  const CodeSystemDef* codeSystem(std::string_view url) const;
  const std::vector<const Profile*>& profiles() const { return profileList_; }
  const std::string& sourceSha256() const { return sourceSha256_; }
  // Invariant keys of the R4 definitions without a C++ implementation (not checked).
  const std::vector<std::string>& unimplementedInvariants() const { return unimplemented_; }
  size_t typeCount() const { return typesByName_.size(); }

 private:
  Definitions();
  core::Status loadR4(std::string_view json);
  core::Status loadProfile(std::string_view json);

  ElementDef& newElement() { return elements_.emplace_back(); }
  Node& newNode() { return nodes_.emplace_back(); }
  const Invariant* newInvariant(std::string_view typeName, const rapidjson::Value& constraint,
                                bool mustExist, core::Status& status);
  const rapidjson::Value* keepValue(const rapidjson::Value& v);

  std::deque<TypeDef> types_;
  std::deque<ElementDef> elements_;
  std::deque<Node> nodes_;
  std::deque<ValueSetDef> valueSets_;
  std::deque<CodeSystemDef> codeSystems_;
  std::deque<Invariant> invariants_;
  std::deque<Profile> profileStore_;
  std::deque<rapidjson::Value> values_;
  rapidjson::Document valueOwner_;  // allocator for fixed/pattern values
  std::map<std::string, const TypeDef*, std::less<>> typesByName_;
  std::map<std::string, const ValueSetDef*, std::less<>> valueSetsByUrl_;
  std::map<std::string, const Profile*, std::less<>> profilesByUrl_;
  std::map<std::string, const CodeSystemDef*, std::less<>> codeSystemsByUrl_;
  std::vector<const Profile*> profileList_;
  std::vector<std::string> unimplemented_;
  std::string sourceSha256_;

 public:
  // Elements every complex value or backbone element has without the definitions repeating
  // them (the generator leaves them out; flags say which apply).
  const ElementDef* elementId = nullptr;
  const ElementDef* extension = nullptr;
  const ElementDef* modifierExtension = nullptr;
};

// The embedded R4 definitions and Brygga's profiles, compiled on first use (thread-safe) and
// kept for the life of the process. Broken embedded data is a build defect: it aborts with a
// message rather than validate against nothing.
const Definitions& builtinDefinitions();

}  // namespace brygga::fhir::r4
