// int8 quantised linear, multiclass and MLP models, built from float models by
// `rill::quantize(model)`.
//
// Scheme (docs/decisions.md, "int8 quantisation"):
// - weights: per output row, symmetric: s_w = max|w| / 127, q_w = round(w / s_w);
// - inputs of every layer: per row, dynamic and symmetric: s_x = max|x| / 127,
//   q_x = round_half_even(x * (127 / max|x|)), both 0 for an all-zero row;
// - optionally (`quantize(model, feature_range)`), the first layer's input i is divided
//   by a power of two c_i and its weights multiplied by it, balancing the ranges of
//   inputs and weights (SmoothQuant, alpha = 1/2) so one wide feature does not set
//   the step of all the others;
// - sum_i q_w q_x accumulated exactly in int32, then y = fma(float(acc), s_w * s_x, b)
//   and the layer's activation in float.
// Inputs must be finite (impute missing values first): a NaN or an infinity poisons
// the row's scale.
#pragma once

#include <math.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <tuple>
#include <type_traits>

#include "rill/config.hpp"
#include "rill/core/event.hpp"
#include "rill/detail/simd.hpp"
#include "rill/model/activation.hpp"
#include "rill/model/linear.hpp"
#include "rill/model/linear_kernels.hpp"
#include "rill/model/mlp.hpp"
#include "rill/model/multiclass.hpp"

#if XSIMD_WITH_AVX2
#include <immintrin.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

