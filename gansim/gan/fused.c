/*
 * gansim's fused CPU training kernel: the same training as gansim/gan/engine.py's batched
 * PyTorch code (same architecture, losses, Adam, learning-rate schedule and EMA, fed the same
 * initial weights and latent noise), one replication at a time.
 *
 * Why C: at width 16 the batched PyTorch engine spends ~60% of its time in separate
 * memory-bound elementwise passes (LeakyReLU and its derivative, bias sums, Adam) over
 * (replications x points x 16) tensors.  Here one replication's whole state -- parameters,
 * Adam moments, activations, ~50 KB -- stays in the core's L1/L2 cache for a run of training
 * steps and every elementwise operation is fused into the loop that produces its operand.
 *
 * Layout: a replication's parameters are its row of gansim's "rows" layout (MLPLayout): per
 * layer W of shape (in, out), row-major, then b (out).  Activations are point-major,
 * (points, width), so the loops over a layer's width are the inner, contiguous ones (a
 * width-16 row is one AVX-512 vector).  Layer sizes are compile-time constants
 * (-DG_SIZES=..., fused.py compiles one library per architecture), which lets the compiler
 * unroll and vectorise those loops.  Plain C, no intrinsics: the compiler (-O3
 * -march=native) does the vectorising, so the code reads as the arithmetic it performs.  The
 * width-16 layers (the default) hold a row in a GCC/Clang vector of 16 floats, which keeps
 * accumulators in registers where arrays went through the stack; the arithmetic, and so every
 * result, is that of the plain loops (checked bit for bit against the previous kernel on 16
 * configurations when written).
 *
 * Floating point: float32 throughout, sums in a fixed order, so results are deterministic
 * for a given library and machine and independent of the other replications of a block.
 * They are not bit-identical to the PyTorch engine (different summation order); the tests
 * compare gradients with autograd and short training runs with the PyTorch engine.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef G_SIZES
#error "compile with -DG_SIZES={latent,...,1} -DD_SIZES={1,...,1} (see gansim/gan/fused.py)"
#endif

static const int G_DIMS[] = G_SIZES;
static const int D_DIMS[] = D_SIZES;
#define NLAYERS(dims) ((int)(sizeof(dims) / sizeof(dims[0])) - 1)
#define G_L NLAYERS(G_DIMS)
#define D_L NLAYERS(D_DIMS)
#ifndef MAXW
#define MAXW 512  /* twice the widest layer (fused.py passes the architecture's) */
#endif
/* Inlined and unrolled at every call site, so that each layer's sizes are constants. */
#define INLINE static inline __attribute__((always_inline))

/* Settings of a run, as fused.py passes them (one struct, so the C signature stays short). */
typedef struct {
    int R, n, n_fake, d_steps;
    int kind;       /* D's game: 0 cross-entropy on logits, 1 least squares */
    int gen;        /* G's loss: 0 non-saturating, 1 minimax, 2 least squares */
    float target;   /* the real points' label (1 - label smoothing) */
    float slope;    /* LeakyReLU's negative slope */
    float beta1, beta2, eps;
    int ema_first;  /* first step after which the EMA is updated, or -1 for none */
    float ema_weight;
    int latent;         /* the latent's coordinates: 0 normal, 1 symmetric generalized Pareto */
    int components;     /* K equal-weight components shifted along coordinate 0 (1: none) */
    double separation;  /* distance between neighbouring components' centres */
    const double *tails;  /* (R,) each replication's Pareto tail index, or NULL */
} Settings;

/* Number of parameters of an MLP with the given sizes. */
static int n_params(const int *dims, int L) {
    int p = 0;
    for (int l = 0; l < L; l++) p += dims[l] * dims[l + 1] + dims[l + 1];
    return p;
}

typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int v16i __attribute__((vector_size(64)));

/* LeakyReLU of 16 lanes: a > 0 ? a : slope * a (C has no vector ?:). */
INLINE v16 leaky16(v16 a, float slope) {
    const v16i pos = a > 0.0f;
    const v16 neg = slope * a;
    return (v16)(((v16i)a & pos) | ((v16i)neg & ~pos));
}

/* The pairwise tree of one 16-float vector: its halves added, four times, in registers
 * (GCC/Clang vector extensions; through an array the compiler spilled the tree to the stack
 * an element at a time, which made the width-1 layers a third of the kernel's time). */
