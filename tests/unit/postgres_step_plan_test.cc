// The plan of one round trip of an interleaved batch (adapters/postgres/coalescing): which runs
// go together in a set form, and that each job's statements keep their order.
#include "adapters/postgres/coalescing/step_plan.h"

#include <gtest/gtest.h>

#include <map>

namespace bo::postgres {
namespace {

constexpr pg::SetForm kRowsSet{{"test_rows_set", "SELECT 1"}, pg::SetReply::kRowsByOrdinal};
constexpr pg::SetForm kUnreadSet{{"test_unread_set", "SELECT 1"}, pg::SetReply::kUnread};
constexpr pg::SetForm kOtherRowsSet{{"test_other_rows_set", "SELECT 1"},
                                    pg::SetReply::kRowsByOrdinal};
constexpr pg::Statement kRead{"test_read", "SELECT 1", &kRowsSet};
constexpr pg::Statement kOtherRead{"test_other_read", "SELECT 1", &kOtherRowsSet};
constexpr pg::Statement kInsert{"test_insert", "SELECT 1", &kUnreadSet};
constexpr pg::Statement kPlain{"test_plain", "SELECT 1"};

QueuedRun Q(const pg::Statement& s, bool awaited = false) { return QueuedRun{&s, awaited}; }

// Every run planned exactly once, each job's runs in its order.
void ExpectCoversInOrder(const std::vector<std::vector<QueuedRun>>& jobs,
                         const std::vector<StepGroup>& plan) {
  std::vector<size_t> next(jobs.size(), 0);
  for (const StepGroup& group : plan) {
    EXPECT_FALSE(group.runs.empty());
    if (!group.set_based) {
      EXPECT_EQ(group.runs.size(), 1u);
    }
    for (const RunRef& run : group.runs) {
      ASSERT_LT(run.job, jobs.size());
      EXPECT_EQ(run.index, next[run.job]) << "job " << run.job << " out of order";
      next[run.job] = run.index + 1;
      EXPECT_EQ(jobs[run.job][run.index].statement, group.statement);
    }
  }
  for (size_t j = 0; j < jobs.size(); ++j) EXPECT_EQ(next[j], jobs[j].size()) << "job " << j;
}

TEST(StepPlan, TheSameStepOfManyJobsGoesAsOneSetFormPerStatement) {
  // Each job reads twice (a schedule and its ticket types), as every hold does; one left two
  // writes queued before its read.
  std::vector<std::vector<QueuedRun>> jobs(5, {Q(kRead, true), Q(kOtherRead, true)});
  jobs[2] = {Q(kInsert), Q(kInsert), Q(kRead, true)};
  const auto plan = PlanStep(jobs);
  ExpectCoversInOrder(jobs, plan);
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_TRUE(plan[0].set_based);
  EXPECT_EQ(plan[0].statement, &kRead);
  EXPECT_EQ(plan[0].runs.size(), 4u);
  EXPECT_TRUE(plan[1].set_based);
  EXPECT_EQ(plan[1].statement, &kOtherRead);
  EXPECT_EQ(plan[1].runs.size(), 4u);
  for (size_t i = 2; i < plan.size(); ++i) {
    EXPECT_FALSE(plan[i].set_based) << i;  // one job alone does not make a set form
    EXPECT_EQ(plan[i].runs.front().job, 2u);
  }
}

TEST(StepPlan, ALoneJobSendsItsPlainStatements) {
  const std::vector<std::vector<QueuedRun>> jobs{{Q(kInsert), Q(kInsert), Q(kRead, true)}};
  const auto plan = PlanStep(jobs);
  ExpectCoversInOrder(jobs, plan);
  ASSERT_EQ(plan.size(), 3u);
  for (const StepGroup& group : plan) EXPECT_FALSE(group.set_based);
}

TEST(StepPlan, AwaitedRunsOfAnUnreadSetFormStayPlain) {
  const std::vector<std::vector<QueuedRun>> jobs{{Q(kInsert, true)}, {Q(kInsert, true)}};
  const auto plan = PlanStep(jobs);
  ExpectCoversInOrder(jobs, plan);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_FALSE(plan[0].set_based);
  EXPECT_FALSE(plan[1].set_based);
}

TEST(StepPlan, StatementsWithoutASetFormAreSentOneByOne) {
  const std::vector<std::vector<QueuedRun>> jobs{{Q(kPlain), Q(kRead, true)},
                                                 {Q(kPlain), Q(kRead, true)}};
  const auto plan = PlanStep(jobs);
  ExpectCoversInOrder(jobs, plan);
  std::map<const pg::Statement*, int> groups;
  for (const StepGroup& g : plan) ++groups[g.statement];
  EXPECT_EQ(groups[&kPlain], 2);
  EXPECT_EQ(groups[&kRead], 1);  // one set form for both reads
}

TEST(StepPlan, JobsInOppositeOrdersKeepTheirOwnOrder) {
  const std::vector<std::vector<QueuedRun>> jobs{
      {Q(kRead), Q(kInsert)}, {Q(kInsert), Q(kRead)}, {Q(kRead), Q(kInsert)}};
  ExpectCoversInOrder(jobs, PlanStep(jobs));
}

TEST(StepPlan, ABigGroupIsSplitIntoSetFormsOfAtMostTheLimit) {
  std::vector<std::vector<QueuedRun>> jobs(3, std::vector<QueuedRun>(kSetFormRunsMax, Q(kInsert)));
  const auto plan = PlanStep(jobs);
  ExpectCoversInOrder(jobs, plan);
  size_t runs = 0;
  for (const StepGroup& g : plan) {
    EXPECT_TRUE(g.set_based);
    EXPECT_LE(g.runs.size(), kSetFormRunsMax);
    runs += g.runs.size();
  }
  EXPECT_EQ(runs, 3 * kSetFormRunsMax);
  EXPECT_EQ(plan.size(), 3u);
}

TEST(StepPlan, NothingQueuedPlansNothing) {
  const std::vector<std::vector<QueuedRun>> jobs(4);
  EXPECT_TRUE(PlanStep(jobs).empty());
}

}  // namespace
}  // namespace bo::postgres