RILL_NAMESPACE_BEGIN
namespace detail::quant {

/// Largest quantised magnitude: symmetric, so -128 is never used (and |q_x q_w| pairs
/// stay below the int16 saturation of vpmaddubsw).
inline constexpr int qmax = 127;

/// Inputs per row beyond which an int32 sum of 127*127 products could overflow.
inline constexpr std::size_t max_inputs = 2147483647ull / (127ull * 127ull);

/// Bytes of one quantised input row: whole 32-byte registers, zero padded.
constexpr std::size_t row_bytes(std::size_t n) noexcept { return (n + 31) / 32 * 32; }
/// Float outputs of a layer: whole registers of every instruction set (16 floats).
constexpr std::size_t out_floats(std::size_t n) noexcept { return (n + 15) / 16 * 16; }

/// Whether `Arch` uses the AVX2 integer kernels (AVX-512 builds use them too: without
/// VNNI, 512-bit byte multiplies gain little, and this keeps one tested path).
template <class Arch>
inline constexpr bool use_avx2 =
#if XSIMD_WITH_AVX2
    std::is_base_of_v<xsimd::avx2, Arch> || std::is_base_of_v<xsimd::avx512f, Arch>;
#else
    false;
#endif

/// round-half-even(v * inv) clamped to [-127, 127]: the rounding cvtps2dq does, so
/// scalar tails and SIMD blocks agree bit for bit.
template <class Arch>
RILL_ALWAYS_INLINE std::int8_t quantize_value(float v, float inv) noexcept {
#if defined(__SSE2__)
  int q = _mm_cvtss_si32(_mm_set_ss(v * inv));
#else
  long q = ::lrintf(v * inv);
#endif
  q = q < -qmax ? -qmax : (q > qmax ? qmax : q);
  return static_cast<std::int8_t>(q);
}

/// Quantises `In` floats into `xq` (row_bytes(In) bytes, 32-byte aligned, padding
/// zeroed) and sets `sx`. Returns true when no input is negative (the integer kernel
/// then skips the sign fix-up). O(In).
template <class Arch, std::size_t In>
RILL_ALWAYS_INLINE bool quantize_input(const float* x, std::int8_t* xq, float& sx) noexcept {
  constexpr std::size_t row = row_bytes(In);
  // the SIMD part covers whole registers; its bound is a constant so the compiler
  // sees the scalar tail's trip count
  constexpr std::size_t simd_end = use_avx2<Arch> ? In / 8 * 8 : 0;
  float m = 0;
  bool neg = false, bad = false;  // bad: a NaN or ±Inf input
#if XSIMD_WITH_AVX2
  if constexpr (simd_end > 0) {
    {
      const __m256 sign = _mm256_set1_ps(-0.0f);
      const __m256 inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
      __m256 vmax = _mm256_setzero_ps(), vmin = _mm256_setzero_ps(), vbad = _mm256_setzero_ps();
      for (std::size_t i = 0; i < simd_end; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256 a = _mm256_andnot_ps(sign, v);
        vmax = _mm256_max_ps(vmax, a);
        vmin = _mm256_min_ps(vmin, v);
        vbad = _mm256_or_ps(vbad, _mm256_cmp_ps(a, inf, _CMP_NLT_UQ));  // !(|v| < inf)
      }
      bad = _mm256_movemask_ps(vbad) != 0;
      __m128 h = _mm_max_ps(_mm256_castps256_ps128(vmax), _mm256_extractf128_ps(vmax, 1));
      h = _mm_max_ps(h, _mm_movehl_ps(h, h));
      h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
      m = _mm_cvtss_f32(h);
      neg = _mm256_movemask_ps(_mm256_cmp_ps(vmin, _mm256_setzero_ps(), _CMP_LT_OQ)) != 0;
    }
  }
#endif
  for (std::size_t i = simd_end; i < In; ++i) {
    const float a = x[i] < 0 ? -x[i] : x[i];
    m = a > m ? a : m;
    neg = neg || x[i] < 0;
    bad = bad || !(a < std::numeric_limits<float>::infinity());
  }
  if (bad) [[unlikely]] {  // a NaN scale makes every output NaN, as the float model's
    std::memset(xq, 0, row);
    sx = std::numeric_limits<float>::quiet_NaN();
    return true;
  }
  if (!(m > 0)) {
    std::memset(xq, 0, row);
    sx = 0;
    return true;
  }
  const float inv = float(qmax) / m;
  sx = m / float(qmax);
  std::size_t i = 0;
#if XSIMD_WITH_AVX2
  if constexpr (use_avx2<Arch>) {
    const __m256 vinv = _mm256_set1_ps(inv);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    // lane-wise packs interleave 4-value groups; the permute restores input order
    for (; i + 32 <= In; i += 32) {
      const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
      const __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8), vinv));
      const __m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 16), vinv));
      const __m256i d = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 24), vinv));
      __m256i q = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
      q = _mm256_max_epi8(_mm256_permutevar8x32_epi32(q, order), _mm256_set1_epi8(-qmax));
      _mm256_store_si256(reinterpret_cast<__m256i*>(xq + i), q);
    }
    for (; i + 8 <= In; i += 8) {
      const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i), vinv));
      __m256i q = _mm256_packs_epi16(_mm256_packs_epi32(a, a), _mm256_setzero_si256());
      q = _mm256_max_epi8(_mm256_permutevar8x32_epi32(q, order), _mm256_set1_epi8(-qmax));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(xq + i), _mm256_castsi256_si128(q));
    }
  }
#endif
  for (; i < In; ++i) xq[i] = quantize_value<Arch>(x[i], inv);
  for (; i < row; ++i) xq[i] = 0;
  return !neg;
}

#if XSIMD_WITH_AVX2
/// 32 products q_x q_w summed in pairs then fours, as 8 int32. `ax` = |x| (unsigned
/// for vpmaddubsw); the weights take x's sign unless every x is non-negative. With
/// |q| <= 127 a pair sums to at most 32258: vpmaddubsw never saturates.
template <class Arch, bool Signed>
RILL_ALWAYS_INLINE __m256i madd_fours(__m256i ax, __m256i xv, __m256i wv) noexcept {
  if constexpr (Signed) wv = _mm256_sign_epi8(wv, xv);
  return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, wv), _mm256_set1_epi16(1));
}

