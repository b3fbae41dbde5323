#include "mdn_cli/processes.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace tapegrad::examples {

namespace {

// Written before the handler can read them: the handler itself only calls write(2), access(2)
// and _exit(2) (async-signal-safe) on text formatted in advance.
bool g_several = false;
int g_rank = 0;
std::string g_cause;
char g_line_without_checkpoint[1024] = {};
char g_checkpoint[4096] = {};
char g_line_with_checkpoint[12288] = {};
volatile std::sig_atomic_t g_checkpoint_named = 0;

void write_all(const char* text) {
  std::size_t left = std::strlen(text);
  while (left > 0) {
    const ssize_t wrote = ::write(STDERR_FILENO, text, left);
    if (wrote <= 0)
      return;
    text += wrote;
    left -= static_cast<std::size_t>(wrote);
  }
}

// The line of a run that lost a process, naming the checkpoint when there is one.
const char* lost_process_line() {
  return g_checkpoint_named != 0 && ::access(g_checkpoint, F_OK) == 0 ? g_line_with_checkpoint
                                                                      : g_line_without_checkpoint;
}

extern "C" void on_process_lost(int) {
  if (g_rank == 0)
    write_all(lost_process_line());
  ::_exit(128 + SIGTERM);
}

// At most size - 1 characters of `text` and a terminating zero.
void copy_text(char* out, std::size_t size, const std::string& text) {
  const std::size_t n = std::min(size - 1, text.size());
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

} // namespace

void join_processes() {
  const std::shared_ptr<nn::Communicator> world = nn::world();
  if (world->size() == 1)
    return;
  g_several = true;
  g_rank = world->rank();
  g_cause = fmt::format("error: {}: a process of the run stopped (another process died or was "
                        "killed, or mpirun was signalled)",
                        world->name());
  copy_text(g_line_without_checkpoint, sizeof g_line_without_checkpoint,
            g_cause + "; no checkpoint was written (--checkpoint-every N keeps one)\n");
  struct sigaction action {};
  action.sa_handler = on_process_lost;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
}

std::shared_ptr<nn::Communicator> processes() {
  return nn::world();
}

bool speaks() {
  return !g_several || g_rank == 0;
}

void name_checkpoint(const std::string& path) {
  if (!g_several)
    return;
  g_checkpoint_named = 0;
  copy_text(g_checkpoint, sizeof g_checkpoint, path);
  copy_text(g_line_with_checkpoint, sizeof g_line_with_checkpoint,
            fmt::format("{}; the last checkpoint, {}, is intact: continue with --resume {}\n",
                        g_cause, path, path));
  g_checkpoint_named = 1;
}

int end_with_error(const char* message, int status) {
  if (!g_several) {
    std::fprintf(stderr, "error: %s\n", message);
    return status;
  }
  // One line, not two: mpirun's SIGTERM must not add the handler's line to this one.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, nullptr);
  // Not exit(): MPI_Finalize at exit could wait for processes that never get there.
  if (g_rank == 0) {
    // A failed MPI call (nn/distributed_mpi.cpp's errors start "MPI: ") is a lost process seen
    // from this side before mpirun's SIGTERM: the same line.
    if (std::strncmp(message, "MPI: ", 5) == 0)
      write_all(lost_process_line());
    else
      std::fprintf(stderr, "error: %s\n", message);
    std::fflush(nullptr);
    ::_exit(status);
  }
  // The others met the same error (or one process 0 does not know of): process 0's exit makes
  // mpirun end them (SIGTERM: silent here); if it never comes, leave after a while, and mpirun
  // ends process 0, which says that a process stopped.
  ::sleep(30);
  ::_exit(status);
}

} // namespace tapegrad::examples
