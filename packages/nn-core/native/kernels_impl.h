/*
 * The numerical kernels of nn-core, written once for both dtypes: nn_core.c includes this file twice, with
 * T = float, SUF = f32 and with T = double, SUF = f64 (a C "template"). Semantics follow
 * src/kernels/types.ts exactly; src/kernels/js.ts is the reference they are tested against.
 *
 * Rules:
 * - Matrices are dense and row-major; outputs first, then inputs, then dimensions; nothing is allocated.
 * - Nonlinear functions (sigmoid, tanh, losses) load values into double, compute in double and round to T
 *   once on store, like the TypeScript reference (JavaScript numbers are doubles). Single add/compare
 *   loops (identity, ReLU) stay in T, where one operation gives exactly the rounded double result.
 * - The optimizer updates and axpy compute in R (float for f32, double for f64), as PyTorch does: they are
 *   memory-bound loops over all parameters, and float32 arithmetic keeps them so (float64 division and
 *   square root in Adam cost 4x). They differ from the reference by a few float32 roundings.
 * - Sums (losses, sums of squares, bias gradients) are accumulated in double whatever T is.
 * - exp/log1p/tanh come from libm; on x86-64 glibc >= 2.35 nn_core.c declares their SIMD variants (libmvec,
 *   <= 4 ulp), so the `omp simd` loops that call them are vectorised.
 * - No `restrict` where the contract allows aliasing (actBackward's dZ may be dA); gcc versions the loops
 *   with a runtime overlap check and still vectorises them.
 */

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, SUF)

/* C = alpha · op(A) · op(B) + beta · C through CBLAS. A: (M, K) or (K, M) when ta; B: (K, N) or (N, K) when
 * tb; C: (M, N). Dimensions are < 2^31 (checked by the caller). beta = 0 overwrites C. */
static void FN(gemm)(int ta, int tb, int M, int N, int K, double alpha, const T *A, const T *B, double beta, T *C)
{
    if (M == 0 || N == 0) return;
    if (K == 0) {
        /* op(A)·op(B) is the zero matrix; CBLAS would reject lda = 0, so scale C here */
        const size_t n = (size_t)M * (size_t)N;
        if (beta == 0.0) {
            for (size_t i = 0; i < n; i++) C[i] = (T)0;
        } else if (beta != 1.0) {
            for (size_t i = 0; i < n; i++) C[i] = (T)(beta * (double)C[i]);
        }
        return;
    }
    BLAS_GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
              (T)alpha, A, ta ? M : K, B, tb ? K : N, (T)beta, C, N);
}

/* In place: Z[i, j] = act(Z[i, j] + b[j]). Z: (rows, cols), b: (cols). */
static void FN(bias_act)(T *Z, const T *b, size_t rows, size_t cols, int act, double slope)
{
    switch (act) {
    case ACT_IDENTITY:
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
            for (size_t j = 0; j < cols; j++) z[j] = z[j] + b[j];
        }
        break;
    case ACT_RELU:
        /* branch-free select; NaN propagates (NaN < 0 is false) */
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
            for (size_t j = 0; j < cols; j++) {
                const T v = z[j] + b[j];
                z[j] = v < (T)0 ? (T)0 : v;
            }
        }
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
            for (size_t j = 0; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j];
                z[j] = (T)(v < 0.0 ? slope * v : v);
            }
        }
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
#pragma omp simd
            for (size_t j = 0; j < cols; j++) z[j] = (T)nnc_sigmoid((double)z[j] + (double)b[j]);
        }
        break;
    case ACT_TANH:
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
#pragma omp simd
            for (size_t j = 0; j < cols; j++) z[j] = (T)tanh((double)z[j] + (double)b[j]);
        }
        break;
    }
}

