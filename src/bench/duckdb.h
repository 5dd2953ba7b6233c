// A small C++ face on DuckDB's C API: open a database file, run SQL with bound parameters, read
// the rows back. Only what the results database needs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"

struct _duckdb_database;
struct _duckdb_connection;

namespace ipfs_accelerate::bench::duckdb {

// A bound parameter or a cell: NULL, BIGINT, DOUBLE, VARCHAR or BOOLEAN.
using Value = std::variant<std::monostate, int64_t, double, std::string, bool>;

struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;

  // Typed access to row r, column c; NULL reads as 0 / "" / false.
  int64_t Int(size_t r, size_t c) const;
  double Double(size_t r, size_t c) const;
  std::string Text(size_t r, size_t c) const;
  bool Bool(size_t r, size_t c) const;
  bool IsNull(size_t r, size_t c) const;
};

// One database file and one connection to it. DuckDB lets one process at a time write a file:
// opening one another process holds fails with kBusy.
class Database {
 public:
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Opens the database at `path` (DuckDB creates a missing file unless `read_only`). Errors: kBusy
  // when another process holds it, kCorruption when the file is not a readable DuckDB database.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool read_only);

  // Runs one or more statements without parameters.
  Status Exec(const std::string& sql);
  // Runs one statement with `params` bound to its `?` placeholders and returns every row. Result
  // columns must be BIGINT/INTEGER, DOUBLE, VARCHAR or BOOLEAN (cast in the SQL otherwise).
  Result<Rows> Query(const std::string& sql, const std::vector<Value>& params = {});

  // Appends `rows` to `table` (values in column order) through DuckDB's appender: fast bulk
  // inserts that join the current transaction.
  Status Append(const std::string& table, const std::vector<std::vector<Value>>& rows);

  // Runs `body` inside a transaction: committed when it returns ok, rolled back otherwise.
  template <typename F>
  Status Transaction(F&& body) {
    IA_RETURN_IF_ERROR(Exec("BEGIN TRANSACTION"));
    Status s = body();
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s;
    }
    return Exec("COMMIT");
  }

  const std::string& path() const { return path_; }

 private:
  Database(std::string path, _duckdb_database* db, _duckdb_connection* conn)
      : path_(std::move(path)), db_(db), conn_(conn) {}
  std::string path_;
  _duckdb_database* db_;
  _duckdb_connection* conn_;
};

// "v1.4.4": the linked library's version.
std::string LibraryVersion();

}  // namespace ipfs_accelerate::bench::duckdb
