/*
 * nn_core.node: the N-API kernel addon of @sweeplab/nn-core (issue 6).
 *
 * Exports every function of the `Kernels` interface in src/kernels/types.ts with the same arguments and the
 * same semantics, for Float32Array and Float64Array. The kernels work zero-copy on the caller's typed arrays
 * (napi_get_typedarray_info gives the data pointer, already adjusted by the view's byte offset) and write
 * into the outputs the caller passes; nothing is allocated per call (the GEMMs' packing buffers are per
 * thread, allocated on first use and kept). GEMM goes to OpenBLAS through CBLAS when the build found it
 * (NNC_HAVE_OPENBLAS, binding.gyp), else to the built-in packed GEMM (gemm_impl.h; issue 14).
 * Also exported: gemmBuiltin (the built-in GEMM in either build), gemmBuiltinDense (the same without its zero
 * skipping, for the tests), the bfloat16 kernels gemmBf16, linearActBf16,
 * linearBackwardBf16, weightGradStepBf16 and bf16Support() (bf16.h), buildInfo(), misalignment() (Kernels.alloc).
 *
 * Every call checks its arguments in O(1): array-ness, one dtype for all arrays of the call, each length
 * against the dimensions, dimensions being integers in [0, 2^31). A bad call throws a TypeError (wrong type,
 * dtype mix) or a RangeError (array too short, bad dimension or code) naming the kernel and the argument;
 * it never reads or writes out of bounds.
 *
 * Also exported in the OpenBLAS build: openblasCorename(), openblasConfig(), openblasNumThreads(); and abiVersion.
 * The module is context-aware (NAPI_MODULE_INIT, no global state of its own), so worker threads can load it.
 */
#include <node_api.h>
#ifdef NNC_HAVE_OPENBLAS
#include <cblas.h>
#endif
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_isa.h"

/* Bumped when an exported function changes its arguments; src/kernels/native.ts checks it. */
#define NNC_ABI_VERSION 7

/* Activation and output/loss codes: the values of `Act` and `OutLoss` in src/kernels/types.ts. */
enum { ACT_IDENTITY = 0, ACT_SIGMOID = 1, ACT_TANH = 2, ACT_RELU = 3, ACT_LEAKY_RELU = 4, ACT_MAX = 4 };
enum { OUT_SIGMOID_BCE = 0, OUT_SOFTMAX_CE = 1, OUT_IDENTITY_MSE = 2, OUT_SIGMOID_MSE = 3, OUT_MAX = 3 };

#define NNC_COLSUM_CHUNK 256
/* Layers narrower than this many units run their sigmoid/tanh/output loops over rows·cols values as one flat
 * array, in blocks of NNC_FLAT_BLOCK (a per-row loop shorter than a vector would not vectorise). */
#define NNC_NARROW_COLS 64
#define NNC_FLAT_BLOCK 256
#define NNC_PF_ROWS 4 /* rows ahead that the narrow NN kernel prefetches (A streams from memory) */
#define NNC_GATHER_AHEAD 8 /* rows prefetched ahead by gatherBatch (into L2: see gather_batch) */
#define NNC_PREFETCH_MAX_BYTES (64 * 1024) /* gatherBatch prefetches the next batch only up to this size */
#define NNC_MAX_ARGS 16
#define NNC_DIM_LIMIT 2147483647.0 /* CBLAS dimensions are 32-bit ints in Debian's OpenBLAS */

/*
 * Vectorised libm: glibc's libmvec has SIMD variants of exp, log1p and tanh (x86-64, glibc >= 2.35; <= 4 ulp).
 * math.h declares them only under -ffast-math, which we do not want (it breaks NaN/Inf semantics), so they
 * are declared here; `#pragma omp simd` loops calling these functions then call e.g. _ZGVeN8v_exp. On glibc,
 * -lm (libm.so is a linker script) pulls in libmvec as needed. Elsewhere the loops call scalar libm.
 */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 35)
#pragma omp declare simd notinbranch
extern double exp(double);
#pragma omp declare simd notinbranch
extern double log1p(double);
#pragma omp declare simd notinbranch
extern double tanh(double);
#endif
#endif

/* 1 / (1 + e^-v) without overflow for either sign of v; branch-free, so loops calling it vectorise. */
static inline double nnc_sigmoid(double v)
{
    const double e = exp(-fabs(v)); /* in (0, 1] */
    const double r = 1.0 / (1.0 + e);
    return v >= 0.0 ? r : e * r; /* e / (1 + e) = sigmoid(v) for v < 0 */
}

/* log(1 + e^v) without overflow. */
static inline double nnc_softplus(double v)
{
    return (v > 0.0 ? v : 0.0) + log1p(exp(-fabs(v)));
}

/* The built-in GEMM (gemm_impl.h), in every build: the GEMM of the built-in tier, and the fused kernels. */
#define T float
#define SUF f32
#include "gemm_impl.h"
#undef T
#undef SUF
#define T double
#define SUF f64
#include "gemm_impl.h"
#undef T
#undef SUF

/* T: storage type; R: compute type of the optimizer loops (see kernels_impl.h) */
#define T float
#define R float
#define R_SQRT sqrtf
#define SUF f32
#define BLAS_GEMM cblas_sgemm
#include "kernels_impl.h"
#undef T
#undef R
#undef R_SQRT
#undef SUF
#undef BLAS_GEMM

/* bfloat16 GEMM (float32 arrays, bf16 products): after the f32 kernels, whose helpers it uses. */
#include "bf16.h"

/* linearAct / linearBackward with bf16 GEMM inputs: the epilogue as in linear_act_f32 (ReLU, identity), else
 * the f32 elementwise kernel after the GEMM. Same return codes as gemm_bf16. */
