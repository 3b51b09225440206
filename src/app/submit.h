// SubmitUseCase runs a use case as one write job and hands its result to `reply` after the
// transaction ended: a use case that failed rolled back alone; one that succeeded but whose
// commit failed is reported as kUnavailable, since nothing of it was kept. `lane_key` names the
// hot rows the use case touches (WriteJob::lane_key).
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "ports/store.h"

namespace bo {

template <class T>
void SubmitUseCase(Store& store, std::function<Result<T>(WriteTx&)> use_case,
                   std::function<void(Result<T>)> reply, std::string lane_key = {}) {
  auto slot = std::make_shared<std::optional<Result<T>>>();
  store.Submit(WriteJob{
      [slot, use_case = std::move(use_case)](WriteTx& tx) {
        // A store may run a job more than once (a retried or rerun batch): a run that throws
        // must not leave the result of an earlier run to be answered.
        slot->reset();
        slot->emplace(use_case(tx));
        return (*slot)->ok();
      },
      [slot, reply = std::move(reply)](bool committed) {
        if (!slot->has_value()) {
          reply(MakeError(ErrorCode::kUnavailable, "the store is not accepting writes"));
        } else if (!committed && (*slot)->ok()) {
          reply(MakeError(ErrorCode::kUnavailable, "the store could not commit the change"));
        } else {
          reply(std::move(**slot));
        }
      },
      std::move(lane_key)});
}

// Runs a use case and waits for its result. For tools and tests; never on the writer thread or
// an I/O thread.
template <class T>
Result<T> RunUseCase(Store& store, std::function<Result<T>(WriteTx&)> use_case) {
  std::promise<Result<T>> promise;
  auto future = promise.get_future();
  SubmitUseCase<T>(store, std::move(use_case),
                   [&promise](Result<T> result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace bo
