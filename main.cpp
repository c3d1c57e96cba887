// roomcast: the composition root. Reads the config, builds the loop, the stream
// registry, the listeners and the routes, and runs. Only this file sees every
// module; everything else gets what it needs passed in.
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "av/av_libraries.hpp"
#include "core/auth/room_key_store.hpp"
#include "core/auth/url_signer.hpp"
#include "core/auth/user_sig.hpp"
#include "core/config/config.hpp"
#include "core/log/log.hpp"
#include "core/loop/async_file.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/heap_trimmer.hpp"
#include "core/loop/signal_watcher.hpp"
#include "core/loop/write_coalescer.hpp"
#include "core/media/stream_registry.hpp"
#include "mixer/mixer.hpp"
#include "mixer/pipeline_spec.hpp"
#include "mixer/playlist_set.hpp"
#include "mixer/program_set.hpp"
#include "protocols/flv/flv_server.hpp"
#include "protocols/hls/hls_server.hpp"
#include "protocols/hls/replay_server.hpp"
#include "protocols/http/caster_api.hpp"
#include "protocols/http/cohost_api.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/playlist_api.hpp"
#include "protocols/http/program_api.hpp"
#include "protocols/http/recordings_api.hpp"
#include "protocols/http/relay_api.hpp"
#include "protocols/http/static_files.hpp"
#include "protocols/http/streams_api.hpp"
#include "protocols/room/im_rest_api.hpp"
#include "protocols/room/room_server.hpp"
#include "protocols/room/rooms_api.hpp"
#include "protocols/room/webhook_hooks.hpp"
#include "protocols/rtmp/relay_set.hpp"
#include "protocols/rtmp/rtmp_server.hpp"
#include "protocols/webrtc/webrtc_libraries.hpp"
#include "protocols/webrtc/webrtc_server.hpp"
#include "recorder/recorder.hpp"
#include "room/message_path.hpp"
#include "room/room_registry.hpp"

namespace {

constexpr const char* kUsage =
    "usage: roomcast [--config FILE] [--set section.key=value]... [--check]\n"
    "       roomcast sign --app APP --name NAME [--ttl SECONDS] [--host HOST] [--config FILE]\n"
    "       roomcast usersig --user USER_ID [--ttl SECONDS] [--config FILE]\n";

struct Args {
  std::string command = "run";  // run | sign | usersig
  std::string configPath = "conf/roomcast.toml";
  std::vector<std::string> overrides;
  bool check = false;
  std::string app, name, host, user;
  long ttl = -1;  // sign: 3600 s; usersig: 180 days (the IM tools' default)
};

std::optional<Args> parseArgs(int argc, char** argv, std::string& error) {
  Args a;
  int i = 1;
  if (argc > 1 && (std::strcmp(argv[1], "sign") == 0 || std::strcmp(argv[1], "usersig") == 0)) {
    a.command = argv[1];
    i = 2;
  }
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) {
        error = arg + " needs a value";
        return std::nullopt;
      }
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (arg == "--check") {
      a.check = true;
      continue;
    } else if (arg == "-h" || arg == "--help") {
      error = "";
      return std::nullopt;
    }
    if (!(v = value())) return std::nullopt;
    if (arg == "--config" || arg == "-c")
      a.configPath = *v;
    else if (arg == "--set")
      a.overrides.push_back(*v);
    else if (arg == "--app" && a.command == "sign")
      a.app = *v;
    else if (arg == "--name" && a.command == "sign")
      a.name = *v;
    else if (arg == "--host" && a.command == "sign")
      a.host = *v;
    else if (arg == "--user" && a.command == "usersig")
      a.user = *v;
    else if (arg == "--ttl" && a.command != "run") {
      char* end = nullptr;
      a.ttl = std::strtol(v->c_str(), &end, 10);
      if (*end != '\0' || a.ttl <= 0) {
        error = "--ttl must be a positive number of seconds";
        return std::nullopt;
      }
    } else {
      error = "unknown option " + arg;
      return std::nullopt;
    }
  }
  return a;
}

