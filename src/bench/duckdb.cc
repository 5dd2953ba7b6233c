#include "bench/duckdb.h"

#include <duckdb.h>

#include <cstring>
#include <memory>

namespace ipfs_accelerate::bench::duckdb {
namespace {

const Value& Cell(const Rows& rows, size_t r, size_t c) { return rows.rows.at(r).at(c); }

// DuckDB's lock message names the other process ("Conflicting lock is held in … (PID 123)").
Status OpenError(const std::string& path, const std::string& message) {
  if (message.find("lock") != std::string::npos) {
    return Status::Busy("the results database " + path +
                        " is in use by another process; wait for it to finish or choose another "
                        "--db (" +
                        message + ")");
  }
  if (message.find("not a valid DuckDB") != std::string::npos ||
      message.find("Corrupt") != std::string::npos ||
      message.find("corrupt") != std::string::npos ||
      message.find("checksum") != std::string::npos ||
      message.find("Serialization") != std::string::npos) {
    return Status::Corruption(path +
                              " is not a DuckDB database or is damaged; move it away or "
                              "choose another --db (" +
                              message + ")");
  }
  return Status::IoError("cannot open the results database " + path + ": " + message);
}

Value ReadCell(duckdb_type type, duckdb_vector vector, idx_t row) {
  uint64_t* validity = duckdb_vector_get_validity(vector);
  if (validity && !duckdb_validity_row_is_valid(validity, row)) return std::monostate{};
  void* data = duckdb_vector_get_data(vector);
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN:
      return static_cast<const bool*>(data)[row];
    case DUCKDB_TYPE_INTEGER:
      return static_cast<int64_t>(static_cast<const int32_t*>(data)[row]);
    case DUCKDB_TYPE_BIGINT:
      return static_cast<const int64_t*>(data)[row];
    case DUCKDB_TYPE_DOUBLE:
      return static_cast<const double*>(data)[row];
    case DUCKDB_TYPE_VARCHAR: {
      auto* s = &static_cast<duckdb_string_t*>(data)[row];
      return std::string(duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    default:
      return std::monostate{};  // callers cast in SQL; Query rejects other types up front
  }
}

Result<Rows> Collect(duckdb_result* result) {
  Rows out;
  idx_t columns = duckdb_column_count(result);
  std::vector<duckdb_type> types;
  for (idx_t c = 0; c < columns; ++c) {
    out.columns.push_back(duckdb_column_name(result, c));
    duckdb_type t = duckdb_column_type(result, c);
    if (t != DUCKDB_TYPE_BOOLEAN && t != DUCKDB_TYPE_INTEGER && t != DUCKDB_TYPE_BIGINT &&
        t != DUCKDB_TYPE_DOUBLE && t != DUCKDB_TYPE_VARCHAR) {
      return Status::Internal("query column " + out.columns.back() +
                              " has a type this wrapper does not read; cast it in the SQL");
    }
    types.push_back(t);
  }
  while (duckdb_data_chunk chunk = duckdb_fetch_chunk(*result)) {
    idx_t n = duckdb_data_chunk_get_size(chunk);
    size_t base = out.rows.size();
    out.rows.resize(base + n, std::vector<Value>(columns));
    for (idx_t c = 0; c < columns; ++c) {
      duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, c);
      for (idx_t r = 0; r < n; ++r) out.rows[base + r][c] = ReadCell(types[c], vector, r);
    }
    duckdb_destroy_data_chunk(&chunk);
  }
  return out;
}

}  // namespace

int64_t Rows::Int(size_t r, size_t c) const {
  const Value& v = Cell(*this, r, c);
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (auto* b = std::get_if<bool>(&v)) return *b;
  return 0;
}

double Rows::Double(size_t r, size_t c) const {
  const Value& v = Cell(*this, r, c);
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

std::string Rows::Text(size_t r, size_t c) const {
  const Value& v = Cell(*this, r, c);
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  return "";
}

bool Rows::Bool(size_t r, size_t c) const {
  const Value& v = Cell(*this, r, c);
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* i = std::get_if<int64_t>(&v)) return *i != 0;
  return false;
}

bool Rows::IsNull(size_t r, size_t c) const {
  return std::holds_alternative<std::monostate>(Cell(*this, r, c));
}

Database::~Database() {
  duckdb_connection conn = conn_;
  duckdb_disconnect(&conn);
  duckdb_database db = db_;
  duckdb_close(&db);
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool read_only) {
  duckdb_config config;
  if (duckdb_create_config(&config) != DuckDBSuccess) {
    return Status::Internal("DuckDB could not create a configuration");
  }
  // Results databases never need extensions (no network here) and stay out of the measurements'
  // way: one thread.
  duckdb_set_config(config, "access_mode", read_only ? "READ_ONLY" : "READ_WRITE");
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  duckdb_set_config(config, "threads", "1");
  duckdb_database db = nullptr;
  char* error = nullptr;
  duckdb_state state = duckdb_open_ext(path.c_str(), &db, config, &error);
  duckdb_destroy_config(&config);
  if (state != DuckDBSuccess) {
    std::string message = error ? error : "unknown error";
    if (error) duckdb_free(error);
    return OpenError(path, message);
  }
  duckdb_connection conn = nullptr;
  if (duckdb_connect(db, &conn) != DuckDBSuccess) {
    duckdb_close(&db);
    return Status::IoError("cannot connect to the results database " + path);
  }
  return std::unique_ptr<Database>(new Database(path, db, conn));
}

Status Database::Exec(const std::string& sql) {
  duckdb_result result;
  if (duckdb_query(conn_, sql.c_str(), &result) != DuckDBSuccess) {
    std::string message = duckdb_result_error(&result) ? duckdb_result_error(&result) : "failed";
    duckdb_destroy_result(&result);
    return Status::IoError(path_ + ": " + message);
  }
  duckdb_destroy_result(&result);
  return Status::Ok();
}

Result<Rows> Database::Query(const std::string& sql, const std::vector<Value>& params) {
  duckdb_prepared_statement stmt = nullptr;
  if (duckdb_prepare(conn_, sql.c_str(), &stmt) != DuckDBSuccess) {
    std::string message = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "failed";
    duckdb_destroy_prepare(&stmt);
    return Status::Internal(path_ + ": " + message);
  }
  std::unique_ptr<duckdb_prepared_statement, void (*)(duckdb_prepared_statement*)> guard(
      &stmt, duckdb_destroy_prepare);
  for (size_t i = 0; i < params.size(); ++i) {
    idx_t at = i + 1;
    const Value& p = params[i];
    duckdb_state s = DuckDBSuccess;
    if (std::holds_alternative<std::monostate>(p)) s = duckdb_bind_null(stmt, at);
    if (auto* v = std::get_if<int64_t>(&p)) s = duckdb_bind_int64(stmt, at, *v);
    if (auto* v = std::get_if<double>(&p)) s = duckdb_bind_double(stmt, at, *v);
    if (auto* v = std::get_if<std::string>(&p))
      s = duckdb_bind_varchar_length(stmt, at, v->data(), v->size());
    if (auto* v = std::get_if<bool>(&p)) s = duckdb_bind_boolean(stmt, at, *v);
    if (s != DuckDBSuccess)
      return Status::Internal(path_ + ": cannot bind parameter " + std::to_string(at));
  }
  duckdb_result result;
  if (duckdb_execute_prepared(stmt, &result) != DuckDBSuccess) {
    std::string message = duckdb_result_error(&result) ? duckdb_result_error(&result) : "failed";
    duckdb_destroy_result(&result);
    return Status::IoError(path_ + ": " + message);
  }
  Result<Rows> rows = Collect(&result);
  duckdb_destroy_result(&result);
  return rows;
}

Status Database::Append(const std::string& table, const std::vector<std::vector<Value>>& rows) {
  duckdb_appender appender = nullptr;
  if (duckdb_appender_create(conn_, nullptr, table.c_str(), &appender) != DuckDBSuccess) {
    std::string message = duckdb_appender_error(appender) ? duckdb_appender_error(appender) : "";
    duckdb_appender_destroy(&appender);
    return Status::IoError(path_ + ": cannot append to " + table + ": " + message);
  }
  duckdb_state state = DuckDBSuccess;
  for (const auto& row : rows) {
    for (const Value& v : row) {
      if (state != DuckDBSuccess) break;
      if (std::holds_alternative<std::monostate>(v)) state = duckdb_append_null(appender);
      if (auto* x = std::get_if<int64_t>(&v)) state = duckdb_append_int64(appender, *x);
      if (auto* x = std::get_if<double>(&v)) state = duckdb_append_double(appender, *x);
      if (auto* x = std::get_if<std::string>(&v)) {
        state = duckdb_append_varchar_length(appender, x->data(), x->size());
      }
      if (auto* x = std::get_if<bool>(&v)) state = duckdb_append_bool(appender, *x);
    }
    if (state == DuckDBSuccess) state = duckdb_appender_end_row(appender);
    if (state != DuckDBSuccess) break;
  }
  if (state == DuckDBSuccess) state = duckdb_appender_flush(appender);
  std::string message = state != DuckDBSuccess && duckdb_appender_error(appender)
                            ? duckdb_appender_error(appender)
                            : "";
  duckdb_appender_destroy(&appender);
  if (state != DuckDBSuccess) {
    return Status::IoError(path_ + ": cannot append to " + table + ": " + message);
  }
  return Status::Ok();
}

std::string LibraryVersion() { return duckdb_library_version(); }

}  // namespace ipfs_accelerate::bench::duckdb
