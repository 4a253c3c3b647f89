// The list of `squeal decode` stages. One line per stage: its factory's
// declaration, and its entry in make_decode_stages().
#include "cli/decode_stage.h"

namespace squeal::cli {

// Factories, each defined next to its stage (cli/stage_*.cc).
// (declarations, one per line)
std::unique_ptr<DecodeStage> make_v22_stage();
std::unique_ptr<DecodeStage> make_hdlc_stage();
std::unique_ptr<DecodeStage> make_phase2_stage();

std::vector<std::unique_ptr<DecodeStage>> make_decode_stages() {
  std::vector<std::unique_ptr<DecodeStage>> stages;
  // (stages.push_back(make_..._stage()); one per line)
  stages.push_back(make_v22_stage());
  stages.push_back(make_hdlc_stage());
  stages.push_back(make_phase2_stage());
  return stages;
}

}  // namespace squeal::cli
