// Device profiles: the CSV format, the built-in file and loading a user's file.
#include "hardware/profiles.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <map>

#include "core/file_util.h"

namespace ipfs_accelerate::hardware {

// device_profiles.csv as text, generated at build time (cmake/embed_text.cmake).
extern const char kDeviceProfilesCsv[];

namespace {

// One column of the file: its name, and how a field of it becomes a profile's member.
enum class Column {
  kId,
  kPlatform,
  kName,
  kMatch,
  kFp32,
  kFp16,
  kInt8,
  kMemory,
  kBandwidth,
  kTdp,
  kOverhead,
  kSource,
  kThreads,
};

struct ColumnSpec {
  const char* name;
  Column column;
  bool required;
  double scale;       // numbers: the SI value of one unit of the column
  bool zero_allowed;  // numbers: whether 0 is a valid value (not supported / unknown)
};

constexpr std::array<ColumnSpec, 13> kColumns = {{
    {"id", Column::kId, true, 0, false},
    {"platform", Column::kPlatform, true, 0, false},
    {"name", Column::kName, true, 0, false},
    {"match", Column::kMatch, true, 0, false},
    {"fp32_tflops", Column::kFp32, true, 1e12, false},
    {"fp16_tflops", Column::kFp16, true, 1e12, true},
    {"int8_tops", Column::kInt8, true, 1e12, true},
    {"memory_gib", Column::kMemory, true, 1024.0 * 1024 * 1024, false},
    {"bandwidth_gbs", Column::kBandwidth, true, 1e9, false},
    {"tdp_w", Column::kTdp, true, 1, true},
    {"node_overhead_us", Column::kOverhead, true, 1e-6, true},
    {"source", Column::kSource, true, 0, false},
    {"threads", Column::kThreads, false, 0, true},
}};

std::string ColumnList() {
  std::string out;
  for (const ColumnSpec& c : kColumns) {
    out += (out.empty() ? "" : ",") + std::string(c.name);
    if (!c.required) out += " (optional)";
  }
  return out;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// The fields of one CSV line: split at commas outside double quotes; "" inside quotes is a quote.
// Fails (returns false) on an unterminated quote.
bool SplitCsvLine(const std::string& line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(Trim(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  fields->push_back(Trim(field));
  return !quoted;
}

std::string PlatformList() {
  std::string out;
  for (const std::string& p : PlatformNames()) out += (out.empty() ? "" : " ") + p;
  return out;
}

}  // namespace

bool DeviceProfile::Supports(const std::string& precision) const {
  if (precision == "fp32") return true;
  if (precision == "fp16" || precision == "bf16") return fp16_flops > 0;
  if (precision == "int8") return int8_ops > 0;
  return false;
}

double DeviceProfile::PeakOps(const std::string& precision) const {
  if (precision == "fp32") return fp32_flops;
  if (precision == "fp16" || precision == "bf16") return fp16_flops;
  if (precision == "int8") return int8_ops;
  return 0;
}

Result<std::vector<DeviceProfile>> ParseDeviceProfiles(const std::string& text,
                                                       const std::string& file_name) {
  std::vector<DeviceProfile> out;
  std::vector<const ColumnSpec*> header;  // the spec of each column of the file, in file order
  std::map<std::string, int> id_lines;
  std::vector<std::string> fields;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const std::string trimmed = Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    const std::string where = file_name + ":" + std::to_string(line_no) + ": ";
    if (!SplitCsvLine(line, &fields)) {
      return Status::InvalidArgument(where +
                                     "a double quote is not closed (end the field with \")");
    }
    if (header.empty()) {
      for (const std::string& name : fields) {
        auto it = std::find_if(kColumns.begin(), kColumns.end(),
                               [&](const ColumnSpec& c) { return name == c.name; });
        if (it == kColumns.end()) {
          return Status::InvalidArgument(where + "unknown column \"" + name +
                                         "\" in the header; the columns are " + ColumnList());
        }
        if (std::find(header.begin(), header.end(), &*it) != header.end()) {
          return Status::InvalidArgument(where + "column \"" + name +
                                         "\" appears twice in the header; name it once");
        }
        header.push_back(&*it);
      }
      for (const ColumnSpec& c : kColumns) {
        if (c.required && std::find(header.begin(), header.end(), &c) == header.end()) {
          return Status::InvalidArgument(where + "the header lacks the column \"" + c.name +
                                         "\"; the columns are " + ColumnList());
        }
      }
      continue;
    }
    if (fields.size() != header.size()) {
      std::string detail = "more fields than columns: quote a field that holds a comma";
      if (fields.size() < header.size()) {
        detail = "missing";
        for (size_t i = fields.size(); i < header.size(); ++i)
          detail += " " + std::string(header[i]->name);
      }
      return Status::InvalidArgument(where + std::to_string(fields.size()) +
                                     " fields, the header names " + std::to_string(header.size()) +
                                     " (" + detail + ")");
    }
    DeviceProfile p;
    p.line = line_no;
    for (size_t i = 0; i < header.size(); ++i) {
      const ColumnSpec& spec = *header[i];
      const std::string& field = fields[i];
      if (spec.scale != 0 || spec.column == Column::kThreads) {
        char* rest = nullptr;
        errno = 0;
        const double v = std::strtod(field.c_str(), &rest);
        const bool number =
            !field.empty() && rest && *rest == '\0' && errno == 0 && v == v && v < 1e300 && v >= 0;
        if (!number || (v == 0 && !spec.zero_allowed)) {
          return Status::InvalidArgument(
              where + spec.name + " is \"" + field + "\", not a " +
              (spec.zero_allowed ? "number >= 0" : "positive number") + " (write it as " +
              (spec.column == Column::kThreads ? "a whole number such as 8"
                                               : "a decimal such as 67.5") +
              (spec.zero_allowed && spec.column != Column::kThreads ? "; 0: not supported/unknown"
                                                                    : "") +
              ")");
        }
        switch (spec.column) {
          case Column::kFp32:
            p.fp32_flops = v * spec.scale;
            break;
          case Column::kFp16:
            p.fp16_flops = v * spec.scale;
            break;
          case Column::kInt8:
            p.int8_ops = v * spec.scale;
            break;
          case Column::kMemory:
            p.memory_bytes = v * spec.scale;
            break;
          case Column::kBandwidth:
            p.bandwidth_bytes_per_s = v * spec.scale;
            break;
          case Column::kTdp:
            p.tdp_w = v * spec.scale;
            break;
          case Column::kOverhead:
            p.node_overhead_s = v * spec.scale;
            break;
          case Column::kThreads:
            if (v != static_cast<int>(v) || v > 1e6) {
              return Status::InvalidArgument(where + "threads is \"" + field +
                                             "\", not a whole number (such as 8; 0: all cores)");
            }
            p.threads = static_cast<int>(v);
            break;
          default:
            break;
        }
        continue;
      }
      if (field.empty() && spec.column != Column::kMatch) {
        return Status::InvalidArgument(where + spec.name +
                                       " is empty; every profile needs one (only match may be "
                                       "empty: never matched automatically)");
      }
      switch (spec.column) {
        case Column::kId:
          p.id = field;
          break;
        case Column::kPlatform:
          p.platform = field;
          break;
        case Column::kName:
          p.name = field;
          break;
        case Column::kMatch:
          p.match = field;
          break;
        case Column::kSource:
          p.source = field;
          break;
        default:
          break;
      }
    }
    const auto& names = PlatformNames();
    if (std::find(names.begin(), names.end(), p.platform) == names.end()) {
      return Status::InvalidArgument(where + "unknown platform \"" + p.platform + "\" of profile " +
                                     p.id + "; the platforms are " + PlatformList());
    }
    auto [it, inserted] = id_lines.emplace(p.id, line_no);
    if (!inserted) {
      return Status::InvalidArgument(where + "id \"" + p.id + "\" is already used on line " +
                                     std::to_string(it->second) + "; give each profile its own id");
    }
    out.push_back(std::move(p));
  }
  if (header.empty()) {
    return Status::InvalidArgument(file_name + ": no header line; the first line that is not a " +
                                   "comment names the columns: " + ColumnList());
  }
  return out;
}

const std::vector<DeviceProfile>& BuiltinDeviceProfiles() {
  static const std::vector<DeviceProfile> kProfiles = [] {
    auto parsed = ParseDeviceProfiles(kDeviceProfilesCsv, "device_profiles.csv (built in)");
    // The tests parse the same text (HardwareProfilesTest.BuiltinFileParses): a broken file
    // never ships, so an error here can only be a build from an unchecked tree.
    return parsed.ok() ? *parsed : std::vector<DeviceProfile>{};
  }();
  return kProfiles;
}

Result<std::vector<DeviceProfile>> LoadDeviceProfiles(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().WithContext("cannot read the device profiles file");
  return ParseDeviceProfiles(*text, path);
}

nlohmann::json ToJson(const DeviceProfile& p) {
  return {{"id", p.id},
          {"platform", p.platform},
          {"name", p.name},
          {"match", p.match},
          {"threads", p.threads},
          {"fp32_flops", p.fp32_flops},
          {"fp16_flops", p.fp16_flops},
          {"int8_ops", p.int8_ops},
          {"memory_bytes", p.memory_bytes},
          {"bandwidth_bytes_per_s", p.bandwidth_bytes_per_s},
          {"tdp_w", p.tdp_w},
          {"node_overhead_s", p.node_overhead_s},
          {"source", p.source},
          {"measured", p.measured},
          {"line", p.line}};
}

Result<DeviceProfile> DeviceProfileFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a device profile is not a JSON object");
  DeviceProfile p;
  auto str = [&](const char* k, std::string& out) {
    if (j.contains(k) && j[k].is_string()) out = j[k].get<std::string>();
  };
  auto num = [&](const char* k, double& out) {
    if (j.contains(k) && j[k].is_number()) out = j[k].get<double>();
  };
  str("id", p.id);
  str("platform", p.platform);
  str("name", p.name);
  str("match", p.match);
  str("source", p.source);
  if (j.contains("threads") && j["threads"].is_number_integer())
    p.threads = j["threads"].get<int>();
  if (j.contains("line") && j["line"].is_number_integer()) p.line = j["line"].get<int>();
  if (j.contains("measured") && j["measured"].is_boolean()) p.measured = j["measured"].get<bool>();
  num("fp32_flops", p.fp32_flops);
  num("fp16_flops", p.fp16_flops);
  num("int8_ops", p.int8_ops);
  num("memory_bytes", p.memory_bytes);
  num("bandwidth_bytes_per_s", p.bandwidth_bytes_per_s);
  num("tdp_w", p.tdp_w);
  num("node_overhead_s", p.node_overhead_s);
  return p;
}

}  // namespace ipfs_accelerate::hardware
