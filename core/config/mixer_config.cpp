#include "core/config/mixer_config.hpp"

#include <algorithm>
#include <cctype>

#include "core/config/mixer_profiles.hpp"
#include "core/config/toml_type_name.hpp"

namespace core {

namespace {

// NOTE: file-scope names here share a unity batch with config.cpp: keep them unique.
std::string checkProfileName(const std::string& name) {
  if (name.empty() || name.size() > kMaxProfileNameBytes)
    return "must be 1.." + std::to_string(kMaxProfileNameBytes) + " bytes";
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      return "\"" + name + "\" may hold only [A-Za-z0-9_-]";
  return {};
}

// The TOML value as JSON, or the first value that has no JSON form (a date/time);
// the line of every value goes into `lines` under its path.
const toml::value* profileValueToJson(const toml::value& v, const std::string& path,
                                      nlohmann::json& out, std::map<std::string, int>& lines) {
  lines[path] = static_cast<int>(v.location().line());
  switch (v.type()) {
    case toml::value_t::boolean:
      out = v.as_boolean();
      return nullptr;
    case toml::value_t::integer:
      out = static_cast<int64_t>(v.as_integer());
      return nullptr;
    case toml::value_t::floating:
      out = v.as_floating();
      return nullptr;
    case toml::value_t::string:
      out = v.as_string().str;
      return nullptr;
    case toml::value_t::array:
      out = nlohmann::json::array();
      for (const auto& item : v.as_array()) {
        nlohmann::json j;
        const std::string itemPath = path + "[" + std::to_string(out.size()) + "]";
        if (const toml::value* bad = profileValueToJson(item, itemPath, j, lines)) return bad;
        out.push_back(std::move(j));
      }
      return nullptr;
    case toml::value_t::table:
      out = nlohmann::json::object();
      for (const auto& [key, item] : v.as_table()) {
        if (const toml::value* bad = profileValueToJson(item, path + "." + key, out[key], lines))
          return bad;
      }
      return nullptr;
    default:
      return &v;
  }
}

// Reads one profile table; problems go to `problems` under `label`'s keys.
class ProfileTableReader {
 public:
  ProfileTableReader(const toml::value& table, size_t index, std::vector<ValueProblem>& problems)
      : table_(table),
        label_("mixer.profile[" + std::to_string(index) + "]"),
        problems_(problems) {}

  bool read(MixerProfile& out);

 private:
  bool fail(const toml::value& at, const std::string& key, const std::string& reason) {
    problems_.push_back({&at, label_ + (key.empty() ? "" : "." + key), reason});
    return false;
  }
  bool readName(MixerProfile& out);
  bool readStreams(const toml::value& v, MixerProfile& out);
  bool readMasterSource(const toml::value& v, MixerProfile& out);

