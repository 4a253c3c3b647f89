// The squeal program end to end (generate -> file -> detect --json, errors,
// --version; the program is $SQUEAL_BIN) and the detection pipeline behind
// it (dsp/analyzer.h: edge pairing, chunk-size invariance).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "audio/wav_io.h"
#include "dsp/analyzer.h"
#include "dsp/generator.h"
#include "dsp/levels.h"
#include "dsp/simd/dispatch.h"
#include "tests/recordings.h"

namespace fs = std::filesystem;
using namespace squeal;
using nlohmann::json;

namespace {

struct TempDir {
  fs::path dir;
  TempDir() {
    dir = fs::temp_directory_path() / fmt::format("squeal_cli_{}", ::getpid());
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (dir / name).string(); }
};

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs "$SQUEAL_BIN <args>" through the shell; args are already quoted as needed.
RunResult squeal_run(const TempDir& tmp, const std::string& args) {
  const char* bin = std::getenv("SQUEAL_BIN");
  REQUIRE_MESSAGE(bin != nullptr, "SQUEAL_BIN must name the squeal program (meson test sets it)");
  const std::string out = tmp.file("stdout.txt");
  const std::string err = tmp.file("stderr.txt");
  const std::string command = fmt::format("'{}' {} > '{}' 2> '{}'", bin, args, out, err);
  const int status = std::system(command.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// generate <signal_args> -o file, then detect --json file; returns the document.
json generate_and_detect(const TempDir& tmp, const std::string& generate_args, const std::string& name) {
  const std::string wav = tmp.file(name);
  const RunResult gen = squeal_run(tmp, fmt::format("generate {} -o '{}'", generate_args, wav));
  INFO("generate stderr: ", gen.err);
  REQUIRE(gen.exit_code == 0);
  const RunResult det = squeal_run(tmp, fmt::format("detect --json '{}'", wav));
  INFO("detect stderr: ", det.err);
  REQUIRE(det.exit_code == 0);
  return json::parse(det.out);
}

using test::events_named;

}  // namespace

TEST_CASE("--version names the version and the SIMD target") {
  TempDir tmp;
  const RunResult r = squeal_run(tmp, "--version");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("squeal 0.") == 0);
  // The program starts on `best`, as this process does.
  CHECK(r.out.find(fmt::format("SIMD {}", simd::describe_current_target())) != std::string::npos);
}

TEST_CASE("generate --list shows every generator of the catalogue") {
  TempDir tmp;
  const RunResult r = squeal_run(tmp, "generate --list");
  CHECK(r.exit_code == 0);
  for (const auto& info : generator_catalog()) {
    CAPTURE(info.name);
    CHECK(r.out.find(std::string(info.name)) != std::string::npos);
  }
}

TEST_CASE("generate dtmf -> detect --json gives the digits at their times") {
  TempDir tmp;
  const json doc = generate_and_detect(tmp, "dtmf --digits 5702340003 --pad 0.3", "dtmf.wav");
  CHECK(doc.at("sample_rate_in") == 8000);
  CHECK(doc.at("channels") == 1);
  CHECK(doc.at("duration_s").get<double>() == doctest::Approx(2.6));
  CHECK(doc.at("dtmf_digits") == "5702340003");
  const auto digits = events_named(doc, "dtmf");
  REQUIRE(digits.size() == 10);
  const std::string expected = "5702340003";
  for (std::size_t k = 0; k < digits.size(); ++k) {
    CAPTURE(k);
    const json& e = digits[k];
    CHECK(e.at("side") == "caller");
    CHECK(e.at("fields").at("digit") == std::string(1, expected[k]));
    // 100 ms on / 100 ms off after 0.3 s of silence.
    CHECK(std::abs(e.at("start_s").get<double>() - (0.3 + 0.2 * static_cast<double>(k))) < 0.005);
    CHECK(std::abs(e.at("end_s").get<double>() - (0.4 + 0.2 * static_cast<double>(k))) < 0.005);
    // Low group -8 dBm0 + high group -6 dBm0 = -3.88 dBm0 together.
    CHECK(std::abs(e.at("fields").at("level_dbm0").get<double>() + 3.88) < 1.0);
    CHECK(std::abs(e.at("fields").at("twist_db").get<double>() - 2.0) < 0.5);
  }
}

TEST_CASE("generate dial_tone_na -> detect finds a network dial tone with both frequencies") {
  TempDir tmp;
  const json doc = generate_and_detect(tmp, "dial_tone_na --seconds 2 --pad 0.5", "dial.wav");
  const auto tones = events_named(doc, "dial_tone");
  REQUIRE(tones.size() == 1);
  const json& e = tones[0];
  CHECK(e.at("side") == "network");
  CHECK(std::abs(e.at("start_s").get<double>() - 0.5) < 0.03);
  CHECK(std::abs(e.at("end_s").get<double>() - 2.5) < 0.03);
  CHECK(e.at("fields").at("freq_hz") == 350.0);
  CHECK(e.at("fields").at("freq2_hz") == 440.0);
  CHECK_FALSE(e.at("fields").contains("open"));
  // Two tones at -13 dBm0 each: -9.99 dBm0 together.
  CHECK(std::abs(e.at("fields").at("level_dbm0").get<double>() + 9.99) < 1.0);
  CHECK(doc.at("events").size() == 1);
}

TEST_CASE("generate ansam_pr -> detect finds ANSam/ with its AM and reversals") {
  TempDir tmp;
  const json doc = generate_and_detect(tmp, "ansam_pr --seconds 3 --pad 0.5", "ansam.wav");
  const auto tones = events_named(doc, "ansam_pr");
  REQUIRE(tones.size() == 1);
  const json& e = tones[0];
  CHECK(e.at("side") == "answerer");
  CHECK(std::abs(e.at("start_s").get<double>() - 0.5) < 0.05);
  CHECK(std::abs(e.at("end_s").get<double>() - 3.5) < 0.05);
  const json& f = e.at("fields");
  CHECK(f.at("freq_hz").get<double>() == doctest::Approx(2100).epsilon(0.01));
  CHECK(std::abs(f.at("am_depth").get<double>() - 0.2) < 0.05);
  CHECK(std::abs(f.at("am_rate_hz").get<double>() - 15.0) < 0.5);
  CHECK(std::abs(f.at("level_dbm0").get<double>() + 12.0) < 1.0);
  // The generator reverses every 450 ms from the tone start: 0.95, 1.40, ... 3.20 s.
  const auto& reversals = f.at("reversals_s");
  CHECK(f.at("reversal_count") == reversals.size());
  REQUIRE(reversals.size() >= 5);
  CHECK(reversals.size() <= 6);
  for (std::size_t k = 0; k < reversals.size(); ++k) {
    CAPTURE(k);
    const double expected = 0.5 + 0.45 * static_cast<double>(k + (reversals.size() == 6 ? 1 : 2));
    CHECK(std::abs(reversals[k].get<double>() - expected) < 0.01);
  }
  CHECK(events_named(doc, "ansam").empty());
  CHECK(events_named(doc, "phase_reversal").empty());  // all attached to the tone
}

TEST_CASE("detect on a stereo 44.1 kHz file keeps times and honours --channel") {
  TempDir tmp;
  // Left: NA dial tone (350+440 Hz, -13 dBm0 each) 0.5..2.0 s; right: silence. 3 s at 44.1 kHz.
  const double rate = 44100;
  const double a = dbm0_to_amplitude(-13.0);
  std::vector<float> stereo(2 * static_cast<std::size_t>(3 * rate), 0.0f);
  for (std::size_t i = 0; i < stereo.size() / 2; ++i) {
    const double t = static_cast<double>(i) / rate;
    if (t >= 0.5 && t < 2.0) {
      stereo[2 * i] = static_cast<float>(a * (std::sin(2 * kPi * 350 * t) + std::sin(2 * kPi * 440 * t)));
    }
  }
  const std::string wav = tmp.file("stereo.wav");
  write_wav(wav, stereo, {.format = SampleFormat::float32, .channels = 2, .rate_hz = 44100});

  const RunResult left = squeal_run(tmp, fmt::format("detect --json --channel 1 '{}'", wav));
  REQUIRE(left.exit_code == 0);
  const json doc = json::parse(left.out);
  CHECK(doc.at("sample_rate_in") == 44100);
  CHECK(doc.at("channels") == 2);
  const auto tones = events_named(doc, "dial_tone");
  REQUIRE(tones.size() == 1);
  CHECK(std::abs(tones[0].at("start_s").get<double>() - 0.5) < 0.03);
  CHECK(std::abs(tones[0].at("end_s").get<double>() - 2.0) < 0.03);

  const RunResult right = squeal_run(tmp, fmt::format("detect --json --channel 2 '{}'", wav));
  REQUIRE(right.exit_code == 0);
  CHECK(json::parse(right.out).at("events").empty());

  const RunResult bad = squeal_run(tmp, fmt::format("detect --channel 3 '{}'", wav));
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("channel 3") != std::string::npos);
}

