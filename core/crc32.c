/* crc32.c: the standard CRC-32 (ISO-HDLC / zlib: reflected polynomial 0xEDB88320, initial
 * and final XOR 0xFFFFFFFF), used for the engine file's per-section checksums.
 *
 * Short buffers go through a 16-entry nibble table (no set-up). Long ones (weights: tens to
 * hundreds of MB, checked on every load) use slicing-by-8, whose 8 KiB of tables are built on
 * the stack per call: about 16k shifts, nothing next to the megabytes they then speed up, and
 * no global state to initialise. */
#include "engine.h"

#define POLY 0xEDB88320u
#define SLICE_MIN 16384  /* below this the table set-up costs more than it saves */

static const uint32_t nibble[16] = {
    0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
    0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c
};

static uint32_t crc_small(uint32_t c, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        c = (c >> 4) ^ nibble[c & 15];
        c = (c >> 4) ^ nibble[c & 15];
    }
    return c;
}

static uint32_t crc_sliced(uint32_t c, const uint8_t *p, size_t len)
{
    uint32_t t[8][256];
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t x = n;
        for (int k = 0; k < 8; k++)
            x = (x >> 1) ^ (POLY & (0u - (x & 1)));
        t[0][n] = x;
    }
    for (uint32_t n = 0; n < 256; n++)
        for (int k = 1; k < 8; k++)
            t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xff];
    while (len >= 8) {
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                           (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
                      (uint32_t)p[7] << 24;
        c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    return crc_small(c, p, len);
}

uint32_t yolo_crc32(uint32_t crc, const void *buf, size_t len)
{
    uint32_t c = ~crc;
    if (len && buf)
        c = len >= SLICE_MIN ? crc_sliced(c, buf, len) : crc_small(c, buf, len);
    return ~c;
}
