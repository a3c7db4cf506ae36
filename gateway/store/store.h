#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

// The storage boundary. Everything Brygga keeps (resources and their versions, the exchange log,
// the outbox, the audit chain) goes through these interfaces; SqliteStore is the default
// implementation, and a PostgreSQL one shared by several gateway instances can follow without
// changing callers: all writes go through Store::write(), a unit of work that is atomic, isolated
// (serializable against other write units touching the same rows) and durable when it returns OK.
namespace brygga::store {

using core::Status;
using core::StatusOr;

// One search-index value of a resource version, extracted by gateway/fhir (pure) and stored by
// the store. param: "identifier" (system + value), "patient"/"subject" (value "Patient/123"),
// "status" (value the code), or any other token/reference parameter.
struct IndexEntry {
  std::string param;
  std::string system;
  std::string value;
  bool operator==(const IndexEntry&) const = default;
};

struct ResourceRecord {
  std::string type;
  std::string id;
  int64_t version = 0;        // 1, 2, 3 ...
  int64_t lastUpdatedMs = 0;  // epoch ms, UTC
  bool deleted = false;
  // The owner: the municipality (tenant) that wrote the resource first, empty when the region,
  // the integration team or Brygga wrote it, and always empty for a Patient (see gateway/access).
  std::string tenant;
  std::string json;  // the resource as stored, meta.versionId/lastUpdated already set
  // Schema 6: the id of the Patient the resource concerns (its own id for a Patient), empty when
  // none. Reads return the current version's, whatever version they read.
  std::string patientId;
};

// Schema 6: the facts access decisions rest on (gateway/access), kept by the store from what the
// write pipeline passes with each write, in the same unit.

// A person number of a Patient: kind "pnr" | "snr", number the normalised 12 digits. Unique
// across the store: one person, one Patient.
struct PersonIdentity {
  std::string kind;
  std::string number;
  bool operator==(const PersonIdentity&) const = default;
};

// The care relationship one municipal EpisodeOfCare gives its tenant to its patient.
struct CareRelationship {
  std::string episodeId;
  std::string patientId;
  std::string tenant;
  // Status active, planned, onhold or waitlist.
  bool active = false;
  // When it ended or ends (period.end, or when it was finished); 0: no end.
  int64_t endedMs = 0;
};

// A block (spärr) a Consent puts on one party: "tenant:<tenant>" (a municipality) or "region"
// (the regional client and every region destination).
struct PatientBlock {
  std::string consentId;
  std::string patientId;
  std::string party;
  bool active = false;  // the Consent is active
  int64_t startMs = 0;  // provision.period.start; 0: from the beginning
  int64_t endMs = 0;    // provision.period.end; 0: no end
};

// What the store knows about one patient's access (gateway/access decides with it).
struct PatientAccessFacts {
  std::vector<CareRelationship> relationships;
  std::vector<PatientBlock> blocks;
};

// A new version of a resource. `version` must be exactly current+1 (1 for a new resource),
// otherwise putResource fails with kConflict: this is the optimistic check that keeps two
// writers from both succeeding.
struct ResourceWrite {
  ResourceRecord record;  // record.patientId: the patient the resource concerns
  std::vector<IndexEntry> index;
  // A Patient: its person numbers, which replace the ones it had. A number another Patient holds
  // fails the write with kConflict and the issue isDuplicatePerson() recognises (the unique key,
  // not a search, decides).
  std::vector<PersonIdentity> identities;
  // An EpisodeOfCare: the care relationship it gives (a municipality's), replacing the one it
  // gave; nullopt: none (a region's, or no longer a municipality's).
  std::optional<CareRelationship> relationship;
  // A Consent: the blocks it puts, replacing the ones it put.
  std::vector<PatientBlock> blocks;
};

// True for the putResource failure of a person number another Patient holds.
bool isDuplicatePerson(const Status& status);

struct SearchCriterion {
  std::string param;                  // an index parameter, or "_id": the resource's id
  std::optional<std::string> system;  // for tokens: match system too when present
  std::vector<std::string> values;    // OR-ed; no values matches nothing
  // Further index parameters matched like `param` (OR): Patient `name` also matches the `family`
  // and `given` rows, which are indexed once, under their own names.
  std::vector<std::string> alsoParams;
  // How `values` match the index (strings: see fhir::extractIndex): kEquals the value (tokens,
  // references), kStartsWith or kContains the folded value (string search's default and
  // :contains; values folded by the caller), kExact the text as written (:exact, in `system`).
  enum class Match { kEquals, kStartsWith, kContains, kExact };
  Match match = Match::kEquals;
  // A date parameter (birthdate): the period a resource's value covers is indexed as its first
  // day (`value`) and last day (`system`), YYYY-MM-DD; these bound them, inclusive. `values` is
  // then unused.
  std::optional<std::string> startFrom, startTo, endFrom, endTo;
  bool isDateRange() const { return startFrom || startTo || endFrom || endTo; }
};

// Which resources a caller may see, decided by gateway/access and pushed into the query so that
// paging and totals count only those (never filtered after the fact).
struct Visibility {
  // Resources of a patient (patientId set) are visible when the patient has a care relationship
  // of `relationshipTenant` (nullopt: of any municipality) that is active, or that ended after
  // `endedAfterMs` (the grace period), or is one of `alsoPatients` (a write unit establishing a
  // relationship), and no active block against `blockedParty` stands at `nowMs`.
  std::optional<std::string> relationshipTenant;
  int64_t endedAfterMs = 0;
  std::vector<std::string> alsoPatients;
  std::string blockedParty;
  int64_t nowMs = 0;
  // Resources of no patient are visible when their owner (tenant) is one of these; nullopt: any.
  std::optional<std::vector<std::string>> owners;
};

struct SearchQuery {
  std::string type;
  std::vector<SearchCriterion> criteria;  // AND-ed
  std::optional<int64_t> lastUpdatedGeMs;
  std::optional<int64_t> lastUpdatedLeMs;
  std::optional<std::string> tenant;     // exactly this owner (a conditional on an owned type)
  std::optional<Visibility> visibility;  // nullopt: everything (the integration role, the flows)
  int count = 50;                        // 0: only the total
  int offset = 0;
  // _sort, in order; the id breaks ties last. Empty: by lastUpdated, then id.
  struct SortKey {
    // "_lastUpdated", "_id", or an index parameter (then with `alsoParams`, as in a criterion):
    // by the resource's lowest indexed value ascending and its highest descending (strings by
    // the folded value, dates by their first day); a resource without one sorts last ascending
    // and first descending.
    std::string field;
    bool descending = false;
    std::vector<std::string> alsoParams;
  };
  std::vector<SortKey> sort;
};

struct SearchPage {
  // search: current versions, not deleted, ordered by lastUpdated, id (typeHistory: see there)
  std::vector<ResourceRecord> records;
  int64_t total = 0;
};

// One line of the exchange log: an inbound request or an outbound delivery attempt.
struct ExchangeRecord {
  std::string id;         // uuid
  std::string requestId;  // X-Request-Id of the inbound request it belongs to
  std::string clientId;
  std::string tenant;
  std::string direction;      // "inbound" | "outbound"
  std::string interaction;    // create, read, transaction, deliver...
  std::string resourceTypes;  // comma-separated
  std::string destination;    // outbound only
  int httpStatus = 0;         // 0: no answer (connection failed)
  int64_t startedMs = 0;
  int64_t finishedMs = 0;
  std::string payloadSha256;  // hex, of the request (inbound) or sent (outbound) body
  std::string detail;         // short, PHI-free
  // Schema 4 (the console's message search). `message`: an inbound write (create, update,
  // delete, transaction, batch), listed by Store::messages; `patient`: "Patient/123" when the
  // request concerned one patient (never an identifier such as a personnummer).
  bool message = false;
  std::string patient;
  // Schema 11: what the message is, as the flows know it at intake (kMessageKinds: "enrollment",
  // "visit note", ...); empty for a line that is no home-care message or was recorded before.
  std::string kind;
  // Read back only, set by the store: the line's position in the log, the highest outbox id when
  // it was written (a message's entries, enqueued in its unit, end there), and the seq the next
  // audit record had then (the line's AuditEvent, written right after it in the same unit).
  int64_t seq = 0;
  int64_t outboxLast = 0;
  int64_t auditSeq = 0;
};

struct ExchangeQuery {
  std::optional<std::string> tenant;
  std::optional<std::string> requestId;
  std::optional<std::string> direction;
  int limit = 100;
};

// kHeld (schema 6): not sent because a block (spärr) stood against the receiving party; only an
// explicit release (gateway/api AdminApi) makes it pending again.
enum class OutboxState { kPending, kDelivered, kDead, kHeld };
// "pending", "delivered", "dead", "held" (also the stored form).
const char* toString(OutboxState state);
// The inverse of toString; kInvalidArgument for anything else.
StatusOr<OutboxState> parseOutboxState(std::string_view text);

struct OutboxEntry {
  int64_t id = 0;           // assigned on enqueue; increases in acceptance order
  std::string destination;  // config key, e.g. "regional"
  std::string orderingKey;  // per-patient key: entries with one key are delivered in id order
  std::string requestId;    // the inbound request that caused it
  std::string tenant;
  std::string payload;  // the Bundle to send, JSON
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  int64_t createdMs = 0;
  int64_t nextAttemptMs = 0;  // pending: when due; delivered, dead or held: when that happened
  std::string lastError;      // held: which block held it ("held by a block against region")
  // Schema 6: the party receiving it ("region" or "tenant:<tenant>"), which a block can stop.
  std::string party;
  // Schema 8: the W3C trace id of the request that caused it; its delivery sends a traceparent
  // of that trace ("" for entries older than schema 8: the delivery then starts a trace).
  std::string traceId;
};

// What the integration team sees of one destination's queue (GET /admin/destinations).
struct DestinationState {
  std::string destination;
  bool paused = false;    // a paused destination's worker sends nothing
  int64_t changedMs = 0;  // when it was last paused or resumed; 0: never
  std::string changedBy;  // who did that (client id or "cli")
  int64_t pending = 0;    // entries waiting for delivery (including ones waiting to retry)
  int64_t dead = 0;       // dead letters
  int64_t oldestPendingCreatedMs = 0;  // acceptance time of the oldest pending entry; 0: none
};

// What the schema-6 migration did with Patients that shared a person number (Store::
// migrationReport): "merged" (same content: references moved to the surviving Patient, the other
// marked deleted, replaced-by) or "duplicate" (content differs: left for the integration team;
// the number now resolves to the surviving Patient). Names Patients by reference, never a number.
struct MigrationReportEntry {
  int64_t id = 0;
  int64_t createdMs = 0;
  std::string kind;     // merged | duplicate
  std::string subject;  // "Patient/<the other>"
  std::string detail;   // "Patient/<survivor>: ..."
};

struct AuditRecord {
  int64_t seq = 0;  // 1, 2, 3 ... without gaps
  int64_t recordedMs = 0;
  std::string json;      // the AuditEvent, canonical JSON
  std::string prevHash;  // hex; 64 zeros for seq 1
  std::string hash;      // hex SHA-256 chained over prevHash and json (see gateway/audit)
  std::string patient;   // "Patient/123" when the event concerns one patient, for extracts
};

// The Merkle leaf hash (RFC 9162) of an audit record, kept beside it so that the audit log's tree
// can be rebuilt without reading every event (see gateway/audit/audit_log.h).
struct AuditLeaf {
  int64_t seq = 0;
  std::string leafHash;  // hex
};

// A signed checkpoint of the audit log's Merkle tree: the first treeSize records have rootHash.
struct AuditCheckpoint {
  int64_t treeSize = 0;
  int64_t createdMs = 0;
  std::string rootHash;  // hex
  std::string note;      // the signed note (C2SP tlog-checkpoint) exactly as it was signed
};

// A witness's cosignature of one checkpoint (schema 5): the signature lines it answered with.
struct AuditWitnessRecord {
  std::string witness;  // the witness URL
  int64_t treeSize = 0;
  int64_t witnessedMs = 0;
  std::string cosignatures;  // note signature lines ("— name base64\n"...), possibly empty
};

// A key that signs (or signed) audit checkpoints (schema 5), in rotation order. Key n signs the
// checkpoints of sizes validFromSize(n) .. validFromSize(n+1) - 1. From the second key on,
// rotationNote is a signed note naming the old and the new key, signed by both (see
// gateway/audit/audit_keys.h).
struct AuditKeyRecord {
  int64_t seq = 0;  // 1, 2, ... in rotation order
  std::string vkey;
  int64_t validFromSize = 1;
  int64_t createdMs = 0;
  std::string rotationNote;  // empty for the first key
};

// The web console's view of a message (schema 4): an inbound write and what Brygga forwarded of
// it. The status is derived, never stored: rejected (the request was refused), accepted (stored,
// nothing to forward), queued (waiting for its first delivery), retrying (an attempt failed and
// it will be tried again), delivered, dead (dead letter: given up, may be replayed). With several
// outbox entries the worst of them counts (dead, retrying, queued, delivered).
// held (schema 6): a block (spärr) keeps a forwarded copy from leaving until it is released.
// declined: accepted and answered with a refusal by the flows (a consultation request out of
// service hours: the Task is rejected), counted apart from accepted.
enum class MessageStatus {
  kRejected,
  kAccepted,
  kQueued,
  kRetrying,
  kDelivered,
  kDead,
  kHeld,
  kDeclined
};
// True for the exchange line of a request the flows declined (its detail names the refusal).
bool isDeclined(const ExchangeRecord& line);
const char* toString(MessageStatus status);
// The inverse of toString; kInvalidArgument naming the statuses for anything else.
StatusOr<MessageStatus> parseMessageStatus(std::string_view text);

// The kinds of home-care message (PRODUCT.md's flows), as ExchangeRecord::kind holds them.
inline constexpr std::array<const char*, 7> kMessageKinds = {
    "enrollment", "discharge", "consultation", "visit", "visit note", "care plan", "admission"};
bool isMessageKind(std::string_view text);

struct Message {
  ExchangeRecord line;  // the inbound line
  MessageStatus status = MessageStatus::kAccepted;
  std::vector<OutboxEntry> outbox;  // its entries still kept (delivered ones are purged later)
};

// Newest first. Filters are AND-ed. Paging is by keyset: `cursor` is MessagePage::next of the
// previous page. A call examines at most `maxScan` candidate rows, so it stays fast whatever the
// filters; the page may then hold fewer than `limit` messages while `next` is still set.
struct MessageQuery {
  std::optional<int64_t> fromMs;  // received at or after
  std::optional<int64_t> toMs;    // received at or before
  std::optional<std::string> tenant;
  std::optional<std::string> patient;  // "Patient/123"
  std::optional<std::string> resourceType;
  std::optional<std::string> kind;  // one of kMessageKinds
  std::optional<std::string> requestId;
  std::optional<MessageStatus> status;
  std::string cursor;
  int limit = 50;
  int maxScan = 20000;
};

struct MessagePage {
  std::vector<Message> messages;
  std::string next;  // empty: nothing more
};

// What every backend's console queries share (store_console.cc). The filters of `query` a line
// must pass (MessageQuery's, apart from status and the cursor).
bool matchesMessageFilters(const ExchangeRecord& line, const MessageQuery& query);
// A message's status from its inbound line and the outbox entries still kept of it (see
// MessageStatus); `deliveredOnRecord` is asked only when no entry is left of a message that had
// some: whether a delivery of its request is on record (delivered entries are purged later).
MessageStatus messageStatusOf(const ExchangeRecord& line, const std::vector<OutboxEntry>& entries,
                              const std::function<bool()>& deliveredOnRecord);

// The storage boundary is split by role, each an interface of its own: resources and search,
// the outbox and delivery, the audit log (records, leaves, checkpoints, keys), and the exchange
// log with the console's queries over it. Every method is pure virtual, so a backend that misses
// one does not compile. A write unit (StoreTransaction) reaches each role's in-unit operations;
// the Store reaches each role's reads of committed data. Callers that need one role take that
// interface alone.

// ---- In a write unit. Not thread-safe; valid only during the callback passed to Store::write().

class ResourceUnit {
 public:
  virtual ~ResourceUnit() = default;
  virtual StatusOr<std::optional<ResourceRecord>> readCurrent(const std::string& type,
                                                              const std::string& id) = 0;
  // Ids of current, non-deleted resources of `type` with identifier system|value.
  virtual StatusOr<std::vector<std::string>> findByIdentifier(const std::string& type,
                                                              const std::string& system,
                                                              const std::string& value) = 0;
  virtual StatusOr<SearchPage> search(const SearchQuery& query) = 0;
  virtual Status putResource(const ResourceWrite& write) = 0;
  // The Patient holding a person number (kind "pnr"|"snr", 12 digits); nullopt when none does.
  virtual StatusOr<std::optional<std::string>> patientByNumber(const std::string& kind,
                                                               const std::string& number) = 0;
  // The care relationships and blocks of a patient as this unit sees them.
  virtual StatusOr<PatientAccessFacts> accessFacts(const std::string& patientId) = 0;
  // Replaces the search index of a stored resource (its current version), leaving the resource
  // itself as it is: a reindex after what is indexed changed (app/search_reindex.h).
  virtual Status replaceIndex(const std::string& type, const std::string& id,
                              const std::vector<IndexEntry>& index) = 0;
  // The version of the extraction the search index was last rebuilt with (0: never rebuilt).
  virtual StatusOr<int> searchIndexVersion() = 0;
  virtual Status setSearchIndexVersion(int version) = 0;
};

class OutboxUnit {
 public:
  virtual ~OutboxUnit() = default;
  // Returns the assigned outbox id.
  virtual StatusOr<int64_t> enqueue(const OutboxEntry& entry) = 0;
  // Records the outcome of a delivery attempt on an outbox entry (kNotFound: no such entry).
  virtual Status updateOutbox(int64_t id, OutboxState state, int attempts, int64_t nextAttemptMs,
                              const std::string& lastError) = 0;
  // One outbox entry as this unit sees it.
  virtual StatusOr<std::optional<OutboxEntry>> readOutbox(int64_t id) = 0;
  // Pending entries of a destination, exact within the unit (back-pressure checks it before an
  // enqueue). Constant time: the store keeps the count as entries change state.
  virtual StatusOr<int64_t> pendingCount(const std::string& destination) = 0;
  // True when an entry with the same destination and ordering key and a higher id was delivered:
  // replaying `id` would then reach the peer after newer data of the same patient.
  virtual StatusOr<bool> deliveredAfter(const std::string& destination,
                                        const std::string& orderingKey, int64_t id) = 0;
  // Pauses or resumes a destination (persisted; also known to other processes on the store).
  virtual Status setDestinationPaused(const std::string& destination, bool paused, int64_t atMs,
                                      const std::string& by) = 0;
  // Holds a pending outbox entry (a block stands against its party): state held, `reason` in
  // lastError; kNotFound when there is no such entry.
  virtual Status holdOutbox(int64_t id, int64_t atMs, const std::string& reason) = 0;
  // Advances the event counter of a notification stream (a Subscription's) and returns the new
  // count, 1 for its first event. Counters only grow; a unit that fails leaves it as it was.
  virtual StatusOr<int64_t> nextEventNumber(const std::string& stream) = 0;
  // The count as this unit sees it (0: none yet).
  virtual StatusOr<int64_t> eventCount(const std::string& stream) = 0;
};

class AuditLogUnit {
 public:
  virtual ~AuditLogUnit() = default;
  // The last audit record (seq 0 and empty hashes when the log is empty).
  virtual StatusOr<AuditRecord> lastAudit() = 0;
  // Appends; `record.seq` must be lastAudit().seq + 1 and, after the first record,
  // `record.prevHash` must be the last record's hash (kConflict otherwise). There is no way to
  // change or remove an audit record.
  virtual Status appendAudit(const AuditRecord& record) = 0;
  // Stores the leaf hash of audit record `seq`, which must exist and have none yet.
  virtual Status putAuditLeaf(int64_t seq, const std::string& leafHash) = 0;
  // Appends a checkpoint; its treeSize must exceed the last one's (kConflict otherwise). Like the
  // audit records, checkpoints are never changed or removed.
  virtual Status appendAuditCheckpoint(const AuditCheckpoint& checkpoint) = 0;
  // Sets the last audit seq a forwarding sink has delivered (it only grows; kConflict otherwise).
  virtual Status setAuditForwardCursor(const std::string& sink, int64_t lastSeq, int64_t atMs) = 0;
  virtual Status appendAuditWitness(const AuditWitnessRecord& record) = 0;
  // Appends a signing key; its seq must follow the last key's, and its validFromSize must exceed
  // the last checkpoint's size and the last key's validFromSize (kConflict otherwise).
  virtual Status appendAuditKey(const AuditKeyRecord& key) = 0;
  // The keys and the last checkpoint as this unit sees them (checked before signing).
  virtual StatusOr<std::vector<AuditKeyRecord>> auditKeysInUnit() = 0;
  virtual StatusOr<std::optional<AuditCheckpoint>> lastAuditCheckpointInUnit() = 0;
};

class ExchangeLogUnit {
 public:
  virtual ~ExchangeLogUnit() = default;
  virtual Status recordExchange(const ExchangeRecord& record) = 0;
};

// Schema 12 (issue 13): what the follow-up measures count, read from each written resource by
// gateway/measures and kept per resource (replaced on every write of it, none once it is deleted
// or entered in error). Small and PHI-free apart from the patient's id.
struct MeasureFact {
  std::string type;  // the resource it was read from
  std::string id;
  int seq = 0;          // its facts numbered 0, 1, ...
  std::string kind;     // "episode" | "contact" | "request" | "admission" | "diagnosis"
  std::string patient;  // the Patient's id
  int64_t startMs = 0;
  int64_t endMs = 0;         // 0: open (an episode still active, an admission not yet discharged)
  std::string servicePoint;  // episode: the responsible service point's HSA-id
  std::string municipality;  // episode: the tenant
  std::string code;          // contact: home-visit | consultation; episode: home | short-term;
                             // request: open | answered | declined; diagnosis: system|code
  int64_t flag = 0;          // request: 1 when received outside service hours
  std::string ref;           // request: the id of the Encounter its output names
  bool operator==(const MeasureFact&) const = default;
};

// A MeasureReport stored when its month closed (one per measure and period).
struct StoredMeasureReport {
  std::string measure;      // Measure id
  std::string periodStart;  // YYYY-MM-DD
  std::string json;
  int64_t createdMs = 0;
};

class MeasureFactUnit {
 public:
  virtual ~MeasureFactUnit() = default;
  // The facts of one resource, by seq.
  virtual StatusOr<std::vector<MeasureFact>> measureFactsOf(const std::string& type,
                                                            const std::string& id) = 0;
  // Replaces the facts of one resource (an empty list removes them).
  virtual Status replaceMeasureFacts(const std::string& type, const std::string& id,
                                     const std::vector<MeasureFact>& facts) = 0;
  // Keeps a closed month's report; false when one for that measure and period is already kept.
  virtual StatusOr<bool> storeMeasureReport(const StoredMeasureReport& report) = 0;
};

// One write unit: each role's operations inside it.
class StoreTransaction {
 public:
  virtual ~StoreTransaction() = default;
  virtual ResourceUnit& resources() = 0;
  virtual OutboxUnit& outbox() = 0;
  virtual AuditLogUnit& auditLog() = 0;
  virtual ExchangeLogUnit& exchangeLog() = 0;
  virtual MeasureFactUnit& measureFacts() = 0;
};

// ---- Reads of committed data. Thread-safe.

class ResourceStore {
 public:
  virtual ~ResourceStore() = default;
  // version: a specific version (vread) or the current one. A deleted current version is returned
  // with deleted=true. Not found: nullopt.
  virtual StatusOr<std::optional<ResourceRecord>> read(const std::string& type,
                                                       const std::string& id,
                                                       std::optional<int64_t> version = {}) = 0;
  // All versions, newest first.
  virtual StatusOr<std::vector<ResourceRecord>> history(const std::string& type,
                                                        const std::string& id) = 0;
  virtual StatusOr<SearchPage> search(const SearchQuery& query) = 0;
  // The history of a type (or of every type: query.type empty, the system history): every version
  // of the resources of query.type, deletions included, newest first (by lastUpdated, then id and
  // version), paged by count and offset with their total; lastUpdatedGeMs is _since. A resource's
  // versions are visible as its current version is (query.visibility), as for a read of one
  // resource's history. criteria and tenant are unused.
  virtual StatusOr<SearchPage> typeHistory(const SearchQuery& query) = 0;
  // As the ResourceUnit calls, on committed data.
  virtual StatusOr<std::optional<std::string>> patientByNumber(const std::string& kind,
                                                               const std::string& number) = 0;
  virtual StatusOr<PatientAccessFacts> accessFacts(const std::string& patientId) = 0;
  // The schema-6 migration's report on Patients that shared a person number, by id.
  virtual StatusOr<std::vector<MigrationReportEntry>> migrationReport() = 0;
};

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;
  // Due entries of one destination: pending, nextAttemptMs <= nowMs, and the oldest pending entry
  // of their ordering key (so a failing entry holds back only its own key; an empty key orders
  // nothing), by id, at most `limit`.
  virtual StatusOr<std::vector<OutboxEntry>> dueOutbox(const std::string& destination,
                                                       int64_t nowMs, int limit) = 0;
  virtual StatusOr<std::optional<OutboxEntry>> outboxEntry(int64_t id) = 0;
  // Entries of a destination (optionally only those in `state`) by id, at most `limit`.
  virtual StatusOr<std::vector<OutboxEntry>> entries(const std::string& destination,
                                                     std::optional<OutboxState> state,
                                                     int limit) = 0;
  // Every destination that has a queue or a pause/resume on record, by name.
  virtual StatusOr<std::vector<DestinationState>> destinationStates() = 0;
  virtual StatusOr<bool> destinationPaused(const std::string& destination) = 0;
  // Dead entries (of one destination, or all) with id > afterId, by id, at most `limit`.
  virtual StatusOr<std::vector<OutboxEntry>> deadLetters(
      const std::optional<std::string>& destination, int64_t afterId, int limit) = 0;
  // Held entries (of one destination, or all) with id > afterId, by id.
  virtual StatusOr<std::vector<OutboxEntry>> heldOutbox(
      const std::optional<std::string>& destination, int64_t afterId, int limit) = 0;
  // Retention: deletes up to `limit` delivered entries delivered before `deliveredBeforeMs` (their
  // payload goes with them; exchange lines and audit records stay). Returns how many it deleted.
  virtual StatusOr<int64_t> purgeDelivered(int64_t deliveredBeforeMs, int limit) = 0;
  // The events a notification stream has counted (0: none yet). See OutboxUnit::nextEventNumber.
  virtual StatusOr<int64_t> eventCount(const std::string& stream) = 0;
};

