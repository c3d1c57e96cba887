// The one Boost.Test entry point (main and the master suite) that every unit-test
// executable links: compiled once instead of once per test (tests/CMakeLists.txt).
#define BOOST_TEST_MODULE roomcast
#include <boost/test/unit_test.hpp>