template <class Arch>
RILL_ALWAYS_INLINE std::int32_t hsum_epi32(__m256i v) noexcept {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/// Input-major tile: `G` groups of 8 outputs, every quad of inputs broadcast once.
template <class Arch, bool Signed, std::size_t G, std::size_t Quads, std::size_t OutP8>
RILL_ALWAYS_INLINE void quad_tile(const std::int8_t* w, const std::int8_t* xq, std::size_t g0,
                                  std::int32_t* acc) noexcept {
  __m256i a[G];
  kernels::static_for<G>([&](auto j) { a[j] = _mm256_setzero_si256(); });
  for (std::size_t q = 0; q < Quads; ++q) {
    std::int32_t four;
    std::memcpy(&four, xq + 4 * q, 4);
    const __m256i xv = _mm256_set1_epi32(four);
    const __m256i ax = Signed ? _mm256_abs_epi8(xv) : xv;
    const std::int8_t* wq = w + q * OutP8 * 4 + g0 * 32;
    kernels::static_for<G>([&](auto j) {
      const __m256i wv = _mm256_load_si256(reinterpret_cast<const __m256i*>(wq + j * 32));
      a[j] = _mm256_add_epi32(a[j], madd_fours<Arch, Signed>(ax, xv, wv));
    });
  }
  kernels::static_for<G>([&](auto j) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(acc + (g0 + j) * 8), a[j]);
  });
}
#endif

/// Power-of-two multipliers c_i that balance input ranges against weight ranges before
/// quantisation (SmoothQuant with alpha = 1/2): x_i / c_i and w_i c_i, with
/// c_i = 2^ceil(log2(sqrt(range_i / max_o |w_oi|))), 1 where either range is 0. Powers
/// of two make x_i / c_i exact. O(In*Out); configuration time only.
template <std::size_t In, class WeightRange>
RILL_ALWAYS_INLINE std::array<double, In> smoothing(const std::array<float, In>& range, WeightRange&& wmax) noexcept {
  std::array<double, In> c;
  for (std::size_t i = 0; i < In; ++i) {
    const double r = range[i] < 0 ? -double(range[i]) : double(range[i]);
    const double w = wmax(i);
    c[i] = r > 0 && w > 0 ? ::exp2(::ceil(::log2(::sqrt(r / w)))) : 1.0;
  }
  return c;
}

template <std::size_t N>
constexpr std::array<float, N> ones() noexcept {
  std::array<float, N> a{};
  for (auto& v : a) v = 1.0f;
  return a;
}

/// Weights of one int8 dense layer of `In` inputs and `Out` outputs. `Prescaled`
/// (first layers) multiplies input i by in_mul[i] (a power of two) before quantising.
///
/// Layers with 8 outputs or more are stored input-major in quads, w[i/4][o][i%4]
/// (outputs padded to 8): one broadcast of four inputs feeds 8 outputs per
/// instruction and no horizontal sums are needed. Narrower layers keep one
/// contiguous row per output (w[o][i], rows padded to 32 bytes) and sum each row.
template <std::size_t In, std::size_t Out, bool Prescaled = false>
struct int8_dense {
  static_assert(In > 0 && Out > 0, "an int8 layer needs inputs and outputs");
  static_assert(In <= max_inputs,
                "an int8 layer with this many inputs could overflow its int32 accumulator");
  static constexpr std::size_t inputs = In;
  static constexpr std::size_t outputs = Out;
  static constexpr bool by_output = Out < 8;
  static constexpr std::size_t row = row_bytes(In);       ///< quantised input bytes
  static constexpr std::size_t quads = (In + 3) / 4;
  static constexpr std::size_t out_p8 = (Out + 7) / 8 * 8;
  static constexpr std::size_t out_pad = out_floats(Out);  ///< floats written by forward