static int linear_act_bf16(float *Z, const float *A, const float *W, const float *b, size_t rows, size_t nIn,
                           size_t nOut, int act, double slope)
{
    if (rows == 0 || nOut == 0) return 0;
    if (act == ACT_RELU || act == ACT_IDENTITY) {
        const epi_t_f32 e = {.kind = act == ACT_RELU ? EPI_BIAS_RELU : EPI_BIAS, .bias = b};
        return gemm_bf16(0, 0, (int)rows, (int)nOut, (int)nIn, 1.0, A, W, 0.0, Z, &e);
    }
    const int rc = gemm_bf16(0, 0, (int)rows, (int)nOut, (int)nIn, 1.0, A, W, 0.0, Z, NULL);
    if (rc) return rc;
    bias_act_f32(Z, b, rows, nOut, act, slope);
    return 0;
}

/* weight_grad_step_f32 with bf16 GEMM inputs (Aprev, dZ rounded to bfloat16; sums, g and the step in float32). */
static int weight_grad_step_bf16(float *P, float *G, float *V, const float *Aprev, const float *dZ, size_t rows, size_t nIn,
                                 size_t nOut, double l2, double lr, double mu, int nesterov, int write_g)
{
    if (rows == 0 || nOut == 0) return weight_grad_step_f32(P, G, V, Aprev, dZ, rows, nIn, nOut, l2, lr, mu, nesterov, write_g);
    col_sum_f32(G, dZ, rows, nOut);
    if (V) momentum_step_f32(P, G, V, nOut, lr, mu, nesterov);
    else sgd_step_f32(P, G, nOut, lr, 0.0);
    if (nIn == 0) return 0;
    /* the gradient, then the step on the layer (measured faster than the step in the bf16 GEMM's epilogue) */
    (void)write_g;
    float *dW = G + nOut;
    const int rc = gemm_bf16(1, 0, (int)nIn, (int)nOut, (int)rows, 1.0, Aprev, dZ, 0.0, dW, NULL);
    if (rc) return rc;
    const size_t n = nIn * nOut;
    if (l2 != 0.0) axpy_f32(dW, P + nOut, n, l2);
    if (V) momentum_step_f32(P + nOut, dW, V + nOut, n, lr, mu, nesterov);
    else sgd_step_f32(P + nOut, dW, n, lr, 0.0);
    return 0;
}

static int linear_backward_bf16(float *dA, const float *dZ, const float *W, const float *Aprev, size_t rows,
                                size_t nIn, size_t nOut, int act, double slope)
{
    if (rows == 0 || nIn == 0) return 0;
    if (act == ACT_RELU) {
        const epi_t_f32 e = {.kind = EPI_MASK_POS, .mask = Aprev};
        return gemm_bf16(0, 1, (int)rows, (int)nIn, (int)nOut, 1.0, dZ, W, 0.0, dA, &e);
    }
    const int rc = gemm_bf16(0, 1, (int)rows, (int)nIn, (int)nOut, 1.0, dZ, W, 0.0, dA, NULL);
    if (rc) return rc;
    act_backward_f32(dA, dA, Aprev, rows * nIn, act, slope);
    return 0;
}

#define T double
#define R double
#define R_SQRT sqrt
#define SUF f64
#define BLAS_GEMM cblas_dgemm
#include "kernels_impl.h"
#undef T
#undef R
#undef R_SQRT
#undef SUF
#undef BLAS_GEMM

/* ---------------------------------------------------------------------------------------------------------
 * Argument checking. A call_t collects the arguments of one call; the first failure throws a JS error and
 * marks the call failed, later getters then return at once and the wrapper returns NULL (undefined).
 * ------------------------------------------------------------------------------------------------------- */

typedef enum { DT_NONE = 0, DT_F32 = 1, DT_F64 = 2 } dtype_t;

typedef struct {
    napi_env env;
    const char *fn;     /* kernel name, for messages */
    napi_value argv[NNC_MAX_ARGS];
    dtype_t dt;         /* dtype fixed by the first array argument */
    const char *dt_arg; /* the name of that argument */
    int failed;
} call_t;

static const char *dtype_name(dtype_t dt) { return dt == DT_F32 ? "Float32Array" : "Float64Array"; }

static const char *typedarray_name(napi_typedarray_type t)
{
    switch (t) {
    case napi_int8_array: return "an Int8Array";
    case napi_uint8_array: return "a Uint8Array";
    case napi_uint8_clamped_array: return "a Uint8ClampedArray";
    case napi_int16_array: return "an Int16Array";
    case napi_uint16_array: return "a Uint16Array";
    case napi_int32_array: return "an Int32Array";
    case napi_uint32_array: return "a Uint32Array";
    case napi_float32_array: return "a Float32Array";
    case napi_float64_array: return "a Float64Array";
    case napi_bigint64_array: return "a BigInt64Array";
    case napi_biguint64_array: return "a BigUint64Array";
    default: return "a typed array";
    }
}

static const char *js_type_name(napi_env env, napi_value v)
{
    napi_valuetype t;
    if (napi_typeof(env, v, &t) != napi_ok) return "unknown";
    switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_object: return "an object";
    case napi_function: return "a function";
    case napi_external: return "an external";
    case napi_bigint: return "a bigint";
    default: return "unknown";
    }
}

static void fail_type(call_t *c, const char *msg)
{
    if (c->failed) return;
    c->failed = 1;
    napi_throw_type_error(c->env, "ERR_NN_CORE_KERNEL_ARG", msg);
}

static void fail_range(call_t *c, const char *msg)
{
    if (c->failed) return;
    c->failed = 1;
    napi_throw_range_error(c->env, "ERR_NN_CORE_KERNEL_ARG", msg);
}

static int begin(call_t *c, napi_env env, napi_callback_info info, const char *fn, size_t nargs)
{
    size_t argc = NNC_MAX_ARGS;
    c->env = env;
    c->fn = fn;
    c->dt = DT_NONE;
    c->dt_arg = NULL;
    c->failed = 0;
    if (napi_get_cb_info(env, info, &argc, c->argv, NULL, NULL) != napi_ok) {
        fail_type(c, "nn-core native kernel: cannot read the call's arguments");
        return 0;
    }
    if (argc < nargs) {
        char msg[200];
        snprintf(msg, sizeof msg, "nn-core native %s: expected %zu arguments, got %zu (see src/kernels/types.ts)",
                 fn, nargs, argc);
        fail_type(c, msg);
        return 0;
    }
    return 1;
}

