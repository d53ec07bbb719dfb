// cv_adapter.cpp: the one C++ file; it wraps the few OpenCV calls the project needs behind
// the C API of cv_adapter.h. No exception leaves this file: each entry point catches
// everything and turns it into a status and a message.
//
// Images are read by loading the file's bytes and cv::imdecode(IMREAD_COLOR), which is what
// Ultralytics does (cv2.imdecode(np.fromfile(path))) and gives the same pixels as
// cv::imread, EXIF orientation included, without OpenCV printing warnings for bad paths.
#include "cv_adapter.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <sys/syscall.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace {

int diag_set(yolo_diag *d, yolo_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int diag_set(yolo_diag *d, yolo_status s, const char *fmt, ...)
{
    if (d) {
        va_list ap;
        va_start(ap, fmt);
        d->status = s;
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        va_end(ap);
    }
    return s;
}

// The first line of an OpenCV error, without the "OpenCV(4.6.0) file:line: error: " noise.
std::string cv_reason(const cv::Exception &e)
{
    return e.err.empty() ? std::string(e.what()) : e.err;
}

int read_file(const char *path, std::vector<uchar> &bytes, yolo_diag *d)
{
    FILE *f = std::fopen(path, "rb");
    if (!f)
        return diag_set(d, YOLO_ERR_IO, "%s: cannot open file: %s", path, std::strerror(errno));
    uchar chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
        bytes.insert(bytes.end(), chunk, chunk + n);
    int err = std::ferror(f);
    int saved = errno;
    std::fclose(f);
    if (err)
        return diag_set(d, YOLO_ERR_IO, "%s: read failed: %s", path, std::strerror(saved));
    return YOLO_OK;
}

// Copies a decoded 8UC3 Mat into im, growing its buffer only when needed.
int store(const cv::Mat &m, const char *what, yolo_cv_image *im, yolo_diag *d)
{
    if (m.empty())
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image", what);
    if (m.type() != CV_8UC3 || m.dims != 2)
        return diag_set(d, YOLO_ERR_FORMAT, "%s: decoder gave an unexpected pixel type", what);
    size_t row = (size_t)m.cols * 3, bytes = row * (size_t)m.rows;
    if (im->cap_bytes < bytes) {
        std::free(im->data);
        im->data = static_cast<uint8_t *>(std::malloc(bytes));
        im->cap_bytes = im->data ? bytes : 0;
        if (!im->data)
            return diag_set(d, YOLO_ERR_NOMEM, "%s: cannot allocate %zu bytes for the image",
                            what, bytes);
    }
    for (int y = 0; y < m.rows; y++)
        std::memcpy(im->data + (size_t)y * row, m.ptr<uchar>(y), row);
    im->width = m.cols;
    im->height = m.rows;
    im->stride_bytes = (int64_t)row;
    return YOLO_OK;
}

int decode(const uchar *bytes, size_t n, const char *what, yolo_cv_image *im, yolo_diag *d)
{
    im->width = im->height = 0;
    im->stride_bytes = 0;
    if (n == 0)
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image (empty file)", what);
    if (n > (size_t)INT32_MAX)
        return diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: file too large (%zu bytes)", what, n);
    cv::Mat buf(1, (int)n, CV_8UC1, const_cast<uchar *>(bytes));
    cv::Mat m = cv::imdecode(buf, cv::IMREAD_COLOR);
    return store(m, what, im, d);
}

// Lower-case extension of path including the dot ("" if none in the last component).
std::string extension(const char *path)
{
    const char *slash = std::strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = std::strrchr(base, '.');
    if (!dot || dot == base)
        return std::string();
    std::string ext(dot);
    for (char &c : ext)
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
    return ext;
}

int write_atomic(const char *path, const std::vector<uchar> &bytes, yolo_diag *d)
{
    // Unique per process and thread, so concurrent writers never share a temporary.
    std::string tmp = std::string(path) + ".tmp" + std::to_string((long)getpid()) + "." +
                      std::to_string((long)syscall(SYS_gettid));
    FILE *f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        return diag_set(d, YOLO_ERR_IO, "%s: cannot create file: %s", path, std::strerror(errno));
    size_t wr = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
    int saved = errno;
    int bad = wr != bytes.size() || std::ferror(f);
    if (std::fclose(f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    if (bad) {
        std::remove(tmp.c_str());
        return diag_set(d, YOLO_ERR_IO, "%s: write failed: %s", path, std::strerror(saved));
    }
    if (std::rename(tmp.c_str(), path) != 0) {
        saved = errno;
        std::remove(tmp.c_str());
        return diag_set(d, YOLO_ERR_IO, "%s: cannot rename the temporary file into place: %s",
                        path, std::strerror(saved));
    }
    return YOLO_OK;
}

}  // namespace

extern "C" {

int yolo_cv_image_read(const char *path, struct yolo_cv_image *im, struct yolo_diag *d)
{
    if (!path || !im)
        return diag_set(d, YOLO_ERR_ARG, "image read: NULL argument");
    im->width = im->height = 0;
    im->stride_bytes = 0;
    try {
        std::vector<uchar> bytes;
        int st = read_file(path, bytes, d);
        if (st)
            return st;
        return decode(bytes.data(), bytes.size(), path, im, d);
    } catch (const std::bad_alloc &) {
        return diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while decoding", path);
    } catch (const cv::Exception &e) {
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image: %s", path,
                        cv_reason(e).c_str());
    } catch (const std::exception &e) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot decode image: %s", path, e.what());
    } catch (...) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot decode image: unknown exception", path);
    }
}