  alignas(64) std::array<std::int8_t, by_output ? Out * row : quads * out_p8 * 4> w{};
  alignas(64) std::array<float, out_pad> scale{};  ///< s_w per output (0 in the padding)
  alignas(64) std::array<float, out_pad> bias{};
  /// Input multipliers 1/c_i of a first layer (see `smoothing`); unused otherwise.
  alignas(64) std::array<float, Prescaled ? In : 1> in_mul = ones<Prescaled ? In : 1>();

  /// Quantised weight from input i to output o. O(1).
  std::int8_t& q(std::size_t o, std::size_t i) noexcept {
    return by_output ? w[o * row + i] : w[(i / 4) * out_p8 * 4 + o * 4 + i % 4];
  }
  std::int8_t q(std::size_t o, std::size_t i) const noexcept {
    return const_cast<int8_dense*>(this)->q(o, i);
  }

  /// Quantises output o's float weights get(0..In-1) (scale from max|w|, computed in
  /// double) and stores its bias. O(In).
  template <class Get>
  RILL_ALWAYS_INLINE void set_output(std::size_t o, Get&& get, float b) noexcept {
    double m = 0;
    for (std::size_t i = 0; i < In; ++i) {
      const double a = double(get(i)) < 0 ? -double(get(i)) : double(get(i));
      m = a > m ? a : m;
    }
    const double s = m / qmax;
    for (std::size_t i = 0; i < In; ++i) {
      const double r = s > 0 ? ::nearbyint(double(get(i)) / s) : 0.0;
      q(o, i) = static_cast<std::int8_t>(r < -qmax ? -qmax : (r > qmax ? qmax : r));
    }
    scale[o] = float(s);
    bias[o] = b;
  }

  /// The exact int32 sums sum_i q_w[o][i] q_x[i] into acc[0..out_pad). O(In*Out).
  template <class Arch>
  RILL_ALWAYS_INLINE void accumulate(const std::int8_t* xq, bool nonneg,
                                     std::int32_t* acc) const noexcept {
    for (std::size_t o = Out; o < out_pad; ++o) acc[o] = 0;
#if XSIMD_WITH_AVX2
    if constexpr (use_avx2<Arch>) {
      if (nonneg) {
        accumulate_avx2<Arch, false>(xq, acc);
      } else {
        accumulate_avx2<Arch, true>(xq, acc);
      }
      return;
    }
#endif
    (void)nonneg;
    if constexpr (by_output) {
      for (std::size_t o = 0; o < Out; ++o) {
        std::int32_t s = 0;
        for (std::size_t i = 0; i < row; ++i) s += std::int32_t(w[o * row + i]) * std::int32_t(xq[i]);
        acc[o] = s;
      }
    } else {
      for (std::size_t o = 0; o < out_p8; ++o) acc[o] = 0;
      for (std::size_t qd = 0; qd < quads; ++qd) {
        const std::int8_t* wq = w.data() + qd * out_p8 * 4;
        for (std::size_t o = 0; o < out_p8; ++o) {
          std::int32_t s = 0;
          for (std::size_t k = 0; k < 4; ++k) s += std::int32_t(wq[o * 4 + k]) * std::int32_t(xq[qd * 4 + k]);
          acc[o] += s;
        }
      }
    }
  }

  /// y[0..out_pad) = act(fma(float(acc), s_w s_x, b)) for one row of In floats.
  /// `Act` must be element-wise (softmax is applied by the caller). O(In*Out), stack only.
  template <class Arch, activation Act>
  RILL_ALWAYS_INLINE void forward(const float* x, float* y) const noexcept {
    alignas(64) std::int8_t xq[row];
    alignas(64) std::int32_t acc[out_pad];
    float sx;
    const float* src = x;
    alignas(64) float xs[Prescaled ? In : 1];
    if constexpr (Prescaled) {
      for (std::size_t i = 0; i < In; ++i) xs[i] = x[i] * in_mul[i];
      src = xs;
    }
    const bool nonneg = quantize_input<Arch, In>(src, xq, sx);
    accumulate<Arch>(xq, nonneg, acc);
    using F = xsimd::batch<float, Arch>;
    using I = xsimd::batch<std::int32_t, Arch>;
    const F vsx(sx);
    for (std::size_t o = 0; o < out_pad; o += F::size) {
      const F v = xsimd::fma(xsimd::to_float(I::load_aligned(acc + o)),
                             F::load_aligned(scale.data() + o) * vsx, F::load_aligned(bias.data() + o));
      kernels::activate<Act>(v).store_aligned(y + o);
    }
  }