/* Argument i, a Float32Array or Float64Array of the call's dtype with at least `need` elements.
 * `need_expr` says where `need` comes from, for the message. */
static void *arr(call_t *c, size_t i, const char *name, uint64_t need, const char *need_expr)
{
    if (c->failed) return NULL;
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_value ab;
    size_t offset;
    bool is_ta = false;
    char msg[320];
    if (napi_is_typedarray(c->env, c->argv[i], &is_ta) != napi_ok || !is_ta ||
        napi_get_typedarray_info(c->env, c->argv[i], &type, &length, &data, &ab, &offset) != napi_ok) {
        snprintf(msg, sizeof msg,
                 "nn-core native %s: argument %zu (%s) must be a Float32Array or Float64Array, got %s",
                 c->fn, i + 1, name, js_type_name(c->env, c->argv[i]));
        fail_type(c, msg);
        return NULL;
    }
    const dtype_t dt = type == napi_float32_array ? DT_F32 : type == napi_float64_array ? DT_F64 : DT_NONE;
    if (dt == DT_NONE) {
        snprintf(msg, sizeof msg,
                 "nn-core native %s: argument %zu (%s) must be a Float32Array or Float64Array, got %s",
                 c->fn, i + 1, name, typedarray_name(type));
        fail_type(c, msg);
        return NULL;
    }
    if (c->dt == DT_NONE) {
        c->dt = dt;
        c->dt_arg = name;
    } else if (dt != c->dt) {
        snprintf(msg, sizeof msg,
                 "nn-core native %s: argument %zu (%s) is a %s but %s is a %s; all arrays of one call must "
                 "share one dtype",
                 c->fn, i + 1, name, dtype_name(dt), c->dt_arg, dtype_name(c->dt));
        fail_type(c, msg);
        return NULL;
    }
    if ((uint64_t)length < need) {
        snprintf(msg, sizeof msg,
                 "nn-core native %s: argument %zu (%s) has %zu elements but needs at least %llu (%s)",
                 c->fn, i + 1, name, length, (unsigned long long)need, need_expr);
        fail_range(c, msg);
        return NULL;
    }
    return data;
}

/* Argument i, a typed array of integer type `want` (named `want_name`) with at least `need` elements. */
static void *int_arr(call_t *c, size_t i, const char *name, napi_typedarray_type want, const char *want_name,
                     uint64_t need, const char *need_expr)
{
    if (c->failed) return NULL;
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_value ab;
    size_t offset;
    bool is_ta = false;
    char msg[320];
    if (napi_is_typedarray(c->env, c->argv[i], &is_ta) != napi_ok || !is_ta ||
        napi_get_typedarray_info(c->env, c->argv[i], &type, &length, &data, &ab, &offset) != napi_ok) {
        snprintf(msg, sizeof msg, "nn-core native %s: argument %zu (%s) must be a %s, got %s", c->fn, i + 1, name,
                 want_name, js_type_name(c->env, c->argv[i]));
        fail_type(c, msg);
        return NULL;
    }
    if (type != want) {
        snprintf(msg, sizeof msg, "nn-core native %s: argument %zu (%s) must be a %s, got %s", c->fn, i + 1, name,
                 want_name, typedarray_name(type));
        fail_type(c, msg);
        return NULL;
    }
    if ((uint64_t)length < need) {
        snprintf(msg, sizeof msg,
                 "nn-core native %s: argument %zu (%s) has %zu elements but needs at least %llu (%s)",
                 c->fn, i + 1, name, length, (unsigned long long)need, need_expr);
        fail_range(c, msg);
        return NULL;
    }
    return data;
}

/* Element count of argument i (a typed array that arr()/int_arr() accepted). */
static size_t arr_length(call_t *c, size_t i)
{
    napi_typedarray_type type;
    size_t length = 0;
    void *data;
    napi_value ab;
    size_t offset;
    if (napi_get_typedarray_info(c->env, c->argv[i], &type, &length, &data, &ab, &offset) != napi_ok) return 0;
    return length;
}

static double num(call_t *c, size_t i, const char *name)
{
    double v = 0.0;
    if (c->failed) return 0.0;
    if (napi_get_value_double(c->env, c->argv[i], &v) != napi_ok) {
        char msg[200];
        snprintf(msg, sizeof msg, "nn-core native %s: argument %zu (%s) must be a number, got %s", c->fn, i + 1,
                 name, js_type_name(c->env, c->argv[i]));
        fail_type(c, msg);
    }
    return v;
}

/* A dimension: an integer in [0, 2^31). */
static int64_t dim(call_t *c, size_t i, const char *name)
{
    const double v = num(c, i, name);
    if (c->failed) return 0;
    if (!(v >= 0.0 && v <= NNC_DIM_LIMIT) || v != floor(v)) {
        char msg[200];
        snprintf(msg, sizeof msg, "nn-core native %s: argument %zu (%s) must be an integer in [0, 2^31), got %g",
                 c->fn, i + 1, name, v);
        fail_range(c, msg);
        return 0;
    }
    return (int64_t)v;
}

/* An enum code: an integer in [0, max]. */
static int code(call_t *c, size_t i, const char *name, int max, const char *what)
{
    const double v = num(c, i, name);
    if (c->failed) return 0;
    if (!(v >= 0.0 && v <= (double)max) || v != floor(v)) {
        char msg[240];
        snprintf(msg, sizeof msg, "nn-core native %s: argument %zu (%s) must be an integer code 0..%d (%s), got %g",
                 c->fn, i + 1, name, max, what, v);
        fail_range(c, msg);
        return 0;
    }
    return (int)v;
}

static int flag(call_t *c, size_t i, const char *name)
{
    bool v = false;
    if (c->failed) return 0;
    if (napi_get_value_bool(c->env, c->argv[i], &v) != napi_ok) {
        char msg[200];
        snprintf(msg, sizeof msg, "nn-core native %s: argument %zu (%s) must be a boolean, got %s", c->fn, i + 1,
                 name, js_type_name(c->env, c->argv[i]));
        fail_type(c, msg);
    }
    return v ? 1 : 0;
}

