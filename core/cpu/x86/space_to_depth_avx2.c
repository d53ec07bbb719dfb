/* space_to_depth_avx2.c: the kernel of space_to_depth_body.h built for AVX2 + FMA. */
#define ISA_FN(name) name##_avx2
#include "space_to_depth_body.h"