 private:
#if XSIMD_WITH_AVX2
  template <class Arch, bool Signed>
  RILL_ALWAYS_INLINE void accumulate_avx2(const std::int8_t* xq, std::int32_t* acc) const noexcept {
    if constexpr (by_output) {
      constexpr std::size_t chunks = row / 32;
      __m256i a[Out];
      kernels::static_for<Out>([&](auto o) { a[o] = _mm256_setzero_si256(); });
      for (std::size_t c = 0; c < chunks; ++c) {
        const __m256i xv = _mm256_load_si256(reinterpret_cast<const __m256i*>(xq + c * 32));
        const __m256i ax = Signed ? _mm256_abs_epi8(xv) : xv;
        kernels::static_for<Out>([&](auto o) {
          const __m256i wv =
              _mm256_load_si256(reinterpret_cast<const __m256i*>(w.data() + o * row + c * 32));
          a[o] = _mm256_add_epi32(a[o], madd_fours<Arch, Signed>(ax, xv, wv));
        });
      }
      kernels::static_for<Out>([&](auto o) { acc[o] = hsum_epi32<Arch>(a[o]); });
    } else {
      // tiles of up to 8 groups (64 outputs): 8 independent accumulator chains
      constexpr std::size_t groups = out_p8 / 8;
      constexpr std::size_t tile = groups < 8 ? groups : 8;
      std::size_t g = 0;
      for (; g + tile <= groups; g += tile) quad_tile<Arch, Signed, tile, quads, out_p8>(w.data(), xq, g, acc);
      if constexpr (groups % tile != 0)
        quad_tile<Arch, Signed, groups % tile, quads, out_p8>(w.data(), xq, g, acc);
    }
  }
#endif
};

}  // namespace detail::quant

/// A binary (or regression) linear model with int8 weights, from `rill::quantize`.
///
/// One scale for the weight row, one per input row (computed at each call).
/// margin/predict: O(D), stack only, never allocate, const and reentrant. For a
/// single output every input is used once, so quantising it costs about what the
/// float dot product costs: use this for memory, not speed (docs/performance.md).
template <std::size_t D, link_function Link = link_function::logistic>
struct quantized_linear_model {
  using value_type = float;
  using row_type = feature_row<float, D>;
  static constexpr std::size_t width = D;
  static constexpr link_function link = Link;

  detail::quant::int8_dense<D, 1, true> layer{};
  std::uint64_t version = 0;

  /// w·x + b computed in int8 and dequantised.
  template <class Arch = detail::simd::default_arch>
  float margin(const row_type& x) const noexcept {
    alignas(64) float y[decltype(layer)::out_pad];
    layer.template forward<Arch, activation::identity>(x.data(), y);
    return y[0];
  }
  float transform(float m) const noexcept {
    if constexpr (Link == link_function::logistic) {
      return 1.0f / (1.0f + detail::kernels::exp_scalar(-m));
    } else {
      return m;
    }
  }
  template <class Arch = detail::simd::default_arch>
  float predict(const row_type& x) const noexcept {
    return transform(margin<Arch>(x));
  }
};

/// A multiclass linear model with int8 weights (one scale per class row).
/// margins/predict_proba/predict_class: O(K·D), stack only, const and reentrant.
template <std::size_t D, std::size_t K, multiclass_rule Rule = multiclass_rule::softmax>
struct quantized_multiclass_model {
  using value_type = float;
  using row_type = feature_row<float, D>;
  using output_array = std::array<float, K>;
  static constexpr std::size_t width = D;
  static constexpr std::size_t classes = K;
  static constexpr multiclass_rule rule = Rule;