INLINE float tree16(v16 t) {
    typedef float v8 __attribute__((vector_size(32)));
    typedef float v4 __attribute__((vector_size(16)));
    typedef float v2 __attribute__((vector_size(8)));
    const v8 t8 = __builtin_shufflevector(t, t, 0, 1, 2, 3, 4, 5, 6, 7)
                  + __builtin_shufflevector(t, t, 8, 9, 10, 11, 12, 13, 14, 15);
    const v4 t4 = __builtin_shufflevector(t8, t8, 0, 1, 2, 3)
                  + __builtin_shufflevector(t8, t8, 4, 5, 6, 7);
    const v2 t2 = __builtin_shufflevector(t4, t4, 0, 1) + __builtin_shufflevector(t4, t4, 2, 3);
    return t2[0] + t2[1];
}

/* sum_i a[i] b[i] as a pairwise tree (t[i] += t[i + h] for h = len/2, len/4, ..., 1 over
 * the products padded with zeros to a power of two): vectorises without -ffast-math (a
 * plain loop is a serial chain of adds, one point at a time) and keeps a fixed order. */
INLINE float dot(int len, const float *restrict a, const float *restrict b) {
    if (len == 16)  /* the same tree in registers */
        return tree16(*(const v16 *)a * *(const v16 *)b);
    float t[MAXW];
    int h = 1;
    while (h < len) h *= 2;
    for (int i = 0; i < h; i++) t[i] = i < len ? a[i] * b[i] : 0.0f;
    for (h /= 2; h >= 1; h /= 2)
        for (int i = 0; i < h; i++) t[i] += t[i + h];
    return t[0];
}

/* out[p, :] = act(b + in[p, :] @ W) for N points. */
INLINE void dense_forward(int si, int so, int N, const float *restrict in,
                          const float *restrict W, const float *restrict b,
                          float *restrict out, int hidden, float slope) {
    int p0 = 0;
    if (so == 16) {
        /* Four points at a time: four independent chains of multiply-adds sharing each row
         * of W; each point's operations, and so its result, are those of one at a time. */
        for (; p0 + 4 <= N; p0 += 4) {
            const float *x = in + (size_t)p0 * si;
            v16 acc0 = *(const v16 *)b, acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int i = 0; i < si; i++) {
                const v16 w = *(const v16 *)(W + (size_t)i * 16);
                acc0 += x[i] * w;
                acc1 += x[si + i] * w;
                acc2 += x[2 * si + i] * w;
                acc3 += x[3 * si + i] * w;
            }
            v16 accs[4] = {acc0, acc1, acc2, acc3};
            for (int q = 0; q < 4; q++)
                *(v16 *)(out + (size_t)(p0 + q) * 16) = hidden ? leaky16(accs[q], slope)
                                                               : accs[q];
        }
    }
    for (int p = p0; p < N; p++) {
        const float *x = in + (size_t)p * si;
        float *o = out + (size_t)p * so;
        if (so == 1) {
            o[0] = dot(si, x, W) + b[0];
        } else if (so == 16) {
            /* The same arithmetic on a register-held vector (see dense_backward). */
            v16 acc = *(const v16 *)b;
            for (int i = 0; i < si; i++) acc += x[i] * *(const v16 *)(W + (size_t)i * 16);
            *(v16 *)o = hidden ? leaky16(acc, slope) : acc;
        } else {
            float acc[MAXW];
            for (int j = 0; j < so; j++) acc[j] = b[j];
            for (int i = 0; i < si; i++) {
                const float xi = x[i];
                const float *w = W + (size_t)i * so;
                for (int j = 0; j < so; j++) acc[j] += xi * w[j];
            }
            if (hidden) {
                for (int j = 0; j < so; j++) o[j] = acc[j] > 0.0f ? acc[j] : slope * acc[j];
            } else {
                for (int j = 0; j < so; j++) o[j] = acc[j];
            }
        }
    }
}

/* Backward of one layer: given dh = dLoss/d(pre-activation), writes the parameter gradients
 * gW, gb (when non-NULL) and din = dh @ W^T (when non-NULL). */