// The config, with every [[mixer.profile]] checked by the validator the caster API
// uses too (core/config cannot see mixer/). Throws core::ConfigError naming each bad
// profile, its line and the field at the field's line: `file:213: mixer.profile
// "default" (line 200): rungs[1].kbps: 100000 out of 50..20000`.
core::Config loadCheckedConfig(const Args& args) {
  core::Config config = core::loadConfig(args.configPath, args.overrides);
  std::string problems;
  for (const auto& profile : config.mixer.profiles) {
    std::string error;
    if (mixer::PipelineSpec::parse(profile.spec, error)) continue;
    const std::string label = "mixer.profile \"" + profile.name + "\"";
    const std::string where =
        profile.line ? config.path + ":" +
                           std::to_string(profile.lineOf(error.substr(0, error.find(": ")))) +
                           ": " + label + " (line " + std::to_string(profile.line) + ")"
                     : "--set mixer.profile: " + label;
    problems += (problems.empty() ? "" : "\n") + where + ": " + error;
  }
  if (!problems.empty()) throw core::ConfigError(problems);
  return config;
}

int runSign(const Args& args, const core::Config& config) {
  if (args.app.empty() || args.name.empty()) {
    std::cerr << "roomcast sign: --app and --name are required\n" << kUsage;
    return 2;
  }
  if (config.auth.key.empty()) {
    std::cerr << "roomcast sign: auth.key is not set in " << config.path << "\n";
    return 1;
  }
  const core::UrlSigner signer(config.auth.key);
  const long ttl = args.ttl > 0 ? args.ttl : 3600;
  const int64_t expire = std::time(nullptr) + ttl;
  const std::string query =
      "expire=" + std::to_string(expire) + "&sign=" + signer.sign(args.app, args.name, expire);
  auto host = [&](const core::ListenAddress& a) {
    std::string h = !args.host.empty() ? args.host : a.host == "0.0.0.0" ? "127.0.0.1" : a.host;
    return h + ":" + std::to_string(a.port);
  };
  const std::string path = "/" + args.app + "/" + args.name;
  std::cout << "push:     rtmp://" << host(config.rtmp.listen) << path << "?" << query << "\n"
            << "play:     rtmp://" << host(config.rtmp.listen) << path << "?" << query << "\n"
            << "http-flv: http://" << host(config.http.listen) << path << ".flv?" << query << "\n"
            << "expires:  " << expire << " (in " << ttl << " s)\n";
  return 0;
}

int runUserSig(const Args& args, const core::Config& config) {
  if (args.user.empty() || args.user.size() > 32) {
    std::cerr << "roomcast usersig: --user USER_ID (1..32 bytes) is required\n" << kUsage;
    return 2;
  }
  core::RoomKey key;
  try {
    // NOTE: the same key the server uses: room.key, else the one kept in
    // state.dir, generated here if the server has not run yet.
    key = core::resolveRoomKey(config.room.key, config.state.dir, true);
  } catch (const std::exception& e) {
    std::cerr << "roomcast usersig: " << e.what() << "\n";
    return 1;
  }
  if (key.origin == core::RoomKeyOrigin::Generated)
    std::cerr << "roomcast usersig: using " << key.describe() << "\n";
  const long ttl = args.ttl > 0 ? args.ttl : 180L * 24 * 3600;
  std::cout << core::generateUserSig(config.room.app_id, key.key, args.user, ttl,
                                     std::time(nullptr))
            << "\n";
  return 0;
}

int runCheck(const Args& args, const core::Config& config) {
  try {
    const auto key = core::resolveRoomKey(config.room.key, config.state.dir, false);
    std::cout << "roomcast: room key: " << key.describe() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "roomcast: configuration file " << args.configPath << " test failed:\n"
              << "room key: " << e.what() << "\n";
    return 1;
  }
  std::cout << "roomcast: configuration file " << args.configPath << " test is successful\n";
  return 0;
}

// A host this machine can open a listener's URLs with.
std::string localHost(const core::ListenAddress& a) {
  const std::string host = a.host == "0.0.0.0" ? "127.0.0.1" : a.host;
  return host + ":" + std::to_string(a.port);
}

