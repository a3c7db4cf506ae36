#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/access/access_config.h"
#include "gateway/core/client_role.h"
#include "gateway/core/status.h"
#include "gateway/store/store.h"

// Who may see and change what (PRODUCT.md, "Who may see what"; README, the access table). One
// policy, asked by every path: reads, vreads, history, searches (as a Visibility the store applies
// in SQL), conditional resolution, transaction and batch entries, the flows' identifier
// references, forwarding and the delivery worker (blocks), the console (protected identity).
//
// Pure: decisions over the facts the store keeps (care relationships, blocks) handed in, or read
// through a FactsReader; thread-safe.
namespace brygga::access {

// access.relationshipGraceDays in the config.

// The parties a block (spärr) can name: a municipality, or the region (its client and every
// region destination: it cannot tell which physician unit reads).
inline constexpr std::string_view kRegionParty = "region";
std::string tenantParty(std::string_view tenant);

// A municipality's relationship to a patient at a time (the region's: the best of any
// municipality's).
enum class RelationshipState { kNone, kActive, kGrace, kEnded };
const char* toString(RelationshipState state);

enum class Verdict {
  kAllowed,
  kNoRelationship,  // answered exactly as for something that does not exist
  kBlocked,         // the same answer, and audited as refused by a block
  kNotOwner,        // a record another party owns (visible, so a plain 403)
};

struct Decision {
  Verdict verdict = Verdict::kAllowed;
  std::string blockedParty;  // kBlocked: the party the block stands against
  bool allowed() const { return verdict == Verdict::kAllowed; }
};

// A patient's facts as a unit or the store sees them.
using FactsReader =
    std::function<core::StatusOr<store::PatientAccessFacts>(const std::string& patientId)>;

class AccessPolicy;

// The policy for one caller at one time. Cheap to make; a request makes one.
class CallerAccess {
 public:
  core::ClientRole role() const { return role_; }
  const std::string& tenant() const { return tenant_; }
  int64_t nowMs() const { return nowMs_; }
  // The party blocks name for this caller: "tenant:<tenant>", "region"; empty for the
  // integration role, which no block stops.
  const std::string& party() const { return party_; }
  // The integration role: reads everything (audited), sees protected identities.
  bool readsEverything() const { return role_ == core::ClientRole::kIntegration; }

  RelationshipState relationship(const store::PatientAccessFacts& facts) const;
  Decision readPatient(const store::PatientAccessFacts& facts) const;
  // `unitEstablishes`: the write unit writes this caller's active home-care EpisodeOfCare for the
  // patient (an enrollment), which gives the relationship in the same unit.
  Decision writePatient(const store::PatientAccessFacts& facts, bool unitEstablishes) const;
  // Any stored resource: by its patient, or (none) by its owner.
  core::StatusOr<Decision> read(const store::ResourceRecord& record,
                                const FactsReader& facts) const;

  // Records only their owner writes: those of no patient (Location, Organization, Practitioner,
  // PractitionerRole, HealthcareService ...) and the EpisodeOfCare and Consent of a patient.
  static bool ownerWrites(std::string_view type, const std::string& patientId);
  // The owner of what this caller creates: its tenant, or "" (global) for the region, the
  // integration team and Brygga. A Subscription is never global: its endpoint and headers are
  // its subscriber's alone, so the region's are owned by kRegionParty, which no municipality
  // reads.
  std::string owner(std::string_view type = {}) const;
  bool readsOwner(const std::string& tenant) const;
  Decision writeOwned(const store::ResourceRecord& existing) const;

  // What this role may write at all: the integration role only blocks (Consent); the region no
  // blocks. kPermissionDenied (or kMethodNotAllowed for read-only types) otherwise.
  core::Status mayWriteType(std::string_view type) const;

  // What a search may see, for the store to apply (nullopt: everything). `alsoPatients`: patients
  // a write unit establishes a relationship to.
  std::optional<store::Visibility> visibility(std::vector<std::string> alsoPatients = {}) const;

 private:
  friend class AccessPolicy;
  CallerAccess(const AccessPolicy& policy, core::ClientRole role, std::string tenant,
               int64_t nowMs);
  bool counts(const store::CareRelationship& r) const;
  bool active(const store::CareRelationship& r) const;

  const AccessPolicy& policy_;
  core::ClientRole role_;
  std::string tenant_;
  int64_t nowMs_;
  std::string party_;
};

class AccessPolicy {
 public:
  explicit AccessPolicy(AccessConfig config = {});

  CallerAccess forCaller(core::ClientRole role, std::string tenant, int64_t nowMs) const;

  // Forwarding: the block that stands against `party` at `nowMs`, if any.
  static std::optional<store::PatientBlock> blockAgainst(const store::PatientAccessFacts& facts,
                                                         std::string_view party, int64_t nowMs);

  int64_t graceMs() const { return graceMs_; }

 private:
  const int64_t graceMs_;
};

}  // namespace brygga::access
