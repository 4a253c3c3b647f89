// Placeholder: the call_progress suite is being written; it must assert on real values.
#include <doctest/doctest.h>
TEST_CASE("call_progress suite pending") { MESSAGE("pending"); }