  detail::quant::int8_dense<D, K, true> layer{};
  std::uint64_t version = 0;

  template <class Arch = detail::simd::default_arch>
  output_array margins(const float* x) const noexcept {
    alignas(64) float y[decltype(layer)::out_pad];
    layer.template forward<Arch, activation::identity>(x, y);
    output_array m;
    for (std::size_t k = 0; k < K; ++k) m[k] = y[k];
    return m;
  }
  template <class Arch = detail::simd::default_arch>
  output_array margins(const row_type& x) const noexcept {
    return margins<Arch>(x.data());
  }
  template <class Arch = detail::simd::default_arch>
  output_array predict_proba(const row_type& x) const noexcept {
    output_array m = margins<Arch>(x.data());
    detail::kernels::margins_to_proba<Rule>(m);
    return m;
  }
  template <class Arch = detail::simd::default_arch>
  std::size_t predict_class(const row_type& x) const noexcept {
    return detail::kernels::argmax(margins<Arch>(x.data()));
  }
  /// Probabilities of `rows` contiguous rows (row r at x + r*D) into out + r*K.
  template <class Arch = detail::simd::default_arch>
  void predict_proba_batch(const float* x, std::size_t rows, float* out) const noexcept {
    for (std::size_t r = 0; r < rows; ++r) {
      output_array m = margins<Arch>(x + r * D);
      detail::kernels::margins_to_proba<Rule>(m);
      for (std::size_t k = 0; k < K; ++k) out[r * K + k] = m[k];
    }
  }
};

namespace detail::quant {
template <bool First, std::size_t In, class... Ls>
struct int8_layers {
  using type = std::tuple<>;
};
template <bool First, std::size_t In, class L, class... Ls>
struct int8_layers<First, In, L, Ls...> {
  using type =
      decltype(std::tuple_cat(std::declval<std::tuple<int8_dense<In, L::outputs, First>>>(),
                              std::declval<typename int8_layers<false, L::outputs, Ls...>::type>()));
};
}  // namespace detail::quant

template <class Net>
class quantized_mlp;

/// The int8 counterpart of `rill::basic_mlp<Arch, float, In, Layers...>` (a `rill::mlp`).
///
/// Every layer quantises its input row (dynamic scale), accumulates in int32 and
/// dequantises to float before its activation, so activations between layers are
/// float. Weights inline, 64-byte aligned (about a quarter of the float net's size).
/// predict: O(sum in*out), stack only, never allocates, const and reentrant.
template <class Arch, std::size_t In, class... Layers>
class quantized_mlp<basic_mlp<Arch, float, In, Layers...>> {
  using float_net = basic_mlp<Arch, float, In, Layers...>;
  using layers_type = typename detail::quant::int8_layers<true, In, Layers...>::type;
  static constexpr std::size_t buffer_ = std::max({detail::quant::out_floats(Layers::outputs)...});

 public:
  using value_type = float;
  using arch_type = Arch;
  static constexpr std::size_t depth = sizeof...(Layers);
  static constexpr std::size_t inputs = In;
  static constexpr std::size_t width = In;
  static constexpr std::size_t outputs = float_net::outputs;
  static constexpr auto shape = float_net::shape;
  static constexpr auto activations = float_net::activations;
  using row_type = feature_row<float, In>;
  using output_array = std::array<float, outputs>;

  std::uint64_t version = 0;

