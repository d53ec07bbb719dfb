/* softmax_avx512.c: the kernels of softmax_body.h built for AVX-512 (16 floats). */
#define ISA_FN(name) name##_avx512
#include "softmax_body.h"