INLINE void dense_backward(int si, int so, int N, const float *restrict in,
                           const float *restrict W, const float *restrict dh,
                           float *restrict gW, float *restrict gb, float *restrict din) {
    /* gW[i, :] = sum_p in[p, i] dh[p, :], eight rows of gW at a time: eight independent
     * accumulators per point hide the latency of the multiply-adds. */
    enum { IB = 8 };
    if (gW && so == 16) {
        /* The same sums with the accumulators in registers: as arrays the compiler kept them
         * on the stack, a load and a store around every multiply-add. */
        for (int i0 = 0; i0 < si; i0 += IB) {
            const int ib = si - i0 < IB ? si - i0 : IB;
            v16 acc[IB];
            for (int i = 0; i < IB; i++) acc[i] = (v16){0};
            for (int p = 0; p < N; p++) {
                const float *x = in + (size_t)p * si + i0;
                const v16 d = *(const v16 *)(dh + (size_t)p * 16);
#pragma GCC unroll 8
                for (int i = 0; i < ib; i++) acc[i] += x[i] * d;
            }
            for (int i = 0; i < ib; i++) *(v16 *)(gW + (size_t)(i0 + i) * 16) = acc[i];
        }
        v16 acc_b = {0};
        for (int p = 0; p < N; p++) acc_b += *(const v16 *)(dh + (size_t)p * 16);
        *(v16 *)gb = acc_b;
    } else if (gW) {
        for (int i0 = 0; i0 < si; i0 += IB) {
            const int ib = si - i0 < IB ? si - i0 : IB;
            float acc[IB][MAXW];
            for (int i = 0; i < IB; i++)
                for (int j = 0; j < so; j++) acc[i][j] = 0.0f;
            for (int p = 0; p < N; p++) {
                const float *x = in + (size_t)p * si + i0;
                const float *d = dh + (size_t)p * so;
#pragma GCC unroll 8
                for (int i = 0; i < ib; i++)
                    for (int j = 0; j < so; j++) acc[i][j] += x[i] * d[j];
            }
            for (int i = 0; i < ib; i++)
                for (int j = 0; j < so; j++) gW[(size_t)(i0 + i) * so + j] = acc[i][j];
        }
        float acc_b[MAXW];
        for (int j = 0; j < so; j++) acc_b[j] = 0.0f;
        for (int p = 0; p < N; p++)
            for (int j = 0; j < so; j++) acc_b[j] += dh[(size_t)p * so + j];
        for (int j = 0; j < so; j++) gb[j] = acc_b[j];
    }
    if (din) {
        if (si == 1) {
            for (int p = 0; p < N; p++) din[p] = dot(so, W, dh + (size_t)p * so);
        } else {
            /* din[p, :] = sum_j dh[p, j] W^T[j, :], with W^T's rows contiguous. */
            float WT[MAXW * MAXW / 4];  /* si * so <= (MAXW / 2)^2 */
            for (int i = 0; i < si; i++)
                for (int j = 0; j < so; j++) WT[j * si + i] = W[i * so + j];
            if (si == 16) {
                int p = 0;
                for (; p + 4 <= N; p += 4) {   /* four points at a time, as dense_forward */
                    const float *d = dh + (size_t)p * so;
                    v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
                    for (int j = 0; j < so; j++) {
                        const v16 w = *(const v16 *)(WT + j * 16);
                        a0 += d[j] * w;
                        a1 += d[so + j] * w;
                        a2 += d[2 * so + j] * w;
                        a3 += d[3 * so + j] * w;
                    }
                    *(v16 *)(din + (size_t)p * 16) = a0;
                    *(v16 *)(din + (size_t)(p + 1) * 16) = a1;
                    *(v16 *)(din + (size_t)(p + 2) * 16) = a2;
                    *(v16 *)(din + (size_t)(p + 3) * 16) = a3;
                }
                for (; p < N; p++) {
                    const float *d = dh + (size_t)p * so;
                    v16 acc = {0};
                    for (int j = 0; j < so; j++) acc += d[j] * *(const v16 *)(WT + j * 16);
                    *(v16 *)(din + (size_t)p * 16) = acc;
                }
                return;
            }
            for (int p = 0; p < N; p++) {
                const float *d = dh + (size_t)p * so;
                float acc[MAXW];
                for (int i = 0; i < si; i++) acc[i] = 0.0f;
                for (int j = 0; j < so; j++) {
                    const float dj = d[j];
                    for (int i = 0; i < si; i++) acc[i] += dj * WT[j * si + i];
                }
                float *o = din + (size_t)p * si;
                for (int i = 0; i < si; i++) o[i] = acc[i];
            }
        }
    }
}

/* Forward pass of an MLP over N points; acts[l] receives layer l's output (acts[L-1] the
 * network's output), the input is `in`. */
INLINE void mlp_forward(const int *dims, int L, const float *params, const float *in, int N,
                        float **acts, float slope) {
    const float *x = in;
#pragma GCC unroll 16
    for (int l = 0; l < L; l++) {
        const float *W = params;
        const float *b = W + dims[l] * dims[l + 1];
        params = b + dims[l + 1];
        dense_forward(dims[l], dims[l + 1], N, x, W, b, acts[l], l < L - 1, slope);
        x = acts[l];
    }
}

