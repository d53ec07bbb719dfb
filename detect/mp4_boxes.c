/* mp4_boxes.c: see mp4_boxes.h. Reads 16 bytes per box, seeking over the rest: a few hundred
 * reads for an hour of video (one fragment per 12 frames). */
#include "mp4_boxes.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

int yolo_mp4_walk(const char *path, struct yolo_mp4_walk *w)
{
    memset(w, 0, sizeof *w);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0) {
        fclose(f);
        return -1;
    }
    uint64_t pos = 0, size = (uint64_t)sb.st_size;
    w->file_bytes = (int64_t)size;
    unsigned char h[16];
    while (pos + 8 <= size && fseeko(f, (off_t)pos, SEEK_SET) == 0 && fread(h, 1, 8, f) == 8) {
        uint64_t n = (uint64_t)h[0] << 24 | (uint64_t)h[1] << 16 | (uint64_t)h[2] << 8 | h[3];
        if (n == 1) {
            if (fread(h + 8, 1, 8, f) != 8)
                break;
            n = 0;
            for (int i = 8; i < 16; i++)
                n = n << 8 | h[i];
        }
        if (n < 8 || n > size - pos)
            break;
        pos += n;
        w->whole_bytes = (int64_t)pos;
        memcpy(w->last_type, h + 4, 4);
        w->last_type[4] = 0;
        if (memcmp(h + 4, "mdat", 4) == 0)
            w->fragments_end = (int64_t)pos;
    }
    fclose(f);
    return 0;
}