static napi_value ret_double(napi_env env, double v)
{
    napi_value r;
    if (napi_create_double(env, v, &r) != napi_ok) return NULL;
    return r;
}

#define U64(x) ((uint64_t)(x))

/* ---------------------------------------------------------------------------------------------------------
 * The exported kernels: argument order and names as in types.ts.
 * ------------------------------------------------------------------------------------------------------- */

static napi_value make_string(napi_env env, const char *s);

static napi_value fail_alloc(napi_env env, const char *fn)
{
    char msg[200];
    snprintf(msg, sizeof msg, "nn-core native %s: out of memory for the GEMM's packing buffers", fn);
    napi_throw_error(env, "ERR_NN_CORE_NO_MEMORY", msg);
    return NULL;
}

/* gemm(transA, transB, M, N, K, alpha, A, B, beta, C); `builtin`: always the built-in GEMM (1: gemmBuiltin; 2:
 * gemmBuiltinDense, the same without zero skipping, which the tests compare it with) */
static napi_value gemm_call(napi_env env, napi_callback_info info, const char *fn, int builtin)
{
    call_t c;
    if (!begin(&c, env, info, fn, 10)) return NULL;
    const int ta = flag(&c, 0, "transA"), tb = flag(&c, 1, "transB");
    const int64_t M = dim(&c, 2, "M"), N = dim(&c, 3, "N"), K = dim(&c, 4, "K");
    const double alpha = num(&c, 5, "alpha");
    void *A = arr(&c, 6, "A", U64(M) * U64(K), "M*K");
    void *B = arr(&c, 7, "B", U64(K) * U64(N), "K*N");
    const double beta = num(&c, 8, "beta");
    void *C = arr(&c, 9, "C", U64(M) * U64(N), "M*N");
    if (c.failed) return NULL;
    int rc;
    if (builtin) {
        rc = c.dt == DT_F32 ? gemm_builtin_full_f32(ta, tb, (int)M, (int)N, (int)K, alpha, A, B, beta, C, NULL, builtin == 1)
                            : gemm_builtin_full_f64(ta, tb, (int)M, (int)N, (int)K, alpha, A, B, beta, C, NULL, builtin == 1);
    } else {
        rc = c.dt == DT_F32 ? gemm_f32(ta, tb, (int)M, (int)N, (int)K, alpha, A, B, beta, C)
                            : gemm_f64(ta, tb, (int)M, (int)N, (int)K, alpha, A, B, beta, C);
    }
    return rc ? fail_alloc(env, fn) : NULL;
}

static napi_value js_gemm(napi_env env, napi_callback_info info) { return gemm_call(env, info, "gemm", 0); }
static napi_value js_gemm_builtin(napi_env env, napi_callback_info info)
{
    return gemm_call(env, info, "gemmBuiltin", 1);
}
static napi_value js_gemm_builtin_dense(napi_env env, napi_callback_info info)
{
    return gemm_call(env, info, "gemmBuiltinDense", 2);
}

/* linearAct(Z, A, W, b, rows, nIn, nOut, act, slope) */
static napi_value js_linear_act(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "linearAct", 9)) return NULL;
    const int64_t rows = dim(&c, 4, "rows"), nIn = dim(&c, 5, "nIn"), nOut = dim(&c, 6, "nOut");
    const int act = code(&c, 7, "act", ACT_MAX, "Act in types.ts");
    const double slope = num(&c, 8, "slope");
    void *Z = arr(&c, 0, "Z", U64(rows) * U64(nOut), "rows*nOut");
    void *A = arr(&c, 1, "A", U64(rows) * U64(nIn), "rows*nIn");
    void *W = arr(&c, 2, "W", U64(nIn) * U64(nOut), "nIn*nOut");
    void *b = arr(&c, 3, "b", U64(nOut), "nOut");
    if (c.failed) return NULL;
    const int rc = c.dt == DT_F32
        ? linear_act_f32(Z, A, W, b, (size_t)rows, (size_t)nIn, (size_t)nOut, act, slope)
        : linear_act_f64(Z, A, W, b, (size_t)rows, (size_t)nIn, (size_t)nOut, act, slope);
    return rc ? fail_alloc(env, "linearAct") : NULL;
}

/* linearBackward(dA, dZ, W, Aprev, rows, nIn, nOut, act, slope) */
static napi_value js_linear_backward(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "linearBackward", 9)) return NULL;
    const int64_t rows = dim(&c, 4, "rows"), nIn = dim(&c, 5, "nIn"), nOut = dim(&c, 6, "nOut");
    const int act = code(&c, 7, "act", ACT_MAX, "Act in types.ts");
    const double slope = num(&c, 8, "slope");
    void *dA = arr(&c, 0, "dA", U64(rows) * U64(nIn), "rows*nIn");
    void *dZ = arr(&c, 1, "dZ", U64(rows) * U64(nOut), "rows*nOut");
    void *W = arr(&c, 2, "W", U64(nIn) * U64(nOut), "nIn*nOut");
    void *Ap = arr(&c, 3, "Aprev", U64(rows) * U64(nIn), "rows*nIn");
    if (c.failed) return NULL;
    if (rows > 0 && nIn > 0 && (dA == dZ || dA == W)) {
        fail_type(&c, "nn-core native linearBackward: dA may not alias dZ or W");
        return NULL;
    }
    const int rc = c.dt == DT_F32
        ? linear_backward_f32(dA, dZ, W, Ap, (size_t)rows, (size_t)nIn, (size_t)nOut, act, slope)
        : linear_backward_f64(dA, dZ, W, Ap, (size_t)rows, (size_t)nIn, (size_t)nOut, act, slope);
    return rc ? fail_alloc(env, "linearBackward") : NULL;
}

/* The bf16 kernels take Float32Arrays only. */
static int only_f32(call_t *c)
{
    if (c->failed) return 0;
    if (c->dt != DT_F32) {
        char msg[200];
        snprintf(msg, sizeof msg, "nn-core native %s: bfloat16 kernels take Float32Array arguments (float32 master values)", c->fn);
        fail_type(c, msg);
        return 0;
    }
    return 1;
}