// The start-up lines a newcomer needs: where to push, and the player page with the
// chat logged in as administrator (a UserSig valid for a week).
void logReadyUrls(const core::Config& c) {
  constexpr int64_t kAdminLoginTtl = 7 * 24 * 3600;
  const std::string sig = core::generateUserSig(c.room.app_id, c.room.key, "administrator",
                                                kAdminLoginTtl, std::time(nullptr));
  const std::string rtmp = localHost(c.rtmp.listen), http = localHost(c.http.listen);
  spdlog::info("ready: push rtmp://{}/live/demo (OBS: server rtmp://{}/live, key demo)", rtmp,
               rtmp);
  if (c.web.enabled)
    spdlog::info("ready: player page http://{}/?stream=live/demo&user=administrator&usersig={}",
                 http, sig);
  else
    spdlog::info("ready: play http://{}/live/demo.flv; administrator's UserSig {}", http, sig);
}

room::RoomRegistryOptions roomRegistryOptions(const core::RoomConfig& c) {
  room::RoomRegistryOptions o;
  o.room.rateLimit = static_cast<double>(c.rate_limit);
  o.room.history = static_cast<size_t>(c.history);
  o.room.recentMembers = static_cast<size_t>(c.recent_members);
  o.room.enterLeaveMaxMembers = static_cast<size_t>(c.enter_leave_max_members);
  o.room.online = {static_cast<double>(c.online_push_percent) / 100.0, c.online_push_members,
                   c.online_push_min_ms, c.online_push_max_ms};
  o.room.giftFlushEvery = c.gift_streak_gifts;
  o.room.giftPauseMs = c.gift_streak_pause_ms;
  o.room.likeWindowMs = c.like_window_ms;
  o.room.level = {c.level_weight_online_minute, c.level_weight_message,    c.level_weight_like,
                  c.level_weight_gift,          c.level_weight_membership, c.level_thresholds};
  o.room.popularity = {c.popularity_weight_online, c.popularity_weight_message,
                       c.popularity_weight_like, c.popularity_weight_gift};
  o.autoCreate = c.auto_create;
  o.followStream = c.follow_stream;
  o.endedAfterMs = c.ended_after_ms;
  return o;
}

room::RoomServerOptions roomServerOptions(const core::RoomConfig& c) {
  room::RoomServerOptions o;
  o.appId = c.app_id;
  o.key = c.key;
  o.admins = c.admins;
  o.guests = c.guests;
  o.roomsPerConnection = static_cast<size_t>(c.rooms_per_connection);
  o.clientRate = static_cast<double>(c.client_rate);
  o.ws.idleTimeoutMs = c.ws_idle_timeout_ms;
  o.ws.pingIntervalMs = c.ws_ping_interval_ms;
  o.ws.maxBacklogBytes = static_cast<size_t>(c.ws_max_backlog_bytes);
  return o;
}

// Everything the running server owns, torn down in reverse order of building.
struct Server {
  av::Libraries av;  // FFmpeg, loaded per use: outlives the loop and its workers
  core::EventLoop loop;
  std::unique_ptr<core::UrlSigner> signer;
  std::unique_ptr<core::WriteCoalescer> coalescer;
  std::unique_ptr<room::WebhookHooks> webhooks;  // the rooms' hooks: outlives them
  std::unique_ptr<room::MessagePath> messages;   // every transport's sends: outlives the rooms
  std::unique_ptr<room::RoomRegistry> rooms;     // observes the streams: outlives them
  std::unique_ptr<core::StreamRegistry> registry;
  std::unique_ptr<room::Sidechannel> sidechannel;  // unlinked from the rooms before it goes
  std::unique_ptr<http::HttpServer> http;
  std::unique_ptr<core::WriteCoalescer> roomCoalescer;
  std::unique_ptr<room::RoomServer> roomServer;
  std::unique_ptr<flv::FlvServer> flv;
  std::unique_ptr<hls::HlsServer> hls;
  std::unique_ptr<rtmp::RtmpServer> rtmp;
  std::unique_ptr<rtmp::RelaySet> relays;  // the registry's observer: stopped before it goes
  std::unique_ptr<recorder::Recorder> recorder;
  std::unique_ptr<mixer::Mixer> mixer;            // its threads stop before the registry goes
  std::unique_ptr<mixer::ProgramSet> programs;    // the same
  std::unique_ptr<mixer::PlaylistSet> playlists;  // the same
  std::unique_ptr<core::CohostSet> cohosts;       // co-host sessions over `programs`
  std::unique_ptr<webrtc::WebrtcLibraries> webrtcLibraries;  // libsrtp: outlives the sessions
  std::unique_ptr<webrtc::WebrtcServer> webrtc;
  std::vector<std::unique_ptr<core::SignalWatcher>> signals;
  std::unique_ptr<core::HeapTrimmer> heapTrimmer;
  bool stopping = false;

