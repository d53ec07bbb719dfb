/* cuda/kernels_math.cu: element-wise arithmetic with broadcasting, activations, Cast, the
 * convolution epilogue, Softmax, ReduceMax and MaxPool. Float math in FP32 whatever the
 * storage, with the reference kernels' formulas (core/ops/) so results agree to rounding. */
#include <float.h>

#include "chain.cuh"
#include "device.cuh"

__device__ __forceinline__ int64_t div_i64(int64_t a, int64_t b)
{
    if (b == 0)
        return 0;
    if (b == -1)
        return (int64_t)(0 - (uint64_t)a);
    return a / b;
}

__device__ __forceinline__ int64_t mod_i64(int64_t a, int64_t b, int floor_mode)
{
    if (b == 0 || b == -1)
        return 0;
    int64_t r = a % b;
    if (floor_mode && r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

template <typename I>
__global__ void binary_kernel(const struct yolo_cu_binary p)
{
    yolo_cu_chain_enter();
    for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < (I)p.numel;
         i += (I)gridDim.x * blockDim.x) {
        I rem = i, ao = 0, bo = 0;
        I yi = p.inner ? i / (I)p.inner * (I)p.yn + i % (I)p.inner : i;
        for (int32_t k = p.ndim - 1; k >= 0; k--) {
            I q = rem / (I)p.shape[k], idx = rem - q * (I)p.shape[k];
            rem = q;
            ao += idx * (I)p.sa[k];
            bo += idx * (I)p.sb[k];
        }
        if (p.y_st == YOLO_CU_I64) {
            int64_t a = ((const int64_t *)p.a)[ao], b = ((const int64_t *)p.b)[bo], y;
            switch (p.op) {
            case YOLO_CU_ADD: y = (int64_t)((uint64_t)a + (uint64_t)b); break;
            case YOLO_CU_SUB: y = (int64_t)((uint64_t)a - (uint64_t)b); break;
            case YOLO_CU_MUL: y = (int64_t)((uint64_t)a * (uint64_t)b); break;
            case YOLO_CU_DIV: y = div_i64(a, b); break;
            case YOLO_CU_MOD_FLOOR: y = mod_i64(a, b, 1); break;
            default: y = mod_i64(a, b, 0); break;
            }
            ((int64_t *)p.y)[yi] = y;
            continue;
        }
        float a = ld_f(p.a, p.a_st, ao), y;
        float b = p.b_st == YOLO_CU_I64 ? (float)((const int64_t *)p.b)[bo] : ld_f(p.b, p.b_st, bo);
        switch (p.op) {
        case YOLO_CU_ADD: y = a + b; break;
        case YOLO_CU_SUB: y = a - b; break;
        case YOLO_CU_MUL: y = a * b; break;
        case YOLO_CU_DIV: y = a / b; break;
        case YOLO_CU_POW: y = b == 2.0f ? a * a : powf(a, b); break;   /* as ops/pow.c */
        default: y = fmodf(a, b); break;
        }
        st_f(p.y, p.y_st, yi, y);
    }
}

/* The four float operations of binary_kernel, for the fast path below. */
__device__ __forceinline__ float arith(int32_t op, float x, float z)
{
    switch (op) {
    case YOLO_CU_ADD: return x + z;
    case YOLO_CU_SUB: return x - z;
    case YOLO_CU_MUL: return x * z;
    default:          return x / z;
    }
}

/* Same-shape float operands (the residual Adds of C2f blocks, most Muls): no index
 * arithmetic, 16-byte loads and stores, the generic kernel's float operations per element. */
template <typename T, int V>
__global__ void binary_flat_kernel(int32_t op, const T *a, const T *b, T *y, int64_t n, int vec,
                                   int64_t an, int64_t bn, int64_t yn)
{
    yolo_cu_chain_enter();
    a += blockIdx.y * an;   /* image blockIdx.y of n elements each (one image when packed) */
    b += blockIdx.y * bn;
    y += blockIdx.y * yn;
    int64_t nv = vec ? n / V : 0;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < nv;
         i += (int64_t)gridDim.x * blockDim.x) {
        uint4 ua = ((const uint4 *)a)[i], ub = ((const uint4 *)b)[i], uy;
        const T *ea = (const T *)&ua, *eb = (const T *)&ub;
        T *ey = (T *)&uy;
#pragma unroll
        for (int k = 0; k < V; k++)
            ey[k] = (T)arith(op, (float)ea[k], (float)eb[k]);
        ((uint4 *)y)[i] = uy;
    }
    for (int64_t i = nv * V + (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (int64_t)gridDim.x * blockDim.x)
        y[i] = (T)arith(op, (float)a[i], (float)b[i]);
}

/* Same-shape float operands as rows of cols elements at row strides an, bn, yn (channels-last
 * tensors, where a row is a pixel's channels and a part's rows lie inside its whole's):
 * 16-byte pieces, the rows flattened into one grid-stride loop (there are millions). */
template <typename T, int V, typename I>
__global__ void binary_rows_kernel(int32_t op, const T *a, const T *b, T *y, int64_t rows,
                                   int64_t cols, int64_t an, int64_t bn, int64_t yn)
{
    yolo_cu_chain_enter();
    I cu = (I)(cols / V), total = (I)rows * cu;
    for (I u = (I)blockIdx.x * blockDim.x + threadIdx.x; u < total;
         u += (I)gridDim.x * blockDim.x) {
        int64_t r = u / cu, q = (int64_t)(u - (I)r * cu) * V;   /* (32-bit division if I is) */
        uint4 ua = *(const uint4 *)(a + r * an + q), ub = *(const uint4 *)(b + r * bn + q), uy;
        const T *ea = (const T *)&ua, *eb = (const T *)&ub;
        T *ey = (T *)&uy;
#pragma unroll
        for (int k = 0; k < V; k++)
            ey[k] = (T)arith(op, (float)ea[k], (float)eb[k]);
        *(uint4 *)(y + r * yn + q) = uy;
    }
}

/* Whether binary_rows_kernel can run p: [rows, inner] with 16-byte aligned rows */
static int binary_is_rows(const struct yolo_cu_binary *p)
{
    if (!p->inner || p->ndim != 2 || p->shape[1] != p->inner || p->sa[1] != 1 || p->sb[1] != 1 ||
        p->a_st != p->y_st || p->b_st != p->y_st || p->op > YOLO_CU_DIV ||
        (p->y_st != YOLO_CU_F32 && p->y_st != YOLO_CU_F16))
        return 0;
    int64_t v = p->y_st == YOLO_CU_F16 ? 8 : 4;
    return (((uintptr_t)p->a | (uintptr_t)p->b | (uintptr_t)p->y) & 15) == 0 &&
           p->inner % v == 0 && p->sa[0] % v == 0 && p->sb[0] % v == 0 && p->yn % v == 0;
}

/* Whether a and b both have the output's full contiguous shape (images strided: [images,
 * inner] with every operand's images packed inside). */
static int binary_is_flat(const struct yolo_cu_binary *p)
{
    if (p->a_st != p->y_st || p->b_st != p->y_st ||
        (p->y_st != YOLO_CU_F32 && p->y_st != YOLO_CU_F16) || p->op > YOLO_CU_DIV)
        return 0;
    if (p->inner)
        return p->ndim == 2 && p->shape[1] == p->inner && p->sa[1] == 1 && p->sb[1] == 1 &&
               p->shape[0] <= 65535;
    int64_t st = 1;
    for (int32_t k = p->ndim - 1; k >= 0; k--) {
        if (p->shape[k] > 1 && (p->sa[k] != st || p->sb[k] != st))
            return 0;
        st *= p->shape[k];
    }
    return 1;
}

extern "C" int yolo_cu_binary(const struct yolo_cu_binary *p, yolo_cu_stream s)
{
    if (p->numel == 0)
        return 0;
    if (binary_is_rows(p) && (p->shape[0] > 65535 || p->inner < 2048)) {   /* short rows */
        int64_t units = p->shape[0] * (p->inner / (p->y_st == YOLO_CU_F16 ? 8 : 4));
        bool small = units < INT32_MAX / 2;
        cudaStream_t st = (cudaStream_t)s;
        unsigned blocks = yolo_cu_blocks(units);
        if (p->y_st == YOLO_CU_F16)
            yolo_cu_launch(small ? binary_rows_kernel<__half, 8, uint32_t>
                                 : binary_rows_kernel<__half, 8, int64_t>,
                           blocks, YOLO_CU_THREADS, 0, st, p->op, (const __half *)p->a,
                           (const __half *)p->b, (__half *)p->y, p->shape[0], p->inner, p->sa[0],
                           p->sb[0], p->yn);
        else
            yolo_cu_launch(small ? binary_rows_kernel<float, 4, uint32_t>
                                 : binary_rows_kernel<float, 4, int64_t>,
                           blocks, YOLO_CU_THREADS, 0, st, p->op, (const float *)p->a,
                           (const float *)p->b, (float *)p->y, p->shape[0], p->inner, p->sa[0],
                           p->sb[0], p->yn);
        return yolo_cu_status();
    }
    if (binary_is_flat(p)) {
        int64_t imgs = p->inner ? p->shape[0] : 1, n = p->inner ? p->inner : p->numel;
        int64_t an = p->inner ? p->sa[0] : 0, bn = p->inner ? p->sb[0] : 0;
        int64_t yn = p->inner ? p->yn : 0;
        int64_t es = p->y_st == YOLO_CU_F16 ? 2 : 4;
        int vec = (((uintptr_t)p->a | (uintptr_t)p->b | (uintptr_t)p->y) & 15) == 0 &&
                  (an * es) % 16 == 0 && (bn * es) % 16 == 0 && (yn * es) % 16 == 0;
        int64_t units = vec ? n / (16 / es) : n;
        dim3 grid(yolo_cu_blocks(units), (unsigned)imgs);
        if (p->y_st == YOLO_CU_F16)
            yolo_cu_launch(binary_flat_kernel<__half, 8>, grid, YOLO_CU_THREADS, 0,
                           (cudaStream_t)s, p->op, (const __half *)p->a, (const __half *)p->b,
                           (__half *)p->y, n, vec, an, bn, yn);
        else
            yolo_cu_launch(binary_flat_kernel<float, 4>, grid, YOLO_CU_THREADS, 0,
                           (cudaStream_t)s, p->op, (const float *)p->a, (const float *)p->b,
                           (float *)p->y, n, vec, an, bn, yn);
        return yolo_cu_status();
    }
    /* operands are never larger than the output (broadcasting only repeats them), unless they
     * are parts of a larger whole (images strided) */
    if (p->numel < INT32_MAX / 2 && !p->inner)
        yolo_cu_launch(binary_kernel<int32_t>,
                       yolo_cu_blocks(p->numel), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    else
        yolo_cu_launch(binary_kernel<int64_t>,
                       yolo_cu_blocks(p->numel), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}

/* Cast as ops/cast.c: into a float or an int64 first, never an int through double. */
__device__ void cast_elem(const void *x, int32_t x_st, void *y, int32_t y_st, int32_t y_bool,
                          int64_t i)
{
    int is_float = st_is_float(x_st);
    float f = 0.0f;
    int64_t v = 0;
    if (is_float)
        f = ld_f(x, x_st, i);
    else if (x_st == YOLO_CU_I64)
        v = ((const int64_t *)x)[i];
    else if (x_st == YOLO_CU_I32)
        v = ((const int32_t *)x)[i];
    else
        v = ((const uint8_t *)x)[i] != 0;
    if (st_is_float(y_st)) {
        st_f(y, y_st, i, is_float ? f : (float)v);
    } else if (y_st == YOLO_CU_I64) {
        int64_t r = v;
        if (is_float)
            r = isnan(f) ? 0 : f >= 0x1p63f ? INT64_MAX : f < -0x1p63f ? INT64_MIN : (int64_t)f;
        ((int64_t *)y)[i] = r;
    } else if (y_st == YOLO_CU_I32) {
        int32_t r;
        if (is_float)
            r = isnan(f) ? 0 : f >= 0x1p31f ? INT32_MAX : f < -0x1p31f ? INT32_MIN : (int32_t)f;
        else
            r = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
        ((int32_t *)y)[i] = r;
    } else {
        uint8_t r = is_float ? (f != 0.0f) : (v != 0);
        ((uint8_t *)y)[i] = y_bool ? r : (uint8_t)(is_float ? (uint8_t)(int)f : (uint8_t)v);
    }
}

__global__ void unary_kernel(int32_t op, const void *x, int32_t x_st, void *y, int32_t y_st,
                             int64_t n, int32_t y_bool)
{
    yolo_cu_chain_enter();
    YOLO_CU_FOR(i, n) {
        if (op == YOLO_CU_CAST) {
            cast_elem(x, x_st, y, y_st, y_bool, i);
            continue;
        }
        float v = ld_f(x, x_st, i);
        st_f(y, y_st, i, act_apply(v, op == YOLO_CU_RELU ? 1 : op == YOLO_CU_SIGMOID ? 2 : 3));
    }
}

/* Relu, Sigmoid or SiLU with one float storage both sides, 16-byte aligned: 16 bytes a
 * thread (8 halves or 4 floats), the tail of n one element a thread. Why: element by element,
 * yolov8n_dq's head Sigmoid (86 M halves at batch 128, H100) moved its bytes at a quarter of
 * the memory's rate. */
template <typename T>
__global__ void unary_vec_kernel(int32_t act, const T *x, T *y, int64_t n)
{
    yolo_cu_chain_enter();
    constexpr int V = 16 / sizeof(T);
    const int64_t nv = n / V;
    YOLO_CU_FOR(i, nv) {
        uint4 raw = ((const uint4 *)x)[i];
        T *e = (T *)&raw;
#pragma unroll
        for (int k = 0; k < V; k++)
            e[k] = (T)act_apply((float)e[k], act);
        ((uint4 *)y)[i] = raw;
    }
    int64_t t = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (t < n - nv * V)
        y[nv * V + t] = (T)act_apply((float)x[nv * V + t], act);
}

extern "C" int yolo_cu_unary(int32_t op, const void *x, int32_t x_st, void *y, int32_t y_st,
                             int64_t n, int32_t y_is_bool, yolo_cu_stream s)
{
    if (n == 0)
        return 0;
    if (op != YOLO_CU_CAST && x_st == y_st && (x_st == YOLO_CU_F16 || x_st == YOLO_CU_F32) &&
        (((uintptr_t)x | (uintptr_t)y) & 15) == 0) {
        int32_t act = op == YOLO_CU_RELU ? 1 : op == YOLO_CU_SIGMOID ? 2 : 3;
        unsigned blocks = yolo_cu_blocks(n / (x_st == YOLO_CU_F16 ? 8 : 4) + 8);
        if (x_st == YOLO_CU_F16)
            yolo_cu_launch(unary_vec_kernel<__half>, blocks, YOLO_CU_THREADS, 0, (cudaStream_t)s,
                           act, (const __half *)x, (__half *)y, n);
        else
            yolo_cu_launch(unary_vec_kernel<float>, blocks, YOLO_CU_THREADS, 0, (cudaStream_t)s,
                           act, (const float *)x, (float *)y, n);
        return yolo_cu_status();
    }
    yolo_cu_launch(unary_kernel, yolo_cu_blocks(n), YOLO_CU_THREADS, 0, (cudaStream_t)s, op, x,
                   x_st, y, y_st, n, y_is_bool);
    return yolo_cu_status();
}

/* Element i of m * hw per image: image i / (m * hw) at cn (c) and yn (y) elements apart. */
__global__ void epilogue_kernel(const void *c, int32_t c_st, void *y, int32_t y_st,
                                const float *bias, int64_t n, int64_t hw, int64_t m, int32_t act,
                                int64_t cn, int64_t yn)
{
    yolo_cu_chain_enter();
    const int64_t inner = hw * m;
    YOLO_CU_FOR(i, n) {
        int64_t img = i / inner, r = i - img * inner;
        float v = ld_f(c, c_st, img * cn + r);
        if (bias)
            v += bias[r / hw];
        st_f(y, y_st, img * yn + r, act_apply(v, act));
    }
}

/* half2 path: two neighbours of one channel per thread (hw even, FP16 in and out); strides
 * and sizes in pairs */
__global__ void epilogue_h2_kernel(const __half2 *c, __half2 *y, const float *bias, int64_t n2,
                                   int64_t hw2, int64_t m, int32_t act, int64_t cn2, int64_t yn2)
{
    yolo_cu_chain_enter();
    const int64_t inner = hw2 * m;
    YOLO_CU_FOR(i, n2) {
        int64_t img = i / inner, r = i - img * inner;
        float2 v = __half22float2(c[img * cn2 + r]);
        float b = bias ? bias[r / hw2] : 0.0f;
        v.x = act_apply(v.x + b, act);
        v.y = act_apply(v.y + b, act);
        y[img * yn2 + r] = __float22half2_rn(v);
    }
}

extern "C" int yolo_cu_conv_epilogue(const void *c, int32_t c_st, void *y, int32_t y_st,
                                     const float *bias, int64_t n, int64_t hw, int64_t m,
                                     int32_t act, int64_t cn, int64_t yn, yolo_cu_stream s)
{
    if (n == 0 || hw == 0 || m == 0)
        return 0;
    cn = cn ? cn : hw * m;
    yn = yn ? yn : hw * m;
    if (c_st == YOLO_CU_F16 && y_st == YOLO_CU_F16 && hw % 2 == 0 && cn % 2 == 0 && yn % 2 == 0)
        yolo_cu_launch(epilogue_h2_kernel, yolo_cu_blocks(n / 2), YOLO_CU_THREADS, 0,
                       (cudaStream_t)s, (const __half2 *)c, (__half2 *)y, bias, n / 2, hw / 2, m,
                       act, cn / 2, yn / 2);
    else
        yolo_cu_launch(epilogue_kernel, yolo_cu_blocks(n), YOLO_CU_THREADS, 0, (cudaStream_t)s, c,
                       c_st, y, y_st, bias, n, hw, m, act, cn, yn);
    return yolo_cu_status();
}

__global__ void softmax_kernel(const void *x, int32_t x_st, void *y, int32_t y_st, int64_t lanes,
                               int64_t len, int64_t inner)
{
    yolo_cu_chain_enter();
    YOLO_CU_FOR(l, lanes) {
        int64_t base = (l / inner) * len * inner + l % inner;
        float mx = -INFINITY, sum = 0.0f;
        for (int64_t i = 0; i < len; i++) {
            float v = ld_f(x, x_st, base + i * inner);
            mx = v > mx ? v : mx;
        }
        for (int64_t i = 0; i < len; i++)
            sum += expf(ld_f(x, x_st, base + i * inner) - mx);
        for (int64_t i = 0; i < len; i++)
            st_f(y, y_st, base + i * inner, expf(ld_f(x, x_st, base + i * inner) - mx) / sum);
    }
}

/* Short softmax axes (YOLO's DFL: 16 bins) held in registers: one read, int32 indices, each
 * exponential computed once; the same float operations as softmax_kernel in the same order. */
#define SOFTMAX_REG 32
__global__ void softmax_reg_kernel(const void *x, int32_t x_st, void *y, int32_t y_st,
                                   int32_t lanes, int32_t len, int32_t inner)
{
    yolo_cu_chain_enter();
    for (int32_t l = blockIdx.x * blockDim.x + threadIdx.x; l < lanes;
         l += gridDim.x * blockDim.x) {
        int32_t base = (l / inner) * len * inner + l % inner;
        float v[SOFTMAX_REG], mx = -INFINITY, sum = 0.0f;
#pragma unroll
        for (int32_t i = 0; i < SOFTMAX_REG; i++)
            if (i < len) {
                v[i] = ld_f(x, x_st, base + i * inner);
                mx = v[i] > mx ? v[i] : mx;
            }
#pragma unroll
        for (int32_t i = 0; i < SOFTMAX_REG; i++)
            if (i < len) {
                v[i] = expf(v[i] - mx);
                sum += v[i];
            }
#pragma unroll
        for (int32_t i = 0; i < SOFTMAX_REG; i++)
            if (i < len)
                st_f(y, y_st, base + i * inner, v[i] / sum);
    }
}

/* Contiguous rows longer than SOFTMAX_REG (YOLO11's attention: 400 keys per query): one warp
 * per row, coalesced loads, the row held in registers up to ROW_REG x 32 values (re-read
 * beyond), max and sum reduced across the warp by shuffles. One thread per row, as
 * softmax_kernel does, walked 400 values three times from addresses 1.6 KB apart across the
 * warp: about 0.1 ms for yolo11n's two heads' 800 rows at batch 1. The sum's order differs
 * from the serial kernel's (lane partial sums, then a butterfly): last-bit differences. */
#define ROW_REG 16
__global__ void softmax_rows_kernel(const void *x, int32_t x_st, void *y, int32_t y_st,
                                    int32_t rows, int32_t len)
{
    yolo_cu_chain_enter();
    int32_t lane = threadIdx.x & 31, warps = (gridDim.x * blockDim.x) >> 5;
    for (int32_t r = (int32_t)((blockIdx.x * blockDim.x + threadIdx.x) >> 5); r < rows; r += warps) {
        int32_t base = r * len;
        float v[ROW_REG], mx = -INFINITY, sum = 0.0f;
#pragma unroll
        for (int32_t k = 0; k < ROW_REG; k++) {
            int32_t i = lane + 32 * k;
            v[k] = i < len ? ld_f(x, x_st, base + i) : -INFINITY;
            mx = v[k] > mx ? v[k] : mx;
        }
        for (int32_t i = lane + 32 * ROW_REG; i < len; i += 32) {
            float t = ld_f(x, x_st, base + i);
            mx = t > mx ? t : mx;
        }
        for (int off = 16; off > 0; off >>= 1) {
            float o = __shfl_xor_sync(0xffffffffu, mx, off);
            mx = o > mx ? o : mx;
        }
#pragma unroll
        for (int32_t k = 0; k < ROW_REG; k++)
            if (lane + 32 * k < len) {
                v[k] = expf(v[k] - mx);
                sum += v[k];
            }
        for (int32_t i = lane + 32 * ROW_REG; i < len; i += 32)
            sum += expf(ld_f(x, x_st, base + i) - mx);
        for (int off = 16; off > 0; off >>= 1)
            sum += __shfl_xor_sync(0xffffffffu, sum, off);
#pragma unroll
        for (int32_t k = 0; k < ROW_REG; k++)
            if (lane + 32 * k < len)
                st_f(y, y_st, base + lane + 32 * k, v[k] / sum);
        for (int32_t i = lane + 32 * ROW_REG; i < len; i += 32)
            st_f(y, y_st, base + i, expf(ld_f(x, x_st, base + i) - mx) / sum);
    }
}

extern "C" int yolo_cu_softmax(const void *x, int32_t x_st, void *y, int32_t y_st, int64_t outer,
                               int64_t len, int64_t inner, int rows, yolo_cu_stream s)
{
    int64_t lanes = outer * inner;
    if (lanes == 0 || len == 0)
        return 0;
    if (len <= SOFTMAX_REG && lanes * len < INT32_MAX / 2) {
        yolo_cu_launch(softmax_reg_kernel, yolo_cu_blocks(lanes), YOLO_CU_THREADS, 0,
                       (cudaStream_t)s, x, x_st, y, y_st, (int32_t)lanes, (int32_t)len,
                       (int32_t)inner);
        return yolo_cu_status();
    }
    if (rows && inner == 1 && lanes * len < INT32_MAX / 2) {   /* one warp per contiguous row */
        yolo_cu_launch(softmax_rows_kernel, yolo_cu_blocks(lanes * 32), YOLO_CU_THREADS, 0,
                       (cudaStream_t)s, x, x_st, y, y_st, (int32_t)lanes, (int32_t)len);
        return yolo_cu_status();
    }
    yolo_cu_launch(softmax_kernel, yolo_cu_blocks(lanes), YOLO_CU_THREADS, 0, (cudaStream_t)s, x,
                   x_st, y, y_st, lanes, len, inner);
    return yolo_cu_status();
}

/* YOLO's 16 bins in FP16 or FP32 storage, known when compiled: the 16 loads have no branch
 * between them, so they are in flight together. With the storage and the bin count read at
 * run time (dfl_any_kernel) each load sat behind the branches of the one before (bins > i,
 * the running maximum), one memory latency after another: 0.43 ms for yolov8n_dq's head at
 * batch 128 on an H100, about a tenth of the memory's bandwidth. The same float operations in
 * the same order either way. */
template <typename XT>
__global__ void dfl16_kernel(const struct yolo_cu_dfl p)
{
    yolo_cu_chain_enter();
    const int32_t total = p.n * p.h * p.w, sc = (int32_t)p.sc;
    const XT *x = (const XT *)p.x;
    for (int32_t o = blockIdx.x * blockDim.x + threadIdx.x; o < total; o += gridDim.x * blockDim.x) {
        int32_t ox = o % p.w, r = o / p.w, oy = r % p.h, img = r / p.h;
        int32_t base = img * (int32_t)p.sn + oy * (int32_t)p.sh + ox * (int32_t)p.sw;
        float v[16], mx = -INFINITY, sum = 0.0f, acc = 0.0f;
#pragma unroll
        for (int32_t i = 0; i < 16; i++)
            v[i] = ld_as_float(x + base + i * sc);
#pragma unroll
        for (int32_t i = 0; i < 16; i++)
            mx = v[i] > mx ? v[i] : mx;
#pragma unroll
        for (int32_t i = 0; i < 16; i++) {
            v[i] = expf(v[i] - mx);
            sum += v[i];
        }
#pragma unroll
        for (int32_t i = 0; i < 16; i++)
            acc += __ldg(&p.wt[i]) * (v[i] / sum);
        st_f(p.y, p.y_st, o, acc + p.bias);
    }
}

/* Any bin count up to SOFTMAX_REG, either storage; int32 indices (the host checks the
 * extents): 64-bit division is a long software sequence */
__global__ void dfl_any_kernel(const struct yolo_cu_dfl p)
{
    yolo_cu_chain_enter();
    const int32_t total = p.n * p.h * p.w;
    for (int32_t o = blockIdx.x * blockDim.x + threadIdx.x; o < total; o += gridDim.x * blockDim.x) {
        int32_t ox = o % p.w, r = o / p.w, oy = r % p.h, img = r / p.h;
        int32_t base = img * (int32_t)p.sn + oy * (int32_t)p.sh + ox * (int32_t)p.sw;
        const int32_t sc = (int32_t)p.sc;
        float v[SOFTMAX_REG], mx = -INFINITY, sum = 0.0f, acc = 0.0f;
#pragma unroll
        for (int32_t i = 0; i < SOFTMAX_REG; i++)
            if (i < p.bins) {
                v[i] = ld_f(p.x, p.x_st, base + i * sc);
                mx = v[i] > mx ? v[i] : mx;
            }
#pragma unroll
        for (int32_t i = 0; i < SOFTMAX_REG; i++)
            if (i < p.bins) {
                v[i] = expf(v[i] - mx);
                sum += v[i];
            }
#pragma unroll
        for (int32_t i = 0; i < SOFTMAX_REG; i++)
            if (i < p.bins)
                acc += __ldg(&p.wt[i]) * (v[i] / sum);
        st_f(p.y, p.y_st, o, acc + p.bias);
    }
}

extern "C" int yolo_cu_dfl(const struct yolo_cu_dfl *p, yolo_cu_stream s)
{
    int64_t total = (int64_t)p->n * p->h * p->w;
    if (total == 0)
        return 0;
    int64_t last = (int64_t)(p->n - 1) * p->sn + (int64_t)(p->bins - 1) * p->sc +
                   (int64_t)(p->h - 1) * p->sh + (int64_t)(p->w - 1) * p->sw;
    if (p->bins < 1 || p->bins > SOFTMAX_REG || total >= INT32_MAX / 2 || last >= INT32_MAX / 2 ||
        p->sn < 0 || p->sc < 0 || p->sh < 0 || p->sw < 0)
        return (int)cudaErrorInvalidValue;
    unsigned blocks = yolo_cu_blocks(total);
    cudaStream_t st = (cudaStream_t)s;
    if (p->bins == 16 && p->x_st == YOLO_CU_F16)
        yolo_cu_launch(dfl16_kernel<__half>, blocks, YOLO_CU_THREADS, 0, st, *p);
    else if (p->bins == 16 && p->x_st == YOLO_CU_F32)
        yolo_cu_launch(dfl16_kernel<float>, blocks, YOLO_CU_THREADS, 0, st, *p);
    else
        yolo_cu_launch(dfl_any_kernel, blocks, YOLO_CU_THREADS, 0, st, *p);
    return yolo_cu_status();
}

__global__ void reduce_max_kernel(const struct yolo_cu_reduce p)
{
    yolo_cu_chain_enter();
    YOLO_CU_FOR(o, p.n_out) {
        int64_t rem = o, base = 0;
        for (int32_t k = p.nk - 1; k >= 0; k--) {
            int64_t q = rem / p.ks[k], idx = rem - q * p.ks[k];
            rem = q;
            base += idx * p.kst[k];
        }
        float mf = -INFINITY;
        int64_t mi = INT64_MIN;
        for (int64_t j = 0; j < p.n_red; j++) {
            int64_t r2 = j, off = base;
            for (int32_t k = p.nr - 1; k >= 0; k--) {
                int64_t q = r2 / p.rs[k], idx = r2 - q * p.rs[k];
                r2 = q;
                off += idx * p.rst[k];
            }
            if (p.x_st == YOLO_CU_I64) {
                int64_t v = ((const int64_t *)p.x)[off];
                mi = v > mi ? v : mi;
            } else {
                float v = ld_f(p.x, p.x_st, off);
                if (v > mf || isnan(v))
                    mf = isnan(mf) ? mf : v;
            }
        }
        if (p.y_st == YOLO_CU_I64)
            ((int64_t *)p.y)[o] = mi;
        else
            st_f(p.y, p.y_st, o, mf);
    }
}

extern "C" int yolo_cu_reduce_max(const struct yolo_cu_reduce *p, yolo_cu_stream s)
{
    if (p->n_out == 0)
        return 0;
    yolo_cu_launch(reduce_max_kernel,
                   yolo_cu_blocks(p->n_out), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}

__global__ void maxpool_kernel(const struct yolo_cu_pool p)
{
    yolo_cu_chain_enter();
    int64_t total = p.planes * p.oh * p.ow;
    YOLO_CU_FOR(i, total) {
        int64_t ox = i % p.ow, t = i / p.ow, oy = t % p.oh, pl = t / p.oh;
        int64_t img = pl / p.c, ch = pl - img * p.c;
        int64_t base = img * p.xn + ch * p.h * p.w;
        float m = -FLT_MAX;
        for (int32_t ky = 0; ky < p.kh; ky++) {
            int64_t iy = oy * p.sh - p.pt + (int64_t)ky * p.dh;
            if (iy < 0 || iy >= p.h)
                continue;
            for (int32_t kx = 0; kx < p.kw; kx++) {
                int64_t ix = ox * p.sw - p.pl + (int64_t)kx * p.dw;
                if (ix < 0 || ix >= p.w)
                    continue;
                float v = ld_f(p.x, p.x_st, base + iy * p.w + ix);
                m = v > m ? v : m;
            }
        }
        st_f(p.y, p.y_st, img * p.yn + ch * p.oh * p.ow + oy * p.ow + ox, m);
    }
}

/* Small planes (SPPF's 5x5 pools on the 20x20 map): a block per plane reads it once into
 * shared memory and every window is taken from there, int32 indices; the same comparisons
 * in the same order as maxpool_kernel. */
#define POOL_SMEM_FLOATS 4096
__global__ void maxpool_smem_kernel(const struct yolo_cu_pool p)
{
    yolo_cu_chain_enter();
    __shared__ float tile[POOL_SMEM_FLOATS];
    int32_t h = (int32_t)p.h, w = (int32_t)p.w, oh = (int32_t)p.oh, ow = (int32_t)p.ow;
    for (int64_t pl = blockIdx.x; pl < p.planes; pl += gridDim.x) {
        int64_t img = pl / p.c, ch = pl - img * p.c;
        int64_t in0 = img * p.xn + ch * p.h * p.w, out0 = img * p.yn + ch * p.oh * p.ow;
        __syncthreads();   /* the previous plane's reads are done */
        for (int32_t i = threadIdx.x; i < h * w; i += blockDim.x)
            tile[i] = ld_f(p.x, p.x_st, in0 + i);
        __syncthreads();
        for (int32_t o = threadIdx.x; o < oh * ow; o += blockDim.x) {
            int32_t oy = o / ow, ox = o - oy * ow;
            float m = -FLT_MAX;
            for (int32_t ky = 0; ky < p.kh; ky++) {
                int32_t iy = oy * p.sh - p.pt + ky * p.dh;
                if (iy < 0 || iy >= h)
                    continue;
                for (int32_t kx = 0; kx < p.kw; kx++) {
                    int32_t ix = ox * p.sw - p.pl + kx * p.dw;
                    if (ix < 0 || ix >= w)
                        continue;
                    float v = tile[iy * w + ix];
                    m = v > m ? v : m;
                }
            }
            st_f(p.y, p.y_st, out0 + o, m);
        }
    }
}

extern "C" int yolo_cu_maxpool(const struct yolo_cu_pool *pp, yolo_cu_stream s)
{
    struct yolo_cu_pool a = *pp;   /* c and image strides 0: planes packed */
    const struct yolo_cu_pool *p = &a;
    if (!a.c)
        a.c = a.planes ? a.planes : 1;
    if (!a.xn)
        a.xn = a.c * a.h * a.w;
    if (!a.yn)
        a.yn = a.c * a.oh * a.ow;
    int64_t total = p->planes * p->oh * p->ow;
    if (total == 0)
        return 0;
    if (p->h * p->w <= POOL_SMEM_FLOATS && p->oh * p->ow <= INT32_MAX / 2 &&
        (int64_t)p->oh * p->sh + (int64_t)p->kh * p->dh < INT32_MAX / 2 &&
        (int64_t)p->ow * p->sw + (int64_t)p->kw * p->dw < INT32_MAX / 2) {
        int64_t blocks = p->planes < 65535LL * 8 ? p->planes : 65535LL * 8;
        yolo_cu_launch(maxpool_smem_kernel, (unsigned)blocks, YOLO_CU_THREADS, 0, (cudaStream_t)s,
                       *p);
        return yolo_cu_status();
    }
    yolo_cu_launch(maxpool_kernel, yolo_cu_blocks(total), YOLO_CU_THREADS, 0, (cudaStream_t)s, *p);
    return yolo_cu_status();
}