static napi_value bf16_result(napi_env env, const char *fn, int rc)
{
    if (rc == -1) return fail_alloc(env, fn);
    if (rc == -2) {
        char msg[400];
        snprintf(msg, sizeof msg, "nn-core native %s: this CPU has no bfloat16 kernel (missing %s); check bf16Support() first", fn, bf16_missing_text());
        napi_throw_error(env, "ERR_NN_CORE_NO_BF16", msg);
    }
    return NULL;
}

/* gemmBf16(transA, transB, M, N, K, alpha, A, B, beta, C) */
static napi_value js_gemm_bf16(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "gemmBf16", 10)) return NULL;
    const int ta = flag(&c, 0, "transA"), tb = flag(&c, 1, "transB");
    const int64_t M = dim(&c, 2, "M"), N = dim(&c, 3, "N"), K = dim(&c, 4, "K");
    const double alpha = num(&c, 5, "alpha");
    void *A = arr(&c, 6, "A", U64(M) * U64(K), "M*K");
    void *B = arr(&c, 7, "B", U64(K) * U64(N), "K*N");
    const double beta = num(&c, 8, "beta");
    void *C = arr(&c, 9, "C", U64(M) * U64(N), "M*N");
    if (!only_f32(&c)) return NULL;
    return bf16_result(env, "gemmBf16", gemm_bf16(ta, tb, (int)M, (int)N, (int)K, alpha, A, B, beta, C, NULL));
}

/* linearActBf16(Z, A, W, b, rows, nIn, nOut, act, slope) */
static napi_value js_linear_act_bf16(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "linearActBf16", 9)) return NULL;
    const int64_t rows = dim(&c, 4, "rows"), nIn = dim(&c, 5, "nIn"), nOut = dim(&c, 6, "nOut");
    const int act = code(&c, 7, "act", ACT_MAX, "Act in types.ts");
    const double slope = num(&c, 8, "slope");
    void *Z = arr(&c, 0, "Z", U64(rows) * U64(nOut), "rows*nOut");
    void *A = arr(&c, 1, "A", U64(rows) * U64(nIn), "rows*nIn");
    void *W = arr(&c, 2, "W", U64(nIn) * U64(nOut), "nIn*nOut");
    void *b = arr(&c, 3, "b", U64(nOut), "nOut");
    if (!only_f32(&c)) return NULL;
    return bf16_result(env, "linearActBf16", linear_act_bf16(Z, A, W, b, (size_t)rows, (size_t)nIn, (size_t)nOut, act, slope));
}

/* linearBackwardBf16(dA, dZ, W, Aprev, rows, nIn, nOut, act, slope) */
static napi_value js_linear_backward_bf16(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "linearBackwardBf16", 9)) return NULL;
    const int64_t rows = dim(&c, 4, "rows"), nIn = dim(&c, 5, "nIn"), nOut = dim(&c, 6, "nOut");
    const int act = code(&c, 7, "act", ACT_MAX, "Act in types.ts");
    const double slope = num(&c, 8, "slope");
    void *dA = arr(&c, 0, "dA", U64(rows) * U64(nIn), "rows*nIn");
    void *dZ = arr(&c, 1, "dZ", U64(rows) * U64(nOut), "rows*nOut");
    void *W = arr(&c, 2, "W", U64(nIn) * U64(nOut), "nIn*nOut");
    void *Ap = arr(&c, 3, "Aprev", U64(rows) * U64(nIn), "rows*nIn");
    if (!only_f32(&c)) return NULL;
    if (rows > 0 && nIn > 0 && (dA == dZ || dA == W)) {
        fail_type(&c, "nn-core native linearBackwardBf16: dA may not alias dZ or W");
        return NULL;
    }
    return bf16_result(env, "linearBackwardBf16", linear_backward_bf16(dA, dZ, W, Ap, (size_t)rows, (size_t)nIn, (size_t)nOut, act, slope));
}

/* weightGradStepBf16: weightGradStep's arguments, Float32Arrays */
static napi_value js_weight_grad_step_bf16(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "weightGradStepBf16", 13)) return NULL;
    const int64_t rows = dim(&c, 5, "rows"), nIn = dim(&c, 6, "nIn"), nOut = dim(&c, 7, "nOut");
    const double l2 = num(&c, 8, "l2"), lr = num(&c, 9, "lr"), mu = num(&c, 10, "mu");
    const int nesterov = flag(&c, 11, "nesterov"), write_g = flag(&c, 12, "writeGrad");
    const uint64_t blk = (U64(nIn) + 1) * U64(nOut);
    void *P = arr(&c, 0, "P", blk, "(nIn+1)*nOut");
    void *G = arr(&c, 1, "G", blk, "(nIn+1)*nOut");
    void *V = arr(&c, 2, "V", 0, "");
    void *Ap = arr(&c, 3, "Aprev", U64(rows) * U64(nIn), "rows*nIn");
    void *dZ = arr(&c, 4, "dZ", U64(rows) * U64(nOut), "rows*nOut");
    if (!only_f32(&c)) return NULL;
    const int momentum = arr_length(&c, 2) > 0;
    if (momentum && arr_length(&c, 2) < blk) {
        fail_range(&c, "nn-core native weightGradStepBf16: argument 3 (V) must be empty (plain SGD) or hold (nIn+1)*nOut values");
        return NULL;
    }
    if (blk > 0 && (P == G || (momentum && (P == V || G == V)))) {
        fail_type(&c, "nn-core native weightGradStepBf16: P, G and V must be different arrays");
        return NULL;
    }
    return bf16_result(env, "weightGradStepBf16", weight_grad_step_bf16(P, G, momentum ? V : NULL, Ap, dZ, (size_t)rows, (size_t)nIn, (size_t)nOut, l2, lr, mu, nesterov, write_g));
}

