#include "core/config/mixer_config.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/config.hpp"
#include "tests/unit/core/config/config_error_of.hpp"

using core::Config;
using core::ConfigError;
using core::parseConfig;
using nlohmann::json;
using testing_config::errorOf;
using testing_config::kFile;

namespace {

const char* kTwoProfiles = R"([mixer]
threads = 3
max_pipelines = 4
queue_frames = 16
assets_dir = "/srv/assets"
font = "/usr/share/fonts/x.ttf"

[[mixer.profile]]
name = "sports"
streams = ["live/*", "tv/one"]
preset = "veryfast"
gop_ms = 1_000
master_source = false
rungs = [
  { height = 720, fps = 60, kbps = 4000, tune = "" },
  { height = 360, kbps = 800, width = 640 },
]
overlays = [ { id = "logo", type = "image", file = "logo.png", unit = "fraction", x = 0.02, y = 0.5 } ]

[[mixer.profile]]
name = "rest"
streams = ["*"]
rungs = [ { height = 480, kbps = 1200 } ]
)";

}  // namespace

BOOST_AUTO_TEST_CASE(mixer_defaults_without_a_section) {
  const Config c = parseConfig("[rtmp]\n", kFile, {});
  BOOST_TEST(c.mixer.enabled == true);
  BOOST_TEST(c.mixer.threads == 0);
  BOOST_TEST(c.mixer.maxPipelines == 2);
  BOOST_TEST(c.mixer.queueFrames == 8);
  BOOST_TEST(c.mixer.assetsDir == "assets");
  BOOST_TEST(c.mixer.font == "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc");
  BOOST_TEST(c.mixer.profiles.empty());
  BOOST_TEST(c.mixer.profileFor("live/x") == nullptr);
  // An empty [mixer] changes nothing either.
  BOOST_TEST(parseConfig("[mixer]\n", kFile, {}).mixer.maxPipelines == 2);
}

BOOST_AUTO_TEST_CASE(mixer_profile_rungs_parse) {
  const Config c = parseConfig(kTwoProfiles, kFile, {});
  BOOST_TEST(c.mixer.threads == 3);
  BOOST_TEST(c.mixer.maxPipelines == 4);
  BOOST_TEST(c.mixer.queueFrames == 16);
  BOOST_TEST(c.mixer.assetsDir == "/srv/assets");
  BOOST_TEST(c.mixer.font == "/usr/share/fonts/x.ttf");
  BOOST_REQUIRE(c.mixer.profiles.size() == 2u);
  const core::MixerProfile& sports = c.mixer.profiles[0];
  BOOST_TEST(sports.name == "sports");
  BOOST_TEST(sports.line == 8);  // its [[mixer.profile]] header
  BOOST_TEST((sports.streams == std::vector<std::string>{"live/*", "tv/one"}));
  // The JSON mixer::PipelineSpec::parse reads: same names, master_source as master.source.
  const json expected = {{"preset", "veryfast"},
                         {"gop_ms", 1000},
                         {"master", {{"source", false}}},
                         {"rungs",
                          {{{"height", 720}, {"fps", 60}, {"kbps", 4000}, {"tune", ""}},
                           {{"height", 360}, {"kbps", 800}, {"width", 640}}}},
                         {"overlays",
                          {{{"id", "logo"},
                            {"type", "image"},
                            {"file", "logo.png"},
                            {"unit", "fraction"},
                            {"x", 0.02},
                            {"y", 0.5}}}}};
  BOOST_TEST(sports.spec == expected, sports.spec.dump());
  BOOST_TEST(sports.spec["overlays"][0]["x"].is_number_float());
  BOOST_TEST(sports.spec["rungs"][0]["kbps"].is_number_integer());
  const core::MixerProfile& rest = c.mixer.profiles[1];
  BOOST_TEST(rest.line == 20);
  BOOST_TEST(rest.spec == json({{"rungs", {{{"height", 480}, {"kbps", 1200}}}}}));
  // The first profile that matches wins; "app/*" is that app only.
  BOOST_TEST(c.mixer.profileFor("live/a")->name == "sports");
  BOOST_TEST(c.mixer.profileFor("tv/one")->name == "sports");
  BOOST_TEST(c.mixer.profileFor("tv/two")->name == "rest");
  BOOST_TEST(c.mixer.profileFor("liver/a")->name == "rest");
  BOOST_TEST(c.mixer.find("rest") == &rest);
  BOOST_TEST(c.mixer.find("nope") == nullptr);
  BOOST_TEST(!sports.matches("live"));
}

