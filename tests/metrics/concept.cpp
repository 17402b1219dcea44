#include <adaptrec/metrics.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec::metrics;

static_assert(ScalarMetric<Auc>);
static_assert(ScalarMetric<Gauc>);
static_assert(ScalarMetric<LogLoss>);
static_assert(ScalarMetric<Accuracy>);
static_assert(ScalarMetric<PrecisionRecallF1>);
static_assert(StreamingMetric<RankingMetrics>);
static_assert(!ScalarMetric<RankingMetrics>);

BOOST_AUTO_TEST_SUITE(metrics_concept)

BOOST_AUTO_TEST_CASE(every_metric_models_its_concept) {
  // The checks are the static_asserts above; this case makes the suite visible.
  Auc auc;
  BOOST_TEST(auc.count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
