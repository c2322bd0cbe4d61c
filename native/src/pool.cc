#include "pool.h"

#include "denormals.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace anneal {
namespace {

class Pool {
 public:
  void run(int threads, const std::function<void(int)>& fn) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      for (int t = 0; t < threads; t++) fn(t);
      return;
    }
    grow(threads - 1);
    {
      std::lock_guard<std::mutex> lock(mu_);
      task_ = &fn;
      csr_ = float_control();  // workers compute with the caller's rounding and subnormal modes
      task_threads_ = threads;
      remaining_.store(threads - 1);
      generation_++;
    }
    wake_.notify_all();
    fn(0);
    // Workers usually finish within microseconds of the caller: spin briefly before sleeping.
    for (int spin = 0; spin < 20000 && remaining_.load(std::memory_order_acquire) > 0; spin++) {
    }
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return remaining_.load() == 0; });
  }

 private:
  void grow(int workers) {
    while (static_cast<int>(count_) < workers) {
      int id = static_cast<int>(++count_);
      // Detached: the pool lives for the whole process, and exit must not wait for idle workers.
      std::thread([this, id] { loop(id); }).detach();
    }
  }

  void loop(int id) {
    unsigned long long seen = 0;
    for (;;) {
      const std::function<void(int)>* task;
      unsigned csr;
      {
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (id >= task_threads_) continue;
        task = task_;
        csr = csr_;
      }
      set_float_control(csr);
      (*task)(id);
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_one();
      }
    }
  }

  std::mutex busy_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* task_ = nullptr;
  unsigned csr_ = 0;
  int task_threads_ = 0;
  unsigned long long generation_ = 0;
  std::atomic<int> remaining_{0};
  std::atomic<unsigned> count_{0};
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed (see grow)
  return *p;
}

}  // namespace

void parallel_for(int threads, const std::function<void(int)>& fn) {
  if (threads <= 1) {
    fn(0);
    return;
  }
  pool().run(threads, fn);
}

}  // namespace anneal