/* dZ[i] = dA[i] · act'(z_i), the derivative written through A = act(z). dZ may alias dA. */
static void FN(act_backward)(T *dZ, const T *dA, const T *A, size_t n, int act, double slope)
{
    switch (act) {
    case ACT_IDENTITY:
        if (dZ != dA) for (size_t i = 0; i < n; i++) dZ[i] = dA[i];
        break;
    case ACT_RELU:
        /* a branch-free select, as the reference: dead units (a <= 0) get exactly 0 */
        for (size_t i = 0; i < n; i++) dZ[i] = A[i] > (T)0 ? dA[i] : (T)0;
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) dZ[i] = (T)((double)dA[i] * (A[i] > (T)0 ? 1.0 : slope));
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            const double a = (double)A[i];
            dZ[i] = (T)((double)dA[i] * (a * (1.0 - a)));
        }
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++) {
            const double a = (double)A[i];
            dZ[i] = (T)((double)dA[i] * (1.0 - a * a));
        }
        break;
    }
}

/* Output layer, fused (see types.ts). Z: (rows, cols) logits in, outputs H out; b: (cols); Y: (rows, cols);
 * dZ: (rows, cols), does not alias Z. Returns the loss summed over rows and outputs, in double. */
static double FN(output_loss)(T *restrict dZ, T *restrict Z, const T *b, const T *Y, size_t rows, size_t cols,
                              int kind, double scale)
{
    double loss = 0.0;
    for (size_t i = 0; i < rows; i++) {
        T *z = Z + i * cols;
        T *d = dZ + i * cols;
        const T *y = Y + i * cols;
        switch (kind) {
        case OUT_SIGMOID_BCE:
#pragma omp simd reduction(+ : loss)
            for (size_t j = 0; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j], t = (double)y[j];
                const double h = nnc_sigmoid(v);
                loss += nnc_softplus(v) - t * v; /* = -[t log h + (1-t) log(1-h)] without log(0) */
                z[j] = (T)h;
                d[j] = (T)(scale * (h - t));
            }
            break;
        case OUT_SOFTMAX_CE: {
            if (cols == 0) break;
            double m = (double)z[0] + (double)b[0];
            for (size_t j = 1; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j];
                if (v > m || v != v) m = v; /* a NaN logit makes the whole row NaN, as in the reference */
            }
            double s = 0.0, sy = 0.0;
#pragma omp simd reduction(+ : s, sy)
            for (size_t j = 0; j < cols; j++) {
                s += exp((double)z[j] + (double)b[j] - m);
                sy += (double)y[j];
            }
            const double lse = m + log(s);
            double row = 0.0;
#pragma omp simd reduction(+ : row)
            for (size_t j = 0; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j], t = (double)y[j];
                const double h = exp(v - lse);
                row += t * (lse - v);
                z[j] = (T)h;
                d[j] = (T)(scale * (h * sy - t)); /* exact ∂/∂z of Σ_k y_k (lse - z_k); = h - y for one-hot */
            }
            loss += row;
            break;
        }
        case OUT_IDENTITY_MSE:
#pragma omp simd reduction(+ : loss)
            for (size_t j = 0; j < cols; j++) {
                const double h = (double)z[j] + (double)b[j], r = h - (double)y[j];
                loss += 0.5 * r * r;
                z[j] = (T)h;
                d[j] = (T)(scale * r);
            }
            break;
        case OUT_SIGMOID_MSE:
#pragma omp simd reduction(+ : loss)
            for (size_t j = 0; j < cols; j++) {
                const double h = nnc_sigmoid((double)z[j] + (double)b[j]), r = h - (double)y[j];
                loss += 0.5 * r * r;
                z[j] = (T)h;
                d[j] = (T)(scale * r * (h * (1.0 - h)));
            }
            break;
        }
    }
    return loss;
}

/* db[j] = Σ_i dZ[i, j]. dZ: (rows, cols), db: (cols). Accumulated in double, NNC_COLSUM_CHUNK columns at a
 * time in a stack buffer so that dZ is still read row by row. */
