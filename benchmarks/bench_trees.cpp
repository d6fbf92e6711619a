// Tree ensembles: rill against XGBoost's own C API, in one binary and one run.
//
// Models are trained at start-up through the XGBoost C API (cached as JSON under
// $TMPDIR/rill_bench_trees/), then loaded by rill from that JSON file, so both sides
// score the very same model. Rows rotate through 1000 distinct inputs (3 % missing).
//   one row:  XGBoosterPredictFromDense with a reused proxy DMatrix vs
//             tree_ensemble::predict; per-call p50/p99/max from a preallocated histogram
//   batch:    4096 rows, one thread, both sides
// After the run a summary prints the speed-ups and whether the outputs agree bit for bit.
#include <benchmark/benchmark.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "rill/io/model_loader.hpp"
#include "rill/metrics/latency_histogram.hpp"
#include "rill/model/tree_ensemble.hpp"

namespace {

constexpr int F = 32;
constexpr std::size_t distinct_rows = 1000;
constexpr std::size_t batch_rows = 4096;

void xgb_check(int rc, const char* what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s: %s\n", what, XGBGetLastError());
    std::exit(1);
  }
}

std::vector<float> make_rows(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> x(n * F);
  for (std::size_t i = 0; i < n * F; ++i) x[i] = u(rng) < 0.03f ? NAN : nd(rng);
  return x;
}

// Trains `trees` rounds of depth `depth` regression on synthetic data; saves JSON.
std::string train_model(int trees, int depth) {
  const auto dir = std::filesystem::temp_directory_path() / "rill_bench_trees";
  std::filesystem::create_directories(dir);
  const auto path =
      (dir / ("xgb_" + std::to_string(trees) + "x" + std::to_string(depth) + ".json")).string();
  if (std::filesystem::exists(path)) return path;
  std::fprintf(stderr, "training %d trees of depth %d (cached at %s)...\n", trees, depth,
               path.c_str());
  const std::size_t n = 20000;
  const auto x = make_rows(n, 7);
  std::vector<float> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* r = &x[i * F];
    float s = 0;
    for (int j = 0; j < F; ++j)
      if (!std::isnan(r[j])) s += std::sin(r[j] * float(j % 5 + 1)) * float(j % 7 - 3);
    y[i] = s;
  }
  DMatrixHandle d;
  xgb_check(XGDMatrixCreateFromMat(x.data(), n, F, NAN, &d), "XGDMatrixCreateFromMat");
  xgb_check(XGDMatrixSetFloatInfo(d, "label", y.data(), n), "label");
  BoosterHandle b;
  xgb_check(XGBoosterCreate(&d, 1, &b), "XGBoosterCreate");
  const std::string ds = std::to_string(depth);
  XGBoosterSetParam(b, "tree_method", "hist");
  XGBoosterSetParam(b, "max_depth", ds.c_str());
  XGBoosterSetParam(b, "eta", "0.1");
  XGBoosterSetParam(b, "min_child_weight", "0");
  XGBoosterSetParam(b, "nthread", "1");
  for (int i = 0; i < trees; ++i) xgb_check(XGBoosterUpdateOneIter(b, i, d), "update");
  xgb_check(XGBoosterSaveModel(b, path.c_str()), "XGBoosterSaveModel");
  XGBoosterFree(b);
  XGDMatrixFree(d);
  return path;
}

struct fixture {
  rill::tree_ensemble rill_model;
  BoosterHandle booster = nullptr;
  DMatrixHandle proxy = nullptr;
  std::vector<float> rows = make_rows(distinct_rows, 11);
  std::vector<float> batch = make_rows(batch_rows, 13);
  std::vector<std::string> row_iface;  // one array-interface string per row, built once
  std::string batch_iface;
  const char* config =
      "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
      "\"strict_shape\": false, \"cache_id\": 0, \"missing\": NaN}";

