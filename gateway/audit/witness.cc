#include "gateway/audit/witness.h"

#include <openssl/evp.h>

#include <utility>

#include "gateway/audit/signed_note.h"
#include "gateway/core/base64.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/core/openssl_ptr.h"
#include "gateway/core/text.h"

namespace brygga::audit {

namespace {

constexpr int kMaxConflicts = 2;

std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// The witness's answer to a conflict: its tree size, on a line of its own.
core::StatusOr<uint64_t> parseSize(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return parseTreeSize(text);
}

constexpr unsigned char kCosignatureAlg = 0x04;
constexpr const char* kDash = "\xE2\x80\x94 ";  // U+2014 and a space open a signature line

uint32_t cosignerKeyId(const std::string& name, const std::string& key) {
  const std::string digest =
      core::sha256(name + "\n" + std::string(1, static_cast<char>(kCosignatureAlg)) + key);
  return (static_cast<uint32_t>(static_cast<unsigned char>(digest[0])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(digest[1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(digest[2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(digest[3]));
}

bool ed25519Verify(const std::string& key, std::string_view message, std::string_view signature) {
  core::PkeyPtr pkey(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(key.data()), key.size()));
  core::MdCtxPtr ctx(EVP_MD_CTX_new());
  return pkey && ctx &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace

core::StatusOr<CosignatureVerifier> CosignatureVerifier::fromVkey(std::string_view vkey) {
  const size_t plus1 = vkey.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : vkey.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos || plus2 - plus1 != 9) {
    return core::invalidArgument("a witness vkey is name+<8 hex digits>+<base64 key>");
  }
  CosignatureVerifier v;
  v.name_ = std::string(vkey.substr(0, plus1));
  if (!isValidKeyName(v.name_)) return core::invalidArgument("the witness key name is not valid");
  auto key = core::base64Decode(vkey.substr(plus2 + 1));
  if (!key.isOk() || key->size() != 33 ||
      static_cast<unsigned char>((*key)[0]) != kCosignatureAlg) {
    return core::invalidArgument(
        "the witness vkey is not an Ed25519 cosignature key (type 0x04, 32 bytes)");
  }
  v.publicKey_ = key->substr(1);
  v.keyId_ = cosignerKeyId(v.name_, v.publicKey_);
  uint32_t given = 0;
  for (char c : vkey.substr(plus1 + 1, 8)) {
    // Lower-case only: the key id is written so, and one value has one spelling.
    const int d = (c >= 'A' && c <= 'F') ? -1 : core::hexDigitValue(c);
    if (d < 0) return core::invalidArgument("the witness vkey's key id is not lower-case hex");
    given = (given << 4) | static_cast<uint32_t>(d);
  }
  if (given != v.keyId_) {
    return core::invalidArgument("the witness vkey's key id does not match its name and key");
  }
  return v;
}

core::StatusOr<uint64_t> CosignatureVerifier::verify(std::string_view lines,
                                                     std::string_view body) const {
  const std::string prefix = std::string(kDash) + name_ + " ";
  size_t pos = 0;
  while (pos < lines.size()) {
    size_t end = lines.find('\n', pos);
    if (end == std::string_view::npos) end = lines.size();
    const std::string_view line = lines.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, prefix.size()) != prefix) continue;
    auto raw = core::base64Decode(line.substr(prefix.size()));
    if (!raw.isOk() || raw->size() != 4 + 8 + 64) continue;
    uint32_t id = 0;
    uint64_t timestamp = 0;
    for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<unsigned char>((*raw)[i]);
    if (id != keyId_) continue;
    for (int i = 4; i < 12; ++i)
      timestamp = (timestamp << 8) | static_cast<unsigned char>((*raw)[i]);
    if (timestamp > (uint64_t{1} << 63) - 1) continue;
    const std::string message =
        "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + std::string(body);
    if (ed25519Verify(publicKey_, message, std::string_view(*raw).substr(12))) return timestamp;
  }
  return core::unauthenticated("no valid cosignature by " + name_);
}

std::string addCheckpointBody(uint64_t oldSize, const std::vector<merkle::Hash>& proof,
                              const std::string& note) {
  std::string body = "old " + std::to_string(oldSize) + "\n";
  for (const merkle::Hash& h : proof) body += merkle::toBase64(h) + "\n";
  body += "\n";
  body += note;
  return body;
}

WitnessPusher::WitnessPusher(AuditLog& log, store::Store& store, std::string url,
                             std::unique_ptr<adapters::HttpClient> client, int64_t retryIntervalMs,
                             core::TimeSystem& clock, core::Logger& logger,
                             std::optional<CosignatureVerifier> cosigner)
    : log_(log),
      store_(store),
      url_(trimSlash(std::move(url))),
      client_(std::move(client)),
      retryIntervalMs_(retryIntervalMs),
      cosigner_(std::move(cosigner)),
      clock_(clock),
      logger_(logger),
      task_(clock) {
  state_.url = url_;
}

WitnessPusher::~WitnessPusher() {
  stop();
}

void WitnessPusher::start() {
  // The first push (whatever is not witnessed yet) goes at once; then one after each new
  // checkpoint (notify), otherwise a look every retry interval (which retries a failure).
  task_.start([this] {
    // runOnce logs a failure, and this loop is the retry: the next pass pushes again.
    runOnce().ignoreError();
    return core::PeriodicTask::Next::after(retryIntervalMs_);
  });
}

void WitnessPusher::stop() {
  task_.stop();
}

void WitnessPusher::notify() {
  task_.notify();
}

WitnessPusher::State WitnessPusher::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::string WitnessPusher::stateJson() const {
  const State s = state();
  std::string out = "{\"url\":";
  core::appendJsonString(out, s.url);
  out += ",\"witnessedSize\":" + std::to_string(s.witnessedSize);
  out += ",\"latestCheckpointSize\":" + std::to_string(s.latestCheckpointSize);
  if (s.witnessedMs > 0) {
    out += ",\"witnessedAt\":";
    core::appendJsonString(out, core::formatInstant(s.witnessedMs));
  }
  out += ",\"cosignatures\":";
  core::appendJsonString(out, s.cosignatures);
  out += std::string(",\"cosignatureVerified\":") + (s.cosignatureVerified ? "true" : "false");
  if (!s.lastError.empty()) {
    out += ",\"lastError\":";
    core::appendJsonString(out, s.lastError);
    out += ",\"lastErrorAt\":";
    core::appendJsonString(out, core::formatInstant(s.lastErrorMs));
  }
  return out + "}";
}

core::Status WitnessPusher::runOnce() {
  std::lock_guard pass(passMutex_);
  auto fail = [&](const core::Status& status) {
    std::lock_guard lock(mutex_);
    if (state_.lastError != status.message()) {
      logger_.warn("audit.witness_failed", {{"url", url_}, {"error", status.message()}});
    }
    state_.lastError = status.message();
    state_.lastErrorMs = clock_.nowMs();
    return status;
  };
  if (!loaded_) {
    auto witnessed = store_.auditLog().latestAuditWitness(url_);
    if (!witnessed.isOk()) return fail(witnessed.status());
    if (witnessed->has_value()) {
      witnessSize_ = static_cast<uint64_t>((*witnessed)->treeSize);
      std::lock_guard lock(mutex_);
      state_.witnessedSize = (*witnessed)->treeSize;
      state_.witnessedMs = (*witnessed)->witnessedMs;
      state_.cosignatures = (*witnessed)->cosignatures;
    }
    loaded_ = true;
  }
  auto latest = store_.auditLog().latestAuditCheckpoint();
  if (!latest.isOk()) return fail(latest.status());
  if (!latest->has_value()) return core::Status::ok();
  {
    std::lock_guard lock(mutex_);
    state_.latestCheckpointSize = (*latest)->treeSize;
  }
  if (static_cast<uint64_t>((*latest)->treeSize) <= witnessSize_) return core::Status::ok();
  core::Status pushed = push(**latest, witnessSize_, 0);
  if (!pushed.isOk()) return fail(pushed);
  std::lock_guard lock(mutex_);
  state_.lastError.clear();
  return core::Status::ok();
}

core::Status WitnessPusher::push(const store::AuditCheckpoint& checkpoint, uint64_t oldSize,
                                 int conflicts) {
  const uint64_t newSize = static_cast<uint64_t>(checkpoint.treeSize);
  std::vector<merkle::Hash> proof;
  if (oldSize > 0 && oldSize < newSize) {
    BRYGGA_ASSIGN_OR_RETURN(proof, log_.consistencyProof(oldSize, newSize));
  }
  adapters::HttpRequestSpec request;
  request.method = "POST";
  request.url = url_ + "/add-checkpoint";
  request.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  request.body = addCheckpointBody(oldSize, proof, checkpoint.note);
  adapters::HttpResult answer = client_->send(request);
  if (answer.status == 409 && conflicts < kMaxConflicts) {
    // The witness holds another size: prove consistency from that one instead.
    auto theirs = parseSize(answer.body);
    if (!theirs.isOk() || *theirs > newSize) {
      return core::conflict("the witness holds a tree of " + answer.body.substr(0, 40) +
                            " records, which this log (" + std::to_string(newSize) +
                            ") cannot extend: it saw another log, or this one was cut short");
    }
    witnessSize_ = *theirs;
    if (*theirs == newSize) return core::Status::ok();
    return push(checkpoint, *theirs, conflicts + 1);
  }
  if (answer.status != 200) {
    return core::unavailable("witness: add-checkpoint of size " + std::to_string(newSize) + " " +
                             (answer.status == 0 ? "got no answer: " + answer.error
                                                 : "was answered " + std::to_string(answer.status) +
                                                       ": " + answer.body.substr(0, 200)));
  }
  if (cosigner_) {
    // Without a valid cosignature the witness has not vouched for anything: not recorded.
    auto note = parseSignedNote(checkpoint.note);
    if (!note.isOk()) return note.status();
    auto cosigned = cosigner_->verify(answer.body, note->text);
    if (!cosigned.isOk()) {
      return core::unavailable("witness: the answer to add-checkpoint of size " +
                               std::to_string(newSize) + " has " + cosigned.status().message());
    }
  }
  store::AuditWitnessRecord record;
  record.witness = url_;
  record.treeSize = checkpoint.treeSize;
  record.witnessedMs = clock_.nowMs();
  record.cosignatures = answer.body;
  BRYGGA_RETURN_IF_ERROR(store_.write(
      [&](store::StoreTransaction& txn) { return txn.auditLog().appendAuditWitness(record); }));
  witnessSize_ = newSize;
  std::lock_guard lock(mutex_);
  state_.witnessedSize = record.treeSize;
  state_.witnessedMs = record.witnessedMs;
  state_.cosignatures = record.cosignatures;
  state_.cosignatureVerified = cosigner_.has_value();
  logger_.info("audit.witnessed", {{"url", url_}, {"treeSize", std::to_string(newSize)}});
  return core::Status::ok();
}

}  // namespace brygga::audit