/* bf16Support() -> { kernel: 'amx' | 'avx512bf16' | null, missing: string | null } */
static napi_value js_bf16_support(napi_env env, napi_callback_info info)
{
    (void)info;
    napi_value o, k, m;
    const int kern = bf16_kernel();
    if (napi_create_object(env, &o) != napi_ok) return NULL;
    if (kern == BF16_NONE) {
        if (napi_get_null(env, &k) != napi_ok) return NULL;
        m = make_string(env, bf16_missing_text());
    } else {
        k = make_string(env, kern == BF16_AMX ? "amx" : "avx512bf16");
        if (napi_get_null(env, &m) != napi_ok) return NULL;
    }
    if (!k || !m || napi_set_named_property(env, o, "kernel", k) != napi_ok || napi_set_named_property(env, o, "missing", m) != napi_ok) return NULL;
    return o;
}

/* weightGradStep(P, G, V, Aprev, dZ, rows, nIn, nOut, l2, lr, mu, nesterov, writeGrad); V: the velocity block,
 * or an empty array for plain SGD */
static napi_value js_weight_grad_step(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "weightGradStep", 13)) return NULL;
    const int64_t rows = dim(&c, 5, "rows"), nIn = dim(&c, 6, "nIn"), nOut = dim(&c, 7, "nOut");
    const double l2 = num(&c, 8, "l2"), lr = num(&c, 9, "lr"), mu = num(&c, 10, "mu");
    const int nesterov = flag(&c, 11, "nesterov"), write_g = flag(&c, 12, "writeGrad");
    const uint64_t blk = (U64(nIn) + 1) * U64(nOut);
    void *P = arr(&c, 0, "P", blk, "(nIn+1)*nOut");
    void *G = arr(&c, 1, "G", blk, "(nIn+1)*nOut");
    void *V = arr(&c, 2, "V", 0, "");
    void *Ap = arr(&c, 3, "Aprev", U64(rows) * U64(nIn), "rows*nIn");
    void *dZ = arr(&c, 4, "dZ", U64(rows) * U64(nOut), "rows*nOut");
    if (c.failed) return NULL;
    const int momentum = arr_length(&c, 2) > 0;
    if (momentum && arr_length(&c, 2) < blk) {
        fail_range(&c, "nn-core native weightGradStep: argument 3 (V) must be empty (plain SGD) or hold (nIn+1)*nOut values");
        return NULL;
    }
    if (blk > 0 && (P == G || (momentum && (P == V || G == V)))) {
        fail_type(&c, "nn-core native weightGradStep: P, G and V must be different arrays");
        return NULL;
    }
    const int rc = c.dt == DT_F32
        ? weight_grad_step_f32(P, G, momentum ? V : NULL, Ap, dZ, (size_t)rows, (size_t)nIn, (size_t)nOut, l2, lr, mu, nesterov, write_g)
        : weight_grad_step_f64(P, G, momentum ? V : NULL, Ap, dZ, (size_t)rows, (size_t)nIn, (size_t)nOut, l2, lr, mu, nesterov, write_g);
    return rc ? fail_alloc(env, "weightGradStep") : NULL;
}

/* biasAct(Z, b, rows, cols, act, slope) */
static napi_value js_bias_act(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "biasAct", 6)) return NULL;
    const int64_t rows = dim(&c, 2, "rows"), cols = dim(&c, 3, "cols");
    const int act = code(&c, 4, "act", ACT_MAX, "Act in types.ts");
    const double slope = num(&c, 5, "slope");
    void *Z = arr(&c, 0, "Z", U64(rows) * U64(cols), "rows*cols");
    void *b = arr(&c, 1, "b", U64(cols), "cols");
    if (c.failed) return NULL;
    if (c.dt == DT_F32) bias_act_f32(Z, b, (size_t)rows, (size_t)cols, act, slope);
    else bias_act_f64(Z, b, (size_t)rows, (size_t)cols, act, slope);
    return NULL;
}

/* actBackward(dZ, dA, A, n, act, slope) */
static napi_value js_act_backward(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "actBackward", 6)) return NULL;
    const int64_t n = dim(&c, 3, "n");
    const int act = code(&c, 4, "act", ACT_MAX, "Act in types.ts");
    const double slope = num(&c, 5, "slope");
    void *dZ = arr(&c, 0, "dZ", U64(n), "n");
    void *dA = arr(&c, 1, "dA", U64(n), "n");
    void *A = arr(&c, 2, "A", U64(n), "n");
    if (c.failed) return NULL;
    if (c.dt == DT_F32) act_backward_f32(dZ, dA, A, (size_t)n, act, slope);
    else act_backward_f64(dZ, dA, A, (size_t)n, act, slope);
    return NULL;
}

/* outputLoss(dZ, Z, b, Y, rows, cols, kind, scale) -> summed loss */
static napi_value js_output_loss(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "outputLoss", 8)) return NULL;
    const int64_t rows = dim(&c, 4, "rows"), cols = dim(&c, 5, "cols");
    const int kind = code(&c, 6, "kind", OUT_MAX, "OutLoss in types.ts");
    const double scale = num(&c, 7, "scale");
    const uint64_t rc = U64(rows) * U64(cols);
    void *dZ = arr(&c, 0, "dZ", rc, "rows*cols");
    void *Z = arr(&c, 1, "Z", rc, "rows*cols");
    void *b = arr(&c, 2, "b", U64(cols), "cols");
    void *Y = arr(&c, 3, "Y", rc, "rows*cols");
    if (c.failed) return NULL;
    if (rc > 0 && dZ == Z) {
        fail_type(&c, "nn-core native outputLoss: dZ and Z must be different arrays (dZ may not alias Z)");
        return NULL;
    }
    const double loss = c.dt == DT_F32
        ? output_loss_f32(dZ, Z, b, Y, (size_t)rows, (size_t)cols, kind, scale)
        : output_loss_f64(dZ, Z, b, Y, (size_t)rows, (size_t)cols, kind, scale);
    return ret_double(env, loss);
}

