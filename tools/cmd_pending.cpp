// Subcommands landing with the blob/index work (issue 3).
#include "tools/commands.h"

namespace lw {
Status cmd_export(int, char**) { return Status::Error("export is not built yet"); }
Status cmd_index(int, char**) { return Status::Error("index is not built yet"); }
Status cmd_search(int, char**) { return Status::Error("search is not built yet"); }
Status cmd_eval_search(int, char**) { return Status::Error("eval-search is not built yet"); }
}  // namespace lw