BOOST_AUTO_TEST_CASE(a_spec_error_path_finds_its_line) {
  const Config c = parseConfig(kTwoProfiles, kFile, {});
  const core::MixerProfile& sports = c.mixer.profiles[0];
  BOOST_TEST(sports.lineOf("rungs[1].kbps") == 16);
  BOOST_TEST(sports.lineOf("rungs[0].tune") == 15);
  BOOST_TEST(sports.lineOf("rungs[1].preset") == 16);  // absent: its rung's line
  BOOST_TEST(sports.lineOf("rungs[7].kbps") == 14);    // no such rung: the rungs key
  BOOST_TEST(sports.lineOf("gop_ms") == 12);
  BOOST_TEST(sports.lineOf("master.source") == 13);  // written as master_source
  BOOST_TEST(sports.lineOf("overlays[0].y") == 18);
  BOOST_TEST(sports.lineOf("keyframes") == 8);  // absent: the profile's header
  BOOST_TEST(sports.lineOf("") == 8);
}

BOOST_AUTO_TEST_CASE(absurd_mixer_scalar_named_with_line) {
  BOOST_TEST(errorOf("[mixer]\nenabled = true\nthreads = 65\n") ==
             "conf/roomcast.toml:3: mixer.threads: must be between 0 and 64, got 65");
  BOOST_TEST(errorOf("[mixer]\nmax_pipelines = 0\n") ==
             "conf/roomcast.toml:2: mixer.max_pipelines: must be between 1 and 64, got 0");
  BOOST_TEST(errorOf("[mixer]\nqueue_frames = 1\n") ==
             "conf/roomcast.toml:2: mixer.queue_frames: must be between 2 and 120, got 1");
  BOOST_TEST(errorOf("[mixer]\nqueue_frames = 121\n") ==
             "conf/roomcast.toml:2: mixer.queue_frames: must be between 2 and 120, got 121");
  BOOST_TEST(errorOf("[mixer]\nfont = \"\"\n") ==
             "conf/roomcast.toml:2: mixer.font: must not be empty");
  BOOST_TEST(errorOf("[mixer]\nenabled = 1\n") ==
             "conf/roomcast.toml:2: mixer.enabled: expected a boolean (true/false), got an "
             "integer");
  BOOST_TEST(errorOf("[mixer]\nprofiles = []\n") ==
             "conf/roomcast.toml:2: unknown key mixer.profiles (did you mean mixer.profile?)");
  BOOST_TEST(errorOf("", {"mixer.threads=-1"}) ==
             "--set mixer.threads: must be between 0 and 64, got -1");
}

BOOST_AUTO_TEST_CASE(bad_profile_fields_named_with_line) {
  BOOST_TEST(errorOf("[mixer.profile]\nname = \"x\"\n") ==
             "conf/roomcast.toml:1: mixer.profile: expected an array of tables [[mixer.profile]], "
             "got a table");
  BOOST_TEST(errorOf("[[mixer.profile]]\nrungs = []\n") ==
             "conf/roomcast.toml:1: mixer.profile[0]: name is missing");
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"a\"\n[[mixer.profile]]\n\nname = \"b c\"\n") ==
             "conf/roomcast.toml:5: mixer.profile[1].name: \"b c\" may hold only [A-Za-z0-9_-]");
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"a\"\nstreams = [\"live\"]\n") ==
             "conf/roomcast.toml:3: mixer.profile \"a\".streams: expected \"app/name\", "
             "\"app/*\" or \"*\", got \"live\"");
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"a\"\nstreams = \"*\"\n") ==
             "conf/roomcast.toml:3: mixer.profile \"a\".streams: expected an array of strings, "
             "got a string");
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"a\"\nmaster_source = \"yes\"\n") ==
             "conf/roomcast.toml:3: mixer.profile \"a\".master_source: expected a boolean "
             "(true/false), got a string");
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"a\"\nmaster_source = true\n"
                     "master = { source = false }\n") ==
             "conf/roomcast.toml:3: mixer.profile \"a\".master_source: set master_source or "
             "master.source, not both");
  BOOST_TEST(
      errorOf("[[mixer.profile]]\nname = \"a\"\nrungs = [\n  { height = 1979-05-27 },\n]\n") ==
      "conf/roomcast.toml:4: mixer.profile \"a\".rungs: a date/time has no meaning here");
  // Every bad profile is listed, in line order.
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"\"\n[[mixer.profile]]\nname = 5\n") ==
             "conf/roomcast.toml:2: mixer.profile[0].name: must be 1..64 bytes\n"
             "conf/roomcast.toml:4: mixer.profile[1].name: expected a string, got an integer");
}

