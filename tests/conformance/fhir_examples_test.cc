// The validator against the official FHIR R4 package (hl7.fhir.r4.examples 4.0.1): every
// resource in it validates, and systematic mutations of the examples of the types Brygga serves
// are each rejected at the right expression. The package is fetched and unpacked by the ctest
// fixture fetch_fhir_package (scripts/fetch-fhir-package.sh).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/fhir/definitions.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/validator.h"
#include "tests/support/test_support.h"

namespace brygga::fhir {
namespace {

namespace fs = std::filesystem;
using rapidjson::Value;

struct Example {
  std::string file;
  std::string type;
  std::string text;
};

std::string packageDir() {
  const char* env = std::getenv("BRYGGA_FHIR_PACKAGE_DIR");
  return std::string(env != nullptr ? env : BRYGGA_FHIR_PACKAGE_DIR) + "/package";
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

rapidjson::Document parse(const std::string& text) {
  // Some official resources (the data element Bundle) are far larger than a request may be.
  auto doc = parseJson(text, JsonLimits{256 * 1024 * 1024, 256});
  EXPECT_TRUE(doc.isOk()) << doc.status().message();
  return doc.isOk() ? std::move(doc).value() : rapidjson::Document();
}

// Every resource in the package, read once.
const std::vector<Example>& package() {
  static const std::vector<Example> kExamples = [] {
    std::vector<Example> out;
    std::error_code ec;
    if (!fs::is_directory(packageDir(), ec)) return out;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(packageDir())) {
      const std::string name = e.path().filename().string();
      if (e.path().extension() == ".json" && name != "package.json" && name != "ig-r4.json") {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      Example ex{f.filename().string(), {}, readFile(f)};
      rapidjson::Document doc;
      doc.Parse(ex.text.data(), ex.text.size());
      if (doc.IsObject() && doc.HasMember("resourceType") && doc["resourceType"].IsString()) {
        ex.type = doc["resourceType"].GetString();
      }
      out.push_back(std::move(ex));
    }
    return out;
  }();
  return kExamples;
}

class OfficialPackage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (package().empty()) {
      FAIL() << "The official FHIR R4 package is not in " << packageDir()
             << ". Run scripts/fetch-fhir-package.sh with network access to the npm registry, or "
                "put hl7.fhir.r4.examples-4.0.1.tgz in "
             << fs::path(packageDir()).parent_path().string()
             << " and run the script (ctest runs it as the fixture fetch_fhir_package).";
    }
  }

  std::vector<core::Issue> validate(const Value& resource) const {
    return validator_->validate(resource);
  }

  std::unique_ptr<Validator> validator_ = makeValidator();
};

std::string errorsOf(const std::vector<core::Issue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    if (i.severity == core::Issue::Severity::kError ||
        i.severity == core::Issue::Severity::kFatal) {
      out += "  " + i.code + " at " + i.expression + ": " + i.diagnostics.substr(0, 160) + "\n";
    }
  }
  return out;
}

bool servedType(const std::string& type) {
  return isSupportedResourceType(type) || type == "Bundle" || type == "OperationOutcome" ||
         type == "Parameters";
}