/* gatherBatch(Xb, Y, X, labels, idx, start, rows, cols, K) */
static napi_value js_gather_batch(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "gatherBatch", 9)) return NULL;
    const int64_t start = dim(&c, 5, "start"), rows = dim(&c, 6, "rows"), cols = dim(&c, 7, "cols"), K = dim(&c, 8, "K");
    void *Xb = arr(&c, 0, "Xb", U64(rows) * U64(cols), "rows*cols");
    void *Y = arr(&c, 1, "Y", U64(rows) * U64(K), "rows*K");
    void *X = arr(&c, 2, "X", 0, "");
    const uint8_t *labels = int_arr(&c, 3, "labels", napi_uint8_array, "Uint8Array", 0, "");
    const uint32_t *idx = int_arr(&c, 4, "idx", napi_uint32_array, "Uint32Array", U64(start) + U64(rows), "start+rows");
    if (c.failed) return NULL;
    /* every row number must address a whole row of X and a label; every label must be < K. Checked before
     * anything is written. */
    const size_t nx = cols == 0 ? SIZE_MAX : arr_length(&c, 2) / (size_t)cols;
    const size_t nl = arr_length(&c, 3);
    const size_t n = nx < nl ? nx : nl;
    for (int64_t i = 0; i < rows; i++) {
        const uint32_t r = idx[start + i];
        char msg[240];
        if ((size_t)r >= n) {
            snprintf(msg, sizeof msg, "nn-core native gatherBatch: idx[%lld] = %u is not a row of X/labels (%zu rows)",
                     (long long)(start + i), r, n);
            fail_range(&c, msg);
            return NULL;
        }
        if ((int64_t)labels[r] >= K) {
            snprintf(msg, sizeof msg, "nn-core native gatherBatch: labels[%u] = %u is not below K = %lld", r,
                     (unsigned)labels[r], (long long)K);
            fail_range(&c, msg);
            return NULL;
        }
    }
    if (rows > 0 && (Xb == X || Y == X || Xb == Y)) {
        fail_type(&c, "nn-core native gatherBatch: Xb, Y and X must be different arrays");
        return NULL;
    }
    /* the next batch of the same size (or what is left of idx), whose rows gather_batch prefetches */
    const size_t idx_len = arr_length(&c, 4), after = (size_t)start + (size_t)rows;
    const size_t next_rows = idx_len > after ? (idx_len - after < (size_t)rows ? idx_len - after : (size_t)rows) : 0;
    if (c.dt == DT_F32)
        gather_batch_f32(Xb, Y, X, labels, idx + start, (size_t)rows, (size_t)cols, (size_t)K, n, idx + after, next_rows);
    else
        gather_batch_f64(Xb, Y, X, labels, idx + start, (size_t)rows, (size_t)cols, (size_t)K, n, idx + after, next_rows);
    return NULL;
}

/* colSum(db, dZ, rows, cols) */
static napi_value js_col_sum(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "colSum", 4)) return NULL;
    const int64_t rows = dim(&c, 2, "rows"), cols = dim(&c, 3, "cols");
    void *db = arr(&c, 0, "db", U64(cols), "cols");
    void *dZ = arr(&c, 1, "dZ", U64(rows) * U64(cols), "rows*cols");
    if (c.failed) return NULL;
    if (c.dt == DT_F32) col_sum_f32(db, dZ, (size_t)rows, (size_t)cols);
    else col_sum_f64(db, dZ, (size_t)rows, (size_t)cols);
    return NULL;
}

/* axpy(y, x, n, a) */
static napi_value js_axpy(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "axpy", 4)) return NULL;
    const int64_t n = dim(&c, 2, "n");
    const double a = num(&c, 3, "a");
    void *y = arr(&c, 0, "y", U64(n), "n");
    void *x = arr(&c, 1, "x", U64(n), "n");
    if (c.failed) return NULL;
    if (c.dt == DT_F32) axpy_f32(y, x, (size_t)n, a);
    else axpy_f64(y, x, (size_t)n, a);
    return NULL;
}

/* sumSq(x, n) -> Σ x² */
static napi_value js_sum_sq(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "sumSq", 2)) return NULL;
    const int64_t n = dim(&c, 1, "n");
    void *x = arr(&c, 0, "x", U64(n), "n");
    if (c.failed) return NULL;
    return ret_double(env, c.dt == DT_F32 ? sum_sq_f32(x, (size_t)n) : sum_sq_f64(x, (size_t)n));
}

/* misalignment(x) -> the address of x's first element modulo 64 (bytes): nn-core allocates its buffers with a
 * few values of slack and starts them on a cache line (Kernels.alloc), since a 64-byte vector load that
 * straddles two lines costs twice: malloc gives large typed arrays 16-byte alignment (measured 8 % on a
 * 784-256-256-10 step whose GEMMs read the weights in place). */
static napi_value js_misalignment(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "misalignment", 1)) return NULL;
    void *x = arr(&c, 0, "x", 0, "0");
    if (c.failed) return NULL;
    return ret_double(env, (double)((uintptr_t)x % 64));
}

/* sgdStep(p, g, n, lr, decay) */
static napi_value js_sgd_step(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "sgdStep", 5)) return NULL;
    const int64_t n = dim(&c, 2, "n");
    const double lr = num(&c, 3, "lr"), decay = num(&c, 4, "decay");
    void *p = arr(&c, 0, "p", U64(n), "n");
    void *g = arr(&c, 1, "g", U64(n), "n");
    if (c.failed) return NULL;
    if (c.dt == DT_F32) sgd_step_f32(p, g, (size_t)n, lr, decay);
    else sgd_step_f64(p, g, (size_t)n, lr, decay);
    return NULL;
}

/* momentumStep(p, g, v, n, lr, mu, nesterov) */
static napi_value js_momentum_step(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "momentumStep", 7)) return NULL;
    const int64_t n = dim(&c, 3, "n");
    const double lr = num(&c, 4, "lr"), mu = num(&c, 5, "mu");
    const int nesterov = flag(&c, 6, "nesterov");
    void *p = arr(&c, 0, "p", U64(n), "n");
    void *g = arr(&c, 1, "g", U64(n), "n");
    void *v = arr(&c, 2, "v", U64(n), "n");
    if (c.failed) return NULL;
    if (c.dt == DT_F32) momentum_step_f32(p, g, v, (size_t)n, lr, mu, nesterov);
    else momentum_step_f64(p, g, v, (size_t)n, lr, mu, nesterov);
    return NULL;
}