class AuditLogStore {
 public:
  virtual ~AuditLogStore() = default;
  // Audit records with seq >= fromSeq, in order.
  virtual StatusOr<std::vector<AuditRecord>> auditRecords(int64_t fromSeq, int limit) = 0;
  // The patient's audit records ("Patient/123"), in seq order.
  virtual StatusOr<std::vector<AuditRecord>> auditRecordsForPatient(const std::string& patient,
                                                                    int limit) = 0;
  // Stored leaf hashes with seq >= fromSeq, in order. Records without one (written before schema
  // 3, until the gateway adds theirs) are absent. Reads only the leaves, never the events, so the
  // tree of a million records loads from a few tens of MB.
  virtual StatusOr<std::vector<AuditLeaf>> auditLeaves(int64_t fromSeq, int limit) = 0;
  // Checkpoints with treeSize >= fromTreeSize, by size.
  virtual StatusOr<std::vector<AuditCheckpoint>> auditCheckpoints(int64_t fromTreeSize,
                                                                  int limit) = 0;
  virtual StatusOr<std::optional<AuditCheckpoint>> latestAuditCheckpoint() = 0;
  // A sink's cursor (0 when it never forwarded).
  virtual StatusOr<int64_t> auditForwardCursor(const std::string& sink) = 0;
  // The latest cosignature from a witness.
  virtual StatusOr<std::optional<AuditWitnessRecord>> latestAuditWitness(
      const std::string& witness) = 0;
  // The signing keys in rotation order.
  virtual StatusOr<std::vector<AuditKeyRecord>> auditKeys() = 0;
  // Audit records written so far (the last seq).
  virtual StatusOr<int64_t> auditSize() = 0;
};

