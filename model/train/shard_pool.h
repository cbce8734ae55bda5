// A fixed team of worker threads that run one function per shard, step after
// step, for data-parallel training. Workers block on a condition variable
// between steps (no spinning, so a busy machine does not slow every step to
// the scheduler's pace, as an OpenMP team's spin-wait barrier does), and a
// step allocates nothing.
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lw {

class ShardPool {
 public:
  // shards >= 1; shard 0 runs on the calling thread.
  explicit ShardPool(int shards) {
    for (int t = 1; t < shards; ++t) workers_.emplace_back([this, t] { worker_loop(t); });
  }
  ~ShardPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    start_.notify_all();
    for (std::thread& w : workers_) w.join();
  }
  ShardPool(const ShardPool&) = delete;
  ShardPool& operator=(const ShardPool&) = delete;

  // Runs fn(shard) for every shard and returns when all have finished.
  void run(const std::function<void(int)>& fn) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      pending_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    start_.notify_all();
    fn(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  void worker_loop(int shard) {
    unsigned long seen = 0;
    for (;;) {
      const std::function<void(int)>* job = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        job = job_;
      }
      (*job)(shard);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;              // shards 1..n-1
  std::mutex mutex_;                              // guards everything below
  std::condition_variable start_, done_;
  const std::function<void(int)>* job_ = nullptr;  // the current step's work
  unsigned long generation_ = 0;                  // bumped once per run()
  int pending_ = 0;                               // workers still running this step
  bool stopping_ = false;
};

}  // namespace lw