  explicit Server(const core::Config& c) {
    if (c.auth.enabled) signer = std::make_unique<core::UrlSigner>(c.auth.key);
    core::SendQueue::Limits limits{c.viewer.queue_soft_ms, c.viewer.queue_hard_ms,
                                   c.viewer.queue_max_bytes};
    coalescer = std::make_unique<core::WriteCoalescer>(loop, c.viewer.merge_write_ms);

    core::StreamOptions streamOptions;
    streamOptions.gopCache = c.stream.gop_cache;
    streamOptions.gopLimits = {c.stream.gop_cache_max_ms, c.stream.gop_cache_max_bytes};
    streamOptions.publisherTakeover = c.stream.publisher_takeover;
    streamOptions.reconnectGraceMs = c.stream.reconnect_grace_ms;
    streamOptions.timestampJumpMs = c.stream.timestamp_jump_ms;
    streamOptions.health = {c.stream.gap_ms, c.stream.stall_ms};
    streamOptions.batchMs = c.viewer.merge_write_ms;
    rooms = std::make_unique<room::RoomRegistry>(loop, roomRegistryOptions(c.room));
    registry = std::make_unique<core::StreamRegistry>(loop, streamOptions);
    registry->addObserver(rooms.get());
    messages = std::make_unique<room::MessagePath>(
        loop, *rooms, room::MessagePathOptions{c.room.word_filter_action == "reject"});
    room::SidechannelOptions sidechannelOptions;
    sidechannelOptions.events = {c.sidechannel.events.begin(), c.sidechannel.events.end()};
    sidechannelOptions.compact = c.sidechannel.compact;
    sidechannelOptions.sei = c.sidechannel.sei;
    sidechannel = std::make_unique<room::Sidechannel>(*registry, sidechannelOptions);
    rooms->setSidechannel(sidechannel.get());
    if (!c.webhook.url.empty()) {
      room::WebhookHooksOptions w;
      w.http.url = c.webhook.url;
      w.http.appId = c.room.app_id;
      w.http.secret = c.webhook.secret;
      w.http.timeoutMs = c.webhook.timeout_ms;
      w.http.retries = static_cast<int>(c.webhook.retries);
      w.failOpen = c.webhook.fail_open;
      w.beforeSend = c.webhook.before_send;
      w.beforeJoin = c.webhook.before_join;
      webhooks = std::make_unique<room::WebhookHooks>(loop, w);  // throws on a bad URL
      rooms->setHooks(webhooks.get());
      spdlog::info("webhooks: {} (deadline {} ms, fail {})", c.webhook.url, c.webhook.timeout_ms,
                   c.webhook.fail_open ? "open" : "closed");
    }

    http::HttpOptions httpOptions;
    httpOptions.maxHeaderSize = c.http.max_header_size;
    httpOptions.headerTimeoutMs = c.http.header_timeout_ms;
    httpOptions.keepAliveTimeoutMs = c.http.keepalive_timeout_ms;
    httpOptions.corsOrigin = c.http.cors_origin;
    http = std::make_unique<http::HttpServer>(loop, c.http.listen.host, c.http.listen.port,
                                              httpOptions);
    http::registerStreamsApi(*http, *registry, {"rtmp", "flv"}, [this](const core::Stream& s) {
      return hls ? hls->viewers(s.key()) : std::map<std::string, int>{};
    });
    roomCoalescer = std::make_unique<core::WriteCoalescer>(loop, c.room.ws_merge_ms);
    auto roomOptions = roomServerOptions(c.room);
    roomOptions.ws.coalescer = roomCoalescer.get();
    roomOptions.mediaEvents = {c.sidechannel.events.begin(), c.sidechannel.events.end()};
    roomServer = std::make_unique<room::RoomServer>(loop, *http, *rooms, *messages, roomOptions);
    room::registerRoomsApi(*http, *roomServer);
    room::registerImRestApi(*http, *roomServer);
    if (c.web.enabled) http::registerStaticFiles(*http, http::StaticFiles::load(c.web.root));
    recorder::RecorderOptions recordOptions;
    recordOptions.streams = c.record.streams;
    recordOptions.recording.dir = c.record.dir;
    recordOptions.recording.pathTemplate = c.record.path;
    recordOptions.recording.format = c.record.format;
    recordOptions.recording.splitMs = c.record.split_ms;
    recordOptions.recording.fragmentMs = c.record.fragment_ms;
    recordOptions.recording.maxQueuedBytes = static_cast<size_t>(c.record.max_queued_bytes);
    recorder = std::make_unique<recorder::Recorder>(loop, *registry, recordOptions);
    registry->addObserver(recorder.get());
    recorder->loadIndex();
    if (webhooks)
      recorder->setOnFileClosed([this](const recorder::RecordingFile& f) {
        if (webhooks) webhooks->recordingClosed(f.stream, f.toJson());
      });
    http::registerRecordingsApi(*http, *recorder, [this](const http::HttpRequest& req) {
      return room::requireAdmin(req, *roomServer);
    });
    // NOTE: made even with mixer.enabled off, so the API can say so (503).
    mixer = std::make_unique<mixer::Mixer>(loop, *registry, av, c.mixer);
    registry->addObserver(mixer.get());
    http::registerCasterApi(*http, *mixer, [this](const http::HttpRequest& req) {
      return room::requireAdmin(req, *roomServer);
    });
    programs = std::make_unique<mixer::ProgramSet>(loop, *registry, av, c.mixer);
    registry->addObserver(programs.get());
    http::registerProgramApi(*http, *programs, [this](const http::HttpRequest& req) {
      return room::requireAdmin(req, *roomServer);
    });
    mixer::PlaylistSetOptions playlistOptions;
    playlistOptions.enabled = c.vod.enabled;
    playlistOptions.maxPlaylists = static_cast<size_t>(c.vod.max_playlists);
    playlistOptions.dirs = {c.vod.dir, c.record.dir};
    playlists = std::make_unique<mixer::PlaylistSet>(loop, *registry, av, playlistOptions);
    http::registerPlaylistApi(*http, *playlists, [this](const http::HttpRequest& req) {
      return room::requireAdmin(req, *roomServer);
    });
    cohosts = std::make_unique<core::CohostSet>(loop, *programs, [this](const std::string& key) {
      const core::Stream* s = registry->find(key);
      return s && s->hasPublisher();
    });
    registry->addObserver(cohosts.get());
    http::registerCohostApi(
        *http, *cohosts,
        http::CohostUrls{c.auth.protect_publish ? signer.get() : nullptr,
                         c.auth.protect_play ? signer.get() : nullptr, 3600},
        [this](const http::HttpRequest& req) { return room::requireAdmin(req, *roomServer); });
    // NOTE: before the FLV and HLS routes, which would take /replay/x.m3u8 for a
    // stream "replay/x".
    hls::registerReplay(loop, *http, *recorder, av);

    flv = std::make_unique<flv::FlvServer>(
        loop, *http, *registry, *coalescer,
        flv::FlvOptions{limits, c.auth.protect_play ? signer.get() : nullptr, c.sidechannel.flv});

    if (c.hls.enabled) {
      std::optional<hls::LlHlsOptions> ll;
      if (c.hls.ll_enabled)
        ll = hls::LlHlsOptions{
            c.hls.segment_ms,    c.hls.part_ms,     static_cast<size_t>(c.hls.window),
            c.hls.keep_ended_ms, c.sidechannel.hls, c.sidechannel.id3_merge_ms};
      hls = std::make_unique<hls::HlsServer>(
          loop, av, *http, *registry,
          hls::HlsOptions{c.hls.segment_ms, static_cast<size_t>(c.hls.window), c.hls.keep_ended_ms,
                          c.hls.dir, c.sidechannel.hls, c.sidechannel.id3_merge_ms,
                          c.sidechannel.daterange},
          ll, c.auth.protect_play ? signer.get() : nullptr);
    }

    rtmp::RtmpOptions rtmpOptions;
    rtmpOptions.chunkSize = c.rtmp.chunk_size;
    rtmpOptions.maxMessageSize = c.rtmp.max_message_size;
    rtmpOptions.maxPartialBytes = static_cast<size_t>(c.rtmp.max_partial_bytes);
    rtmpOptions.windowAckSize = c.rtmp.window_ack_size;
    rtmpOptions.handshakeTimeoutMs = c.rtmp.handshake_timeout_ms;
    rtmpOptions.idleTimeoutMs = c.rtmp.idle_timeout_ms;
    rtmpOptions.viewerLimits = limits;
    rtmpOptions.signer = signer.get();
    rtmpOptions.protectPublish = c.auth.protect_publish;
    rtmpOptions.protectPlay = c.auth.protect_play;
    rtmpOptions.roomEvents = c.sidechannel.flv;
    rtmp = std::make_unique<rtmp::RtmpServer>(loop, c.rtmp.listen.host, c.rtmp.listen.port,
                                              *registry, *coalescer, rtmpOptions);
    startRelays(c, limits);
    if (c.webrtc.enabled) startWebrtc(c);
    heapTrimmer = std::make_unique<core::HeapTrimmer>(loop);

    for (int sig : {SIGINT, SIGTERM})
      signals.push_back(std::make_unique<core::SignalWatcher>(loop, sig, [this](int s) {
        spdlog::info("received {}, shutting down", s == SIGINT ? "SIGINT" : "SIGTERM");
        shutdown();
      }));
    if (!c.room.word_filter_file.empty()) {
      // NOTE: read synchronously once at start-up, as the config itself is.
      std::ifstream in(c.room.word_filter_file, std::ios::binary);
      if (!in)
        throw std::runtime_error("room.word_filter_file: cannot read " + c.room.word_filter_file);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::string error;
      auto filter = room::WordFilter::parse(text, error);
      if (!filter)
        throw std::runtime_error("room.word_filter_file " + c.room.word_filter_file + ": " + error);
      spdlog::info("room: word filter of {} words from {} ({})", filter->size(),
                   c.room.word_filter_file, c.room.word_filter_action);
      messages->setWordFilter(std::move(filter));
    }
    signals.push_back(std::make_unique<core::SignalWatcher>(
        loop, SIGHUP, [this, path = c.room.word_filter_file](int) { reload(path); }));
  }