  static std::string iface(const float* p, std::size_t n) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "{\"data\": [%llu, true], \"shape\": [%zu, %d], \"typestr\": \"<f4\", "
                  "\"version\": 3}",
                  static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(p)), n, F);
    return buf;
  }

  explicit fixture(int trees, int depth) {
    const std::string path = train_model(trees, depth);
    rill_model = rill::load_xgboost_json(path);
    xgb_check(XGBoosterCreate(nullptr, 0, &booster), "XGBoosterCreate");
    xgb_check(XGBoosterLoadModel(booster, path.c_str()), "XGBoosterLoadModel");
    XGBoosterSetParam(booster, "nthread", "1");
    xgb_check(XGProxyDMatrixCreate(&proxy), "XGProxyDMatrixCreate");
    for (std::size_t i = 0; i < distinct_rows; ++i) row_iface.push_back(iface(&rows[i * F], 1));
    batch_iface = iface(batch.data(), batch_rows);
  }

  // The batch of rows through XGBoost; the first output, to keep the call alive.
  float xgb_batch() const {
    bst_ulong const* shape;
    bst_ulong dim;
    const float* res;
    XGBoosterPredictFromDense(booster, batch_iface.c_str(), config, proxy, &shape, &dim, &res);
    return res[0];
  }

  float xgb_one(std::size_t i) const {
    bst_ulong const* shape;
    bst_ulong dim;
    const float* out;
    XGBoosterPredictFromDense(booster, row_iface[i].c_str(), config, proxy, &shape, &dim, &out);
    return out[0];
  }
};

std::map<std::string, fixture*>& fixtures() {
  static std::map<std::string, fixture*> f;
  return f;
}
fixture& get(int trees, int depth) {
  const std::string key = std::to_string(trees) + "x" + std::to_string(depth);
  auto& f = fixtures()[key];
  if (!f) f = new fixture(trees, depth);
  return *f;
}

std::map<std::string, double> p50s;

template <bool Rill>
void one_row(benchmark::State& state) {
  fixture& fx = get(int(state.range(0)), int(state.range(1)));
  static rill::latency_histogram h;  // 36 KiB: static, allocated once
  h.reset();
  const std::uint64_t overhead = rill::bench::timer_overhead();
  std::size_t i = 0;
  float sink = 0;
  for (auto _ : state) {
    const auto t0 = rill::bench::ticks();
    const float v = Rill ? fx.rill_model.predict_one(&fx.rows[i * F]) : fx.xgb_one(i);
    const auto t1 = rill::bench::ticks();
    benchmark::DoNotOptimize(v);
    sink += v;
    h.record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
    if (++i == distinct_rows) i = 0;
  }
  benchmark::DoNotOptimize(sink);
  rill::bench::report_percentiles(state, h);
  p50s[std::string(Rill ? "rill " : "xgb ") + std::to_string(state.range(0)) + "x" +
       std::to_string(state.range(1))] = double(h.quantile(0.5)) * rill::bench::ns_per_tick();
}

template <bool Rill>
void batch(benchmark::State& state) {
  fixture& fx = get(int(state.range(0)), int(state.range(1)));
  std::vector<float> out(batch_rows);
  for (auto _ : state) {
    if (Rill) {
      fx.rill_model.predict_batch(fx.batch.data(), batch_rows, F, out.data());
      benchmark::DoNotOptimize(out.data());
    } else {
      benchmark::DoNotOptimize(fx.xgb_batch());
    }
  }
  state.SetItemsProcessed(std::int64_t(state.iterations() * batch_rows));
  state.counters["rows_per_s"] =
      benchmark::Counter(double(state.iterations() * batch_rows), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_TEMPLATE(one_row, false)->Name("xgboost_one_row")->Args({100, 6})->Args({500, 8});
BENCHMARK_TEMPLATE(one_row, true)->Name("rill_one_row")->Args({100, 6})->Args({500, 8});
BENCHMARK_TEMPLATE(batch, false)
    ->Name("xgboost_batch4096")
    ->Args({100, 6})
    ->Args({500, 8})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(batch, true)
    ->Name("rill_batch4096")
    ->Args({100, 6})
    ->Args({500, 8})
    ->Unit(benchmark::kMicrosecond);

// Collects batch wall times for the summary.
class summary_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Iteration) batch_ns[r.benchmark_name()] = r.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> batch_ns;
};

