/* conv_avx512.c: the convolution kernels of conv_body.h built for AVX-512 (16 floats). */
#define ISA_FN(name) name##_avx512
#include "conv_body.h"
