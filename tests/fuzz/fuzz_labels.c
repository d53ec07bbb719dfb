/* fuzz_labels.c: the bytes as a YOLO label file (yolo_label_file_read, 80 classes). What
 * the reader accepts must be what its contract says: classes in range, values in [0, 1]. */
#include "dataset.h"
#include "fuzz.h"

int fuzz_labels(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("labels.txt");
    if (!path || fuzz_write(path, data, size))
        fuzz_fail("cannot write the scratch file");
    struct yolo_label_file lf;
    struct yolo_diag d = { 0 };
    int rc = yolo_label_file_read(path, 80, &lf, &d);
    if (rc) {
        if (!d.msg[0])
            fuzz_fail("yolo_label_file_read failed (%d) without a message", rc);
        return rc;
    }
    if (lf.n < 0 || (lf.n > 0 && !lf.objs) || !lf.found)
        fuzz_fail("label file: n %d, objs %p, found %d", lf.n, (void *)lf.objs, lf.found);
    for (int32_t i = 0; i < lf.n; i++) {
        const struct yolo_label_obj *o = &lf.objs[i];
        if (o->cls < 0 || o->cls >= 80 || !(o->xc >= 0 && o->xc <= 1) || !(o->yc >= 0 && o->yc <= 1) ||
            !(o->w >= 0 && o->w <= 1) || !(o->h >= 0 && o->h <= 1))
            fuzz_fail("object %d: class %d, box %g %g %g %g", i, o->cls, o->xc, o->yc, o->w, o->h);
    }
    yolo_label_file_release(&lf);
    return rc;
}

#ifdef YOLO_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_labels(data, size);
    return 0;
}
#endif