class ExchangeLogStore {
 public:
  virtual ~ExchangeLogStore() = default;
  // Matching exchange records in the order they were recorded, at most query.limit.
  virtual StatusOr<std::vector<ExchangeRecord>> exchanges(const ExchangeQuery& query) = 0;
  // The web console's messages. See MessageQuery.
  virtual StatusOr<MessagePage> messages(const MessageQuery& query) = 0;
  // One message by the seq of its inbound line, with its outbox entries (payloads included only
  // with `withPayload`); nullopt when there is no such message.
  virtual StatusOr<std::optional<Message>> message(int64_t seq, bool withPayload) = 0;
  // Every exchange line of one request (inbound and outbound), by seq, read-back fields set.
  virtual StatusOr<std::vector<ExchangeRecord>> requestExchanges(const std::string& requestId,
                                                                 int limit) = 0;
  // Exchange lines with seq > afterSeq, by seq (for counters that follow the log).
  virtual StatusOr<std::vector<ExchangeRecord>> exchangesAfter(int64_t afterSeq, int limit) = 0;
  // The seq of the first inbound line recorded at or after `ms` (an estimate by binary search:
  // inbound lines are recorded in their write unit, so their times grow with seq); the next seq
  // to come when there is none.
  virtual StatusOr<int64_t> exchangeSeqAt(int64_t ms) = 0;
  // When the last message from `tenant` was received (the start of its inbound line); nullopt
  // when it never sent one. One index seek (schema 11).
  virtual StatusOr<std::optional<int64_t>> lastMessageAt(const std::string& tenant) = 0;
};

