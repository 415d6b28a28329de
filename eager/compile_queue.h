// The background compiles of one registration: one thread, started on the first job, runs the
// jobs in order. A miss answers its call with the regular kernel at once and queues the compile,
// so no call waits for the compiler.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace aotic::eager {

class CompileQueue {
 public:
  CompileQueue() = default;
  /// Drops the jobs not started, lets the running one finish, joins the thread.
  ~CompileQueue();
  CompileQueue(const CompileQueue&) = delete;
  CompileQueue& operator=(const CompileQueue&) = delete;

  void push(std::function<void()> job);
  /// Blocks until every job queued so far has run.
  void wait();

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace aotic::eager
