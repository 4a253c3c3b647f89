// What the modems in a recording settled on, from what the recording shows,
// with the basis of each claim: `squeal decode`'s verdict.
//
// The strongest evidence wins: the last INFO1a with a good CRC names the
// symbol rates (V.34) or the V.90 upstream; then the V.8 CM/JM menus; then the
// INFO0 frames (V.90's INFO0d marks a PCM call even when CM/JM were damaged);
// then the V.22bis/V.22/V.32bis answer sequences; then fax T.30 frames or CNG;
// then the answer tones alone.
#pragma once

#include <nlohmann/json.hpp>

namespace squeal::cli {

struct FileResult;

/// {"protocol", "rate", "basis", "text"}; "rate" is null when the recording
/// does not show it, else {"text", and the numbers (symbol_rate_baud, ...)}.
nlohmann::ordered_json verdict(const FileResult& r);

}  // namespace squeal::cli