  quantized_mlp() = default;
  /// Quantises every layer of `net` (O(sum in*out); no allocation). `feature_range`
  /// (max |x_i| on representative rows, see `rill::feature_range`) balances the first
  /// layer's inputs; without it every input is taken as it is.
  explicit quantized_mlp(const float_net& net,
                         const std::array<float, In>* feature_range = nullptr) noexcept
      : version(net.version) {
    detail::kernels::static_for<depth>([&](auto k) {
      constexpr std::size_t l = decltype(k)::value;
      const auto& src = net.template layer<l>();
      auto& dst = std::get<l>(layers_);
      std::array<double, l == 0 ? In : 1> c;
      c.fill(1.0);
      if constexpr (l == 0) {
        if (feature_range) {
          c = detail::quant::smoothing<In>(*feature_range, [&](std::size_t i) {
            double m = 0;
            for (std::size_t o = 0; o < dst.outputs; ++o)
              m = std::max(m, double(src.weight(o, i) < 0 ? -src.weight(o, i) : src.weight(o, i)));
            return m;
          });
        }
        for (std::size_t i = 0; i < In; ++i) dst.in_mul[i] = float(1.0 / c[i]);
      }
      for (std::size_t o = 0; o < dst.outputs; ++o)
        dst.set_output(
            o, [&](std::size_t i) { return double(src.weight(o, i)) * c[l == 0 ? i : 0]; },
            src.bias(o));
    });
  }

  /// Layer `I` (`.q(o, i)`, `.scale[o]`, `.bias[o]`). O(1).
  template <std::size_t I>
  const auto& layer() const noexcept {
    return std::get<I>(layers_);
  }

  /// Scores one row: `out` receives `outputs` values (after the last activation).
  void predict(const float* x, float* out) const noexcept { run(x, out, false); }
  /// The raw decision values (last activation skipped).
  void margin(const float* x, float* out) const noexcept { run(x, out, true); }
  output_array predict_all(const row_type& x) const noexcept {
    output_array out;
    run(x.data(), out.data(), false);
    return out;
  }
  /// The single output of a one-output net, otherwise all outputs.
  auto predict(const row_type& x) const noexcept {
    if constexpr (outputs == 1) {
      float v;
      run(x.data(), &v, false);
      return v;
    } else {
      return predict_all(x);
    }
  }
  /// `rows` contiguous rows (row r at x + r*In) into out + r*outputs. O(rows·sum in*out).
  void predict_batch(const float* x, std::size_t rows, float* out) const noexcept {
    for (std::size_t r = 0; r < rows; ++r) run(x + r * In, out + r * outputs, false);
  }

 private:
  RILL_ALWAYS_INLINE void run(const float* x, float* out, bool raw) const noexcept {
    alignas(64) float scratch[2][buffer_];
    const float* in = x;
    detail::kernels::static_for<depth>([&](auto k) {
      constexpr std::size_t l = decltype(k)::value;
      const auto& layer = std::get<l>(layers_);
      constexpr activation act = activations[l];
      constexpr activation elementwise = act == activation::softmax ? activation::identity : act;
      float* to = scratch[l % 2];
      if constexpr (l + 1 == depth) {
        if (raw) {
          layer.template forward<Arch, activation::identity>(in, to);
        } else {
          layer.template forward<Arch, elementwise>(in, to);
          if constexpr (act == activation::softmax) detail::kernels::softmax_inplace(to, outputs);
        }
        for (std::size_t o = 0; o < outputs; ++o) out[o] = to[o];
      } else {
        layer.template forward<Arch, elementwise>(in, to);
        in = to;
      }
    });
  }

  layers_type layers_{};
};

/// int8 copy of a float linear model. O(D), no allocation.
/// (`Arch` only keeps copies built with different flags apart at link time.)
template <std::size_t D, link_function Link, class Arch = detail::simd::default_arch>
quantized_linear_model<D, Link> quantize(const linear_model<D, float, Link>& m) noexcept {
  quantized_linear_model<D, Link> q;
  q.layer.set_output(0, [&](std::size_t i) { return m.weights[i]; }, m.bias);
  q.version = m.version;
  return q;
}

