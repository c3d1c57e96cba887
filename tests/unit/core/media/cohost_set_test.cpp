#include "core/media/cohost_set.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "core/loop/event_loop.hpp"

using namespace core;

namespace {

// Records what the co-host controller asks of the compositor.
class FakePrograms final : public ProgramControl {
 public:
  Answer createProgram(const nlohmann::json& body) override {
    created.push_back(body);
    if (failCreate) return {409, {{"error", "program exists"}}};
    live = body["output"];
    return {201, body};
  }
  nlohmann::json listPrograms() const override { return {}; }
  Answer getProgram(const std::string& key) const override {
    if (key != live) return {404, {{"error", "no such program"}}};
    return {200, {{"inputs", {{{"state", "live"}}, {{"state", guestState}}}}}};
  }
  Answer patchProgram(const std::string& key, const nlohmann::json& body) override {
    if (key != live) return {404, {{"error", "no such program"}}};
    layouts.push_back(body["layout"]);
    return {200, body};
  }
  Answer removeProgram(const std::string& key) override {
    removed.push_back(key);
    live.clear();
    return {200, {}};
  }
  std::vector<nlohmann::json> created;
  std::vector<std::string> layouts, removed;
  std::string live;
  std::string guestState = "slate";  // what the program shows of input 1
  bool failCreate = false;
};

StreamOptions cohostOptions() {
  StreamOptions o;
  o.reconnectGraceMs = 200;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(guest_picture_switches_layout_and_leaving_returns_to_single) {
  EventLoop loop;
  StreamRegistry registry(loop, cohostOptions());
  FakePrograms programs;
  CohostSet cohosts(loop, programs, [&](const std::string& key) {
    const Stream* s = registry.find(key);
    return s && s->hasPublisher();
  });
  registry.addObserver(&cohosts);
  std::string error;
  auto host = registry.publish("live", "host", "peer", nullptr, error);
  auto opened = cohosts.open("live", "host", {{"layout", "side_by_side"}});
  BOOST_TEST(opened.status == 201);
  BOOST_TEST(opened.body["program"] == "live/host_live");
  BOOST_TEST(opened.body["guest"] == "live/host_guest");
  BOOST_TEST(opened.body["state"] == "waiting_for_guest");
  BOOST_REQUIRE(programs.created.size() == 1u);
  const nlohmann::json& spec = programs.created[0];
  BOOST_TEST(spec["layout"] == "single");
  BOOST_TEST(spec["inputs"][0]["stream"] == "live/host");
  BOOST_TEST(spec["inputs"][1]["stream"] == "live/host_guest");
  BOOST_TEST(programs.layouts.empty());

  auto other = registry.publish("live", "unrelated", "peer", nullptr, error);
  BOOST_TEST(programs.layouts.empty());
  auto guest = registry.publish("live", "host_guest", "peer2", nullptr, error);
  // Published, but the program has no picture of the guest yet: still the host alone.
  BOOST_TEST(programs.layouts.empty());
  BOOST_TEST(cohosts.get("live/host").body["state"] == "guest_joining");
  cohosts.poll();
  BOOST_TEST(programs.layouts.empty());
  programs.guestState = "live";
  cohosts.poll();
  BOOST_REQUIRE(programs.layouts.size() == 1u);
  BOOST_TEST(programs.layouts[0] == "side_by_side");
  BOOST_TEST(cohosts.get("live/host").body["state"] == "guest_live");
  cohosts.poll();
  BOOST_TEST(programs.layouts.size() == 1u);  // once

  guest.reset();  // the guest's publisher leaves
  BOOST_REQUIRE(programs.layouts.size() == 2u);
  BOOST_TEST(programs.layouts[1] == "single");
  BOOST_TEST(cohosts.get("live/host").body["state"] == "waiting_for_guest");

  auto back = cohosts.close("live/host");
  BOOST_TEST(back.status == 200);
  BOOST_REQUIRE(programs.removed.size() == 1u);
  BOOST_TEST(programs.removed[0] == "live/host_live");
  BOOST_TEST(cohosts.get("live/host").status == 404);
  BOOST_TEST(cohosts.close("live/host").status == 404);
  guest = registry.publish("live", "host_guest", "peer2", nullptr, error);
  programs.guestState = "live";
  cohosts.poll();
  BOOST_TEST(programs.layouts.size() == 2u);  // a closed session changes nothing
}

BOOST_AUTO_TEST_CASE(guest_live_before_open_gets_the_layout_at_once) {
  EventLoop loop;
  StreamRegistry registry(loop, cohostOptions());
  FakePrograms programs;
  CohostSet cohosts(loop, programs, [&](const std::string& key) {
    const Stream* s = registry.find(key);
    return s && s->hasPublisher();
  });
  std::string error;
  auto guest = registry.publish("live", "g", "peer", nullptr, error);
  auto opened = cohosts.open("live", "h", {{"guest", "g"}, {"program", "show/mix"}});
  BOOST_TEST(opened.status == 201);
  BOOST_TEST(opened.body["program"] == "show/mix");
  BOOST_TEST(opened.body["state"] == "guest_joining");
  programs.guestState = "live";
  cohosts.poll();
  BOOST_TEST(cohosts.get("live/h").body["state"] == "guest_live");
  BOOST_REQUIRE(programs.layouts.size() == 1u);
  BOOST_TEST(programs.layouts[0] == "pip");  // the default layout
}

BOOST_AUTO_TEST_CASE(refuses_bad_requests_and_a_second_session) {
  EventLoop loop;
  FakePrograms programs;
  CohostSet cohosts(loop, programs, nullptr);
  BOOST_TEST(cohosts.open("live", "h", {{"layout", "grid2x2"}}).status == 400);
  BOOST_TEST(cohosts.open("live", "h", {{"layout", 3}}).status == 400);
  BOOST_TEST(cohosts.open("live", "h", {{"program", "noslash"}}).status == 400);
  BOOST_TEST(cohosts.open("live", "h", {{"guest", "a/b"}}).status == 400);
  BOOST_TEST(cohosts.open("live", "h", {{"guest", "h"}}).status == 400);
  BOOST_TEST(cohosts.open("live", "h", nlohmann::json::array()).status == 400);
  BOOST_TEST(cohosts.open("live", "bad name", {}).status == 400);
  BOOST_TEST(programs.created.empty());
  BOOST_TEST(cohosts.open("live", "h", nlohmann::json::object()).status == 201);
  auto again = cohosts.open("live", "h", nlohmann::json::object());
  BOOST_TEST(again.status == 409);
  BOOST_TEST(again.body["error"].get<std::string>().find("live/h") != std::string::npos);
  // The compositor's refusal is passed on and opens nothing.
  programs.failCreate = true;
  BOOST_TEST(cohosts.open("live", "x", {{"width", 320}}).status == 409);
  BOOST_TEST(programs.created.back()["width"] == 320);
  BOOST_TEST(cohosts.get("live/x").status == 404);
  BOOST_TEST(cohosts.list()["sessions"].size() == 1u);
}
