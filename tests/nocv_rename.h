/* nocv_rename.h: forced into detect/cv_adapter_nocv.c (-include) when it is built for
 * tests/test_nocv_pixels.c in the normal build, so that it links next to the OpenCV adapter:
 * its entry points become yolo_nocv_*. */
#define yolo_cv_backend             yolo_nocv_backend
#define yolo_cv_image_read          yolo_nocv_image_read
#define yolo_cv_image_decode        yolo_nocv_image_decode
#define yolo_cv_image_free          yolo_nocv_image_free
#define yolo_cv_image_write         yolo_nocv_image_write
#define yolo_cv_resize_linear       yolo_nocv_resize_linear
#define yolo_cv_video_open          yolo_nocv_video_open
#define yolo_cv_video_read          yolo_nocv_video_read
#define yolo_cv_video_skip          yolo_nocv_video_skip
#define yolo_cv_video_close         yolo_nocv_video_close
#define yolo_cv_video_writer_open   yolo_nocv_video_writer_open
#define yolo_cv_video_writer_write  yolo_nocv_video_writer_write
#define yolo_cv_video_writer_frames yolo_nocv_video_writer_frames
#define yolo_cv_video_writer_close  yolo_nocv_video_writer_close
