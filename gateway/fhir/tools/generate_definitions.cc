// brygga_gen_definitions: turns the unpacked official FHIR R4 package (hl7.fhir.r4.examples 4.0.1,
// the same StructureDefinitions, ValueSets and CodeSystems the HL7 validator reads) into the
// compact definitions Brygga's validator embeds: gateway/fhir/r4/definitions.json.
//
//   brygga_gen_definitions PACKAGE_DIR PACKAGE_TGZ OUTPUT_JSON
//
// PACKAGE_DIR is the tarball's `package/` folder; PACKAGE_TGZ is only hashed (SHA-256), so the
// output names exactly what it came from. The output depends on nothing but the package: files
// are read in sorted order and everything written is sorted or in snapshot order, so running the
// generator again reproduces it byte for byte.
//
// What is kept, per type (every R4 resource, complex and primitive type, plus the SimpleQuantity
// and MoneyQuantity constraints): the snapshot elements with path, min, max, types (target types of
// references and canonicals), content references, required bindings, fixed/pattern values and
// invariants (key, severity, human text). The `id`, `extension` and `modifierExtension` children
// every element inherits unchanged from Element / BackboneElement / DomainResource are not
// repeated; a flag on their parent says which of them it has. For every ValueSet bound with
// strength `required`, its code list, expanded from the CodeSystems when the package has them;
// and the codes of every CodeSystem the package defines completely, so a Coding of a known
// system can be checked wherever it appears.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/core/digest.h"
#include "gateway/core/text.h"

namespace {

using rapidjson::Value;
namespace fs = std::filesystem;

constexpr std::string_view kCorePrefix = "http://hl7.org/fhir/StructureDefinition/";
constexpr std::string_view kFhirTypeExtension =
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";
constexpr std::string_view kRegexExtension = "http://hl7.org/fhir/StructureDefinition/regex";

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "brygga_gen_definitions: " << message << "\n";
  std::exit(1);
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string str(const Value& object, const char* key) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

const Value* arr(const Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return nullptr;
  return &it->value;
}

const Value* obj(const Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsObject()) return nullptr;
  return &it->value;
}

std::string stripVersion(std::string url) {
  const size_t bar = url.find('|');
  if (bar != std::string::npos) url.resize(bar);
  return url;
}

std::string stripCorePrefix(const std::string& url) {
  if (url.compare(0, kCorePrefix.size(), kCorePrefix) == 0) return url.substr(kCorePrefix.size());
  return url;
}

