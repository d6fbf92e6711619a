// Links the packaged library and scores one event through a pipeline.
#include <rill/rill.hpp>

#include <cstdio>

int main() {
  rill::linear_model<2, float, rill::link_function::identity> model;
  model.weights[0] = 1.0f;
  model.weights[1] = 2.0f;
  float out = 0;
  auto p = rill::predict(model) |
           rill::callback_sink([&](const rill::scored_event<2>& y) noexcept { out = y.value; });
  p.push(rill::event<2>{1, 0, {{3.0f, 4.0f}}});
  std::printf("rill %s: 1*3 + 2*4 = %g\n", rill::library_version().string, static_cast<double>(out));
  return out == 11.0f ? 0 : 1;
}