/* Backward pass of mlp_forward given dout = dLoss/d(output).  grad (parameter layout) and
 * din (N x dims[0]) are each optional; buf[0], buf[1] (N x widest layer) are scratch. */
INLINE void mlp_backward(const int *dims, int L, const float *params, const float *in, int N,
                         float **acts, const float *dout, float *grad, float *din,
                         float *const buf[2], float slope) {
    const float *Ws[16];
    size_t offs[16];
    size_t off = 0;
#pragma GCC unroll 16
    for (int l = 0; l < L; l++) {
        Ws[l] = params + off;
        offs[l] = off;
        off += (size_t)dims[l] * dims[l + 1] + dims[l + 1];
    }
    const float *d = dout;      /* dLoss/d(pre-activation of layer l) */
    int next = 0;
#pragma GCC unroll 16
    for (int l = L - 1; l >= 0; l--) {
        const int si = dims[l], so = dims[l + 1];
        const float *x = l > 0 ? acts[l - 1] : in;
        float *gW = grad ? grad + offs[l] : NULL;
        float *gb = grad ? gW + si * so : NULL;
        float *dnext = l > 0 ? buf[next] : din;
        dense_backward(si, so, N, x, Ws[l], d, gW, gb, dnext);
        if (l > 0) {
            /* Through LeakyReLU: the output's sign is the pre-activation's for slope > 0,
             * and for slope = 0 both give a zero derivative (as PyTorch's
             * leaky_relu_backward with self_is_result). */
            const float *a = acts[l - 1];
            const size_t count = (size_t)N * si;
            for (size_t q = 0; q < count; q++) dnext[q] = a[q] > 0.0f ? dnext[q]
                                                                       : slope * dnext[q];
            d = dnext;
            next = 1 - next;
        }
    }
}

/*
 * Latent noise from Philox4x32-10 counters (gansim/gan/noise.py holds the definition and the
 * same arithmetic in PyTorch): normal number e of draw j of step t of a replication with key
 * (k0, k1) is word e / C of Philox call e % C, C = ceil(count / 4), counter (e % C, t, j, 0),
 * through Box-Muller with polynomial log, sin and cos.  Computed where it is used, so no
 * noise buffer exists and nothing depends on blocks or threads.
 *
 * fp-contract=off: every operation rounded on its own, as PyTorch's elementwise kernels
 * do, so these numbers equal noise.py's bit for bit (tested); the rest of this file keeps
 * fused multiply-adds.
 */
#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