static void FN(col_sum)(T *db, const T *dZ, size_t rows, size_t cols)
{
    double acc[NNC_COLSUM_CHUNK];
    for (size_t j0 = 0; j0 < cols; j0 += NNC_COLSUM_CHUNK) {
        const size_t w = cols - j0 < NNC_COLSUM_CHUNK ? cols - j0 : NNC_COLSUM_CHUNK;
        for (size_t j = 0; j < w; j++) acc[j] = 0.0;
        for (size_t i = 0; i < rows; i++) {
            const T *r = dZ + i * cols + j0;
            for (size_t j = 0; j < w; j++) acc[j] += (double)r[j];
        }
        for (size_t j = 0; j < w; j++) db[j0 + j] = (T)acc[j];
    }
}

/* y[i] += a · x[i]. */
static void FN(axpy)(T *y, const T *x, size_t n, double a)
{
    const R ar = (R)a;
    for (size_t i = 0; i < n; i++) y[i] = (T)((R)y[i] + ar * (R)x[i]);
}

/* Σ x[i]², accumulated in double (vectorised by the omp simd reduction, no -ffast-math needed). */
static double FN(sum_sq)(const T *x, size_t n)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) {
        const double v = (double)x[i];
        s += v * v;
    }
    return s;
}

/* p -= lr · (g + decay · p). */
static void FN(sgd_step)(T *p, const T *g, size_t n, double lr, double decay)
{
    const R lr_ = (R)lr, decay_ = (R)decay;
    if (decay == 0.0) {
        for (size_t i = 0; i < n; i++) p[i] = (T)((R)p[i] - lr_ * (R)g[i]);
    } else {
        for (size_t i = 0; i < n; i++) {
            const R w = (R)p[i];
            p[i] = (T)(w - lr_ * ((R)g[i] + decay_ * w));
        }
    }
}

/* v = mu · v + g; p -= lr · v (or with nesterov: p -= lr · (g + mu · v), with the updated v). */
static void FN(momentum_step)(T *p, const T *g, T *v, size_t n, double lr, double mu, int nesterov)
{
    const R lr_ = (R)lr, mu_ = (R)mu;
    if (nesterov) {
        for (size_t i = 0; i < n; i++) {
            const R gi = (R)g[i];
            const R vi = mu_ * (R)v[i] + gi;
            v[i] = (T)vi;
            p[i] = (T)((R)p[i] - lr_ * (gi + mu_ * vi));
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const R vi = mu_ * (R)v[i] + (R)g[i];
            v[i] = (T)vi;
            p[i] = (T)((R)p[i] - lr_ * vi);
        }
    }
}

/* Adam / AdamW: m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p -= lr · ((m/bc1) / (sqrt(v/bc2) + eps) + wd·p).
 * The divisions by bc1 and bc2 are multiplications by their reciprocals (one rounding of difference). */
static void FN(adam_step)(T *p, const T *g, T *m, T *v, size_t n, double lr, double b1, double b2, double eps,
                          double bc1, double bc2, double wd)
{
    const R b1_ = (R)b1, b2_ = (R)b2, c1 = (R)(1.0 - b1), c2 = (R)(1.0 - b2), eps_ = (R)eps;
    const R lr_ = (R)lr, wd_ = (R)wd, ibc1 = (R)(1.0 / bc1), ibc2 = (R)(1.0 / bc2);
    for (size_t i = 0; i < n; i++) {
        const R gi = (R)g[i];
        const R mi = b1_ * (R)m[i] + c1 * gi;
        const R vi = b2_ * (R)v[i] + c2 * gi * gi;
        m[i] = (T)mi;
        v[i] = (T)vi;
        const R w = (R)p[i];
        p[i] = (T)(w - lr_ * ((mi * ibc1) / (R_SQRT(vi * ibc2) + eps_) + wd_ * w));
    }
}

#undef FN
#undef NNC_CAT
#undef NNC_CAT2
