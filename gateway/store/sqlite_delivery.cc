// The Connection's SQL for operating the delivery engine (schema 2): queue depth, pause and
// resume, dead letters, retention.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gateway/store/sqlite_connection.h"

namespace brygga::store::sqlite {

namespace {

constexpr int kReclaimCheckpointAttempts = 250;  // 5 s

}  // namespace

int64_t Connection::pendingCount(const std::string& destination) {
  Query q(statements_.get("SELECT pending FROM destination_state WHERE destination = ?"));
  q.bind(destination);
  return q.next() ? q.integer(0) : 0;
}

bool Connection::deliveredAfter(const std::string& destination, const std::string& orderingKey,
                                int64_t id) {
  // outbox_by_key: all of (destination, ordering_key, state) bound, then the id range.
  Query q(statements_.get(
      "SELECT 1 FROM outbox WHERE destination = ? AND ordering_key = ? AND state = 'delivered'"
      " AND id > ? LIMIT 1"));
  q.bind(destination).bind(orderingKey).bind(id);
  return q.next();
}

void Connection::setPaused(const std::string& destination, bool paused, int64_t atMs,
                           const std::string& by) {
  Query(
      statements_.get("INSERT INTO destination_state (destination, paused, changed_ms, changed_by)"
                      " VALUES (?, ?, ?, ?) ON CONFLICT (destination) DO UPDATE SET"
                      " paused = excluded.paused, changed_ms = excluded.changed_ms,"
                      " changed_by = excluded.changed_by"))
      .bind(destination)
      .bind(paused ? 1 : 0)
      .bind(atMs)
      .bind(by)
      .run();
}

std::vector<DestinationState> Connection::destinationStates() {
  // The oldest pending entry is the first of outbox_by_state; the dead count walks only the dead
  // entries of the destination.
  Query q(statements_.get(
      "SELECT d.destination, d.paused, d.changed_ms, d.changed_by, d.pending,"
      " (SELECT COUNT(*) FROM outbox o WHERE o.destination = d.destination"
      "   AND o.state = 'dead'),"
      " COALESCE((SELECT o.created_ms FROM outbox o WHERE o.destination = d.destination"
      "   AND o.state = 'pending' ORDER BY o.id LIMIT 1), 0)"
      " FROM destination_state d ORDER BY d.destination"));
  std::vector<DestinationState> states;
  while (q.next()) {
    DestinationState s;
    s.destination = q.text(0);
    s.paused = q.integer(1) != 0;
    s.changedMs = q.integer(2);
    s.changedBy = q.text(3);
    s.pending = q.integer(4);
    s.dead = q.integer(5);
    s.oldestPendingCreatedMs = q.integer(6);
    states.push_back(std::move(s));
  }
  return states;
}

int64_t Connection::nextEventNumber(const std::string& stream) {
  Query q(statements_.get(
      "INSERT INTO event_counter (stream, events) VALUES (?, 1) ON CONFLICT (stream)"
      " DO UPDATE SET events = events + 1 RETURNING events"));
  q.bind(stream);
  return q.next() ? q.integer(0) : 0;
}

int64_t Connection::eventCount(const std::string& stream) {
  Query q(statements_.get("SELECT events FROM event_counter WHERE stream = ?"));
  q.bind(stream);
  return q.next() ? q.integer(0) : 0;
}

bool Connection::paused(const std::string& destination) {
  Query q(statements_.get("SELECT paused FROM destination_state WHERE destination = ?"));
  q.bind(destination);
  return q.next() && q.integer(0) != 0;
}

std::vector<OutboxEntry> Connection::deadLetters(const std::optional<std::string>& destination,
                                                 int64_t afterId, int limit) {
  return outboxInState("dead", destination, afterId, limit);
}

std::vector<OutboxEntry> Connection::outboxInState(const char* state,
                                                   const std::optional<std::string>& destination,
                                                   int64_t afterId, int limit) {
  // The state is written into the text (one of the few stored forms), so that SQLite may use a
  // partial index on it (outbox_held).
  const std::string sql =
      std::string("SELECT ") + outboxColumns() + " FROM outbox WHERE state = '" + state + "'" +
      (destination ? " AND destination = ?" : "") + " AND id > ? ORDER BY id LIMIT ?";
  Query q(statements_.get(sql));
  if (destination) q.bind(*destination);
  q.bind(afterId).bind(std::max(limit, 0));
  std::vector<OutboxEntry> entries;
  while (q.next()) entries.push_back(outboxOf(q));
  return entries;
}

int64_t Connection::purgeDelivered(int64_t beforeMs, int limit) {
  // outbox_delivered (partial: delivered entries only) finds them by delivery time.
  return Query(statements_.get("DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
                               " WHERE state = 'delivered' AND next_attempt_ms < ?"
                               " ORDER BY next_attempt_ms LIMIT ?)"))
      .bind(beforeMs)
      .bind(std::max(limit, 0))
      .run();
}

void Connection::reclaimSpace() {
  Query(statements_.get("PRAGMA incremental_vacuum")).run();
  // The checkpoint answers busy=1 (instead of failing) while the background checkpointer holds
  // the checkpoint lock; that one is short, so try again for a while.
  for (int attempt = 0; attempt < kReclaimCheckpointAttempts; ++attempt) {
    Query q(statements_.get("PRAGMA wal_checkpoint(TRUNCATE)"));
    const bool busy = q.next() && q.integer(0) != 0;
    q.run();
    if (!busy) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void Connection::convertToIncrementalVacuum() {
  int64_t mode = 0;
  {
    Query q(statements_.get("PRAGMA auto_vacuum"));
    if (q.next()) mode = q.integer(0);
  }
  constexpr int64_t kIncremental = 2;
  if (mode == kIncremental) return;
  Query(statements_.get("PRAGMA auto_vacuum = INCREMENTAL")).run();
  Query(statements_.get("VACUUM")).run();
}

}  // namespace brygga::store::sqlite
