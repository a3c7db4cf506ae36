#include "gateway/store/search_sql.h"

namespace brygga::store::sql {

void Sql::add(const std::string& clause, std::string value) {
  text += clause;
  params.emplace_back(std::move(value));
}

void Sql::add(const std::string& clause, int64_t value) {
  text += clause;
  params.emplace_back(value);
}

void Sql::addList(const std::vector<std::string>& values) {
  text += "(";
  for (size_t i = 0; i < values.size(); ++i) {
    text += i == 0 ? "?" : ", ?";
    params.emplace_back(values[i]);
  }
  text += ")";
}

void Sql::append(const Sql& other) {
  text += other.text;
  params.insert(params.end(), other.params.begin(), other.params.end());
}

Sql visibility(const Visibility& v) {
  Sql sql;
  // EXISTS, correlated on the row's patient (an index lookup per candidate row), not IN over a
  // subquery, which SQLite materializes whole (every relationship of the tenant) per statement.
  sql.text +=
      " AND ((c.patient_id <> '' AND (EXISTS (SELECT 1 FROM care_relationship r"
      " WHERE r.patient_id = c.patient_id";
  if (v.relationshipTenant) sql.add(" AND r.tenant = ?", *v.relationshipTenant);
  sql.add(" AND ((r.active = 1 AND r.ended_ms = 0) OR r.ended_ms > ?))", v.endedAfterMs);
  if (!v.alsoPatients.empty()) {
    sql.text += " OR c.patient_id IN ";
    sql.addList(v.alsoPatients);
  }
  sql.add(
      ") AND NOT EXISTS (SELECT 1 FROM patient_block b WHERE b.patient_id = c.patient_id"
      " AND b.party = ?",
      v.blockedParty);
  sql.add(" AND b.active = 1 AND b.start_ms <= ?", v.nowMs);
  sql.add(" AND (b.end_ms = 0 OR b.end_ms > ?)))", v.nowMs);
  sql.text += " OR (c.patient_id = ''";
  if (v.owners) {
    sql.text += " AND c.tenant IN ";
    if (v.owners->empty()) {
      sql.text += "(NULL)";  // no owner: nothing without a patient
    } else {
      sql.addList(*v.owners);
    }
  }
  sql.text += "))";
  return sql;
}

namespace {

// `text` for a LIKE pattern with ESCAPE '\': its own %, _ and \ taken literally.
std::string likeEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

// " AND s.param = ?", or " AND s.param IN (?, ...)" with the parameters matched alike.
void addParams(Sql& sql, const std::string& param, const std::vector<std::string>& also) {
  if (also.empty()) {
    sql.add(" AND s.param = ?", param);
    return;
  }
  std::vector<std::string> params = {param};
  params.insert(params.end(), also.begin(), also.end());
  sql.text += " AND s.param IN ";
  sql.addList(params);
}

}  // namespace

std::optional<Sql> searchWhere(const SearchQuery& query) {
  Sql where;
  where.add(" WHERE c.type = ?", query.type);
  where.text += " AND c.deleted = 0";
  if (query.lastUpdatedGeMs) where.add(" AND c.last_updated_ms >= ?", *query.lastUpdatedGeMs);
  if (query.lastUpdatedLeMs) where.add(" AND c.last_updated_ms <= ?", *query.lastUpdatedLeMs);
  if (query.tenant) where.add(" AND c.tenant = ?", *query.tenant);
  if (query.visibility) where.append(visibility(*query.visibility));
  for (const SearchCriterion& criterion : query.criteria) {
    if (criterion.isDateRange()) {  // bounds on the indexed periods' first and last days
      where.add(" AND c.id IN (SELECT s.id FROM search_index s WHERE s.type = ?", query.type);
      where.add(" AND s.param = ?", criterion.param);
      if (criterion.startFrom) where.add(" AND s.value >= ?", *criterion.startFrom);
      if (criterion.startTo) where.add(" AND s.value <= ?", *criterion.startTo);
      if (criterion.endFrom) where.add(" AND s.system >= ?", *criterion.endFrom);
      if (criterion.endTo) where.add(" AND s.system <= ?", *criterion.endTo);
      where.text += ")";
      continue;
    }
    if (criterion.values.empty()) return std::nullopt;  // an OR over no values
    if (criterion.param == "_id") {                     // the resource's own key
      where.text += " AND c.id IN ";
      where.addList(criterion.values);
      continue;
    }
    // An uncorrelated IN: the matching ids are read once from the search_index key (duplicates
    // dropped), then each is looked up by the resource_current key.
    where.add(" AND c.id IN (SELECT s.id FROM search_index s WHERE s.type = ?", query.type);
    addParams(where, criterion.param, criterion.alsoParams);
    using Match = SearchCriterion::Match;
    switch (criterion.match) {
      case Match::kEquals:
        if (criterion.system) where.add(" AND s.system = ?", *criterion.system);
        where.text += " AND s.value IN ";
        where.addList(criterion.values);
        break;
      case Match::kExact:
        where.text += " AND s.system IN ";
        where.addList(criterion.values);
        break;
      case Match::kStartsWith:
      case Match::kContains:
        where.text += " AND (";
        for (size_t i = 0; i < criterion.values.size(); ++i) {
          if (i > 0) where.text += " OR ";
          const std::string& v = criterion.values[i];
          if (criterion.match == Match::kStartsWith) {
            // A range on the key (both schemas compare text bytewise): what begins with v.
            where.add("(s.value >= ?", v);
            where.add(" AND s.value < ?)", v + "\xF4\x8F\xBF\xBF");
          } else {
            where.add("s.value LIKE ? ESCAPE '\\'", "%" + likeEscaped(v) + "%");
          }
        }
        where.text += ")";
        break;
    }
    where.text += ")";
  }
  return where;
}

Sql searchOrder(const SearchQuery& query, bool unaryPlus) {
  const std::string updated = unaryPlus ? "+c.last_updated_ms" : "c.last_updated_ms";
  Sql order;
  for (const auto& key : query.sort) {
    order.text += order.text.empty() ? " ORDER BY " : ", ";
    if (key.field == "_id" || key.field == "_lastUpdated") {
      order.text += key.field == "_id" ? "c.id" : updated;
      if (key.descending) order.text += " DESC";
      continue;
    }
    // A search parameter: the resource's lowest value ascending, its highest descending (R4 on
    // _sort: of a repeating element, the value that comes first in the order asked for), read
    // from the index by the resource's key. NULL (no value) placed explicitly: SQLite puts it
    // first, PostgreSQL last.
    order.text += key.descending ? "(SELECT MAX(s.value)" : "(SELECT MIN(s.value)";
    order.text += " FROM search_index s WHERE s.type = c.type AND s.id = c.id";
    addParams(order, key.field, key.alsoParams);
    order.text += key.descending ? ") DESC NULLS FIRST" : ") ASC NULLS LAST";
  }
  if (order.text.empty()) order.text = " ORDER BY " + updated;
  order.text += ", c.id";  // the id last, so that pages are stable
  return order;
}

Sql historyWhere(const SearchQuery& query) {
  Sql where;
  where.text = " WHERE 1 = 1";
  if (!query.type.empty()) where.add(" AND v.type = ?", query.type);  // "": every type
  if (query.lastUpdatedGeMs) where.add(" AND v.last_updated_ms >= ?", *query.lastUpdatedGeMs);
  // The current row `c` decides for all its versions, as for a search.
  if (query.visibility) where.append(visibility(*query.visibility));
  return where;
}

}  // namespace brygga::store::sql
