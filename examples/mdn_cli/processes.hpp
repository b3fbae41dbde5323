#pragma once
// `mdn fit` and `mdn tune` under `mpirun -np N`: which process speaks, and how a run of several
// processes ends when one of them cannot go on.
//
// - Process 0 alone writes the model, the checkpoints and the log and prints; the others are
//   silent, and a run prints what one process would.
// - An error every process meets (bad input: they all read the same file and flags) ends the run
//   with process 0's one `error:` line and exit status 2; the others leave without a word.
// - A process that dies (killed, out of memory, its node lost) makes mpirun end the others with
//   SIGTERM: process 0 then writes one `error:` line naming the last checkpoint, which is intact
//   (checkpoints are written to a temporary file and renamed), and exits with status 143.
#include <nn/distributed.hpp>

#include <memory>
#include <string>

namespace tapegrad::examples {

// Joins the processes of the run (nn::world()) and, when there are several, installs the
// SIGTERM handler above. First thing in main(), so that even a bad flag is reported once.
void join_processes();
// The processes joined (nn::world()).
std::shared_ptr<nn::Communicator> processes();
// Whether this process is the one that speaks (process 0, or a run of one).
bool speaks();
// The checkpoint file the message of a lost process names (when the file exists by then).
void name_checkpoint(const std::string& path);

// How main() ends the process after an error with this message: prints it and returns `status`
// in a run of one process; in a run of several it never returns (see above; process 0 prints,
// the others wait for mpirun to end them, so that process 0's line is the one that is seen).
int end_with_error(const char* message, int status);

} // namespace tapegrad::examples
