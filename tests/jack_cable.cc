#include "tests/jack_cable.h"

#include <sys/wait.h>

#include <cstdlib>

namespace squeal::test {

std::string cable_script() {
  const char* examples = std::getenv("SQUEAL_EXAMPLES");
  return examples ? std::string(examples) + "/../tools/jack-cable.sh" : std::string("tools/jack-cable.sh");
}

int run_shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CableGuard::CableGuard() {
  const std::string script = cable_script();
  have_jackd_ = run_shell("test -x '" + script + "' && command -v jackd >/dev/null") == 0;
  if (!have_jackd_) return;
  if (run_shell("'" + script + "' status >/dev/null 2>&1") == 0) {
    ready_ = was_running_ = true;
    return;
  }
  started_ = true;
  ready_ = run_shell("timeout 30 '" + script + "' start >/dev/null 2>&1") == 0;
}

CableGuard::~CableGuard() {
  if (started_) run_shell("timeout 30 '" + cable_script() + "' stop >/dev/null 2>&1");
}

}  // namespace squeal::test