// Official resources that break the R4 rules themselves (the HL7 validator reports them too).
const std::map<std::string, std::string>& knownInvalid() {
  static const std::map<std::string, std::string> kKnown = {
      {"Bundle-dataelements.json", "bdl-7: entries 6769-6780 repeat the fullUrls of earlier ones"},
      {"ActivityDefinition-blood-tubes-supply.json", "txt-2: the narrative <div> is empty"},
      {"ActivityDefinition-heart-valve-replacement.json", "txt-2: the narrative <div> is empty"},
      {"EventDefinition-example.json", "txt-2: the narrative <div> is empty"},
      {"Questionnaire-zika-virus-exposure-assessment.json", "txt-2: the narrative <div> is empty"},
      {"Questionnaire-qs1.json", "nested items lack the required linkId"},
      {"ImplementationGuide-fhir.json", "no name and no status (both 1..1); an id with a space"},
      {"DeviceMetric-example.json", "parent refers to a DeviceDefinition; Reference(Device)"},
      {"DeviceUseStatement-example.json", "reasonReference refers to a Procedure"},
      {"MedicationRequest-medrx0301.json",
       "dispenseRequest.performer refers to a Practitioner; Reference(Organization)"},
      {"Observation-clinical-gender.json", "performer refers to an Encounter"},
      {"SearchParameter-codesystem-extensions-CodeSystem-author.json", "no base (1..*)"},
      {"SearchParameter-codesystem-extensions-CodeSystem-effective.json", "no base (1..*)"},
      {"SearchParameter-codesystem-extensions-CodeSystem-end.json", "no base (1..*)"},
      {"SearchParameter-codesystem-extensions-CodeSystem-keyword.json", "no base (1..*)"},
      {"SearchParameter-codesystem-extensions-CodeSystem-workflow.json", "no base (1..*)"},
      {"SearchParameter-questionnaireresponse-extensions-QuestionnaireResponse-item-subject.json",
       "no base (1..*)"},
      {"SearchParameter-valueset-extensions-ValueSet-author.json", "no base (1..*)"},
      {"SearchParameter-valueset-extensions-ValueSet-effective.json", "no base (1..*)"},
      {"SearchParameter-valueset-extensions-ValueSet-end.json", "no base (1..*)"},
      {"SearchParameter-valueset-extensions-ValueSet-keyword.json", "no base (1..*)"},
      {"SearchParameter-valueset-extensions-ValueSet-workflow.json", "no base (1..*)"},
  };
  return kKnown;
}

TEST_F(OfficialPackage, ExamplesOfTheTypesBryggaServesValidate) {
  size_t count = 0;
  std::map<std::string, size_t> perType;
  for (const Example& ex : package()) {
    if (!servedType(ex.type)) continue;
    ++count;
    ++perType[ex.type];
    const auto issues = validate(parse(ex.text));
    const bool known = knownInvalid().count(ex.file) != 0;
    if (known) {
      EXPECT_TRUE(hasErrors(issues)) << ex.file << " is listed as invalid but validates";
    } else {
      EXPECT_FALSE(hasErrors(issues)) << ex.file << "\n" << errorsOf(issues);
    }
  }
  // The 18 resource types Brygga serves, plus Bundle and OperationOutcome (the package has no
  // Parameters example).
  EXPECT_EQ(count, 204u);
  EXPECT_EQ(perType["Patient"], 22u);
  EXPECT_EQ(perType["EpisodeOfCare"], 1u);
  EXPECT_EQ(perType["Consent"], 12u);
  EXPECT_EQ(perType["Encounter"], 10u);
  EXPECT_EQ(perType["Bundle"], 44u);
}

TEST_F(OfficialPackage, EveryResourceInThePackageValidates) {
  // Not only examples: the package's own StructureDefinitions, ValueSets, CodeSystems and
  // SearchParameters are resources too, of all 146 R4 types between them.
  size_t count = 0, invalid = 0;
  std::set<std::string> types;
  for (const Example& ex : package()) {
    ++count;
    types.insert(ex.type);
    const auto issues = validate(parse(ex.text));
    if (knownInvalid().count(ex.file) != 0) {
      ++invalid;
      EXPECT_TRUE(hasErrors(issues)) << ex.file << " is listed as invalid but validates";
    } else {
      EXPECT_FALSE(hasErrors(issues)) << ex.file << "\n" << errorsOf(issues);
    }
  }
  EXPECT_EQ(count, 5305u);
  EXPECT_EQ(invalid, knownInvalid().size());
  EXPECT_GE(types.size(), 140u);
}

TEST_F(OfficialPackage, TheGeneratorReproducesTheCommittedDefinitions) {
  brygga::testing::TempDir dir;
  const std::string cache = fs::path(packageDir()).parent_path().string();
  const std::string command = std::string(BRYGGA_GEN_DEFINITIONS) + " '" + packageDir() + "' '" +
                              cache + "/hl7.fhir.r4.examples-4.0.1.tgz' '" +
                              dir.file("definitions.json") + "' > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const std::string committed =
      readFile(std::string(BRYGGA_SOURCE_DIR) + "/gateway/fhir/r4/definitions.json");
  ASSERT_FALSE(committed.empty());
  EXPECT_TRUE(readFile(dir.file("definitions.json")) == committed)
      << "gateway/fhir/r4/definitions.json differs from what the generator makes of the package; "
         "run scripts/generate-fhir-definitions.sh";
  EXPECT_EQ(r4::builtinDefinitions().sourceSha256(),
            "dce87f1b5b9341867033f7d1f544fa1b5232503f6d62813887ac6b8a8b6cb682");
}