INLINE void philox4x32(uint32_t x[4], uint32_t k0, uint32_t k1) {
    for (int r = 0; r < 10; r++) {
        const uint64_t p0 = (uint64_t)PHILOX_M0 * x[0], p1 = (uint64_t)PHILOX_M1 * x[2];
        const uint32_t y0 = (uint32_t)(p1 >> 32) ^ x[1] ^ k0, y2 = (uint32_t)(p0 >> 32) ^ x[3] ^ k1;
        x[1] = (uint32_t)p1;
        x[3] = (uint32_t)p0;
        x[0] = y0;
        x[2] = y2;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
}

/* Horner's rule, one rounding per operation (see fp-contract above). */
#define POLY5(x, c) ((((c[4] * (x) + c[3]) * (x) + c[2]) * (x) + c[1]) * (x) + c[0])

/* Two N(0, 1) numbers from two words: radius sqrt(-2 log u), u = ((a >> 8) + 1) / 2^24, angle
 * a quarter turn times (top two bits of b + the next 24 bits / 2^24). */
INLINE void box_muller(uint32_t a, uint32_t b, float *z0, float *z1) {
    static const float LOG_C[5] = {2.0f, (float)(2.0 / 3.0), 0.4f, (float)(2.0 / 7.0),
                                   (float)(2.0 / 9.0)};
    static const float SIN_C[6] = {1.0f, (float)(-1.0 / 6.0), (float)(1.0 / 120.0),
                                   (float)(-1.0 / 5040.0), (float)(1.0 / 362880.0),
                                   (float)(-1.0 / 39916800.0)};
    static const float COS_C[7] = {1.0f, -0.5f, (float)(1.0 / 24.0), (float)(-1.0 / 720.0),
                                   (float)(1.0 / 40320.0), (float)(-1.0 / 3628800.0),
                                   (float)(1.0 / 479001600.0)};
    const float u = (float)((a >> 8) + 1u) * 0x1p-24f;
    uint32_t bits;
    memcpy(&bits, &u, 4);
    int32_t e = (int32_t)(bits >> 23) - 127;
    const uint32_t mbits = (bits & 0x7FFFFFu) | 0x3F800000u;
    float m;
    memcpy(&m, &mbits, 4);
    const int big = m > 1.41421356f;
    m = big ? m * 0.5f : m;
    e += big;
    const float s = (m - 1.0f) / (m + 1.0f);
    const float log_u = (float)e * (float)0.6931471805599453 + s * POLY5(s * s, LOG_C);
    const float radius = sqrtf(-2.0f * log_u);
    const uint32_t quadrant = b >> 30;
    const float y = (float)((b >> 6) & 0xFFFFFFu) * (float)(0x1p-24 * 3.141592653589793 / 2);
    const float y2 = y * y;
    const float sn = y * (POLY5(y2, (SIN_C + 1)) * y2 + SIN_C[0]);
    const float cs = (POLY5(y2, (COS_C + 2)) * y2 + COS_C[1]) * y2 + COS_C[0];
    float c = (quadrant & 1u) ? -sn : cs, si = (quadrant & 1u) ? cs : sn;
    if (quadrant >= 2u) {
        c = -c;
        si = -si;
    }
    *z0 = radius * c;
    *z1 = radius * si;
}

/* Room philox_normals needs for `count` normals: whole Philox calls of four. */
static size_t noise_room(size_t count) { return 4 * ((count + 3) / 4); }

/* The `count` normals of draw j of step t into out (room for noise_room(count)). */
__attribute__((optimize("fp-contract=off"), noinline))
static void philox_normals(uint32_t k0, uint32_t k1, uint32_t t, uint32_t j, int count,
                           float *restrict out) {
    const int C = (count + 3) / 4;
    for (int c = 0; c < C; c++) {
        uint32_t x[4] = {(uint32_t)c, t, j, 0u};
        philox4x32(x, k0, k1);
        box_muller(x[0], x[1], out + c, out + C + c);
        box_muller(x[2], x[3], out + 2 * C + c, out + 3 * C + c);
    }
}

/*
 * The latent beyond the normal (noise.py's latents_from_tensors holds the definition): the
 * Pareto latent's coordinate e is +-a (u^(-1/a) - 1) from word e / C of Philox call e % C
 * with counter (e % C, t, j, 2), u = ((w >> 8) + 1) / 2^24, the sign from bit 0, computed in
 * double and rounded once (as noise.py computes it in float64); a mixture's point i takes
 * component k = ((w >> 8) K) >> 24 from word i / C' of call i % C' with counter
 * (i % C', t, j, 3), C' = ceil(points / 4), and adds its shift, rounded to float, to its
 * first coordinate.
 */
__attribute__((optimize("fp-contract=off"), noinline))
static void philox_latents(const Settings *s, uint32_t k0, uint32_t k1, uint32_t t, uint32_t j,
                           int points, int latent, double alpha, float *restrict out) {
    const int count = points * latent;
    if (s->latent == 1) {
        const int C = (count + 3) / 4;
        for (int c = 0; c < C; c++) {
            uint32_t x[4] = {(uint32_t)c, t, j, 2u};
            philox4x32(x, k0, k1);
            for (int q = 0; q < 4; q++) {
                const double u = (double)((x[q] >> 8) + 1u) * 0x1p-24;
                const double mag = alpha * (exp(-log(u) / alpha) - 1.0);
                out[q * C + c] = (float)((x[q] & 1u) ? -mag : mag);
            }
        }
    } else {
        philox_normals(k0, k1, t, j, count, out);
    }
    if (s->components > 1) {
        const int C = (points + 3) / 4;
        const double mid = 0.5 * (s->components - 1);
        for (int c = 0; c < C; c++) {
            uint32_t x[4] = {(uint32_t)c, t, j, 3u};
            philox4x32(x, k0, k1);
            for (int q = 0; q < 4 && q * C + c < points; q++) {
                const uint32_t k = ((x[q] >> 8) * (uint32_t)s->components) >> 24;
                const float shift = (float)(s->separation * ((double)k - mid));
                out[(size_t)(q * C + c) * latent] += shift;
            }
        }
    }
}

/* Adam, the arithmetic of torch.optim.Adam (no weight decay, no amsgrad). */
static void adam(float *restrict p, float *restrict m, float *restrict v,
                 const float *restrict g, int P, double lr, long t, const Settings *s) {
    const double bc1 = 1.0 - pow((double)s->beta1, (double)t);
    const float bc2_sqrt = (float)sqrt(1.0 - pow((double)s->beta2, (double)t));
    const float step = (float)(-lr / bc1);
    const float w1 = 1.0f - s->beta1, b2 = s->beta2, w2 = 1.0f - s->beta2, eps = s->eps;
    for (int q = 0; q < P; q++) {
        m[q] += w1 * (g[q] - m[q]);
        v[q] = v[q] * b2 + w2 * g[q] * g[q];
        const float denom = sqrtf(v[q]) / bc2_sqrt + eps;
        p[q] += step * (m[q] / denom);
    }
}

static inline float sigmoid(float o) { return 1.0f / (1.0f + expf(-o)); }

/* log(1 + e^x) without overflow. */
static inline float softplus(float x) { return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x))); }

