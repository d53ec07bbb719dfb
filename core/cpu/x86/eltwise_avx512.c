/* eltwise_avx512.c: the kernels of eltwise_body.h built for AVX-512 (16 floats). */
#define ISA_FN(name) name##_avx512
#include "eltwise_body.h"
