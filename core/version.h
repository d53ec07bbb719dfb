/* version.h: the builder version recorded in every engine's META. The engine *format*
 * version is separate (engine.h). YOLO_GIT_COMMIT comes from the Makefile. */
#ifndef YOLO_VERSION_H
#define YOLO_VERSION_H

#define YOLO_VERSION_MAJOR 0
#define YOLO_VERSION_MINOR 1
#define YOLO_VERSION_PATCH 0
#define YOLO_VERSION_STRING "0.1.0"
#ifndef YOLO_GIT_COMMIT
#define YOLO_GIT_COMMIT "unknown"
#endif

#endif
