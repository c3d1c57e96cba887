// The one Boost.Test entry point every unit-test executable links: compiled once
// instead of once per test (tests/CMakeLists.txt). Written out rather than through
// BOOST_TEST_MODULE so that this file, too, can start with the precompiled header.
#include <boost/test/unit_test.hpp>

namespace {

bool initUnitTest() {
  boost::unit_test::framework::master_test_suite().p_name.value = "roomcast";
  return true;
}

}  // namespace

int main(int argc, char* argv[]) {
  return boost::unit_test::unit_test_main(&initUnitTest, argc, argv);
}
