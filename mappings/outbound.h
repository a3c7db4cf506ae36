#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "gateway/fhir/swedish_identifiers.h"

// What every flow does to a resource on its way out of Brygga: Brygga's ids and meta go, the
// identifiers are normalised (OID systems -> HL7 Sweden URIs, personnummer -> 12 digits),
// meta.profile is set, and local references ("Patient/123") become references the peer can
// resolve: urn:uuid inside the Bundle, identifier-based conditional references
// ("Patient?identifier=...") for patient data the peer already holds, and logical references by
// HSA-id for practitioners and organizations. Pure; thread-safe.
namespace brygga::mappings {

// A resource as Brygga stored it (ids assigned, references relative "Type/id").
struct StoredResource {
  std::string type;
  std::string id;
  std::string json;
  // `json` already parsed, when the caller has it (the flows do, inside the write unit); the
  // transforms then use it instead of parsing `json` again. Must be the same content.
  const rapidjson::Value* parsed = nullptr;
};

// The identifier a resource is keyed on at the peer.
struct KeyIdentifier {
  std::string system;
  std::string value;
};

// The key of a resource: for a Patient its personnummer or samordningsnummer (anything else
// could match the wrong person), for anything else its first identifier with system and value.
// kUnprocessable naming the element when there is none.
core::StatusOr<KeyIdentifier> keyIdentifier(const std::string& type, const std::string& id,
                                            const rapidjson::Value& resource);
// identifier=system%7Cvalue, escaped for a URL query.
std::string identifierQuery(const KeyIdentifier& key);

// The Bundle (or resource) `json`, as the flows built it, with every Swedish identifier in `form`
// (fhir::identifierSystemIn): the system of every identifier, logical references' included, and
// the identifier parameters of conditional URLs (request.url, request.ifNoneExist, conditional
// references). kHl7se, the form Brygga builds in, returns it unchanged.
core::StatusOr<std::string> inIdentifierForm(std::string_view json, fhir::IdentifierForm form);

// Canonical systems and normalised personnummer / samordningsnummer in every `identifier` member
// of the tree (also inside logical references).
void normaliseIdentifiers(rapidjson::Value& resource, rapidjson::Document::AllocatorType& alloc);
// Makes `profile` the resource's only meta.profile (keeping meta.tag and meta.security).
void setProfile(rapidjson::Value& resource, rapidjson::Document::AllocatorType& alloc,
                const std::string& profile);
// A copy of a stored resource as it leaves Brygga: no id or meta, identifiers normalised, and
// `profile` its meta.profile.
rapidjson::Value outboundCopy(const rapidjson::Value& resource,
                              rapidjson::Document::AllocatorType& alloc,
                              const std::string& profile);
// A logical reference to an Organization by its HSA-id, with `display` when it is not empty.
rapidjson::Value organizationReference(std::string_view hsaId, std::string_view display,
                                       rapidjson::Document::AllocatorType& alloc);
// The literal references "Type/id" anywhere in the resource (relative or absolute http(s)).
std::vector<std::string> literalReferences(const rapidjson::Value& resource);

// Types whose instances the peer holds as patient data, keyed on an identifier; references to
// them become conditional references. Others (Practitioner, Organization, ...) become logical.
bool isPatientDataType(std::string_view type);

// Builds one transaction Bundle for a peer.
class OutboundBundle {
 public:
  enum class Method {
    kConditionalCreate,  // POST + ifNoneExist (the peer's record is not overwritten)
    kConditionalUpdate,  // PUT Type?identifier=...
  };

  OutboundBundle();

  // Adds a copy of `resource` (of stored resource `type/id`) as an entry: id and meta removed,
  // identifiers normalised, `profile` set when not empty. Returns the entry's resource, for the
  // flow to reshape further. Fails (kUnprocessable) when the resource has no key identifier.
  core::StatusOr<rapidjson::Value*> add(const std::string& type, const std::string& id,
                                        const rapidjson::Value& resource, Method method,
                                        const std::string& profile);
  // Adds a resource that Brygga made itself (a document Bundle), keyed on `key`; `urn` receives
  // its fullUrl.
  rapidjson::Value* addMade(const std::string& type, rapidjson::Value&& resource,
                            const KeyIdentifier& key, const std::string& profile,
                            std::string* urn = nullptr);
  // The urn:uuid the entry of local `Type/id` has (empty when not in the Bundle).
  std::string urnOf(const std::string& localReference) const;
  rapidjson::Document::AllocatorType& allocator() { return doc_.GetAllocator(); }

  // Rewrites every reference in every entry: to an entry of this Bundle -> its urn:uuid; to a
  // resource in `referenced` ("Type/id" -> stored resource) -> a conditional reference on its key
  // (patient data) or a logical reference by its identifier (anything else); a reference that
  // resolves to neither is kUnprocessable naming it. Conditional and logical references pass
  // unchanged.
  core::Status resolveReferences(const std::map<std::string, StoredResource>& referenced);

  bool empty() const;
  std::string json() const;

 private:
  rapidjson::Document doc_;
  std::map<std::string, std::string> urnOf_;  // "Type/id" -> urn:uuid
};

// Rewrites the references of one resource the same way: `inBundle` maps local references to
// urn:uuids; others resolve through `referenced`. With `conditional` false, patient data becomes
// a logical reference by identifier too (inside a document, which must stand on its own).
core::Status resolveReferencesIn(rapidjson::Value& resource,
                                 rapidjson::Document::AllocatorType& alloc,
                                 const std::map<std::string, std::string>& inBundle,
                                 const std::map<std::string, StoredResource>& referenced,
                                 const std::string& where, bool conditional = true);

// A name-based UUID (SHA-256 of `name`, version 5 layout), so that what Brygga makes up for a
// peer (a document Bundle's identifier) is the same on every delivery.
std::string nameBasedUuid(std::string_view name);

// Extension and system urls of Brygga's own definitions.
inline constexpr const char* kServicePointExtension =
    "https://brygga.se/fhir/StructureDefinition/responsible-service-point";
inline constexpr const char* kResidenceExtension =
    "https://brygga.se/fhir/StructureDefinition/residence";
inline constexpr const char* kHomeCareAreaExtension =
    "https://brygga.se/fhir/StructureDefinition/home-care-area";
inline constexpr const char* kSharedVersionExtension =
    "https://brygga.se/fhir/StructureDefinition/shared-version";
inline constexpr const char* kFacilitySystem = "https://brygga.se/fhir/NamingSystem/facility";
inline constexpr const char* kWrittenBySystem = "https://brygga.se/fhir/CodeSystem/written-by";
inline constexpr const char* kFollowUpSystem = "https://brygga.se/fhir/CodeSystem/follow-up";
inline constexpr const char* kTaskRejectionSystem =
    "https://brygga.se/fhir/CodeSystem/task-rejection";
inline constexpr const char* kDocumentIdSystem = "urn:ietf:rfc:3986";
inline constexpr const char* kActCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr const char* kRoleCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";

}  // namespace brygga::mappings
