// The audit transparency log's tables (schema 3): leaf hashes and signed checkpoints.
#include <utility>
#include <vector>

#include <Poco/Data/Binding.h>
#include <Poco/Data/Extraction.h>

#include "gateway/store/sqlite_connection.h"

namespace brygga::store::sqlite {

namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::Statement;

std::vector<AuditCheckpoint> checkpointRows(Statement& statement) {
  std::vector<Poco::Int64> treeSize, createdMs;
  std::vector<std::string> rootHash, note;
  statement, into(treeSize), into(createdMs), into(rootHash), into(note);
  statement.execute();
  std::vector<AuditCheckpoint> out(treeSize.size());
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].treeSize = treeSize[i];
    out[i].createdMs = createdMs[i];
    out[i].rootHash = std::move(rootHash[i]);
    out[i].note = std::move(note[i]);
  }
  return out;
}

constexpr const char* kCheckpointColumns = "tree_size, created_ms, root_hash, note";

}  // namespace

void Connection::insertAuditLeaf(int64_t seq, const std::string& leafHash) {
  // A kept statement: it runs with every audit record, inside the write unit. (A kept Poco
  // statement is compiled again at every execution.)
  Query(statements_.get("INSERT INTO audit_leaf (seq, leaf_hash) VALUES (?, ?)"))
      .bind(seq)
      .bind(leafHash)
      .run();
}

std::vector<AuditLeaf> Connection::auditLeaves(int64_t fromSeq, int limit) {
  // Read in large pages (start-up, proofs), so compiling the statement each time costs nothing
  // that matters.
  Poco::Int64 from = fromSeq;
  Poco::Int64 count = std::max(limit, 0);
  std::vector<Poco::Int64> seq;
  std::vector<std::string> hash;
  Statement statement(session());
  statement << "SELECT seq, leaf_hash FROM audit_leaf WHERE seq >= ? ORDER BY seq LIMIT ?",
      use(from), use(count), into(seq), into(hash);
  statement.execute();
  std::vector<AuditLeaf> out(seq.size());
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].seq = seq[i];
    out[i].leafHash = std::move(hash[i]);
  }
  return out;
}

void Connection::insertCheckpoint(const AuditCheckpoint& checkpoint) {
  AuditCheckpoint in = checkpoint;
  Statement statement(session());
  statement << "INSERT INTO audit_checkpoint (" << kCheckpointColumns << ") VALUES (?, ?, ?, ?)",
      use(in.treeSize), use(in.createdMs), use(in.rootHash), use(in.note);
  statement.execute();
}

std::vector<AuditCheckpoint> Connection::checkpoints(int64_t fromTreeSize, int limit) {
  Poco::Int64 from = fromTreeSize;
  Poco::Int64 count = std::max(limit, 0);
  Statement statement(session());
  statement << "SELECT " << kCheckpointColumns
            << " FROM audit_checkpoint WHERE tree_size >= ? ORDER BY tree_size LIMIT ?",
      use(from), use(count);
  return checkpointRows(statement);
}

std::optional<AuditCheckpoint> Connection::lastCheckpoint() {
  Statement statement(session());
  statement << "SELECT " << kCheckpointColumns
            << " FROM audit_checkpoint ORDER BY tree_size DESC LIMIT 1";
  std::vector<AuditCheckpoint> rows = checkpointRows(statement);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

int64_t Connection::forwardCursor(const std::string& sink) {
  std::string name = sink;
  std::vector<Poco::Int64> last;
  Statement statement(session());
  statement << "SELECT last_seq FROM audit_forward_cursor WHERE sink = ?", use(name), into(last);
  statement.execute();
  return last.empty() ? 0 : last.front();
}

void Connection::setForwardCursor(const std::string& sink, int64_t lastSeq, int64_t atMs) {
  std::string name = sink;
  Poco::Int64 seq = lastSeq;
  Poco::Int64 at = atMs;
  Statement statement(session());
  statement << "INSERT INTO audit_forward_cursor (sink, last_seq, updated_ms) VALUES (?, ?, ?)"
               " ON CONFLICT (sink) DO UPDATE SET last_seq = excluded.last_seq,"
               " updated_ms = excluded.updated_ms",
      use(name), use(seq), use(at);
  statement.execute();
}

void Connection::insertWitness(const AuditWitnessRecord& record) {
  AuditWitnessRecord in = record;
  Statement statement(session());
  statement << "INSERT INTO audit_witness (witness, tree_size, witnessed_ms, cosignatures)"
               " VALUES (?, ?, ?, ?)",
      use(in.witness), use(in.treeSize), use(in.witnessedMs), use(in.cosignatures);
  statement.execute();
}

std::optional<AuditWitnessRecord> Connection::latestWitness(const std::string& witness) {
  std::string name = witness;
  std::vector<Poco::Int64> treeSize, witnessedMs;
  std::vector<std::string> cosignatures;
  Statement statement(session());
  statement << "SELECT tree_size, witnessed_ms, cosignatures FROM audit_witness"
               " WHERE witness = ? ORDER BY tree_size DESC LIMIT 1",
      use(name), into(treeSize), into(witnessedMs), into(cosignatures);
  statement.execute();
  if (treeSize.empty()) return std::nullopt;
  AuditWitnessRecord out;
  out.witness = witness;
  out.treeSize = treeSize.front();
  out.witnessedMs = witnessedMs.front();
  out.cosignatures = std::move(cosignatures.front());
  return out;
}

void Connection::insertAuditKey(const AuditKeyRecord& key) {
  AuditKeyRecord in = key;
  Statement statement(session());
  statement << "INSERT INTO audit_key (seq, vkey, valid_from_size, created_ms, rotation_note)"
               " VALUES (?, ?, ?, ?, ?)",
      use(in.seq), use(in.vkey), use(in.validFromSize), use(in.createdMs), use(in.rotationNote);
  statement.execute();
}

std::vector<AuditKeyRecord> Connection::auditKeys() {
  std::vector<Poco::Int64> seq, validFrom, createdMs;
  std::vector<std::string> vkey, note;
  Statement statement(session());
  statement << "SELECT seq, vkey, valid_from_size, created_ms, rotation_note FROM audit_key"
               " ORDER BY seq",
      into(seq), into(vkey), into(validFrom), into(createdMs), into(note);
  statement.execute();
  std::vector<AuditKeyRecord> out(seq.size());
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].seq = seq[i];
    out[i].vkey = std::move(vkey[i]);
    out[i].validFromSize = validFrom[i];
    out[i].createdMs = createdMs[i];
    out[i].rotationNote = std::move(note[i]);
  }
  return out;
}

}  // namespace brygga::store::sqlite