/* Per-replication working memory, allocated once per call. */
typedef struct {
    float *g_acts[16], *d_acts[16];
    float *x_d;       /* D's input: n real points then n_fake fakes */
    float *dout, *buf[2], *dfake, *g_grad, *d_grad;
    float *z;         /* one draw's latent noise, when generated here */
} Work;

static float *alloc_floats(size_t count, int *failed) {
    float *p = aligned_alloc(64, ((count * sizeof(float) + 63) / 64) * 64);
    if (!p) *failed = 1;
    return p;
}

static int work_alloc(Work *w, const Settings *s) {
    int failed = 0;
    const int N = s->n + s->n_fake;
    int maxw = 1;
    for (int l = 0; l <= G_L; l++) maxw = G_DIMS[l] > maxw ? G_DIMS[l] : maxw;
    for (int l = 0; l <= D_L; l++) maxw = D_DIMS[l] > maxw ? D_DIMS[l] : maxw;
    memset(w, 0, sizeof(*w));
    for (int l = 0; l < G_L; l++) w->g_acts[l] = alloc_floats((size_t)s->n_fake * G_DIMS[l + 1], &failed);
    for (int l = 0; l < D_L; l++) w->d_acts[l] = alloc_floats((size_t)N * D_DIMS[l + 1], &failed);
    w->x_d = alloc_floats(N, &failed);
    w->dout = alloc_floats((size_t)N * maxw, &failed);
    w->buf[0] = alloc_floats((size_t)N * maxw, &failed);
    w->buf[1] = alloc_floats((size_t)N * maxw, &failed);
    w->dfake = alloc_floats(s->n_fake, &failed);
    w->g_grad = alloc_floats(n_params(G_DIMS, G_L), &failed);
    w->d_grad = alloc_floats(n_params(D_DIMS, D_L), &failed);
    w->z = alloc_floats(noise_room((size_t)s->n_fake * G_DIMS[0]), &failed);
    return failed;
}

static void work_free(Work *w) {
    for (int l = 0; l < G_L; l++) free(w->g_acts[l]);
    for (int l = 0; l < D_L; l++) free(w->d_acts[l]);
    free(w->x_d); free(w->dout); free(w->buf[0]); free(w->buf[1]); free(w->dfake);
    free(w->g_grad); free(w->d_grad); free(w->z);
}

/* D's loss gradient of one replication into w->d_grad; returns D's loss when want_value. */
static float d_gradient(const Settings *s, Work *w, const float *z, const float *gp,
                        const float *dp, int want_value) {
    const int n = s->n, nf = s->n_fake, N = n + nf;
    mlp_forward(G_DIMS, G_L, gp, z, nf, w->g_acts, s->slope);
    memcpy(w->x_d + n, w->g_acts[G_L - 1], sizeof(float) * nf);
    mlp_forward(D_DIMS, D_L, dp, w->x_d, N, w->d_acts, s->slope);
    const float *o = w->d_acts[D_L - 1];
    const float inv_n = 1.0f / n, inv_f = 1.0f / nf, y = s->target;
    double value = 0.0;
    for (int p = 0; p < N; p++) {
        const int real = p < n;
        float g;
        if (s->kind == 0) {
            g = sigmoid(o[p]) - (real ? y : 0.0f);
            if (want_value) value += real ? (y * softplus(-o[p]) + (1.0f - y) * softplus(o[p])) / n
                                          : softplus(o[p]) / nf;
        } else {
            g = o[p] - (real ? y : 0.0f);
            if (want_value) value += real ? 0.5f * (o[p] - y) * (o[p] - y) / n
                                          : 0.5f * o[p] * o[p] / nf;
        }
        w->dout[p] = g * (real ? inv_n : inv_f);
    }
    mlp_backward(D_DIMS, D_L, dp, w->x_d, N, w->d_acts, w->dout, w->d_grad, NULL, w->buf,
                 s->slope);
    return (float)value;
}