// --- Mutations ------------------------------------------------------------------------------

struct Mutation {
  std::string expression;  // where the validator must report it
  std::string code;        // with this issue-type code
};

// The top-level elements of a resource type, from the same definitions the validator uses (so
// the mutations follow the spec, not a list in this test).
const r4::Node& rootOf(const std::string& type) {
  return *r4::builtinDefinitions().type(type)->root;
}

const r4::ElementDef* elementFor(const std::string& type, const std::string& jsonName,
                                 const r4::TypeRef** typeOut) {
  const r4::Node::Key* key = rootOf(type).find(jsonName);
  if (key == nullptr) return nullptr;
  const r4::ElementDef* e = rootOf(type).children[key->child];
  *typeOut = e->types.empty() ? nullptr : &e->types[key->type];
  return e;
}

std::string expressionOf(const std::string& type, const r4::ElementDef& e, const r4::TypeRef* t) {
  std::string out = type + "." + e.name;
  if (e.choice && t != nullptr) out += ".ofType(" + t->ofType + ")";
  return out;
}

// Applies `mutate` to every served-type example (Bundles aside: 140 of the resource types Brygga
// serves, 6 OperationOutcomes) and checks each mutated resource
// is rejected as the mutation says; returns how many examples the mutation applied to.
size_t runMutation(const Validator& validator, const std::string& what,
                   const std::function<bool(const std::string& type, rapidjson::Document& doc,
                                            Mutation& expected)>& mutate) {
  size_t applied = 0;
  for (const Example& ex : package()) {
    if (!servedType(ex.type) || ex.type == "Bundle" || knownInvalid().count(ex.file) != 0) {
      continue;
    }
    rapidjson::Document doc = parse(ex.text);
    Mutation expected;
    if (!mutate(ex.type, doc, expected)) continue;
    ++applied;
    const auto issues = validator.validate(doc);
    EXPECT_THAT(issues,
                ::testing::Contains(::testing::AllOf(
                    ::testing::Field(&core::Issue::code, expected.code),
                    ::testing::Field(&core::Issue::expression, expected.expression),
                    ::testing::Field(&core::Issue::severity, core::Issue::Severity::kError))))
        << what << " in " << ex.file << ": expected " << expected.code << " at "
        << expected.expression << "\n"
        << errorsOf(issues);
  }
  return applied;
}

TEST_F(OfficialPackage, DroppingARequiredElementIsRejected) {
  const size_t applied =
      runMutation(*validator_, "drop",
                  [](const std::string& type, rapidjson::Document& doc, Mutation& expected) {
                    for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
                      const r4::TypeRef* t = nullptr;
                      const r4::ElementDef* e = elementFor(type, m->name.GetString(), &t);
                      if (e == nullptr || e->min == 0) continue;
                      expected = {type + "." + e->name, "required"};
                      const std::string name = m->name.GetString();
                      doc.RemoveMember(name.c_str());
                      doc.RemoveMember(("_" + name).c_str());
                      return true;
                    }
                    return false;
                  });
  EXPECT_EQ(applied, 103u);
}

TEST_F(OfficialPackage, AValueOfTheWrongTypeIsRejected) {
  const size_t applied = runMutation(
      *validator_, "wrong type",
      [](const std::string& type, rapidjson::Document& doc, Mutation& expected) {
        for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
          const r4::TypeRef* t = nullptr;
          const r4::ElementDef* e = elementFor(type, m->name.GetString(), &t);
          if (e == nullptr || t == nullptr || e->max != 1 || t->type->name == "Resource") continue;
          // A complex value becomes a string, a primitive becomes an object.
          expected = {expressionOf(type, *e, t), "structure"};
          if (t->type->kind == r4::TypeDef::Kind::kPrimitive) {
            m->value.SetObject();
            m->value.AddMember("value", "x", doc.GetAllocator());
          } else {
            m->value.SetString("x");
          }
          return true;
        }
        return false;
      });
  EXPECT_EQ(applied, 160u);
}