  const toml::value& table_;
  std::string label_;
  std::vector<ValueProblem>& problems_;
};

bool ProfileTableReader::readName(MixerProfile& out) {
  if (!table_.contains("name")) return fail(table_, "", "name is missing");
  const toml::value& v = table_.at("name");
  if (!v.is_string()) return fail(v, "name", "expected a string, got " + tomlTypeName(v));
  if (std::string reason = checkProfileName(v.as_string().str); !reason.empty())
    return fail(v, "name", reason);
  out.name = v.as_string().str;
  label_ = "mixer.profile \"" + out.name + "\"";
  return true;
}

bool ProfileTableReader::readStreams(const toml::value& v, MixerProfile& out) {
  if (!v.is_array())
    return fail(v, "streams", "expected an array of strings, got " + tomlTypeName(v));
  if (v.as_array().size() > kMaxProfileStreams)
    return fail(v, "streams",
                "at most " + std::to_string(kMaxProfileStreams) + " entries, got " +
                    std::to_string(v.as_array().size()));
  for (const auto& item : v.as_array()) {
    if (!item.is_string())
      return fail(item, "streams", "expected strings, got " + tomlTypeName(item));
    if (std::string reason = checkStreamPattern(item.as_string().str); !reason.empty())
      return fail(item, "streams", reason);
    out.streams.push_back(item.as_string().str);
  }
  return true;
}

bool ProfileTableReader::readMasterSource(const toml::value& v, MixerProfile& out) {
  if (!v.is_boolean())
    return fail(v, "master_source", "expected a boolean (true/false), got " + tomlTypeName(v));
  if (table_.contains("master"))
    return fail(v, "master_source", "set master_source or master.source, not both");
  out.spec["master"] = {{"source", v.as_boolean()}};
  out.fieldLines["master"] = out.fieldLines["master.source"] =
      static_cast<int>(v.location().line());
  return true;
}

bool ProfileTableReader::read(MixerProfile& out) {
  if (!table_.is_table())
    return fail(table_, "", "expected a table [[mixer.profile]], got " + tomlTypeName(table_));
  if (!readName(out)) return false;
  out.line = static_cast<int>(table_.location().line());
  bool ok = true;
  for (const auto& [key, v] : table_.as_table()) {
    if (key == "name") continue;
    if (key == "streams") {
      ok = readStreams(v, out) && ok;
    } else if (key == "master_source") {
      ok = readMasterSource(v, out) && ok;
    } else if (const toml::value* bad = profileValueToJson(v, key, out.spec[key], out.fieldLines)) {
      ok = fail(*bad, key, "a date/time has no meaning here") && ok;
    }
  }
  return ok;
}

// A pattern in two profiles would start one of them silently never: refuse it.
void checkProfilesApart(const std::vector<MixerProfile>& profiles,
                        const std::vector<const toml::value*>& tables,
                        std::vector<ValueProblem>& problems) {
  for (size_t i = 0; i < profiles.size(); ++i) {
    const toml::value& table = *tables[i];
    const std::string label = "mixer.profile \"" + profiles[i].name + "\"";
    for (size_t j = 0; j < i; ++j) {
      if (profiles[j].name == profiles[i].name) {
        problems.push_back({&table.at("name"), label + ".name",
                            "used twice (first at line " + std::to_string(profiles[j].line) + ")"});
        break;
      }
      for (const auto& pattern : profiles[i].streams) {
        if (std::ranges::count(profiles[j].streams, pattern))
          problems.push_back(
              {&table.at("streams"), label + ".streams",
               "\"" + pattern + "\" is already in profile \"" + profiles[j].name + "\""});
      }
    }
  }
}

}  // namespace

std::vector<ValueProblem> readMixerProfiles(const toml::value& v, std::vector<MixerProfile>& out) {
  std::vector<ValueProblem> problems;
  if (!v.is_array()) {
    problems.push_back({&v, "mixer.profile",
                        "expected an array of tables [[mixer.profile]], got " + tomlTypeName(v)});
    return problems;
  }
  const auto& tables = v.as_array();
  if (tables.size() > kMaxMixerProfiles) {
    problems.push_back({&v, "mixer.profile",
                        "at most " + std::to_string(kMaxMixerProfiles) + " profiles, got " +
                            std::to_string(tables.size())});
    return problems;
  }
  std::vector<MixerProfile> profiles;
  std::vector<const toml::value*> read;
  for (size_t i = 0; i < tables.size(); ++i) {
    MixerProfile profile;
    if (!ProfileTableReader(tables[i], i, problems).read(profile)) continue;
    profiles.push_back(std::move(profile));
    read.push_back(&tables[i]);
  }
  checkProfilesApart(profiles, read, problems);
  if (problems.empty()) out = std::move(profiles);
  return problems;
}

bool MixerProfile::matches(std::string_view streamKey) const {
  const size_t slash = streamKey.find('/');
  const std::string_view app = streamKey.substr(0, slash);
  for (const auto& pattern : streams) {
    if (pattern == "*" || pattern == streamKey) return true;
    if (slash != std::string_view::npos && pattern.size() == app.size() + 2 &&
        pattern.starts_with(app) && pattern.ends_with("/*"))
      return true;
  }
  return false;
}

int MixerProfile::lineOf(std::string_view path) const {
  while (!path.empty()) {
    if (auto it = fieldLines.find(std::string(path)); it != fieldLines.end()) return it->second;
    const size_t cut = path.find_last_of(".[");
    path = path.substr(0, cut == std::string_view::npos ? 0 : cut);
  }
  return line;
}

const MixerProfile* MixerConfig::find(std::string_view name) const {
  for (const auto& profile : profiles)
    if (profile.name == name) return &profile;
  return nullptr;
}

const MixerProfile* MixerConfig::profileFor(std::string_view streamKey) const {
  for (const auto& profile : profiles)
    if (profile.matches(streamKey)) return &profile;
  return nullptr;
}

}  // namespace core
