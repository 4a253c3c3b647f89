#include <doctest/doctest.h>

#include <cmath>

#include "dsp/events.h"
#include "dsp/levels.h"

using namespace squeal;

TEST_CASE("0 dBm0 is a sine 3.14 dB below full scale") {
  CHECK(dbm0_to_amplitude(0.0) == doctest::Approx(0.69663).epsilon(1e-4));
  CHECK(dbm0_to_amplitude(3.14) == doctest::Approx(1.0));
  CHECK(dbm0_to_mean_square(-10.0) == doctest::Approx(0.5 * std::pow(dbm0_to_amplitude(-10.0), 2)));
  CHECK(mean_square_to_dbm0(dbm0_to_mean_square(-43.0)) == doctest::Approx(-43.0));
  CHECK(mean_square_to_dbm0(0.0) == doctest::Approx(-200.0));
}

TEST_CASE("event queue keeps order and counts what it drops") {
  BasicEventQueue<4> q;
  for (int i = 0; i < 6; ++i) {
    Event e;
    e.sample = i;
    q.push(e);
  }
  CHECK(q.size() == 4);
  CHECK(q.dropped() == 2);
  Event out;
  REQUIRE(q.pop(out));
  CHECK(out.sample == 0);
  REQUIRE(q.pop(out));
  CHECK(out.sample == 1);
  CHECK(signal_name(Signal::ansam_pr) == "ansam_pr");
  CHECK(signal_name(Signal::dial_tone) == "dial_tone");
}