TEST_CASE("human output has the table and the collapsed DTMF digit string") {
  TempDir tmp;
  const std::string wav = tmp.file("digits.wav");
  REQUIRE(squeal_run(tmp, fmt::format("generate dtmf --digits 19# --pad 0.2 --float -o '{}'", wav)).exit_code == 0);
  CHECK(WavSource(wav).info().format.find("32 bit float") != std::string::npos);
  const RunResult r = squeal_run(tmp, fmt::format("detect --simd scalar '{}'", wav));
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("DTMF digits: 19#") != std::string::npos);
  CHECK(r.out.find("SIMD scalar") != std::string::npos);
  CHECK(r.out.find("digit 9") != std::string::npos);
}

TEST_CASE("bad --simd value exits non-zero naming the value") {
  TempDir tmp;
  const RunResult r = squeal_run(tmp, "detect --simd bogus nothing.wav");
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("bogus") != std::string::npos);
}

TEST_CASE("detect on a missing or non-audio file exits non-zero naming the file") {
  TempDir tmp;
  const std::string missing = tmp.file("not_there.wav");
  RunResult r = squeal_run(tmp, fmt::format("detect '{}'", missing));
  CHECK(r.exit_code != 0);
  CHECK(r.err.find(missing) != std::string::npos);

  const std::string text = tmp.file("notes.wav");
  std::ofstream(text) << "these are not samples\n";
  r = squeal_run(tmp, fmt::format("detect --json '{}'", text));
  CHECK(r.exit_code != 0);
  CHECK(r.err.find(text) != std::string::npos);
}