/* adamStep(p, g, m, v, n, lr, b1, b2, eps, bc1, bc2, wd) */
static napi_value js_adam_step(napi_env env, napi_callback_info info)
{
    call_t c;
    if (!begin(&c, env, info, "adamStep", 12)) return NULL;
    const int64_t n = dim(&c, 4, "n");
    const double lr = num(&c, 5, "lr"), b1 = num(&c, 6, "b1"), b2 = num(&c, 7, "b2"), eps = num(&c, 8, "eps");
    const double bc1 = num(&c, 9, "bc1"), bc2 = num(&c, 10, "bc2"), wd = num(&c, 11, "wd");
    void *p = arr(&c, 0, "p", U64(n), "n");
    void *g = arr(&c, 1, "g", U64(n), "n");
    void *m = arr(&c, 2, "m", U64(n), "n");
    void *v = arr(&c, 3, "v", U64(n), "n");
    if (c.failed) return NULL;
    if (c.dt == DT_F32) adam_step_f32(p, g, m, v, (size_t)n, lr, b1, b2, eps, bc1, bc2, wd);
    else adam_step_f64(p, g, m, v, (size_t)n, lr, b1, b2, eps, bc1, bc2, wd);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------
 * OpenBLAS information for the loader.
 * ------------------------------------------------------------------------------------------------------- */

static napi_value make_string(napi_env env, const char *s)
{
    napi_value r;
    if (napi_create_string_utf8(env, s ? s : "unknown", NAPI_AUTO_LENGTH, &r) != napi_ok) return NULL;
    return r;
}

#ifdef NNC_HAVE_OPENBLAS
static napi_value js_openblas_corename(napi_env env, napi_callback_info info)
{
    (void)info;
    return make_string(env, openblas_get_corename());
}

static napi_value js_openblas_config(napi_env env, napi_callback_info info)
{
    (void)info;
    return make_string(env, openblas_get_config());
}

static napi_value js_openblas_num_threads(napi_env env, napi_callback_info info)
{
    (void)info;
    napi_value r;
    if (napi_create_int32(env, openblas_get_num_threads(), &r) != napi_ok) return NULL;
    return r;
}
#endif

#ifndef NNC_MARCH
#define NNC_MARCH "unknown"
#endif

/* buildInfo() -> { gemm: 'openblas' | 'builtin', isa, march, compiler, fusedF32, fusedF64 }: how this addon was
 * built; fusedF32/F64: the GEMM behind linearAct, linearBackward (ReLU) and weightGradStep of that dtype
 * (NNC_FUSED_BUILTIN_*). */
static napi_value js_build_info(napi_env env, napi_callback_info info)
{
    (void)info;
    napi_value o;
    if (napi_create_object(env, &o) != napi_ok) return NULL;
#ifdef NNC_HAVE_OPENBLAS
    const char *gemm = "openblas";
#else
    const char *gemm = "builtin";
#endif
#if defined(__clang__)
    const char *cc = "clang " __clang_version__;
#elif defined(__GNUC__)
    const char *cc = "gcc " __VERSION__;
#else
    const char *cc = "unknown";
#endif
    const struct { const char *k, *v; } kv[] = {{"gemm", gemm}, {"isa", NNC_ISA_NAME}, {"march", NNC_MARCH}, {"compiler", cc},
        {"fusedF32", NNC_FUSED_BUILTIN_F32 ? "builtin" : gemm}, {"fusedF64", NNC_FUSED_BUILTIN_F64 ? "builtin" : gemm}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        napi_value v = make_string(env, kv[i].v);
        if (!v || napi_set_named_property(env, o, kv[i].k, v) != napi_ok) return NULL;
    }
    return o;
}

/* Environment teardown (a worker thread ending, or the process exiting): free this thread's GEMM buffers. */
static void release_thread_buffers(void *arg)
{
    (void)arg;
    gbuf_release_f32();
    gbuf_release_f64();
    bf16_release();
}

NAPI_MODULE_INIT()
{
    if (napi_add_env_cleanup_hook(env, release_thread_buffers, NULL) != napi_ok) return NULL;
    /* One OpenBLAS thread per worker: parallelism comes from running trials in separate workers. The thread
     * count is process-wide; only change it when needed, so a second worker loading the addon while the first
     * one is inside a GEMM does not touch OpenBLAS's thread pool. */
#ifdef NNC_HAVE_OPENBLAS
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
#endif

    static const struct {
        const char *name;
        napi_callback cb;
    } fns[] = {
        {"gemm", js_gemm},
        {"biasAct", js_bias_act},
        {"actBackward", js_act_backward},
        {"outputLoss", js_output_loss},
        {"gatherBatch", js_gather_batch},
        {"colSum", js_col_sum},
        {"axpy", js_axpy},
        {"sumSq", js_sum_sq},
        {"sgdStep", js_sgd_step},
        {"momentumStep", js_momentum_step},
        {"adamStep", js_adam_step},
        {"gemmBuiltin", js_gemm_builtin},
        {"gemmBuiltinDense", js_gemm_builtin_dense},
        {"linearAct", js_linear_act},
        {"linearBackward", js_linear_backward},
        {"weightGradStep", js_weight_grad_step},
        {"buildInfo", js_build_info},
        {"gemmBf16", js_gemm_bf16},
        {"linearActBf16", js_linear_act_bf16},
        {"linearBackwardBf16", js_linear_backward_bf16},
        {"weightGradStepBf16", js_weight_grad_step_bf16},
        {"bf16Support", js_bf16_support},
        {"misalignment", js_misalignment},
#ifdef NNC_HAVE_OPENBLAS
        {"openblasCorename", js_openblas_corename},
        {"openblasConfig", js_openblas_config},
        {"openblasNumThreads", js_openblas_num_threads},
#endif
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        napi_value f;
        if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].cb, NULL, &f) != napi_ok) return NULL;
        if (napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) return NULL;
    }
    napi_value abi;
    if (napi_create_int32(env, NNC_ABI_VERSION, &abi) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, "abiVersion", abi) != napi_ok) return NULL;
    return exports;
}
