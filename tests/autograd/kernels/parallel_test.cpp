// The parallel-region threshold follows OMP_WAIT_POLICY (autograd/kernels/parallel.hpp): the
// policy is read as libgomp reads it, in any case and between spaces, and anything but PASSIVE
// keeps the default threshold.
#include "autograd/kernels/parallel.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>

namespace {

// Sets OMP_WAIT_POLICY (or unsets it) for as long as it lives, then puts the old value back.
class WaitPolicy {
public:
  explicit WaitPolicy(const char* value) {
    if (const char* old = std::getenv("OMP_WAIT_POLICY"))
      old_ = old;
    if (value)
      ::setenv("OMP_WAIT_POLICY", value, 1);
    else
      ::unsetenv("OMP_WAIT_POLICY");
  }
  ~WaitPolicy() {
    if (old_)
      ::setenv("OMP_WAIT_POLICY", old_->c_str(), 1);
    else
      ::unsetenv("OMP_WAIT_POLICY");
  }
  WaitPolicy(const WaitPolicy&) = delete;
  WaitPolicy& operator=(const WaitPolicy&) = delete;

private:
  std::optional<std::string> old_;
};

} // namespace

TEST_CASE("passive_wait_policy reads OMP_WAIT_POLICY in any case and between spaces",
          "[kernels][parallel]") {
  using tapegrad::kernels::passive_wait_policy;
  for (const char* passive : {"PASSIVE", "passive", "Passive", " passive\t"}) {
    WaitPolicy policy(passive);
    CHECK(passive_wait_policy());
  }
  for (const char* other : {"ACTIVE", "active", "", "PASSIVELY", "PASS"}) {
    WaitPolicy policy(other);
    CHECK_FALSE(passive_wait_policy());
  }
  WaitPolicy unset(nullptr);
  CHECK_FALSE(passive_wait_policy());
}

TEST_CASE("the parallel threshold is the default's, or four times it for sleeping threads",
          "[kernels][parallel]") {
  using tapegrad::kernels::kMinParallelWork;
  using tapegrad::kernels::min_parallel_work_for;
  STATIC_REQUIRE(min_parallel_work_for(false) == kMinParallelWork);
  STATIC_REQUIRE(min_parallel_work_for(true) == 4 * kMinParallelWork);
  // This process's threshold is the one its environment asks for.
  CHECK(tapegrad::kernels::min_parallel_work() ==
        min_parallel_work_for(tapegrad::kernels::passive_wait_policy()));
}
