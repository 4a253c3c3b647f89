// Two squeal processes over the JACK loopback cable (tools/jack-cable.sh):
// `squeal answer` and `squeal call` as separate programs on live PortAudio
// devices complete V.8 and V.34 phase 2 and report the same decision, 20 calls
// in a row; a missing device names the devices that exist.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string root() {
  const char* examples = std::getenv("SQUEAL_EXAMPLES");
  return examples ? std::string(examples) + "/.." : std::string(".");
}

std::string bin() {
  const char* b = std::getenv("SQUEAL_BIN");
  REQUIRE_MESSAGE(b != nullptr, "SQUEAL_BIN must name the squeal program (meson test sets it)");
  return b;
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Starts the cable unless it runs already; stops it only if it started it.
struct Cable {
  bool ready = false, started = false;
  Cable() {
    const std::string script = root() + "/tools/jack-cable.sh";
    if (run("command -v jackd >/dev/null") != 0) return;
    if (run("'" + script + "' status >/dev/null 2>&1") == 0) {
      ready = true;
      return;
    }
    started = true;
    ready = run("timeout 30 '" + script + "' start >/dev/null 2>&1") == 0;
  }
  ~Cable() {
    if (started) run("timeout 30 '" + root() + "/tools/jack-cable.sh' stop >/dev/null 2>&1");
  }
};

}  // namespace

TEST_CASE("squeal call --device nonexistent names the devices that exist") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("squeal-live-{}", ::getpid());
  fs::create_directories(dir);
  const std::string err = (dir / "err.txt").string();
  const int rc = run(fmt::format("'{}' call --device nonexistent --timeout 2 > /dev/null 2> '{}'", bin(), err));
  const std::string text = slurp(err);
  CHECK(rc != 0);
  CHECK(text.find("nonexistent") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("answer and call as two processes over the JACK cable: 20 calls, 20 complete, the same decision") {
  Cable cable;
  if (!cable.ready) {
    MESSAGE("skipped: no JACK cable (jackd missing or it would not start)");
    return;
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("squeal-live-{}", ::getpid());
  fs::create_directories(dir);
  int complete = 0;
  for (int call = 1; call <= 20; ++call) {
    CAPTURE(call);
    const std::string a = (dir / "answer.json").string(), c = (dir / "call.json").string();
    // The answerer first, in the background; the caller in the foreground; then wait for both.
    const std::string cmd = fmt::format(
        "export JACK_DEFAULT_SERVER=squeal; "
        "'{0}' answer --in cableA --out cableB --timeout 20 --json > '{1}' 2>/dev/null & pid=$!; "
        "sleep 0.2; '{0}' call --in cableB --out cableA --timeout 20 --json > '{2}' 2>/dev/null; rc=$?; "
        "wait $pid; ra=$?; exit $((rc + ra))",
        bin(), a, c);
    const int rc = run(cmd);
    json ja, jc;
    try {
      ja = json::parse(slurp(a));
      jc = json::parse(slurp(c));
    } catch (const std::exception& e) {
      FAIL_CHECK("unreadable output: ", e.what());
      continue;
    }
    const bool ok = rc == 0 && ja["result"] == "connected" && jc["result"] == "connected" &&
                    ja["mode"] == jc["mode"] && ja["phase2"]["call_to_answer"] == jc["phase2"]["call_to_answer"] &&
                    ja["phase2"]["answer_to_call"] == jc["phase2"]["answer_to_call"];
    if (ok) {
      ++complete;
    } else {
      MESSAGE("call ", call, " answerer: ", ja.dump(), "\ncaller: ", jc.dump());
    }
    if (call == 1) {
      MESSAGE("first call: mode ", jc["mode"], ", call->answer ", jc["phase2"]["call_to_answer"].dump(), ", RTD ",
              jc["phase2"]["rtd_ms"].dump(), " ms, xruns ", jc["xruns"]["total"].dump());
    }
  }
  MESSAGE("complete: ", complete, " of 20");
  CHECK(complete == 20);
  fs::remove_all(dir);
}
