#include "mixer/program_set.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mixer/logo_image.hpp"
#include "mixer/spec_reader.hpp"

namespace mixer {

ProgramDefaults ProgramSet::defaultsOf(const core::MixerConfig& config) {
  ProgramDefaults d;
  d.slateColor = config.slateColor;
  d.stallMs = config.stallMs;
  d.repeatMs = config.repeatMs;
  d.previewFps = config.previewFps;
  return d;
}

ProgramSet::ProgramSet(core::EventLoop& loop, core::StreamRegistry& registry, av::Libraries& libs,
                       const core::MixerConfig& config)
    : loop_(loop),
      config_(config),
      mailbox_(loop, [this](MixerEvent&& event) { onEvent(std::move(event)); }),
      context_{loop,
               registry,
               libs,
               static_cast<size_t>(config.queueFrames),
               config.font,
               config.assetsDir,
               [this](MixerEvent event) { return mailbox_.post(std::move(event)); }},
      defaults_(defaultsOf(config)) {}

ProgramSet::~ProgramSet() {
  shutdown();
  // NOTE: the threads were told to stop; joining waits at most for the frame each
  // is on. The mailbox closes after, so their last posts land (and are dropped).
  retired_.clear();
  mailbox_.close();
}

void ProgramSet::shutdown() {
  for (auto& [key, p] : programs_) {
    p->stop("server shutdown");
    routes_.erase(p->id());
    retired_.push_back(std::move(p));
  }
  programs_.clear();
}

void ProgramSet::onPublish(const core::Stream& stream) {
  for (auto& [key, p] : programs_) p->onPublish(stream);
}

core::ProgramControl::Answer ProgramSet::createProgram(const nlohmann::json& body) {
  auto refuse = [](int status, std::string message) {
    return Answer{status, {{"error", std::move(message)}}};
  };
  if (!config_.enabled) return refuse(503, "the mixer is off (mixer.enabled)");
  std::string error;
  auto spec = ProgramSpec::parse(body, defaults_, error);
  if (!spec) return refuse(400, "program: " + error);
  if (!imagesOpen(*spec, error)) return refuse(400, "program: " + error);
  const std::string key = spec->key();
  if (programs_.count(key)) return refuse(409, "program " + key + " exists");
  if (programs_.size() >= static_cast<size_t>(config_.maxPrograms))
    return refuse(503,
                  "mixer.max_programs (" + std::to_string(config_.maxPrograms) + ") are running");
  const uint64_t id = nextId_++;
  auto program = std::make_unique<Program>(context_, id, std::move(*spec));
  if (!program->start(error)) {
    program->stop("not started");
    return refuse(409, "program " + key + ": " + error);
  }
  routes_[id] = program.get();
  Program* p = program.get();
  programs_[key] = std::move(program);
  return {201, p->describe()};
}

nlohmann::json ProgramSet::listPrograms() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, p] : programs_) list.push_back(p->describe());
  return {{"programs", std::move(list)}};
}

core::ProgramControl::Answer ProgramSet::getProgram(const std::string& key) const {
  auto it = programs_.find(key);
  if (it == programs_.end()) return {404, {{"error", "no program " + key.substr(0, 200)}}};
  return {200, it->second->describe()};
}

core::ProgramControl::Answer ProgramSet::patchProgram(const std::string& key,
                                                      const nlohmann::json& body) {
  auto it = programs_.find(key);
  if (it == programs_.end()) return {404, {{"error", "no program " + key.substr(0, 200)}}};
  Program& p = *it->second;
  auto refuse = [&](int status, const std::string& message) {
    return Answer{status, {{"error", "program " + key.substr(0, 200) + ": " + message}}};
  };
  nlohmann::json merged = p.spec().toJson();
  for (const auto& [field, value] : body.items()) {
    if (field == "inputs" && value.is_array() && value.size() == merged["inputs"].size()) {
      for (size_t i = 0; i < value.size(); ++i)
        if (value[i].is_object())
          merged["inputs"][i].merge_patch(value[i]);
        else
          merged["inputs"][i] = value[i];  // the parser names the error
    } else if ((field == "pip" || field == "slate") && value.is_object()) {
      merged[field].merge_patch(value);
    } else if (field == "preview" && value.is_object()) {
      // NOTE: a template replaces the free layers (they would hide it otherwise).
      if ((value.contains("layout") || value.contains("pip")) && !value.contains("layers"))
        merged[field].erase("layers");
      merged[field].merge_patch(value);
    } else {
      merged[field] = value;
    }
  }
  if ((body.contains("layout") || body.contains("pip")) && !body.contains("layers"))
    merged.erase("layers");
  std::string error;
  auto next = ProgramSpec::parse(merged, defaults_, error);
  if (!next) return refuse(400, error);
  if (!p.spec().onlyLiveChanges(*next, error) || !imagesOpen(*next, error))
    return refuse(400, error);
  if (p.fading() && !(next->scene == p.spec().scene))
    return refuse(409, "a fade is running: change the program's scene after it");
  p.update(*next);
  spdlog::info("program {}: changed", key);
  return {200, p.describe()};
}

