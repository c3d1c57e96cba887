// Test helper: the one av::FilterApi table of a mixer test process (av::Libraries is
// owned by main in the server; here by this function), loaded on first use.
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"

namespace mixer_testing {

inline const av::FilterApi& filterApi() {
  static av::Libraries libs;
  static const av::FilterApi* table = [] {
    std::string error;
    const av::FilterApi* t = libs.filter(error);
    if (!t) BOOST_FAIL("filter table: " + error);
    return t;
  }();
  return *table;
}

}  // namespace mixer_testing