/* G's loss gradient of one replication into w->g_grad; returns G's loss when want_value. */
static float g_gradient(const Settings *s, Work *w, const float *z, const float *gp,
                        const float *dp, int want_value) {
    const int nf = s->n_fake;
    mlp_forward(G_DIMS, G_L, gp, z, nf, w->g_acts, s->slope);
    const float *fake = w->g_acts[G_L - 1];
    mlp_forward(D_DIMS, D_L, dp, fake, nf, w->d_acts, s->slope);
    const float *o = w->d_acts[D_L - 1];
    const float inv_f = 1.0f / nf;
    double value = 0.0;
    for (int p = 0; p < nf; p++) {
        float g;
        if (s->gen == 0) {          /* -log σ(o) */
            g = sigmoid(o[p]) - 1.0f;
            if (want_value) value += softplus(-o[p]);
        } else if (s->gen == 1) {   /* log(1 - σ(o)) */
            g = -sigmoid(o[p]);
            if (want_value) value -= softplus(o[p]);
        } else {                    /* ½(o - 1)² */
            g = o[p] - 1.0f;
            if (want_value) value += 0.5f * (o[p] - 1.0f) * (o[p] - 1.0f);
        }
        w->dout[p] = g * inv_f;
    }
    mlp_backward(D_DIMS, D_L, dp, fake, nf, w->d_acts, w->dout, NULL, w->dfake, w->buf,
                 s->slope);
    mlp_backward(G_DIMS, G_L, gp, z, nf, w->g_acts, w->dfake, w->g_grad, NULL, w->buf,
                 s->slope);
    return (float)(value / nf);
}

/*
 * Training steps t0 .. t0 + n_steps - 1 of replications r_begin .. r_end - 1 of a block (a
 * caller may run disjoint ranges in parallel threads: nothing here is shared between
 * replications).
 *
 * real: (R, n); keys: (R, 2) Philox keys, the latent noise generated here (see
 * philox_normals), or NULL and noise: (n_steps, d_steps + 1, R, n_fake, latent), the latent
 * noise of each step's D updates then its G update, drawn by the caller; lr_g, lr_d:
 * (n_steps,) learning rates; g/d params and Adam moments: (R, P) rows; ema: (R, P_G),
 * initialised here at step ema_first; trace: (n_steps, 2, R) or NULL.  Returns 0, or 1 when
 * memory could not be allocated.
 */
int gansim_train(const Settings *s, int r_begin, int r_end, int t0, int n_steps,
                 const double *lr_g,
                 const double *lr_d, const float *real, const uint32_t *keys,
                 const float *noise, float *g_params,
                 float *g_m, float *g_v, float *ema, float *d_params, float *d_m, float *d_v,
                 float *trace) {
    const int R = s->R, k = s->d_steps, latent = G_DIMS[0];
    const int PG = n_params(G_DIMS, G_L), PD = n_params(D_DIMS, D_L);
    const size_t z_size = (size_t)s->n_fake * latent;
    Work w;
    if (work_alloc(&w, s)) {
        work_free(&w);
        return 1;
    }
    /* Draw j of step i of replication r: generated into w.z, or the caller's. */
#define LATENT(r, i, j) (keys ? (plain ? philox_normals(keys[2 * (r)], keys[2 * (r) + 1],     \
                                                        (uint32_t)(t0 + (i)), (uint32_t)(j),  \
                                                        (int)z_size, w.z)                     \
                                        : philox_latents(s, keys[2 * (r)], keys[2 * (r) + 1], \
                                                         (uint32_t)(t0 + (i)), (uint32_t)(j), \
                                                         s->n_fake, latent,                   \
                                                         s->tails ? s->tails[r] : 1.0, w.z),  \
                                  w.z)                                                        \
                              : noise + (((size_t)(i) * (k + 1) + (j)) * R + (r)) * z_size)
    const int plain = s->latent == 0 && s->components <= 1;
    for (int r = r_begin; r < r_end; r++) {
        float *gp = g_params + (size_t)r * PG, *gm = g_m + (size_t)r * PG, *gv = g_v + (size_t)r * PG;
        float *dp = d_params + (size_t)r * PD, *dm = d_m + (size_t)r * PD, *dv = d_v + (size_t)r * PD;
        float *ep = ema + (size_t)r * PG;
        memcpy(w.x_d, real + (size_t)r * s->n, sizeof(float) * s->n);
        for (int i = 0; i < n_steps; i++) {
            const long t = t0 + i;
            const int want = trace != NULL;
            float d_value = 0.0f;
            for (int j = 0; j < k; j++) {
                const float *z = LATENT(r, i, j);
                d_value = d_gradient(s, &w, z, gp, dp, want && j == k - 1);
                adam(dp, dm, dv, w.d_grad, PD, lr_d[i], t * k + j + 1, s);
            }
            /* Against the updated discriminator. */
            const float *z = LATENT(r, i, k);
            const float g_value = g_gradient(s, &w, z, gp, dp, want);
            adam(gp, gm, gv, w.g_grad, PG, lr_g[i], t + 1, s);
            if (want) {
                trace[((size_t)i * 2 + 0) * R + r] = d_value;
                trace[((size_t)i * 2 + 1) * R + r] = g_value;
            }
            if (s->ema_first >= 0 && t >= s->ema_first) {
                if (t == s->ema_first) {
                    memcpy(ep, gp, sizeof(float) * PG);
                } else {
                    const float a = s->ema_weight;
                    for (int q = 0; q < PG; q++) ep[q] += a * (gp[q] - ep[q]);
                }
            }
        }
    }
    work_free(&w);
    return 0;
}

