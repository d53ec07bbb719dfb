/* conv_avx2.c: the convolution kernels of conv_body.h built for AVX2 + FMA (8 floats). */
#define ISA_FN(name) name##_avx2
#include "conv_body.h"