TEST_F(OfficialPackage, AnUnknownElementIsRejected) {
  size_t nested = 0;
  const size_t applied =
      runMutation(*validator_, "unknown element",
                  [&](const std::string& type, rapidjson::Document& doc, Mutation& expected) {
                    // Inside the first single complex element when there is one, else at the top.
                    for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
                      const r4::TypeRef* t = nullptr;
                      const r4::ElementDef* e = elementFor(type, m->name.GetString(), &t);
                      if (e == nullptr || e->max != 1 || !m->value.IsObject() ||
                          e->name == "text" || (t != nullptr && t->type->name == "Resource")) {
                        continue;
                      }
                      m->value.AddMember("bryggaUnknown", true, doc.GetAllocator());
                      expected = {expressionOf(type, *e, t) + ".bryggaUnknown", "structure"};
                      ++nested;
                      return true;
                    }
                    doc.AddMember("bryggaUnknown", true, doc.GetAllocator());
                    expected = {type + ".bryggaUnknown", "structure"};
                    return true;
                  });
  EXPECT_EQ(applied, 160u);
  EXPECT_EQ(nested, 122u);
}

TEST_F(OfficialPackage, ACodeOutsideARequiredValueSetIsRejected) {
  const size_t applied =
      runMutation(*validator_, "code",
                  [](const std::string& type, rapidjson::Document& doc, Mutation& expected) {
                    for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
                      const r4::TypeRef* t = nullptr;
                      const r4::ElementDef* e = elementFor(type, m->name.GetString(), &t);
                      if (e == nullptr || e->binding == nullptr || !m->value.IsString() ||
                          t == nullptr || t->type->name != "code") {
                        continue;
                      }
                      m->value.SetString("brygga-not-a-code");
                      expected = {expressionOf(type, *e, t), "code-invalid"};
                      return true;
                    }
                    return false;
                  });
  EXPECT_EQ(applied, 118u);
}

TEST_F(OfficialPackage, AMalformedDateIsRejected) {
  size_t applied = 0;
  for (const char* bad : {"2026-02-30", "2026-13", "26-03-02", "2026-03-02T10:00"}) {
    applied =
        runMutation(*validator_, bad,
                    [&](const std::string& type, rapidjson::Document& doc, Mutation& expected) {
                      for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
                        const r4::TypeRef* t = nullptr;
                        const r4::ElementDef* e = elementFor(type, m->name.GetString(), &t);
                        if (e == nullptr || t == nullptr || !m->value.IsString()) continue;
                        const std::string& typeName = t->type->name;
                        if (typeName != "date" && typeName != "dateTime" && typeName != "instant")
                          continue;
                        m->value.SetString(rapidjson::StringRef(bad));
                        expected = {expressionOf(type, *e, t), "value"};
                        return true;
                      }
                      return false;
                    });
  }
  EXPECT_EQ(applied, 99u);
}

TEST_F(OfficialPackage, ABrokenPersonnummerCheckDigitIsRejected) {
  // A Swedish patient made from the official Patient example: valid with Tolvan's personnummer,
  // rejected at the identifier's value when the check digit is off by one.
  const Example* example = nullptr;
  for (const Example& ex : package()) {
    if (ex.file == "Patient-example.json") example = &ex;
  }
  ASSERT_NE(example, nullptr);
  for (const char* value : {"19121212-1212", "191212121212"}) {
    for (const bool broken : {false, true}) {
      rapidjson::Document doc = parse(example->text);
      auto& ids = doc["identifier"];
      ASSERT_TRUE(ids.IsArray());
      std::string number = value;
      if (broken) number.back() = '3';
      Value id(rapidjson::kObjectType);
      id.AddMember("system", "http://electronichealth.se/identifier/personnummer",
                   doc.GetAllocator());
      id.AddMember("value", Value(number.c_str(), doc.GetAllocator()), doc.GetAllocator());
      ids.PushBack(id, doc.GetAllocator());
      const std::string expression =
          "Patient.identifier[" + std::to_string(ids.Size() - 1) + "].value";
      const auto issues = validate(doc);
      if (broken) {
        EXPECT_THAT(issues, ::testing::ElementsAre(::testing::AllOf(
                                ::testing::Field(&core::Issue::code, "value"),
                                ::testing::Field(&core::Issue::expression, expression))))
            << errorsOf(issues);
        EXPECT_THAT(issues[0].diagnostics, ::testing::HasSubstr("check digit"));
      } else {
        EXPECT_FALSE(hasErrors(issues)) << errorsOf(issues);
      }
    }
  }
}

}  // namespace
}  // namespace brygga::fhir
