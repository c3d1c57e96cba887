#include "core/loop/worker.hpp"

#include <uv.h>

#include <memory>

#include "core/loop/event_loop.hpp"

namespace core {
namespace {

struct Job {
  uv_work_t req{};
  std::function<void()> work;
  std::function<void()> done;
};

}  // namespace

void runOnWorker(EventLoop& loop, std::function<void()> work, std::function<void()> done) {
  auto job = std::make_unique<Job>();
  job->req.data = job.get();
  job->work = std::move(work);
  job->done = std::move(done);
  const int rc = uv_queue_work(
      loop.uv(), &job->req, [](uv_work_t* req) { static_cast<Job*>(req->data)->work(); },
      [](uv_work_t* req, int) {
        std::unique_ptr<Job> job(static_cast<Job*>(req->data));
        if (job->done) job->done();
      });
  if (rc == 0) {
    job.release();  // NOTE: owned by the request until its after-work callback
    return;
  }
  // NOTE: uv_queue_work only fails for a null callback; run it here rather than lose it.
  job->work();
  if (job->done) job->done();
}

}  // namespace core
