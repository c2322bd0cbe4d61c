#pragma once
#include <functional>

namespace anneal {

// Runs fn(0) .. fn(threads - 1) concurrently: fn(0) on the calling thread, the rest on a
// persistent pool (started on first use). If another caller holds the pool (two Node worker
// threads), everything runs on the calling thread instead, in order.
void parallel_for(int threads, const std::function<void(int)>& fn);

}  // namespace anneal