/// The same with the inputs balanced against the weights (see `rill::feature_range`):
/// much better when features have different scales. O(D), no allocation.
template <std::size_t D, link_function Link, class Arch = detail::simd::default_arch>
quantized_linear_model<D, Link> quantize(const linear_model<D, float, Link>& m,
                                         const std::array<float, D>& feature_range) noexcept {
  quantized_linear_model<D, Link> q;
  const auto c = detail::quant::smoothing<D>(feature_range, [&](std::size_t i) {
    return m.weights[i] < 0 ? -double(m.weights[i]) : double(m.weights[i]);
  });
  for (std::size_t i = 0; i < D; ++i) q.layer.in_mul[i] = float(1.0 / c[i]);
  q.layer.set_output(0, [&](std::size_t i) { return double(m.weights[i]) * c[i]; }, m.bias);
  q.version = m.version;
  return q;
}

/// int8 copy of a float multiclass model. O(K·D), no allocation.
template <std::size_t D, std::size_t K, multiclass_rule Rule,
          class Arch = detail::simd::default_arch>
quantized_multiclass_model<D, K, Rule> quantize(
    const multiclass_linear_model<D, K, float, Rule>& m) noexcept {
  quantized_multiclass_model<D, K, Rule> q;
  for (std::size_t k = 0; k < K; ++k)
    q.layer.set_output(k, [&](std::size_t i) { return m.weights[k][i]; }, m.bias[k]);
  q.version = m.version;
  return q;
}

/// The same with the inputs balanced against the weights (see `rill::feature_range`).
template <std::size_t D, std::size_t K, multiclass_rule Rule,
          class Arch = detail::simd::default_arch>
quantized_multiclass_model<D, K, Rule> quantize(const multiclass_linear_model<D, K, float, Rule>& m,
                                                const std::array<float, D>& feature_range) noexcept {
  quantized_multiclass_model<D, K, Rule> q;
  const auto c = detail::quant::smoothing<D>(feature_range, [&](std::size_t i) {
    double w = 0;
    for (std::size_t k = 0; k < K; ++k)
      w = std::max(w, m.weights[k][i] < 0 ? -double(m.weights[k][i]) : double(m.weights[k][i]));
    return w;
  });
  for (std::size_t i = 0; i < D; ++i) q.layer.in_mul[i] = float(1.0 / c[i]);
  for (std::size_t k = 0; k < K; ++k)
    q.layer.set_output(k, [&](std::size_t i) { return double(m.weights[k][i]) * c[i]; }, m.bias[k]);
  q.version = m.version;
  return q;
}

/// int8 copy of a float compile-time MLP. O(sum in*out), no allocation; the result
/// is about a quarter of the float net's size but can still be large: for big nets
/// construct `quantized_mlp<Net>` in place on the heap instead.
template <class Arch, std::size_t In, class... Layers>
quantized_mlp<basic_mlp<Arch, float, In, Layers...>> quantize(
    const basic_mlp<Arch, float, In, Layers...>& net) noexcept {
  return quantized_mlp<basic_mlp<Arch, float, In, Layers...>>(net);
}
/// The same with the first layer's inputs balanced against its weights.
template <class Arch, std::size_t In, class... Layers>
quantized_mlp<basic_mlp<Arch, float, In, Layers...>> quantize(
    const basic_mlp<Arch, float, In, Layers...>& net,
    const std::array<float, In>& feature_range) noexcept {
  return quantized_mlp<basic_mlp<Arch, float, In, Layers...>>(net, &feature_range);
}

/// max |x_i| per feature over `rows` contiguous rows (row r at x + r*D): the
/// calibration `quantize(model, range)` takes. O(rows·D), no allocation.
template <std::size_t D>
RILL_ALWAYS_INLINE std::array<float, D> feature_range(const float* x, std::size_t rows) noexcept {
  std::array<float, D> r{};
  for (std::size_t n = 0; n < rows; ++n)
    for (std::size_t i = 0; i < D; ++i) {
      const float a = x[n * D + i] < 0 ? -x[n * D + i] : x[n * D + i];
      r[i] = a > r[i] ? a : r[i];
    }
  return r;
}

RILL_NAMESPACE_END
