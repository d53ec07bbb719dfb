/* softmax_avx2.c: the kernels of softmax_body.h built for AVX2 + FMA (8 floats). */
#define ISA_FN(name) name##_avx2
#include "softmax_body.h"