BOOST_AUTO_TEST_CASE(duplicate_profile_name_rejected) {
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"default\"\n\n"
                     "[[mixer.profile]]\nname = \"default\"\n") ==
             "conf/roomcast.toml:5: mixer.profile \"default\".name: used twice (first at line 1)");
  // One pattern in two profiles would leave the second one dead.
  BOOST_TEST(errorOf("[[mixer.profile]]\nname = \"a\"\nstreams = [\"live/*\"]\n"
                     "[[mixer.profile]]\nname = \"b\"\nstreams = [\"tv/*\", \"live/*\"]\n") ==
             "conf/roomcast.toml:6: mixer.profile \"b\".streams: \"live/*\" is already in profile "
             "\"a\"");
}

BOOST_AUTO_TEST_CASE(profile_from_set_has_no_file_line) {
  const Config c = parseConfig(
      "", kFile, {"mixer.profile=[{name = \"p\", rungs = [{height = 240, kbps = 300}]}]"});
  BOOST_REQUIRE(c.mixer.profiles.size() == 1u);
  BOOST_TEST(c.mixer.profiles[0].line == 0);
  BOOST_TEST(c.mixer.profiles[0].lineOf("rungs[0].height") == 0);
  BOOST_TEST(c.mixer.profiles[0].spec["rungs"][0]["height"] == 240);
  BOOST_TEST(errorOf("", {"mixer.profile=[{name = \"p q\"}]"}) ==
             "--set mixer.profile: mixer.profile[0].name: \"p q\" may hold only [A-Za-z0-9_-]");
}

BOOST_AUTO_TEST_CASE(shipped_file_has_the_default_profile_started_only_by_the_api) {
  const Config c = core::loadConfig(std::string(ROOMCAST_SOURCE_DIR) + "conf/roomcast.toml", {});
  const Config d = parseConfig("", kFile, {});
  BOOST_TEST(c.mixer.enabled == d.mixer.enabled);
  BOOST_TEST(c.mixer.threads == d.mixer.threads);
  BOOST_TEST(c.mixer.maxPipelines == d.mixer.maxPipelines);
  BOOST_TEST(c.mixer.queueFrames == d.mixer.queueFrames);
  BOOST_TEST(c.mixer.assetsDir == d.mixer.assetsDir);
  BOOST_TEST(c.mixer.font == d.mixer.font);
  BOOST_REQUIRE(c.mixer.profiles.size() == 1u);
  const core::MixerProfile& p = c.mixer.profiles[0];
  BOOST_TEST(p.name == "default");
  BOOST_TEST(p.streams.empty());  // the shipped config starts no transcoding by itself
  BOOST_TEST(c.mixer.profileFor("live/demo") == nullptr);
  const json rungs = {{{"height", 720}, {"fps", 30}, {"kbps", 2500}},
                      {{"height", 480}, {"fps", 30}, {"kbps", 1200}},
                      {{"height", 360}, {"fps", 30}, {"kbps", 700}}};
  BOOST_TEST(p.spec["rungs"] == rungs);
  BOOST_TEST(p.spec["preset"] == "superfast");
  BOOST_TEST(p.spec["tune"] == "zerolatency");
  BOOST_TEST(p.spec["gop_ms"] == 2000);
  BOOST_TEST(p.spec["keyframes"] == "source");
  BOOST_TEST(p.spec["audio"] == "copy");
  BOOST_TEST(p.spec["master"] == json({{"source", true}}));
}

BOOST_AUTO_TEST_CASE(mixer_program_keys) {
  const Config d = parseConfig("[mixer]\n", kFile, {});
  BOOST_TEST(d.mixer.maxPrograms == 2);
  BOOST_TEST(d.mixer.slateColor == "#202040");
  BOOST_TEST(d.mixer.stallMs == 500);
  BOOST_TEST(d.mixer.repeatMs == 3000);
  const Config c = parseConfig(
      "[mixer]\nmax_programs = 4\nslate_color = \"#FF00ff\"\nstall_ms = 250\nrepeat_ms = 0\n",
      kFile, {});
  BOOST_TEST(c.mixer.maxPrograms == 4);
  BOOST_TEST(c.mixer.slateColor == "#FF00ff");
  BOOST_TEST(c.mixer.stallMs == 250);
  BOOST_TEST(c.mixer.repeatMs == 0);
  BOOST_TEST(errorOf("[mixer]\nslate_color = \"red\"\n") ==
             "conf/roomcast.toml:2: mixer.slate_color: must be \"#RRGGBB\"");
  BOOST_TEST(errorOf("[mixer]\nstall_ms = 50\n") ==
             "conf/roomcast.toml:2: mixer.stall_ms: must be between 100 and 10000, got 50");
  BOOST_TEST(errorOf("[mixer]\nmax_programs = 17\n") ==
             "conf/roomcast.toml:2: mixer.max_programs: must be between 1 and 16, got 17");
}
