// The invariants `boxoffice audit` checks, one table for both SQL adapters: each check has one
// name and a query in each dialect that returns one column, an offender's id; no rows means the
// check holds.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "ports/store.h"

namespace bo {

struct AuditQuery {
  const char* name;
  const char* sqlite_sql;
  const char* postgres_sql;  // nullptr: the same as sqlite_sql
};

std::span<const AuditQuery> AuditQueries();

// The line of one check, given the ids its query returned (all of them, in order).
AuditCheck AuditCheckFrom(const char* name, const std::vector<std::string>& offenders);

}  // namespace bo
