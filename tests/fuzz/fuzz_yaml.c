/* fuzz_yaml.c: the bytes as a dataset data.yaml (yolo_dataset_load), and as the `names`
 * literal of ONNX metadata (yolo_names_parse). */
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "fuzz.h"
#include "names.h"

int fuzz_yaml(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("data.yaml");
    if (!path || fuzz_write(path, data, size))
        fuzz_fail("cannot write the scratch file");
    struct yolo_dataset *ds = NULL;
    struct yolo_diag d = { 0 };
    int rc = yolo_dataset_load(path, &ds, &d);
    if (rc) {
        if (!d.msg[0])
            fuzz_fail("yolo_dataset_load failed (%d) without a message", rc);
        if (ds)
            fuzz_fail("yolo_dataset_load failed but returned a dataset");
    } else {
        if (!ds->root || ds->n_classes < 0)
            fuzz_fail("dataset: root %p, %d classes", (void *)ds->root, ds->n_classes);
        for (int32_t i = 0; ds->names && i < ds->n_classes; i++)
            if (!ds->names[i])
                fuzz_fail("dataset: class %d has no name", i);
        for (int s = 0; s < YOLO_SPLIT_COUNT; s++)
            for (int32_t i = 0; i < ds->splits[s].n; i++)
                if (!ds->splits[s].paths[i] || ds->splits[s].paths[i][0] != '/')
                    fuzz_fail("dataset: split %d entry %d is not an absolute path", s, i);
        yolo_dataset_free(ds);
    }
    /* the same bytes as Ultralytics' names literal, NUL-terminated */
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = 0;
        char **names = NULL;
        int32_t n = 0;
        if (yolo_names_parse(text, &names, &n) == 0) {
            if (n < 0 || (n > 0 && !names))
                fuzz_fail("names: %d names, array %p", n, (void *)names);
            for (int32_t i = 0; i < n; i++)
                if (!names[i])
                    fuzz_fail("names: entry %d is NULL", i);
            yolo_names_free(names, n);
        }
        free(text);
    }
    return rc;
}

#ifdef YOLO_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_yaml(data, size);
    return 0;
}
#endif