  void startRelays(const core::Config& c, const core::SendQueue::Limits& limits) {
    rtmp::RelaySetOptions o;
    o.maxRelays = static_cast<size_t>(c.relay.max_relays);
    o.tlsVerify = c.relay.tls_verify;
    o.relay.connectTimeoutMs = c.relay.connect_timeout_ms;
    o.relay.backoff = {c.relay.backoff_min_ms, c.relay.backoff_max_ms, c.relay.backoff_reset_ms};
    o.relay.limits = limits;
    o.relay.chunkSize = c.rtmp.chunk_size;
    o.relay.sendBufferBytes = static_cast<int>(c.relay.send_buffer_bytes);
    relays = std::make_unique<rtmp::RelaySet>(loop, *registry, *coalescer, o);
    registry->addObserver(relays.get());
    http::registerRelayApi(*http, *relays, [this](const http::HttpRequest& req) {
      return room::requireAdmin(req, *roomServer);
    });
    if (!c.relay.tls_verify)
      spdlog::warn("relay.tls_verify = false: rtmps:// relays accept any certificate");
  }

  void startWebrtc(const core::Config& c) {
    std::string error;
    webrtcLibraries = webrtc::WebrtcLibraries::create(error);
    if (!webrtcLibraries) throw std::runtime_error("webrtc: " + error);
    webrtc::WebrtcOptions o;
    o.host = c.webrtc.listen.host;
    o.port = c.webrtc.listen.port;
    o.announce = c.webrtc.announce;
    o.maxSessions = static_cast<size_t>(c.webrtc.max_sessions);
    o.maxSessionsPerIp = static_cast<size_t>(c.webrtc.max_sessions_per_ip);
    o.limits.consentTimeoutMs = c.webrtc.consent_timeout_ms;
    o.limits.handshakeTimeoutMs = c.webrtc.handshake_timeout_ms;
    o.limits.mtu = static_cast<size_t>(c.webrtc.mtu);
    o.bearerToken = c.webrtc.bearer_token;
    o.whipMaxKbps = static_cast<uint64_t>(c.webrtc.whip_max_kbps);
    if (mixer) o.audioVariants = mixer.get();
    o.publishSigner = c.auth.protect_publish ? signer.get() : nullptr;
    o.playSigner = c.auth.protect_play ? signer.get() : nullptr;
    // The "room" data channels speak the room protocol (the sessions go before the
    // RoomServer: see shutdown()).
    o.roomChannels = [rs = roomServer.get()](core::TextChannel& channel,
                                             const core::TextChannelOpen& open) {
      return rs->openChannel(channel, open);
    };
    o.renditions = mixer.get();
    o.adminCheck = [rs = roomServer.get()](const http::HttpRequest& req) {
      return room::requireAdmin(req, *rs);
    };
    webrtc = webrtc::WebrtcServer::create(loop, *http, *registry, std::move(o), error);
    if (!webrtc) throw std::runtime_error(error);
  }