core::ProgramControl::Answer ProgramSet::removeProgram(const std::string& key) {
  auto it = programs_.find(key);
  if (it == programs_.end()) return {404, {{"error", "no program " + key.substr(0, 200)}}};
  std::unique_ptr<Program> p = std::move(it->second);
  programs_.erase(it);
  p->stop("program removed");
  routes_.erase(p->id());
  if (!p->tryReap()) retired_.push_back(std::move(p));
  spdlog::info("program {}: removed", key);
  return {200, {{"output", key}, {"removed", true}}};
}

core::ProgramControl::Answer ProgramSet::takeProgram(const std::string& key,
                                                     const nlohmann::json& body) {
  auto it = programs_.find(key);
  if (it == programs_.end()) return {404, {{"error", "no program " + key.substr(0, 200)}}};
  Program& p = *it->second;
  std::string error;
  SpecReader r(body, "", error);
  size_t transition = 0;
  int durationMs = 1000;
  if (!r.isObject() || !r.choice("transition", transition, {"cut", "fade"}) ||
      !r.integer("duration_ms", durationMs, 100, 5000) || !r.noUnknownFields())
    return {400, {{"error", "take: " + error}}};
  const int64_t pts = p.describe()["output_stats"].value("last_pts", int64_t{-1});
  if (!p.take(transition == 1 ? durationMs : 0, error))
    return {409, {{"error", "program " + key.substr(0, 200) + ": " + error}}};
  nlohmann::json j = p.describe();
  // The program's last frame before the take: the next ones show it.
  j["take"] = {{"transition", transition == 1 ? "fade" : "cut"},
               {"duration_ms", transition == 1 ? durationMs : 0},
               {"after_pts", pts}};
  return {200, std::move(j)};
}

bool ProgramSet::imagesOpen(const ProgramSpec& spec, std::string& error) const {
  auto check = [&](const SceneSpec& scene, const std::string& prefix) {
    for (size_t i = 0; i < scene.layers.size(); ++i) {
      if (scene.layers[i].source != LayerSource::Image) continue;
      const std::string path = config_.assetsDir + "/" + scene.layers[i].image;
      std::string why;
      unsigned char head[8] = {};
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      struct stat st {};
      if (fd < 0)
        why = errno == ENOENT ? "no such file" : std::strerror(errno);
      else if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        why = "not a regular file";
      else if (static_cast<uint64_t>(st.st_size) > kMaxLogoFileBytes)
        why = "larger than the 8 MB an image may have";
      else if (::read(fd, head, sizeof head) != static_cast<ssize_t>(sizeof head) ||
               !(std::memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0 ||
                 (head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)))
        why = "not a PNG or JPEG";
      if (fd >= 0) ::close(fd);
      if (!why.empty()) {
        error = fmt::format("{}layers[{}].image: {}: {}", prefix, i, scene.layers[i].image, why);
        return false;
      }
    }
    return true;
  };
  return check(spec.scene, "") && check(spec.preview, "preview.");
}

void ProgramSet::onEvent(MixerEvent&& event) {
  const bool done = std::holds_alternative<StageDone>(event.body);
  if (auto it = routes_.find(event.run); it != routes_.end()) it->second->onEvent(std::move(event));
  if (done) reap();
}

void ProgramSet::reap() {
  std::erase_if(retired_, [](const std::unique_ptr<Program>& p) { return p->tryReap(); });
}

}  // namespace mixer