TEST_CASE("generate rejects an unknown signal and a missing output") {
  TempDir tmp;
  RunResult r = squeal_run(tmp, fmt::format("generate warble -o '{}'", tmp.file("w.wav")));
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("warble") != std::string::npos);
  r = squeal_run(tmp, "generate ansam");
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("-o") != std::string::npos);
}

// ---- the pipeline behind `detect` -------------------------------------------------

namespace {

Event edge(Signal s, Edge e, SampleIndex n, char digit = 0) {
  Event ev;
  ev.signal = s;
  ev.edge = e;
  ev.sample = n;
  ev.digit = digit;
  return ev;
}

}  // namespace

TEST_CASE("pair_events pairs edges, attaches reversals and sorts by start") {
  std::vector<Event> events = {
      edge(Signal::ansam_pr, Edge::on, 1000),
      edge(Signal::phase_reversal, Edge::instant, 4600),
      edge(Signal::dtmf, Edge::on, 100, '5'),
      edge(Signal::dtmf, Edge::off, 900, '5'),
      edge(Signal::phase_reversal, Edge::instant, 8200),
      edge(Signal::phase_reversal, Edge::instant, 50),  // outside any answer tone
      edge(Signal::tone_a, Edge::on, 9000),             // never ends
  };
  events[3].level_dbm0 = -4.0f;  // measured over the digit: the off edge's value wins
  events[2].level_dbm0 = -9.0f;
  Event off = edge(Signal::ansam_pr, Edge::off, 8800);
  off.am_depth = 0.2f;
  events.push_back(off);

  const auto iv = pair_events(events, 10000);
  REQUIRE(iv.size() == 4);
  CHECK(iv[0].signal == Signal::phase_reversal);
  CHECK(iv[0].start == 50);
  CHECK(iv[1].signal == Signal::dtmf);
  CHECK(iv[1].fields.digit == '5');
  CHECK(iv[1].start == 100);
  CHECK(iv[1].end == 900);
  CHECK(iv[1].fields.level_dbm0 == -4.0f);
  CHECK(iv[2].signal == Signal::ansam_pr);
  CHECK(iv[2].end == 8800);
  CHECK(iv[2].fields.am_depth == 0.2f);
  CHECK(iv[2].reversals == std::vector<SampleIndex>{4600, 8200});
  CHECK_FALSE(iv[2].open);
  CHECK(iv[3].signal == Signal::tone_a);
  CHECK(iv[3].open);
  CHECK(iv[3].end == 10000);
}

