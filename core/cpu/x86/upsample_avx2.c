/* upsample_avx2.c: the kernel of upsample_body.h built for AVX2 + FMA. */
#define ISA_FN(name) name##_avx2
#include "upsample_body.h"