/*
 * The loss gradients alone, for the tests: D's at (z_d, real) and G's at z_g, both at the
 * given parameters, for every replication; grads are (R, P) rows.  Returns 0 or 1 (memory).
 */
int gansim_gradients(const Settings *s, const float *real, const float *z_d, const float *z_g,
                     const float *g_params, const float *d_params, float *g_grad,
                     float *d_grad) {
    const int PG = n_params(G_DIMS, G_L), PD = n_params(D_DIMS, D_L);
    const size_t z_size = (size_t)s->n_fake * G_DIMS[0];
    Work w;
    if (work_alloc(&w, s)) {
        work_free(&w);
        return 1;
    }
    for (int r = 0; r < s->R; r++) {
        const float *gp = g_params + (size_t)r * PG, *dp = d_params + (size_t)r * PD;
        memcpy(w.x_d, real + (size_t)r * s->n, sizeof(float) * s->n);
        d_gradient(s, &w, z_d + r * z_size, gp, dp, 0);
        g_gradient(s, &w, z_g + r * z_size, gp, dp, 0);
        memcpy(d_grad + (size_t)r * PD, w.d_grad, sizeof(float) * PD);
        memcpy(g_grad + (size_t)r * PG, w.g_grad, sizeof(float) * PG);
    }
    work_free(&w);
    return 0;
}

/* The latent normals of steps t0 .. t0 + n_steps - 1, draws 0 .. draws - 1, of replications
 * with keys (R, 2), into out (n_steps, draws, R, count): what the kernel generates, for the
 * PyTorch engine on the CPU.  Returns 0, or 1 when memory could not be allocated. */
int gansim_philox_normals(const uint32_t *keys, int R, int t0, int n_steps, int draws,
                          int count, float *out) {
    int failed = 0;
    float *z = alloc_floats(noise_room(count), &failed);
    if (failed) return 1;
    for (int i = 0; i < n_steps; i++)
        for (int j = 0; j < draws; j++)
            for (int r = 0; r < R; r++) {
                philox_normals(keys[2 * r], keys[2 * r + 1], (uint32_t)(t0 + i), (uint32_t)j,
                               count, z);
                memcpy(out + (((size_t)i * draws + j) * R + r) * count, z,
                       sizeof(float) * count);
            }
    free(z);
    return 0;
}

/* The latents of philox_latents (the settings' latent, components, separation and tails) of
 * steps t0 .. t0 + n_steps - 1, draws 0 .. draws - 1, replications with keys (R, 2), into out
 * (n_steps, draws, R, points * latent), for the tests.  Returns 0, or 1 (memory). */
int gansim_philox_latents(const Settings *s, const uint32_t *keys, int R, int t0, int n_steps,
                          int draws, int points, float *out) {
    const int latent = G_DIMS[0];
    const size_t count = (size_t)points * latent;
    int failed = 0;
    float *z = alloc_floats(noise_room(count), &failed);
    if (failed) return 1;
    for (int i = 0; i < n_steps; i++)
        for (int j = 0; j < draws; j++)
            for (int r = 0; r < R; r++) {
                philox_latents(s, keys[2 * r], keys[2 * r + 1], (uint32_t)(t0 + i), (uint32_t)j,
                               points, latent, s->tails ? s->tails[r] : 1.0, z);
                memcpy(out + (((size_t)i * draws + j) * R + r) * count, z,
                       sizeof(float) * count);
            }
    free(z);
    return 0;
}

/* The parameter counts this library was compiled for (checked by fused.py on load). */
int gansim_n_params(int which) { return which == 0 ? n_params(G_DIMS, G_L) : n_params(D_DIMS, D_L); }
