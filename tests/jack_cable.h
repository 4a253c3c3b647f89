// The JACK loopback cable (tools/jack-cable.sh) for the live test suites.
#pragma once

#include <string>

namespace squeal::test {

/// tools/jack-cable.sh, found from SQUEAL_EXAMPLES (meson test sets it to <source>/examples).
std::string cable_script();

/// Runs `command` with /bin/sh; its exit code, or -1 if it did not exit.
int run_shell(const std::string& command);

/// Starts the cable unless it runs already; at scope exit stops it only if
/// this guard started it (even half-started).
class CableGuard {
 public:
  CableGuard();
  ~CableGuard();
  CableGuard(const CableGuard&) = delete;
  CableGuard& operator=(const CableGuard&) = delete;

  bool have_jackd() const { return have_jackd_; }  // JACK 2 is installed (tools/setup.sh installs it)
  bool ready() const { return ready_; }            // the cable answers
  bool was_running() const { return was_running_; }// it ran before this guard touched it
  /// Someone else stopped the cable this guard started: nothing left to stop.
  void forget() { started_ = false; }

 private:
  bool have_jackd_ = false;
  bool ready_ = false;
  bool was_running_ = false;
  bool started_ = false;  // this guard ran `start`
};

}  // namespace squeal::test
