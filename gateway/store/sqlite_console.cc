// The Connection's SQL for the web console (schema 4): the message search, a message with its
// outbox entries, the lines that follow the log for the live counters.
//
// A search walks one index chosen by its most selective filter (request id, patient, refused,
// the outbox by state, tenant, or the log itself) newest first, from the cursor down, and checks
// the other filters on each row it meets. It examines at most MessageQuery::maxScan rows, so a
// page costs a bounded amount of work however rare the matches; the cursor says where the next
// call goes on.
#include <algorithm>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/text.h"
#include "gateway/store/sqlite_connection.h"
#include "gateway/store/store_rows.h"

namespace brygga::store::sqlite {

namespace {

using rows::kOutboxColumnsNoPayload;

// A request is answered within this long, so a message received before a time was recorded
// (its inbound line written) before that time plus this.
constexpr int64_t kRecordingSlackMs = 120000;
// One unit enqueues at most this many entries for one message.
constexpr int kMaxEntriesPerMessage = 256;

// "s123" (a log position) or "o45" (an outbox id): below which the next page starts.
StatusOr<int64_t> parseCursor(std::string_view cursor, char kind) {
  if (cursor.empty() || cursor[0] != kind) {
    return core::invalidArgument(std::string("a cursor starts with '") + kind + "'");
  }
  return core::parseDecimal(cursor.substr(1));
}

}  // namespace

Message Connection::messageOf(ExchangeRecord line, bool withPayload) {
  Message m;
  if (line.outboxLast > 0) {
    // The message's entries were enqueued in its own unit, just before its line: consecutive
    // ids ending at outbox_last. Delivered ones may be purged since.
    static const std::string kWith = std::string("SELECT ") + outboxColumns() +
                                     " FROM outbox WHERE id <= ? ORDER BY id DESC LIMIT ?";
    static const std::string kWithout = std::string("SELECT ") + kOutboxColumnsNoPayload +
                                        " FROM outbox WHERE id <= ? ORDER BY id DESC LIMIT ?";
    Query q(statements_.get(withPayload ? kWith : kWithout));
    q.bind(line.outboxLast).bind(kMaxEntriesPerMessage);
    while (q.next()) {
      OutboxEntry e = outboxOf(q);
      if (e.requestId != line.requestId || e.createdMs > line.finishedMs) break;
      m.outbox.push_back(std::move(e));
    }
    std::reverse(m.outbox.begin(), m.outbox.end());
  }
  m.status = messageStatusOf(line, m.outbox, [&] {
    Query q(
        statements_.get("SELECT 1 FROM exchange INDEXED BY exchange_by_request WHERE request_id = ?"
                        " AND direction = 'outbound' AND http_status BETWEEN 200 AND 299 LIMIT 1"));
    q.bind(line.requestId);
    return q.next();
  });
  m.line = std::move(line);
  return m;
}

MessagePage Connection::messages(const MessageQuery& query) {
  MessagePage page;
  const int limit = std::clamp(query.limit, 1, 1000);
  const int maxScan = std::max(query.maxScan, limit);
  const auto accept = [&](ExchangeRecord line) -> bool {
    if (!matchesMessageFilters(line, query)) return false;
    Message m = messageOf(std::move(line), false);
    if (query.status && m.status != *query.status) return false;
    page.messages.push_back(std::move(m));
    return true;
  };

  const bool byOutbox =
      !query.requestId && !query.patient && query.status &&
      (*query.status == MessageStatus::kDead || *query.status == MessageStatus::kQueued ||
       *query.status == MessageStatus::kRetrying || *query.status == MessageStatus::kHeld);
  if (byOutbox) {
    // Few messages wait or are dead, and outbox_by_state lists them per destination by id
    // (acceptance order): merge the destinations newest first, a batch at a time.
    const char* state = *query.status == MessageStatus::kDead   ? "dead"
                        : *query.status == MessageStatus::kHeld ? "held"
                                                                : "pending";
    int64_t below = std::numeric_limits<int64_t>::max();  // exclusive
    if (!query.cursor.empty()) below = parseCursor(query.cursor, 'o').valueOr(0);
    std::vector<std::string> destinations;
    {
      Query q(statements_.get("SELECT destination FROM destination_state ORDER BY destination"));
      while (q.next()) destinations.push_back(q.text(0));
    }
    static const std::string kByState =
        std::string("SELECT ") + kOutboxColumnsNoPayload +
        " FROM outbox INDEXED BY outbox_by_state WHERE destination = ? AND state = ? AND id < ?"
        " ORDER BY id DESC LIMIT ?";
    const std::string kLineByRequest =
        std::string("SELECT ") + exchangeColumns() +
        " FROM exchange INDEXED BY exchange_by_request WHERE request_id = ? AND message = 1"
        " ORDER BY seq LIMIT 1";
    const int batch = std::max(2 * limit, 100);
    std::set<int64_t> seen;
    int scanned = 0;
    while (below > 0) {
      std::vector<OutboxEntry> candidates;
      int64_t fetchedDownTo = 0;  // below this, some destination has rows not fetched yet
      for (const std::string& destination : destinations) {
        Query q(statements_.get(kByState));
        q.bind(destination).bind(state).bind(below).bind(batch);
        int rows = 0;
        while (q.next()) {
          candidates.push_back(outboxOf(q));
          ++rows;
        }
        if (rows == batch) fetchedDownTo = std::max(fetchedDownTo, candidates.back().id);
      }
      std::sort(candidates.begin(), candidates.end(),
                [](const OutboxEntry& a, const OutboxEntry& b) { return a.id > b.id; });
      for (const OutboxEntry& entry : candidates) {
        if (entry.id < fetchedDownTo) break;
        ++scanned;
        if (query.fromMs && entry.createdMs < *query.fromMs - kRecordingSlackMs) return page;
        std::optional<ExchangeRecord> line;
        {
          Query q(statements_.get(kLineByRequest));
          q.bind(entry.requestId);
          if (q.next()) line = exchangeOf(q);
        }
        if (!line || !seen.insert(line->seq).second) continue;
        if (accept(std::move(*line)) && static_cast<int>(page.messages.size()) >= limit) {
          page.next = "o" + std::to_string(entry.id);
          return page;
        }
      }
      if (fetchedDownTo == 0) return page;  // every destination's rows were read
      below = fetchedDownTo;
      if (scanned >= maxScan) {
        page.next = "o" + std::to_string(below);
        return page;
      }
    }
    return page;
  }

  // Walk the exchange log newest first through the index of the most selective filter.
  int64_t high = std::numeric_limits<int64_t>::max();  // exclusive
  int64_t low = 0;
  if (!query.cursor.empty()) high = parseCursor(query.cursor, 's').valueOr(0);
  if (query.toMs) high = std::min(high, exchangeSeqAt(*query.toMs + kRecordingSlackMs));
  if (query.fromMs) low = exchangeSeqAt(*query.fromMs);
  if (high <= low) return page;

  std::string sql = std::string("SELECT ") + exchangeColumns() + " FROM exchange ";
  std::optional<std::string> key;
  if (query.requestId) {
    sql += "INDEXED BY exchange_by_request WHERE request_id = ? AND ";
    key = *query.requestId;
  } else if (query.patient) {
    sql +=
        "INDEXED BY exchange_message_by_patient WHERE patient = ? AND message = 1 AND"
        " patient <> '' AND ";
    key = *query.patient;
  } else if (query.status && *query.status == MessageStatus::kRejected) {
    sql += "INDEXED BY exchange_message_rejected WHERE message = 1 AND http_status >= 400 AND ";
  } else if (query.tenant) {
    sql += "INDEXED BY exchange_by_tenant WHERE tenant = ? AND ";
    key = *query.tenant;
  } else {
    sql += "WHERE ";
  }
  sql += "seq < ? AND seq >= ? ORDER BY seq DESC LIMIT ?";
  Query q(statements_.get(sql));
  if (key) q.bind(*key);
  q.bind(high).bind(low).bind(maxScan);
  // Rows are checked as they are stepped (a message's outbox entries are read on the same
  // connection meanwhile), so a page that fills early reads no further.
  int scanned = 0;
  int64_t lastSeq = 0;
  while (q.next()) {
    ExchangeRecord line = exchangeOf(q);
    ++scanned;
    lastSeq = line.seq;
    if (accept(std::move(line)) && static_cast<int>(page.messages.size()) >= limit) {
      page.next = "s" + std::to_string(lastSeq);
      return page;
    }
  }
  // The scan bound was reached before the page filled: the next call goes on from there.
  if (scanned == maxScan && lastSeq > low) page.next = "s" + std::to_string(lastSeq);
  return page;
}

std::optional<Message> Connection::message(int64_t seq, bool withPayload) {
  std::optional<ExchangeRecord> line;
  {
    static const std::string kSql =
        std::string("SELECT ") + exchangeColumns() + " FROM exchange WHERE seq = ? AND message = 1";
    Query q(statements_.get(kSql));
    q.bind(seq);
    if (q.next()) line = exchangeOf(q);
  }
  if (!line) return std::nullopt;
  return messageOf(std::move(*line), withPayload);
}

std::vector<ExchangeRecord> Connection::requestExchanges(const std::string& requestId, int limit) {
  static const std::string kSql = std::string("SELECT ") + exchangeColumns() +
                                  " FROM exchange INDEXED BY exchange_by_request"
                                  " WHERE request_id = ? ORDER BY seq LIMIT ?";
  Query q(statements_.get(kSql));
  q.bind(requestId).bind(std::max(limit, 0));
  std::vector<ExchangeRecord> lines;
  while (q.next()) lines.push_back(exchangeOf(q));
  return lines;
}

std::vector<ExchangeRecord> Connection::exchangesAfter(int64_t afterSeq, int limit) {
  static const std::string kSql = std::string("SELECT ") + exchangeColumns() +
                                  " FROM exchange WHERE seq > ? ORDER BY seq LIMIT ?";
  Query q(statements_.get(kSql));
  q.bind(afterSeq).bind(std::max(limit, 0));
  std::vector<ExchangeRecord> lines;
  while (q.next()) lines.push_back(exchangeOf(q));
  return lines;
}

int64_t Connection::exchangeSeqAt(int64_t ms) {
  int64_t lo = 1;
  int64_t hi = 1;
  {
    // Two statements: SQLite reads MIN or MAX of the key from the b-tree's edge only when the
    // query asks for one of them alone (both at once scan the table).
    Query first(statements_.get("SELECT COALESCE(MIN(seq), 1) FROM exchange"));
    if (first.next()) lo = first.integer(0);
    Query last(statements_.get("SELECT COALESCE(MAX(seq), 0) + 1 FROM exchange"));
    if (last.next()) hi = last.integer(0);
  }
  // Inbound lines are written inside their write unit, which run one after the other, so their
  // times grow with seq; outbound lines carry the time of the attempt and are skipped.
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    Query q(statements_.get(
        "SELECT seq, finished_ms FROM exchange WHERE seq >= ? AND direction = 'inbound'"
        " ORDER BY seq LIMIT 1"));
    q.bind(mid);
    if (!q.next() || q.integer(1) >= ms) {
      hi = mid;
    } else {
      lo = q.integer(0) + 1;
    }
  }
  return lo;
}

std::optional<int64_t> Connection::lastMessageAt(const std::string& tenant) {
  Query q(
      statements_.get("SELECT started_ms FROM exchange INDEXED BY exchange_message_by_tenant"
                      " WHERE message = 1 AND tenant = ? ORDER BY seq DESC LIMIT 1"));
  q.bind(tenant);
  if (!q.next()) return std::nullopt;
  return q.integer(0);
}

int64_t Connection::auditSize() {
  Query q(statements_.get("SELECT COALESCE(MAX(seq), 0) FROM audit"));
  return q.next() ? q.integer(0) : 0;
}

}  // namespace brygga::store::sqlite
