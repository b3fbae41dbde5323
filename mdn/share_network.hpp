#pragma once
// A network fitted on one process of a run, given to every other (mdn::fit deals an ensemble's
// networks out to the processes): its parameters and buffers, and its training result with the
// whole history, broadcast from the process that trained it.
#include "mdn/network_fit.hpp"
#include "nn/distributed.hpp"

namespace tapegrad::mdn {

// Every process calls it alike. On `owner`, `fit` holds the trained network; on the others it
// becomes a copy (a network of `options` and `dtype`, in eval mode, with the owner's values).
void share_network(NetworkFit& fit, const MDNOptions& options, DType dtype,
                   nn::Communicator& processes, int owner);

} // namespace tapegrad::mdn
