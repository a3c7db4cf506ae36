#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gateway/store/store.h"

// Internal to gateway/store: the SQL of a search, shared by the SQLite and the PostgreSQL store.
// Both schemas name the current resources `c` (resource_current) and the versions `v`
// (resource_version), and both drivers take `?` placeholders in order.
namespace brygga::store::sql {

// SQL text with its parameters, in order.
struct Sql {
  std::string text;
  std::vector<std::variant<std::string, int64_t>> params;

  void add(const std::string& clause, std::string value);
  void add(const std::string& clause, int64_t value);
  // `(?, ?, ...)` for the values.
  void addList(const std::vector<std::string>& values);
  void append(const Sql& other);
};

// What a caller may see of the current resources `c` (see Visibility): " AND (...)".
Sql visibility(const Visibility& v);

// " WHERE ..." over `c` for a search: type, not deleted, _lastUpdated, owner, visibility and the
// criteria. nullopt when a criterion can match nothing (an OR over no values).
std::optional<Sql> searchWhere(const SearchQuery& query);

// " ORDER BY ..." for a search: the _sort keys (a search parameter by its indexed values, see
// SearchQuery::SortKey), then the id. `unaryPlus`: _lastUpdated written as +column where SQLite
// must not walk an index in that order (see sqlite_connection.cc).
Sql searchOrder(const SearchQuery& query, bool unaryPlus);

// " WHERE ..." over the versions `v` (with their current row `c`) for a type's or the system's
// history: type, _since and visibility.
Sql historyWhere(const SearchQuery& query);

}  // namespace brygga::store::sql