TEST_CASE("an answer tone keeps the off edge's final classification") {
  const std::vector<Event> events = {
      edge(Signal::ansam, Edge::on, 4000),
      edge(Signal::phase_reversal, Edge::instant, 7600),
      edge(Signal::ansam_pr, Edge::off, 28000),
      edge(Signal::ans, Edge::on, 40000),
  };
  const auto iv = pair_events(events, 48000);
  REQUIRE(iv.size() == 2);
  CHECK(iv[0].signal == Signal::ansam_pr);
  CHECK(iv[0].end == 28000);
  CHECK_FALSE(iv[0].open);
  CHECK(iv[0].reversals == std::vector<SampleIndex>{7600});
  CHECK(iv[1].signal == Signal::ans);
  CHECK(iv[1].open);
}

TEST_CASE("the whole detection pipeline gives the same intervals for any chunk size") {
  // Dial tone, DTMF, ANSam/ and CNG in a row, with silence between, plus a little noise.
  std::vector<float> signal;
  const auto append = [&signal](const char* name, double seconds, const GeneratorOptions& options) {
    std::vector<float> part(static_cast<std::size_t>(seconds * kSampleRate));
    make_generator(name, options)->generate(part);
    signal.insert(signal.end(), part.begin(), part.end());
    signal.insert(signal.end(), 2000, 0.0f);
  };
  GeneratorOptions digits;
  digits.digits = "147*";
  append("dial_tone_na", 1.0, {});
  append("dtmf", 0.8, digits);
  append("ansam_pr", 2.0, {});
  append("cng", 0.6, {});
  std::uint32_t seed = 12345;
  for (auto& x : signal) {
    seed = seed * 1664525u + 1013904223u;
    x += 1e-3f * (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f);
  }

  const auto run = [&signal](std::size_t chunk) {
    ToneAnalyzer analyzer;
    std::vector<Event> events;
    for (std::size_t i = 0; i < signal.size(); i += chunk) {
      analyzer.process(std::span<const float>(signal).subspan(i, std::min(chunk, signal.size() - i)), events);
    }
    analyzer.finish(events);
    CHECK(analyzer.consumed() == static_cast<SampleIndex>(signal.size()));
    return pair_events(events, static_cast<SampleIndex>(signal.size()));
  };
  const auto reference = run(signal.size());
  std::vector<Signal> seen;
  for (const auto& iv : reference) seen.push_back(iv.signal);
  CHECK(std::count(seen.begin(), seen.end(), Signal::dial_tone) == 1);
  CHECK(std::count(seen.begin(), seen.end(), Signal::dtmf) == 4);
  CHECK(std::count(seen.begin(), seen.end(), Signal::cng) == 1);
  CHECK(std::count(seen.begin(), seen.end(), Signal::ansam_pr) == 1);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{37}, std::size_t{160}, std::size_t{1024}}) {
    CAPTURE(chunk);
    const auto got = run(chunk);
    REQUIRE(got.size() == reference.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      CAPTURE(k);
      CHECK(got[k].signal == reference[k].signal);
      CHECK(got[k].start == reference[k].start);
      CHECK(got[k].end == reference[k].end);
      CHECK(got[k].open == reference[k].open);
      CHECK(got[k].fields.digit == reference[k].fields.digit);
      CHECK(got[k].fields.level_dbm0 == reference[k].fields.level_dbm0);
      CHECK(got[k].fields.snr_db == reference[k].fields.snr_db);
      CHECK(got[k].fields.am_depth == reference[k].fields.am_depth);
      CHECK(got[k].reversals == reference[k].reversals);
    }
  }
}