// The same comparison interleaved: short rounds of XGBoost then rill, a ratio per round,
// then the median and range of the ratios. On a shared VM whose speed drifts by tens
// of percent over minutes, the benchmarks above can catch the two at different
// speeds; alternating within seconds makes both pay for the same host.
namespace {
struct interleaved {
  double one_row_median = 0, one_row_lo = 0, one_row_hi = 0;
  double batch_median = 0, batch_lo = 0, batch_hi = 0;
};
interleaved compare_interleaved(fixture& fx, int rounds, std::size_t rows_per_round) {
  auto hx = std::make_unique<rill::latency_histogram>();
  auto hr = std::make_unique<rill::latency_histogram>();
  std::vector<float> out(batch_rows);
  std::vector<double> one, bat;
  const std::uint64_t overhead = rill::bench::timer_overhead();
  std::size_t next = 0;
  float sink = 0;
  for (int round = 0; round < rounds; ++round) {
    hx->reset();
    hr->reset();
    for (int who = 0; who < 2; ++who) {
      // A warm pass first (the other side has just run through the caches), then the
      // timed one, as the steady-state benchmarks above see it.
      for (int timed = 0; timed < 2; ++timed) {
        for (std::size_t k = 0; k < rows_per_round; ++k) {
          const std::size_t i = (next + k) % distinct_rows;
          const auto t0 = rill::bench::ticks();
          const float v = who ? fx.rill_model.predict_one(&fx.rows[i * F]) : fx.xgb_one(i);
          const auto t1 = rill::bench::ticks();
          sink += v;
          if (timed) (who ? *hr : *hx).record(t1 - t0 > overhead ? t1 - t0 - overhead : 0);
        }
      }
    }
    next += rows_per_round;
    one.push_back(double(hx->quantile(0.5)) / double(std::max<std::uint64_t>(1, hr->quantile(0.5))));
    std::uint64_t spent[2] = {0, 0};
    for (int who = 0; who < 2; ++who) {
      for (int timed = 0; timed < 2; ++timed) {
        const auto t0 = rill::bench::ticks();
        if (who) {
          fx.rill_model.predict_batch(fx.batch.data(), batch_rows, F, out.data());
          sink += out[0];
        } else {
          sink += fx.xgb_batch();
        }
        spent[who] = rill::bench::ticks() - t0;
      }
    }
    bat.push_back(double(spent[0]) / double(spent[1]));
  }
  benchmark::DoNotOptimize(sink);
  std::sort(one.begin(), one.end());
  std::sort(bat.begin(), bat.end());
  return {one[one.size() / 2], one.front(), one.back(),
          bat[bat.size() / 2], bat.front(), bat.back()};
}
}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  summary_reporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);

  std::printf("\nsummary (p50 per single-row call; batch = time per 4096 rows)\n");
  for (const char* shape : {"100x6", "500x8"}) {
    const std::string s = shape;
    if (!fixtures().count(s)) continue;
    fixture& fx = *fixtures()[s];
    // Agreement: every distinct row, rill vs XGBoost, bit for bit.
    std::size_t same = 0;
    for (std::size_t i = 0; i < distinct_rows; ++i) {
      const float a = fx.rill_model.predict_one(&fx.rows[i * F]), b = fx.xgb_one(i);
      same += std::memcmp(&a, &b, 4) == 0;
    }
    const double xr = p50s.count("xgb " + s) ? p50s["xgb " + s] : 0;
    const double rr = p50s.count("rill " + s) ? p50s["rill " + s] : 0;
    std::printf("  %s one row: xgboost p50 %.0f ns, rill p50 %.0f ns, speed-up %.1fx\n", shape, xr,
                rr, rr > 0 ? xr / rr : 0.0);
    const std::string parts[] = {"xgboost_batch4096/", "rill_batch4096/"};
    std::string arg = s;
    arg[arg.find('x')] = '/';
    const auto xb = rep.batch_ns.find(parts[0] + arg), rb = rep.batch_ns.find(parts[1] + arg);
    if (xb != rep.batch_ns.end() && rb != rep.batch_ns.end())
      std::printf("  %s batch 4096: xgboost %.0f us, rill %.0f us, speed-up %.1fx\n", shape,
                  xb->second, rb->second, xb->second / rb->second);
    std::printf("  %s bit-identical outputs: %zu / %zu rows\n", shape, same, distinct_rows);
    constexpr int rounds = 15;
    const interleaved iv = compare_interleaved(fx, rounds, 200);
    std::printf("  %s interleaved, %d rounds: one row %.1fx (%.1f-%.1f), batch %.1fx (%.1f-%.1f)\n",
                shape, rounds, iv.one_row_median, iv.one_row_lo, iv.one_row_hi, iv.batch_median,
                iv.batch_lo, iv.batch_hi);
  }
  benchmark::Shutdown();
  return 0;
}