int yolo_cv_image_decode(const void *bytes, size_t n_bytes, const char *what,
                         struct yolo_cv_image *im, struct yolo_diag *d)
{
    if (!what)
        what = "image";
    if ((!bytes && n_bytes) || !im)
        return diag_set(d, YOLO_ERR_ARG, "%s: NULL argument", what);
    try {
        return decode(static_cast<const uchar *>(bytes), n_bytes, what, im, d);
    } catch (const std::bad_alloc &) {
        return diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while decoding", what);
    } catch (const cv::Exception &e) {
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode image: %s", what,
                        cv_reason(e).c_str());
    } catch (const std::exception &e) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot decode image: %s", what, e.what());
    } catch (...) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot decode image: unknown exception", what);
    }
}

void yolo_cv_image_free(struct yolo_cv_image *im)
{
    if (!im)
        return;
    std::free(im->data);
    std::memset(im, 0, sizeof *im);
}

int yolo_cv_image_write(const char *path, const uint8_t *pixels, int32_t width, int32_t height,
                        int64_t stride_bytes, int32_t channels, int32_t jpeg_quality,
                        struct yolo_diag *d)
{
    if (!path || !pixels)
        return diag_set(d, YOLO_ERR_ARG, "image write: NULL argument");
    if (width < 1 || height < 1 || (channels != 1 && channels != 3 && channels != 4) ||
        stride_bytes < (int64_t)width * channels || jpeg_quality < 0 || jpeg_quality > 100)
        return diag_set(d, YOLO_ERR_ARG, "%s: bad image to write (%dx%d, %d channels, stride %lld"
                        ", quality %d)", path, width, height, channels, (long long)stride_bytes,
                        jpeg_quality);
    std::string ext = extension(path);
    if (ext.empty())
        return diag_set(d, YOLO_ERR_ARG, "%s: no file extension to choose the image format",
                        path);
    try {
        if (!cv::haveImageWriter(path))
            return diag_set(d, YOLO_ERR_ARG, "%s: unknown image format '%s'", path, ext.c_str());
        cv::Mat m(height, width, CV_8UC(channels), const_cast<uint8_t *>(pixels),
                  (size_t)stride_bytes);
        std::vector<int> params;
        if (jpeg_quality > 0 && (ext == ".jpg" || ext == ".jpeg" || ext == ".jpe")) {
            params.push_back(cv::IMWRITE_JPEG_QUALITY);
            params.push_back(jpeg_quality);
        }
        std::vector<uchar> bytes;
        if (!cv::imencode(ext, m, bytes, params))
            return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot encode image as '%s'", path,
                            ext.c_str());
        return write_atomic(path, bytes, d);
    } catch (const std::bad_alloc &) {
        return diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory while encoding", path);
    } catch (const cv::Exception &e) {
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot encode image: %s", path,
                        cv_reason(e).c_str());
    } catch (const std::exception &e) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot encode image: %s", path, e.what());
    } catch (...) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot encode image: unknown exception", path);
    }
}

int yolo_cv_resize_linear(void *user, const uint8_t *src, int32_t src_w, int32_t src_h,
                          int64_t src_stride, uint8_t *dst, int32_t dst_w, int32_t dst_h,
                          int64_t dst_stride, int32_t cn, struct yolo_diag *d)
{
    (void)user;
    if (!src || !dst || src_w < 1 || src_h < 1 || dst_w < 1 || dst_h < 1 || cn < 1 || cn > 4 ||
        src_stride < (int64_t)src_w * cn || dst_stride < (int64_t)dst_w * cn)
        return diag_set(d, YOLO_ERR_ARG, "resize: bad arguments (%dx%d -> %dx%d, cn %d)",
                        src_w, src_h, dst_w, dst_h, cn);
    try {
        cv::Mat s(src_h, src_w, CV_8UC(cn), const_cast<uint8_t *>(src), (size_t)src_stride);
        cv::Mat o(dst_h, dst_w, CV_8UC(cn), dst, (size_t)dst_stride);
        cv::Mat r = o;   // cv::resize writes into r's buffer: its size and type already match
        cv::resize(s, r, cv::Size(dst_w, dst_h), 0, 0, cv::INTER_LINEAR);
        if (r.data != o.data)
            r.copyTo(o);
        return YOLO_OK;
    } catch (const std::bad_alloc &) {
        return diag_set(d, YOLO_ERR_NOMEM, "resize: out of memory");
    } catch (const cv::Exception &e) {
        return diag_set(d, YOLO_ERR_INTERNAL, "resize: %s", cv_reason(e).c_str());
    } catch (const std::exception &e) {
        return diag_set(d, YOLO_ERR_INTERNAL, "resize: %s", e.what());
    } catch (...) {
        return diag_set(d, YOLO_ERR_INTERNAL, "resize: unknown exception");
    }
}

}  // extern "C"