  // SIGHUP: the word filter is read again (off the loop); other settings need a
  // restart.
  void reload(const std::string& filterPath) {
    if (filterPath.empty()) {
      spdlog::warn(
          "SIGHUP: nothing to reload (no room.word_filter_file); restart to apply changes");
      return;
    }
    core::readFile(
        loop, filterPath, 4 << 20, [this, filterPath](const std::string& error, std::string text) {
          if (!error.empty()) return spdlog::error("SIGHUP: word filter not reloaded: {}", error);
          std::string why;
          auto filter = room::WordFilter::parse(text, why);
          if (!filter)
            return spdlog::error("SIGHUP: word filter {} not reloaded: {}", filterPath, why);
          spdlog::info("SIGHUP: word filter reloaded: {} words from {}", filter->size(),
                       filterPath);
          if (messages) messages->setWordFilter(std::move(filter));
        });
  }

  // Close every session, then tear the servers down over the next loop rounds,
  // so deferred deletions always run before what they reference goes away.
  void shutdown() {
    if (stopping) return;
    stopping = true;
    rtmp->closeAll("server shutting down");
    if (relays) relays->shutdown();
    flv->closeAll("server shutting down");
    if (webrtc) webrtc->closeAll("server shutting down");
    roomServer->closeAll();
    http->closeAll();
    if (mixer) mixer->shutdown();
    if (cohosts) cohosts->shutdown();
    if (programs) programs->shutdown();
    if (playlists) playlists->shutdown();
    registry->shutdown("server shutting down");
    loop.post([this] {
      rtmp.reset();
      relays.reset();
      flv.reset();
      webrtc.reset();
      hls.reset();
      recorder.reset();   // its files finish closing in the background
      mixer.reset();      // joins its threads, told to stop above
      cohosts.reset();    // the registry's observer: after its shutdown
      programs.reset();   // the same
      playlists.reset();  // the same
      roomServer.reset();
      http.reset();
      rooms->setSidechannel(nullptr);
      sidechannel.reset();
      registry.reset();
      rooms.reset();
      messages.reset();
      webhooks.reset();
      signals.clear();
      heapTrimmer.reset();
      loop.post([this] {
        webrtcLibraries.reset();  // after the sessions' deferred deletions
        coalescer.reset();
        roomCoalescer.reset();
      });
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::string argError;
  auto args = parseArgs(argc, argv, argError);
  if (!args) {
    if (!argError.empty()) std::cerr << "roomcast: " << argError << "\n";
    std::cerr << kUsage;
    return argError.empty() ? 0 : 2;
  }
  core::Config config;
  try {
    config = loadCheckedConfig(*args);
  } catch (const core::ConfigError& e) {
    std::cerr << "roomcast: configuration file " << args->configPath << " test failed:\n"
              << e.what() << "\n";
    return 1;
  }
  if (args->command == "sign") return runSign(*args, config);
  if (args->command == "usersig") return runUserSig(*args, config);
  if (args->check) return runCheck(*args, config);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    core::initLogging(config.log.level);
    const auto key = core::resolveRoomKey(config.room.key, config.state.dir, true);
    spdlog::info("room: UserSigs are checked with {}", key.describe());
    config.room.key = key.key;
    Server server(config);
    spdlog::info("roomcast started (config {})", args->configPath);
    logReadyUrls(config);
    server.loop.run();
    spdlog::info("roomcast stopped");
  } catch (const std::exception& e) {
    spdlog::critical("roomcast: {}", e.what());
    return 1;
  }
  return 0;
}