// V.8 on real recordings (issue 4): the CM/JM octets of the recordings README.
// In A the CM repeats six times from 11.250 s and the JM three times from
// 12.215 s (README: CM from 11.24, JM from 12.21); the caller's last CM is cut
// by CJ (13.15 s), and the answerer stops JM mid-octet, so those two frames
// are reported damaged rather than as a different menu.
TEST_CASE("detect decodes V.8 CM/JM/CJ on recordings A and D, in words") {
  TempDir tmp;
  const RunResult a = squeal_run(tmp, fmt::format("detect --json '{}'", test::recording_path("A_termini_wikimedia_dial_up_modem_noises.wav")));
  REQUIRE(a.exit_code == 0);
  const json doc_a = json::parse(a.out);
  const auto cms = events_named(doc_a, "cm");
  const auto jms = events_named(doc_a, "jm");
  REQUIRE(!cms.empty());
  REQUIRE(!jms.empty());
  CHECK(cms[0].at("fields").at("octets") == "c1 65 13 94 2a 0d 27");
  CHECK(cms[0].at("fields").at("count").get<int>() >= 4);
  CHECK(cms[0].at("side") == "caller");
  CHECK(cms[0].at("start_s").get<double>() == doctest::Approx(11.24).epsilon(0.02 / 11.24));
  CHECK(cms[0].at("text").get<std::string>().find("V.90/V.92, V.34 duplex, V.32bis, V.22bis") != std::string::npos);
  CHECK(jms[0].at("fields").at("octets") == "c1 65 13 94 47 8d 2a");
  CHECK(jms[0].at("side") == "answerer");
  CHECK(jms[0].at("start_s").get<double>() == doctest::Approx(12.21).epsilon(0.02 / 12.21));
  CHECK(jms[0].at("text").get<std::string>().find("PCM: V.90/V.92 digital") != std::string::npos);
  const auto cjs = events_named(doc_a, "cj");
  REQUIRE(cjs.size() == 1);
  CHECK(cjs[0].at("start_s").get<double>() > jms[0].at("start_s").get<double>());
  // No undamaged CM/JM with other octets: damage is reported, never a wrong menu.
  for (const auto& e : cms) {
    if (e.at("fields").at("frame_status") == "ok" && e.at("fields").at("parse_status") == "ok")
      CHECK(e.at("fields").at("octets") == "c1 65 13 94 2a 0d 27");
  }

  const RunResult d = squeal_run(tmp, fmt::format("detect --json '{}'", test::recording_path("D_hacker2_dialup.wav")));
  REQUIRE(d.exit_code == 0);
  const auto jms_d = events_named(json::parse(d.out), "jm");
  REQUIRE(!jms_d.empty());
  CHECK(jms_d[0].at("fields").at("octets") == "c1 45 13 10 0a 0d");
  CHECK(jms_d[0].at("text").get<std::string>().find("V.34 duplex, V.32bis, V.22bis") != std::string::npos);
}

