/* ultralytics.h: Ultralytics' command line beside ours. `yolo predict model=m.onnx
 * source=bus.jpg conf=0.5 save_txt=True` becomes `yolo detect m.onnx bus.jpg --conf=0.5
 * --save-txt` before the command parses it: key=value arguments are rewritten into our options
 * (model= and source= into the positional arguments, model first), everything else is kept as
 * given. argv itself is never modified. */
#ifndef YOLO_CLI_ULTRALYTICS_H
#define YOLO_CLI_ULTRALYTICS_H

struct ultra_argv {
    int    argc;
    char **argv;      /* argc pointers + NULL; owned (strings too), free with ultra_argv_free */
    int    n_owned;
    char **owned;     /* the strings made here (the others point into the caller's argv) */
};

/* Rewrites argv[0..argc) (the arguments after the command name) for command cmd ("detect",
 * "video", "val", "bench"). Returns 0, or 2 after "yolo <cmd>: error: ..." (an Ultralytics
 * argument we have no counterpart for, or a bad True/False), or 1 when out of memory. */
int  ultra_translate(const char *cmd, int argc, char **argv, struct ultra_argv *out);
void ultra_argv_free(struct ultra_argv *u);

#endif