class MeasureFactStore {
 public:
  virtual ~MeasureFactStore() = default;
  // Calls `visit` with every fact read from resources of `type` (every fact: empty), in no
  // particular order; the fact passed is valid during the call only (a year's half million facts
  // are read without keeping them).
  virtual Status forEachMeasureFact(std::string_view type,
                                    const std::function<void(const MeasureFact&)>& visit) = 0;
  // The stored reports of a measure (all measures: empty), by measure and period.
  virtual StatusOr<std::vector<StoredMeasureReport>> measureReports(const std::string& measure) = 0;
};

// A gateway process serving from the store (Store::recordInstance).
// A gateway counts as alive while it has recorded itself within this time (it does so every 5 s).
constexpr int64_t kInstanceSilentMs = 15000;

struct InstanceRecord {
  std::string id;  // host:pid
  std::string version;
  int64_t startedMs = 0;
  int64_t lastSeenMs = 0;
};

// The store: write units, and each role's reads. Thread-safe. All reads see committed data only.
class Store {
 public:
  virtual ~Store() = default;

  // Runs `work` in one atomic unit. If `work` returns non-OK (or throws) nothing it did is kept
  // and its Status is returned. OK means everything is durably on disk (fsync'ed).
  // Write units are serialized against each other.
  virtual Status write(const std::function<Status(StoreTransaction&)>& work) = 0;