TEST_CASE("loopback --json: a connected call, both sides, the schema, and --wav that detect reads back") {
  TempDir tmp;
  const std::string wav = tmp.file("call.wav");
  const RunResult r = squeal_run(
      tmp, fmt::format("loopback --json --snr 25 --delay-ms 30 --caller-menu v34,v32bis,v22bis,lapm "
                       "--answerer-menu v32bis,v22bis --wav '{}'",
                       wav));
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  const json doc = json::parse(r.out);
  CHECK(doc.at("result") == "connected");
  CHECK(doc.at("reason").is_null());
  CHECK(doc.at("mode") == "v32bis");
  CHECK(doc.at("caller").at("outcome") == "connected");
  CHECK(doc.at("answerer").at("outcome") == "connected");
  CHECK(doc.at("answerer").at("far_menu").at("octets") == "c1 45 13 10 2a");  // the CM it heard
  CHECK(doc.at("caller").at("joint").at("text") == "V-series data; V.32bis, V.22bis");
  // Every event has the project-wide schema; the JM was sent by the answerer.
  bool jm_sent = false;
  for (const auto& e : doc.at("events")) {
    for (const char* key : {"signal", "start_s", "end_s", "side", "text", "fields"}) CHECK(e.contains(key));
    if (e.at("signal") == "jm" && e.at("fields").at("direction") == "sent") {
      jm_sent = true;
      CHECK(e.at("side") == "answerer");
      CHECK(e.at("fields").at("octets") == "c1 05 13 10");  // V.32bis, V.22bis; no LAPM on the answerer
    }
  }
  CHECK(jm_sent);
  // The stereo recording of the line decodes: CM on the left, JM on the right.
  const RunResult left = squeal_run(tmp, fmt::format("detect --json --channel 1 '{}'", wav));
  REQUIRE(left.exit_code == 0);
  CHECK(events_named(json::parse(left.out), "cm").size() >= 1);
  const RunResult right = squeal_run(tmp, fmt::format("detect --json --channel 2 '{}'", wav));
  REQUIRE(right.exit_code == 0);
  CHECK(events_named(json::parse(right.out), "jm").size() >= 1);
}

TEST_CASE("loopback: nothing in common fails with exit 2 and the reason; bad options name the value") {
  TempDir tmp;
  RunResult r = squeal_run(tmp, "loopback --caller-menu v21 --answerer-menu v34");
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("no modulation both modems support") != std::string::npos);
  r = squeal_run(tmp, "loopback --codec gsm");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("gsm") != std::string::npos);
  r = squeal_run(tmp, "loopback --caller-menu v34,v99");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("v99") != std::string::npos);
}

TEST_CASE("decode: recording A's story as JSON, with the verdict from INFO1a and CM/JM") {
  TempDir tmp;
  const std::string a = test::recording_path("A_termini_wikimedia_dial_up_modem_noises.wav");
  const RunResult r = squeal_run(tmp, fmt::format("decode --json '{}'", a));
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  const json doc = json::parse(r.out);
  CHECK(doc.at("sample_rate_in") == 24000);
  CHECK(doc.at("verdict").at("protocol") == "v90");
  CHECK(doc.at("verdict").at("basis") == "INFO1a and CM/JM");
  CHECK(doc.at("verdict").at("text").get<std::string>().find("analogue PCM") != std::string::npos);
  CHECK(doc.at("verdict").at("rate").at("upstream_symbol_rate_baud") == 3200);
  const auto cms = events_named(doc, "cm");
  REQUIRE(!cms.empty());
  CHECK(cms[0].at("fields").at("octets") == "c1 65 13 94 2a 0d 27");
  CHECK(cms[0].at("side") == "caller");
  const auto jms = events_named(doc, "jm");
  REQUIRE(!jms.empty());
  CHECK(jms[0].at("fields").at("octets") == "c1 65 13 94 47 8d 2a");
  CHECK(jms[0].at("side") == "answerer");
}

// The verdict when V.8 is missing or damaged: G's CM is damaged and no JM is
// heard, but its INFO0d and INFO1a have good CRCs; J is a V.22bis call whose
// answerer sent ANSam to a caller that never answered with CM.
TEST_CASE("decode: verdicts from INFO frames (G) and from the V.22bis S1 (J)") {
  TempDir tmp;
  RunResult r = squeal_run(
      tmp, fmt::format("decode --json '{}'", test::recording_path("G_freesound8057_schluppipuppie_modem_gesamt.mp3")));
  REQUIRE(r.exit_code == 0);
  json v = json::parse(r.out).at("verdict");
  CHECK(v.at("protocol") == "v90");
  CHECK(v.at("basis") == "INFO1a and INFO0d");
  CHECK(v.at("rate").at("upstream_symbol_rate_baud") == 3200);
  r = squeal_run(tmp, fmt::format("decode --json '{}'", test::recording_path("J_goughlui_v22b_2400bps.mp3")));
  REQUIRE(r.exit_code == 0);
  v = json::parse(r.out).at("verdict");
  CHECK(v.at("protocol") == "v22bis");
  CHECK(v.at("basis") == "S1");
  CHECK(v.at("rate").at("bit_rate") == 2400);
}

