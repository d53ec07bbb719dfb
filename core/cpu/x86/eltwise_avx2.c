/* eltwise_avx2.c: the kernels of eltwise_body.h built for AVX2 + FMA (8 floats). */
#define ISA_FN(name) name##_avx2
#include "eltwise_body.h"
