#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http_client.h"
#include "gateway/audit/audit_log.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

// Pushing signed checkpoints to a witness (https://c2sp.org/tlog-witness), so that the gateway
// cannot show different logs to different people without a witness noticing:
//
//   POST <url>/add-checkpoint
//   old <size the witness has>
//   <consistency proof from that size to the new one, one base64 hash per line>
//                                                    <- blank line
//   <the signed checkpoint note>
//
// 200: the body is the witness's cosignature line(s), stored with the size (schema 5,
// audit_witness). 409: the witness holds another size (the body, text/x.tlog.size); the push is
// made again at once from that size. Anything else (no answer, 4xx, 5xx) is logged and retried
// after retryIntervalMs. The pusher runs on its own thread and reads only committed checkpoints,
// so a slow or absent witness never holds up an audit write or a checkpoint.
namespace brygga::audit {

// Verifies a witness's Ed25519 cosignatures (https://c2sp.org/tlog-cosignature, cosignature/v1):
// a note signature line `— <name> base64(key id || u64 timestamp || signature)` whose signature
// covers "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint's note text; the key id
// is SHA-256(name || "\n" || 0x04 || public key)[:4]. Immutable.
class CosignatureVerifier {
 public:
  // A vkey with signature type 0x04: "name+<8 hex digits key id>+base64(0x04 || public key)".
  static core::StatusOr<CosignatureVerifier> fromVkey(std::string_view vkey);
  const std::string& name() const { return name_; }
  // The timestamp of the first of `lines` by this cosigner that verifies over the checkpoint
  // text `body`; kUnauthenticated when none does.
  core::StatusOr<uint64_t> verify(std::string_view lines, std::string_view body) const;

 private:
  std::string name_;
  std::string publicKey_;  // 32 raw bytes
  uint32_t keyId_ = 0;
};

// The request body of add-checkpoint.
std::string addCheckpointBody(uint64_t oldSize, const std::vector<merkle::Hash>& proof,
                              const std::string& note);

class WitnessPusher {
 public:
  // With a cosigner key, an answer counts only when it carries a valid cosignature by it.
  WitnessPusher(AuditLog& log, store::Store& store, std::string url,
                std::unique_ptr<adapters::HttpClient> client, int64_t retryIntervalMs,
                core::TimeSystem& clock, core::Logger& logger,
                std::optional<CosignatureVerifier> cosigner = std::nullopt);
  ~WitnessPusher();
  WitnessPusher(const WitnessPusher&) = delete;
  WitnessPusher& operator=(const WitnessPusher&) = delete;

  void start();
  void stop();
  // A checkpoint was made: push it soon. Never blocks on the network.
  void notify();
  // One attempt: pushes the latest checkpoint when the witness has not cosigned it.
  core::Status runOnce();

  struct State {
    std::string url;
    int64_t witnessedSize = 0;  // the latest size the witness cosigned
    int64_t witnessedMs = 0;
    std::string cosignatures;
    bool cosignatureVerified = false;  // checked with the configured cosigner key
    int64_t latestCheckpointSize = 0;
    std::string lastError;
    int64_t lastErrorMs = 0;
  };
  State state() const;
  // The state as JSON, for GET /audit/witness.
  std::string stateJson() const;

 private:
  core::Status push(const store::AuditCheckpoint& checkpoint, uint64_t oldSize, int conflicts);

  AuditLog& log_;
  store::Store& store_;
  const std::string url_;
  std::unique_ptr<adapters::HttpClient> client_;
  const int64_t retryIntervalMs_;
  const std::optional<CosignatureVerifier> cosigner_;
  const core::TimeSource& clock_;
  core::Logger& logger_;

  std::mutex passMutex_;
  bool loaded_ = false;
  uint64_t witnessSize_ = 0;  // the size the witness last said it has (may exceed ours: 409)

  mutable std::mutex mutex_;  // guards state_
  State state_;
  core::PeriodicTask task_;
};

}  // namespace brygga::audit
