// The wardrobe subcommands. Each takes the arguments after its name and
// returns a Status; main() prints the error and exits non-zero.
#pragma once
#include "model/runtime/status.h"

namespace lw {

Status cmd_train(int argc, char** argv);
Status cmd_eval(int argc, char** argv);
Status cmd_sample(int argc, char** argv);
Status cmd_reconstruct(int argc, char** argv);
Status cmd_export(int argc, char** argv);
Status cmd_index(int argc, char** argv);
Status cmd_search(int argc, char** argv);
Status cmd_eval_search(int argc, char** argv);
Status cmd_anomalies(int argc, char** argv);

}  // namespace lw