TEST_CASE("decode --png draws the annotated spectrogram; several files need a directory") {
  TempDir tmp;
  const std::string d = test::recording_path("D_hacker2_dialup.wav");
  const std::string png = tmp.file("d.png");
  RunResult r = squeal_run(tmp, fmt::format("decode --json --png '{}' '{}'", png, d));
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(json::parse(r.out).at("png") == png);
  CHECK(fs::file_size(png) > 50000);
  r = squeal_run(tmp, fmt::format("decode --png '{}' '{}' '{}'", tmp.file("no_such_dir"), d, d));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("directory") != std::string::npos);
}

TEST_CASE("decode: exit status says what went wrong; -j with --jsonl keeps the input order") {
  TempDir tmp;
  // Missing and not-audio files: 3, named on stderr.
  const std::string missing = tmp.file("gone.wav");
  RunResult r = squeal_run(tmp, fmt::format("decode '{}'", missing));
  CHECK(r.exit_code == 3);
  CHECK(r.err.find(missing) != std::string::npos);
  const std::string empty = tmp.file("empty.wav");
  std::ofstream(empty).close();
  r = squeal_run(tmp, fmt::format("decode '{}'", empty));
  CHECK(r.exit_code == 3);
  CHECK(r.err.find(empty) != std::string::npos);
  // Silence: read fine, nothing found: 2.
  const std::string silent = tmp.file("silent.wav");
  REQUIRE(squeal_run(tmp, fmt::format("generate tone --level -90 --seconds 2 -o '{}'", silent)).exit_code == 0);
  r = squeal_run(tmp, fmt::format("decode '{}'", silent));
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("no modem signals found") != std::string::npos);
  // Two files, two jobs, JSON Lines in input order; the worst status wins.
  const std::string d = test::recording_path("D_hacker2_dialup.wav");
  r = squeal_run(tmp, fmt::format("decode -j 2 --jsonl '{}' '{}'", d, silent));
  CHECK(r.exit_code == 2);
  std::istringstream lines(r.out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  CHECK(json::parse(first).at("file") == d);
  CHECK(json::parse(first).at("verdict").at("protocol") == "v34");
  CHECK(json::parse(second).at("file") == silent);
}

TEST_CASE("sweep: the chosen bit rate never falls as SNR rises, on every line shape; CSV and PNG written") {
  TempDir tmp;
  const std::string csv = tmp.file("sweep.csv"), png = tmp.file("sweep.png");
  const RunResult r = squeal_run(
      tmp, fmt::format("sweep --snr-from 12 --snr-to 45 --snr-step 3 --shapes flat,mid,long -j 2 --json --csv '{}' --png '{}'", csv, png));
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("sweep: ") != std::string::npos);  // progress was shown
  const json doc = json::parse(r.out);
  for (const char* shape : {"flat", "mid", "long"}) {
    CAPTURE(shape);
    const auto& rows = doc.at("median_bit_rate").at(shape);
    REQUIRE(rows.size() == 12);
    double last = -1;
    for (const auto& row : rows) {
      CAPTURE(row.at("snr_db").get<double>());
      CHECK(row.at("bit_rate").get<double>() >= last);
      last = row.at("bit_rate").get<double>();
    }
    CHECK(last >= 31200);                                        // a clean line carries (nearly) the most
    CHECK(rows[0].at("bit_rate").get<double>() <= 9600);         // 12 dB carries little
  }
  CHECK(doc.at("calls").size() == 36);
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  CHECK(header.find("c2a_bit_rate") != std::string::npos);
  CHECK(fs::file_size(png) > 10000);
}