std::string compact(const Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string jsonString(std::string_view text) {
  Value v(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return compact(v);
}

// The FHIR type of an element typed with a FHIRPath system type (Element.id, Extension.url,
// the `value` of primitives): R4 names the FHIR type in an extension.
std::string fhirTypeOf(const Value& type) {
  std::string code = str(type, "code");
  if (code.rfind("http://hl7.org/fhirpath/System.", 0) != 0) return code;
  if (const Value* extensions = arr(type, "extension")) {
    for (const auto& e : extensions->GetArray()) {
      if (str(e, "url") == kFhirTypeExtension) return str(e, "valueUrl");
    }
  }
  std::string system = code.substr(std::string("http://hl7.org/fhirpath/System.").size());
  if (!system.empty()) system[0] = brygga::core::toLowerAscii(system[0]);
  return system;
}

struct Document {
  std::string file;
  rapidjson::Document json;
};

class Generator {
 public:
  explicit Generator(fs::path packageDir) : dir_(std::move(packageDir)) {}

  void load() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      const std::string name = path.filename().string();
      const bool sd = name.rfind("StructureDefinition-", 0) == 0;
      const bool vs = name.rfind("ValueSet-", 0) == 0;
      const bool cs = name.rfind("CodeSystem-", 0) == 0;
      if (!sd && !vs && !cs) continue;
      auto doc = std::make_unique<Document>();
      doc->file = name;
      const std::string text = readFile(path);
      doc->json.Parse(text.data(), text.size());
      if (doc->json.HasParseError() || !doc->json.IsObject()) fail("cannot parse " + name);
      const std::string url = str(doc->json, "url");
      if (sd) {
        structureDefinitions_.push_back(std::move(doc));
      } else if (vs) {
        valueSets_.emplace(url, std::move(doc));
      } else {
        codeSystems_.emplace(url, std::move(doc));
      }
    }
    if (structureDefinitions_.empty()) fail("no StructureDefinitions in " + dir_.string());
  }

  std::string generate(const std::string& packageSha256) {
    std::map<std::string, const rapidjson::Document*> types;  // name -> SD, sorted by name
    std::map<std::string, std::string> primitives;            // name -> regex
    for (const auto& sd : structureDefinitions_) {
      const rapidjson::Document& j = sd->json;
      const std::string kind = str(j, "kind");
      const std::string derivation = str(j, "derivation");
      const std::string url = str(j, "url");
      if (url.compare(0, kCorePrefix.size(), kCorePrefix) != 0) continue;
      if (kind == "logical") continue;
      std::string name;
      if (derivation == "specialization" || derivation.empty()) {
        name = str(j, "type");
      } else if (kind == "complex-type" && str(j, "type") == "Quantity") {
        name = str(j, "id");  // SimpleQuantity, MoneyQuantity: used as types by profile
      } else {
        continue;  // extensions and resource profiles
      }
      if (kind == "primitive-type") {
        primitives[name] = primitiveRegex(j, name);
        continue;
      }
      types[name] = &j;
    }

    std::string out;
    out += "{\n";
    out +=
        "\"comment\": \"Generated by brygga_gen_definitions from the official FHIR R4 package; "
        "do not edit. Regenerate with scripts/generate-fhir-definitions.sh.\",\n";
    out +=
        "\"source\": {\"package\": \"hl7.fhir.r4.examples\", \"version\": \"4.0.1\", "
        "\"sha256\": " +
        jsonString(packageSha256) + "},\n";
    out += "\"primitives\": [\n";
    bool first = true;
    for (const auto& [name, regex] : primitives) {
      out += first ? "" : ",\n";
      first = false;
      out += "{\"name\": " + jsonString(name) + ", \"regex\": " + jsonString(regex) + "}";
    }
    out += "\n],\n\"types\": [\n";
    first = true;
    for (const auto& [name, sd] : types) {
      out += first ? "" : ",\n";
      first = false;
      writeType(out, name, *sd);
    }
    out += "\n],\n\"valueSets\": [\n";
    first = true;
    for (const auto& url : requiredValueSets_) {
      out += first ? "" : ",\n";
      first = false;
      writeValueSet(out, url);
    }
    out += "\n],\n\"codeSystems\": [\n";
    first = true;
    for (const auto& [url, cs] : codeSystems_) {
      if (str(cs->json, "content") != "complete" || !cs->json.HasMember("concept")) continue;
      std::set<std::string> codes;
      collectConcepts(cs->json["concept"], codes);
      if (codes.empty()) continue;
      rapidjson::Document line(rapidjson::kObjectType);
      auto& a = line.GetAllocator();
      line.AddMember("url", Value(url.c_str(), a), a);
      Value list(rapidjson::kArrayType);
      for (const auto& code : codes) list.PushBack(Value(code.c_str(), a), a);
      line.AddMember("codes", list, a);
      out += first ? "" : ",\n";
      first = false;
      out += compact(line);
    }
    out += "\n]\n}\n";
    return out;
  }

 private:
  static std::string primitiveRegex(const Value& sd, const std::string& name) {
    const Value* snapshot = obj(sd, "snapshot");
    const Value* elements = snapshot != nullptr ? arr(*snapshot, "element") : nullptr;
    if (elements == nullptr) return {};
    for (const auto& e : elements->GetArray()) {
      if (str(e, "path") != name + ".value") continue;
      const Value* typeList = arr(e, "type");
      if (typeList == nullptr || typeList->Empty()) continue;
      if (const Value* extensions = arr((*typeList)[0], "extension")) {
        for (const auto& x : extensions->GetArray()) {
          if (str(x, "url") == kRegexExtension) return str(x, "valueString");
        }
      }
    }
    return {};
  }

  // The inherited children that every element of a kind has, written as flags on the parent.
  static char inheritedFlag(const Value& element, const std::string& path) {
    const Value* base = obj(element, "base");
    const std::string basePath = base != nullptr ? str(*base, "path") : std::string();
    const bool open = element.HasMember("min") && element["min"].IsInt() &&
                      element["min"].GetInt() == 0 && !element.HasMember("sliceName");
    if (!open) return 0;
    const std::string last = path.substr(path.rfind('.') + 1);
    if (basePath == "Element.id" && last == "id") return 'i';
    if ((basePath == "Element.extension" || basePath == "DomainResource.extension") &&
        last == "extension") {
      return 'e';
    }
    if ((basePath == "BackboneElement.modifierExtension" ||
         basePath == "DomainResource.modifierExtension") &&
        last == "modifierExtension") {
      return 'm';
    }
    return 0;
  }

  void writeType(std::string& out, const std::string& name, const Value& sd) {
    const std::string kind = str(sd, "kind");
    const bool abstract =
        sd.HasMember("abstract") && sd["abstract"].IsBool() && sd["abstract"].GetBool();
    std::string base = stripCorePrefix(str(sd, "baseDefinition"));
    out += "{\"name\": " + jsonString(name) +
           ", \"kind\": " + jsonString(kind == "resource" ? "resource" : "complex") +
           (abstract ? ", \"abstract\": true" : "") +
           (base.empty() ? std::string() : ", \"base\": " + jsonString(base)) +
           ", \"elements\": [\n";
    const Value* snapshot = obj(sd, "snapshot");
    const Value* elements = snapshot != nullptr ? arr(*snapshot, "element") : nullptr;
    if (elements == nullptr) fail("no snapshot in StructureDefinition " + name);

    const std::string root = str((*elements)[0], "path");
    // First pass: which inherited children each parent has.
    std::map<std::string, std::string> flags;
    std::set<std::string> dropped;
    for (const auto& e : elements->GetArray()) {
      const std::string path = str(e, "path");
      if (path == root) continue;
      if (const char f = inheritedFlag(e, path)) {
        flags[path.substr(0, path.rfind('.'))] += f;
        dropped.insert(path);
      }
    }
    bool first = true;
    for (const auto& e : elements->GetArray()) {
      const std::string path = str(e, "path");
      if (dropped.count(path) != 0) continue;
      if (e.HasMember("sliceName")) fail("unexpected slice in core type " + name + ": " + path);
      // The element as written: the package's path uses the SD's own type name ("Quantity" for
      // SimpleQuantity), Brygga's the name it is known by.
      std::string ownPath = path == root ? name : name + path.substr(root.size());
      rapidjson::Document line(rapidjson::kObjectType);
      auto& a = line.GetAllocator();
      line.AddMember("path", Value(ownPath.c_str(), a), a);
      if (e.HasMember("min") && e["min"].IsInt()) line.AddMember("min", e["min"].GetInt(), a);
      const std::string max = str(e, "max");
      if (!max.empty()) line.AddMember("max", Value(max.c_str(), a), a);
      // isSummary: part of the resource's summary (_summary=true).
      if (e.HasMember("isSummary") && e["isSummary"].IsTrue()) line.AddMember("s", 1, a);
      if (auto it = flags.find(path); it != flags.end()) {
        std::string f = it->second;
        std::sort(f.begin(), f.end());
        line.AddMember("x", Value(f.c_str(), a), a);
      }
      const std::string contentReference = str(e, "contentReference");
      if (!contentReference.empty()) {
        std::string target = contentReference.substr(contentReference.find('#') + 1);
        target = name + target.substr(target.find('.') == std::string::npos ? target.size()
                                                                            : target.find('.'));
        line.AddMember("cr", Value(target.c_str(), a), a);
      }
      if (const Value* typeList = arr(e, "type"); typeList != nullptr && path != root) {
        Value typesOut(rapidjson::kArrayType);
        for (const auto& t : typeList->GetArray()) {
          std::string code = fhirTypeOf(t);
          // R4 types Resource.id as a System.String named "string", but it is an id.
          const Value* elementBase = obj(e, "base");
          if (elementBase != nullptr && str(*elementBase, "path") == "Resource.id") code = "id";
          if (const Value* profiles = arr(t, "profile")) {
            for (const auto& p : profiles->GetArray()) {
              if (!p.IsString()) continue;
              const std::string profile = stripCorePrefix(p.GetString());
              if (profile == "SimpleQuantity" || profile == "MoneyQuantity") {
                code = profile;
              } else {
                std::cerr << "note: type profile " << p.GetString() << " on " << path
                          << " not kept\n";
              }
            }
          }
          if (const Value* targets = arr(t, "targetProfile")) {
            std::vector<std::string> names;
            for (const auto& p : targets->GetArray()) {
              if (p.IsString()) names.push_back(stripCorePrefix(p.GetString()));
            }
            const bool any = std::find(names.begin(), names.end(), "Resource") != names.end();
            if (!names.empty() && !any) {
              code += "(";
              for (size_t i = 0; i < names.size(); ++i) {
                code += (i == 0 ? "" : "|") + names[i];
              }
              code += ")";
            }
          }
          typesOut.PushBack(Value(code.c_str(), a), a);
        }
        if (!typesOut.Empty()) line.AddMember("types", typesOut, a);
      }
      if (const Value* binding = obj(e, "binding")) {
        const std::string vs = stripVersion(str(*binding, "valueSet"));
        if (str(*binding, "strength") == "required" && !vs.empty()) {
          line.AddMember("binding", Value(vs.c_str(), a), a);
          requiredValueSets_.insert(vs);
        }
      }
      for (auto m = e.MemberBegin(); m != e.MemberEnd(); ++m) {
        const std::string_view key(m->name.GetString(), m->name.GetStringLength());
        if (key.rfind("fixed", 0) == 0 || key.rfind("pattern", 0) == 0) {
          Value copy(m->value, a);
          line.AddMember(Value(key.rfind("fixed", 0) == 0 ? "fixed" : "pattern", a), copy, a);
        }
      }
      if (const Value* constraints = arr(e, "constraint")) {
        Value inv(rapidjson::kArrayType);
        for (const auto& c : constraints->GetArray()) {
          const std::string key = str(c, "key");
          // ele-1 (an element has a value or children) holds everywhere and is built in;
          // ext-1 is checked once, on the Extension type, not on every `extension` element.
          if (key.empty() || key == "ele-1" || (key == "ext-1" && path != root)) continue;
          Value one(rapidjson::kObjectType);
          one.AddMember("key", Value(key.c_str(), a), a);
          one.AddMember("severity", Value(str(c, "severity").c_str(), a), a);
          one.AddMember("human", Value(str(c, "human").c_str(), a), a);
          inv.PushBack(one, a);
        }
        if (!inv.Empty()) line.AddMember("inv", inv, a);
      }
      out += first ? "" : ",\n";
      first = false;
      out += compact(line);
    }
    out += "\n]}";
  }

  using CodesBySystem = std::map<std::string, std::set<std::string>>;

  static void collectConcepts(const Value& concepts, std::set<std::string>& codes) {
    if (!concepts.IsArray()) return;
    for (const auto& c : concepts.GetArray()) {
      const std::string code = str(c, "code");
      if (!code.empty()) codes.insert(code);
      if (c.HasMember("concept")) collectConcepts(c["concept"], codes);
    }
  }

  // Adds the codes `include` names to `codes`; systems the package does not define completely
  // (BCP-13 mime types, UCUM, ISO 4217) go to `external`, to be checked by form only.
  void applyInclude(const Value& include, CodesBySystem& codes, std::set<std::string>& external,
                    int depth) {
    if (const Value* sets = arr(include, "valueSet")) {
      for (const auto& s : sets->GetArray()) {
        if (s.IsString()) expand(stripVersion(s.GetString()), codes, external, depth + 1);
      }
    }
    const std::string system = str(include, "system");
    if (system.empty()) return;
    if (const Value* concepts = arr(include, "concept")) {
      for (const auto& c : concepts->GetArray()) {
        const std::string code = str(c, "code");
        if (!code.empty()) codes[system].insert(code);
      }
      return;
    }
    auto cs = codeSystems_.find(system);
    if (include.HasMember("filter") || cs == codeSystems_.end() ||
        str(cs->second->json, "content") != "complete") {
      external.insert(system);
      return;
    }
    if (cs->second->json.HasMember("concept")) {
      collectConcepts(cs->second->json["concept"], codes[system]);
    }
  }

  void expand(const std::string& url, CodesBySystem& codes, std::set<std::string>& external,
              int depth) {
    if (depth > 8) fail("ValueSet includes nest too deeply at " + url);
    auto vs = valueSets_.find(url);
    if (vs == valueSets_.end()) {
      external.insert(url);
      return;
    }
    const Value* compose = obj(vs->second->json, "compose");
    if (compose == nullptr) return;
    if (const Value* includes = arr(*compose, "include")) {
      for (const auto& i : includes->GetArray()) applyInclude(i, codes, external, depth);
    }
    if (const Value* excludes = arr(*compose, "exclude")) {
      for (const auto& x : excludes->GetArray()) {
        CodesBySystem removed;
        std::set<std::string> ignored;
        applyInclude(x, removed, ignored, depth);
        for (const auto& [system, list] : removed) {
          for (const auto& code : list) codes[system].erase(code);
        }
      }
    }
  }

  void writeValueSet(std::string& out, const std::string& url) {
    CodesBySystem codes;
    std::set<std::string> external;
    expand(url, codes, external, 0);
    rapidjson::Document line(rapidjson::kObjectType);
    auto& a = line.GetAllocator();
    line.AddMember("url", Value(url.c_str(), a), a);
    Value systems(rapidjson::kArrayType);
    for (const auto& [system, list] : codes) {
      if (list.empty()) continue;
      Value s(rapidjson::kObjectType);
      s.AddMember("system", Value(system.c_str(), a), a);
      Value codeList(rapidjson::kArrayType);
      for (const auto& code : list) codeList.PushBack(Value(code.c_str(), a), a);
      s.AddMember("codes", codeList, a);
      systems.PushBack(s, a);
    }
    line.AddMember("systems", systems, a);
    if (!external.empty()) {
      Value ext(rapidjson::kArrayType);
      for (const auto& e : external) ext.PushBack(Value(e.c_str(), a), a);
      line.AddMember("external", ext, a);
    }
    out += compact(line);
  }

  fs::path dir_;
  std::vector<std::unique_ptr<Document>> structureDefinitions_;
  std::map<std::string, std::unique_ptr<Document>> valueSets_;
  std::map<std::string, std::unique_ptr<Document>> codeSystems_;
  std::set<std::string> requiredValueSets_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: brygga_gen_definitions PACKAGE_DIR PACKAGE_TGZ OUTPUT_JSON\n";
    return 2;
  }
  const std::string sha256 = brygga::core::sha256Hex(readFile(argv[2]));
  Generator generator{fs::path(argv[1])};
  generator.load();
  const std::string out = generator.generate(sha256);
  const fs::path target(argv[3]);
  const fs::path temporary = target.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << out;
    if (!file) fail("cannot write " + temporary.string());
  }
  fs::rename(temporary, target);
  std::cout << "wrote " << target.string() << " (" << out.size() << " bytes) from package sha256 "
            << sha256 << "\n";
  return 0;
}
