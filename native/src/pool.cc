#include "pool.h"

#include "denormals.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
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
      // Published after the task's fields: a spinning worker that sees the new generation
      // (acquire) sees them too.
      generation_.fetch_add(1, std::memory_order_release);
    }
    if (sleepers_.load(std::memory_order_acquire) > 0) wake_.notify_all();
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

  // A worker that has just finished polls for the next task for a while before it sleeps: the
  // kernels of one evaluation follow each other within microseconds, and waking a sleeping
  // thread costs tens of microseconds on a virtual machine, as much as a whole mid-sized product.
  bool poll(unsigned long long seen) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(poll_micros());
    for (int i = 0;; i++) {
      if (generation_.load(std::memory_order_acquire) != seen) return true;
      // Yielding between checks leaves the core to any other runnable thread (the JavaScript
      // engine's collector and compiler threads) while keeping the wake-up within microseconds.
      if (i < 64) pause();
      else std::this_thread::yield();
      if ((i & 15) == 15 && std::chrono::steady_clock::now() > until) return false;
    }
  }

  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void loop(int id) {
    unsigned long long seen = 0;
    for (;;) {
      if (!poll(seen)) {
        std::unique_lock<std::mutex> lock(mu_);
        sleepers_.fetch_add(1, std::memory_order_acq_rel);
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        sleepers_.fetch_sub(1, std::memory_order_acq_rel);
      }
      const std::function<void(int)>* task;
      unsigned csr;
      int task_threads;
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen = generation_.load();
        task = task_;
        csr = csr_;
        task_threads = task_threads_;
      }
      if (id >= task_threads) continue;
      set_float_control(csr);
      (*task)(id);
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_one();
      }
    }
  }

  // ANNEAL_POLL_US overrides the polling time (0: sleep at once), for measuring its effect.
  static int poll_micros() {
    static const int micros = [] {
      const char* env = std::getenv("ANNEAL_POLL_US");
      return env ? std::max(0, std::atoi(env)) : 200;
    }();
    return micros;
  }

  std::mutex busy_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* task_ = nullptr;
  unsigned csr_ = 0;
  int task_threads_ = 0;
  std::atomic<unsigned long long> generation_{0};
  std::atomic<int> sleepers_{0};
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