  virtual ResourceStore& resources() = 0;
  virtual OutboxStore& outbox() = 0;
  virtual AuditLogStore& auditLog() = 0;
  virtual ExchangeLogStore& exchangeLog() = 0;
  virtual MeasureFactStore& measureFacts() = 0;

  // True when a trivial write succeeds (readiness).
  virtual Status checkWritable() = 0;
  // Gives the space freed by deletions back to the file system (the database file shrinks).
  virtual Status reclaimSpace() = 0;

  // Work that one process at a time must do among all that share the store (a destination's
  // deliveries, the audit checkpoints, forwarding to a sink) runs under a named lease: true while
  // this process holds `name`, which it takes when it is free and keeps until it exits or loses
  // its connection to the store, when another process takes it over. Several gateways on one
  // database spread the leases between them. Cheap enough to ask before every pass.
  virtual bool holdsLease(const std::string& name) = 0;

  // The gateways serving from the store, each recording itself every few seconds (the console
  // and /metrics show each and the whole). SQLite: one process per database, kept in memory.
  virtual Status recordInstance(const InstanceRecord& instance) = 0;
  // Every instance on record, by id.
  virtual StatusOr<std::vector<InstanceRecord>> instances() = 0;

  // What one process changes that the others sharing the store must act on too (a reload of the
  // mapping files): announce(topic) tells them; listen(topic, listener) calls `listener` on a
  // thread of the store's each time another process announces `topic`, until the returned
  // subscription is destroyed. A process does not hear its own announcements. SQLite: one process
  // per database, so nobody to tell and nothing to hear.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  virtual void announce(const std::string& topic) = 0;
  virtual std::unique_ptr<Subscription> listen(const std::string& topic,
                                               std::function<void()> listener) = 0;
};

}  // namespace brygga::store
