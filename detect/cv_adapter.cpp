// cv_adapter.cpp: the one C++ file; it wraps the few OpenCV calls the project needs behind
// the C API of cv_adapter.h. No exception leaves this file: each entry point catches
// everything and turns it into a status and a message.
//
// Images are read by loading the file's bytes and cv::imdecode(IMREAD_COLOR), which is what
// Ultralytics does (cv2.imdecode(np.fromfile(path))) and gives the same pixels as
// cv::imread, EXIF orientation included, without OpenCV printing warnings for bad paths.
//
// Video goes through FFmpeg explicitly (files and URLs): with CAP_ANY, OpenCV falls back to
// GStreamer for a file FFmpeg rejects, which prints pages of warnings and says nothing more.
#include "cv_adapter.h"
#include "fileio.h"
#include "frame_size.h"
#include "mp4_boxes.h"

#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

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
    // O_NONBLOCK: a FIFO or device must not block the open; only regular files are read.
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return diag_set(d, YOLO_ERR_IO, "%s: cannot open file: %s", path, std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return diag_set(d, YOLO_ERR_IO, "%s: not a regular file", path);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return diag_set(d, YOLO_ERR_IO, "%s: cannot open file: %s", path, std::strerror(errno));
    }
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



// A per-process, per-thread unique suffix for temporary files.
std::string tmp_suffix()
{
    return ".tmp" + std::to_string((long)getpid()) + "." + std::to_string((long)syscall(SYS_gettid));
}

bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

}  // namespace

struct yolo_cv_video {
    cv::VideoCapture cap;
    std::string name;
    // OpenCV's FFmpeg backend converts every decoded frame with a scaler set up for the size
    // the stream opened with and reports that size (CAP_PROP_FRAME_WIDTH) throughout, so a
    // size change mid-stream comes out cropped (a larger size: its top-left corner), rescaled
    // (MJPEG) or garbled (a smaller size), silently. A second capture in raw mode
    // (CAP_PROP_FORMAT -1: the demuxed packets, no decoding) reads the same packets, one per
    // frame, and the codec's headers in them give the coded size (frame_size.c).
    cv::VideoCapture raw;
    bool raw_on = false;
    enum yolo_vcodec codec = YOLO_VC_NONE;
    int32_t width = 0, height = 0;   // the first size the packets declare (0: none yet)
    int64_t index = 0;
    // A second file joined on to the first (frame_size.h), found when the file is opened:
    // FFmpeg ends the video at the end of a first MP4 or AVI file, and decodes on into a
    // second Matroska file as if it were the first
    struct yolo_appended appended = { -1, nullptr, 0, 0, 0, 0 };
    double last_ms = -1;   // the last frame's time, while a second Matroska file is pending
};

struct yolo_cv_video_writer {
    cv::VideoWriter vw;
    std::string path, tmp;
    int32_t width, height;
    int64_t frames;
};

namespace {

// The end of the frames: an error if the file goes on with a second one FFmpeg never reads.
int at_end(const yolo_cv_video *v, yolo_diag *d)
{
    const yolo_appended &a = v->appended;
    if (a.at < 0)
        return YOLO_OK;
    if (a.w1 > 0)
        return diag_set(d, YOLO_ERR_FORMAT, "%s: a second %s file is joined on at byte %lld (files concatenated?), "
                        "with frames of %dx%d, not the %dx%d the video starts with; FFmpeg decodes it as if it "
                        "were the first, so the frames from there on are garbled", v->name.c_str(), a.container,
                        (long long)a.at, a.w1, a.h1, a.w0, a.h0);
    return diag_set(d, YOLO_ERR_FORMAT, "%s: a second %s file is joined on at byte %lld (files concatenated?); "
                    "FFmpeg reads the first only and ends the video there, so the frames after it are not decoded",
                    v->name.c_str(), a.container, (long long)a.at);
}

// With a second Matroska file of another size joined on, FFmpeg goes on from the first one's
// frames into the second one's, whose times start again from 0: the first frame whose time
// goes back is the second file's first, and the run stops there with the frames before it.
int check_joined(yolo_cv_video *v, yolo_diag *d)
{
    const yolo_appended &a = v->appended;
    if (a.w1 == 0)
        return YOLO_OK;
    double t = v->cap.get(cv::CAP_PROP_POS_MSEC);
    if (v->last_ms >= 0 && t < v->last_ms)
        return diag_set(d, YOLO_ERR_FORMAT, "%s: frame %lld begins a second %s file, joined on at byte %lld (files "
                        "concatenated?), with frames of %dx%d, not the %dx%d the video starts with; FFmpeg would "
                        "decode it as if it were the first (garbled frames); stopped there", v->name.c_str(),
                        (long long)v->index, a.container, (long long)a.at, a.w1, a.h1, a.w0, a.h0);
    v->last_ms = t;
    return YOLO_OK;
}

// Reads the raw packet of the frame just decoded (or skipped) and checks the frame size its
// headers declare against the first one. Returns YOLO_OK, or YOLO_ERR_FORMAT with the message.
int check_packet(yolo_cv_video *v, yolo_diag *d)
{
    cv::Mat pkt;
    if (!v->raw.read(pkt) || pkt.empty() || !pkt.isContinuous())
        return YOLO_OK;
    const uint8_t *b = pkt.data;
    size_t n = pkt.total() * pkt.elemSize();
    if (v->codec == YOLO_VC_UNKNOWN) {
        // the tag said nothing certain ("mpeg", none): the stream's first packet, a key
        // frame, tells; a stream it does not identify is not checked
        v->codec = v->index == 0 ? yolo_vcodec_sniff(b, n) : YOLO_VC_NONE;
        if (v->codec == YOLO_VC_UNKNOWN)
            v->codec = YOLO_VC_NONE;
    }
    int32_t w, h;
    if (v->codec == YOLO_VC_NONE || !yolo_packet_frame_size(v->codec, b, n, &w, &h))
        return YOLO_OK;
    if (v->width == 0) {
        v->width = w;
        v->height = h;
        return YOLO_OK;
    }
    if (w == v->width && h == v->height)
        return YOLO_OK;
    return diag_set(d, YOLO_ERR_FORMAT, "%s: frame %lld is %dx%d in the file, not the %dx%d the video starts "
                    "with: the frame size changes mid-stream (OpenCV would pass the rest on cropped, rescaled "
                    "or garbled, silently); stopped there", v->name.c_str(), (long long)v->index, w, h,
                    v->width, v->height);
}

/* cv::VideoWriter drops write errors (a full disk, a file size limit): the file just ends
 * early, without its index. So before a video is renamed into place it is opened again and
 * must declare every frame written; that reads the index only, not the frames. */
int verify_video(const yolo_cv_video_writer *w, struct yolo_diag *d)
{
    // A fragmented MP4 cut short by a full disk still opens, and its frame count comes from
    // the fragment headers, not from the data present: the file must be whole boxes to its
    // end, the last one the 'mfra' the muxer writes when it finishes.
    struct yolo_mp4_walk mw;
    if (yolo_mp4_walk(w->tmp.c_str(), &mw) != 0 || mw.whole_bytes != mw.file_bytes ||
        std::strcmp(mw.last_type, "mfra") != 0)
        return diag_set(d, YOLO_ERR_IO, "%s: the video written is cut short (disk full or file size "
                        "limit?); not kept", w->path.c_str());
    int64_t n = -1;
    try {
        cv::VideoCapture cap(w->tmp, cv::CAP_FFMPEG);
        if (cap.isOpened())
            n = (int64_t)cap.get(cv::CAP_PROP_FRAME_COUNT);
    } catch (...) {
        n = -1;
    }
    if (n == w->frames)
        return YOLO_OK;
    if (n < 0)
        return diag_set(d, YOLO_ERR_IO, "%s: the video written cannot be read back (disk full or "
                        "file size limit?); not kept", w->path.c_str());
    return diag_set(d, YOLO_ERR_IO, "%s: the video written holds %lld of the %lld frames (disk "
                    "full or file size limit?); not kept", w->path.c_str(), (long long)n,
                    (long long)w->frames);
}

}  // namespace

extern "C" {

const char *yolo_cv_backend(void)
{
    return "OpenCV " CV_VERSION;
}

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
        return yolo_publish_file(path, bytes.data(), bytes.size(), d);
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


int yolo_cv_video_open(const char *source, struct yolo_cv_video **out,
                       struct yolo_cv_video_info *info, struct yolo_diag *d)
{
    if (!source || !out || !info)
        return diag_set(d, YOLO_ERR_ARG, "video open: NULL argument");
    *out = nullptr;
    std::memset(info, 0, sizeof *info);
    info->frame_count = -1;
    bool camera = all_digits(source) && std::strlen(source) < 6;
    bool url = std::strstr(source, "://") != nullptr;
    if (!camera && !url) {
        struct stat st;
        if (stat(source, &st) != 0)
            return diag_set(d, YOLO_ERR_IO, "%s: cannot open file: %s", source, std::strerror(errno));
        if (S_ISDIR(st.st_mode))
            return diag_set(d, YOLO_ERR_IO, "%s: is a directory, not a video", source);
        if (access(source, R_OK) != 0)
            return diag_set(d, YOLO_ERR_IO, "%s: cannot open file: %s", source, std::strerror(errno));
    }
    yolo_cv_video *v = nullptr;
    try {
        v = new yolo_cv_video();
        v->name = source;
        bool ok;
        if (camera) {
            ok = v->cap.open(std::atoi(source), cv::CAP_ANY);
        } else if (url) {
            std::vector<int> params = { cv::CAP_PROP_OPEN_TIMEOUT_MSEC, 10000,
                                        cv::CAP_PROP_READ_TIMEOUT_MSEC, 10000 };
            ok = v->cap.open(source, cv::CAP_FFMPEG, params);
        } else {
            ok = v->cap.open(source, cv::CAP_FFMPEG);
        }
        if (!ok || !v->cap.isOpened()) {
            delete v;
            if (camera)
                return diag_set(d, YOLO_ERR_IO, "%s: cannot open camera %s", source, source);
            if (url)
                return diag_set(d, YOLO_ERR_IO, "%s: cannot open stream (unreachable, refused or "
                                "not a video)", source);
            return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot open video: FFmpeg finds no "
                            "decodable video stream", source);
        }
        double w = v->cap.get(cv::CAP_PROP_FRAME_WIDTH), h = v->cap.get(cv::CAP_PROP_FRAME_HEIGHT);
        double fps = v->cap.get(cv::CAP_PROP_FPS), n = v->cap.get(cv::CAP_PROP_FRAME_COUNT);
        info->width = w > 0 && w < 1e6 ? (int32_t)w : 0;
        info->height = h > 0 && h < 1e6 ? (int32_t)h : 0;
        info->fps = fps > 0 && fps < 1e6 ? fps : 0;
        info->is_file = !camera && !url;
        info->frame_count = info->is_file && n > 0 && n < 1e15 ? (int64_t)n : -1;
        std::snprintf(info->backend, sizeof info->backend, "%s", v->cap.getBackendName().c_str());
        if (info->is_file) {
            // the codec from its tag, or from the first packet when the tag does not say
            int fourcc = (int)v->cap.get(cv::CAP_PROP_FOURCC);
            v->codec = yolo_vcodec_from_fourcc((uint32_t)fourcc);
            if (v->codec != YOLO_VC_NONE)
                v->raw_on = v->raw.open(source, cv::CAP_FFMPEG, { cv::CAP_PROP_FORMAT, -1 }) &&
                            v->raw.isOpened();
            yolo_container_appended(source, &v->appended);
        }
        *out = v;
        return YOLO_OK;
    } catch (const std::bad_alloc &) {
        delete v;
        return diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory opening the video", source);
    } catch (const cv::Exception &e) {
        delete v;
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot open video: %s", source, cv_reason(e).c_str());
    } catch (const std::exception &e) {
        delete v;
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot open video: %s", source, e.what());
    } catch (...) {
        delete v;
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot open video: unknown exception", source);
    }
}

int yolo_cv_video_read(struct yolo_cv_video *v, struct yolo_cv_image *im, double *pos_ms, int *got,
                       struct yolo_diag *d)
{
    if (!v || !im || !got)
        return diag_set(d, YOLO_ERR_ARG, "video read: NULL argument");
    *got = 0;
    if (pos_ms)
        *pos_ms = -1;
    const char *what = v->name.c_str();
    try {
        // Decode straight into im's buffer when its size and type already match (every frame
        // after the first): retrieve() copies into an existing Mat of the right shape.
        cv::Mat m;
        if (im->data && im->width > 0 && im->height > 0)
            m = cv::Mat(im->height, im->width, CV_8UC3, im->data, (size_t)im->stride_bytes);
        uchar *before = m.data;
        if (!v->cap.read(m) || m.empty())
            return at_end(v, d);
        int st = v->raw_on ? check_packet(v, d) : YOLO_OK;
        if (st || (st = check_joined(v, d)))
            return st;
        v->index++;
        if (pos_ms) {
            double t = v->cap.get(cv::CAP_PROP_POS_MSEC);
            *pos_ms = t >= 0 && t < 1e15 ? t : -1;
        }
        if (!before || m.data != before) {
            int st = store(m, what, im, d);
            if (st)
                return st;
        }
        *got = 1;
        return YOLO_OK;
    } catch (const std::bad_alloc &) {
        return diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory decoding a frame", what);
    } catch (const cv::Exception &e) {
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode frame: %s", what, cv_reason(e).c_str());
    } catch (const std::exception &e) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot decode frame: %s", what, e.what());
    } catch (...) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot decode frame: unknown exception", what);
    }
}

int yolo_cv_video_skip(struct yolo_cv_video *v, int *got, struct yolo_diag *d)
{
    if (!v || !got)
        return diag_set(d, YOLO_ERR_ARG, "video skip: NULL argument");
    *got = 0;
    try {
        *got = v->cap.grab() ? 1 : 0;
        if (!*got)
            return at_end(v, d);
        // the raw packets stay in step with the decoded frames, and a skipped frame's size
        // counts as much as a decoded one's
        int st = v->raw_on ? check_packet(v, d) : YOLO_OK;
        if (st || (st = check_joined(v, d))) {
            *got = 0;
            return st;
        }
        v->index++;
        return YOLO_OK;
    } catch (const cv::Exception &e) {
        return diag_set(d, YOLO_ERR_FORMAT, "%s: cannot decode frame: %s", v->name.c_str(),
                        cv_reason(e).c_str());
    } catch (...) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot decode frame: exception", v->name.c_str());
    }
}

void yolo_cv_video_close(struct yolo_cv_video *v)
{
    try {
        delete v;   // ~VideoCapture releases the backend
    } catch (...) {
    }
}

int yolo_cv_video_writer_open(const char *path, int32_t width, int32_t height, double fps,
                              struct yolo_cv_video_writer **out, struct yolo_diag *d)
{
    if (!path || !out)
        return diag_set(d, YOLO_ERR_ARG, "video writer: NULL argument");
    *out = nullptr;
    if (width < 1 || height < 1 || width > 65535 || height > 65535 || !(fps > 0 && fps <= 10000))
        return diag_set(d, YOLO_ERR_ARG, "%s: bad video to write (%dx%d at %g fps)", path, width,
                        height, fps);
    if (width > YOLO_CV_VIDEO_MAX_SIDE || height > YOLO_CV_VIDEO_MAX_SIDE)
        return diag_set(d, YOLO_ERR_UNSUPPORTED, "%s: frames of %dx%d cannot be written as MP4: its encoder "
                        "(MPEG-4 part 2) takes at most %d pixels per side", path, width, height,
                        YOLO_CV_VIDEO_MAX_SIDE);
    yolo_cv_video_writer *w = nullptr;
    try {
        w = new yolo_cv_video_writer();
        w->path = path;
        // The container comes from the temporary name's extension. ".ismv" selects FFmpeg's
        // MP4 muxer in its fragmented mode (an empty 'moov' first, then a 'moof'+'mdat' per
        // key frame, every 12 frames): a file cut anywhere (kill -9, power loss) still plays up
        // to its last whole fragment, where a plain MP4 without its final 'moov' plays nothing.
        // OpenCV passes no muxer options (movflags) through, so the extension is the only way.
        // Renamed to .mp4 at the end: it is an ISO BMFF (MP4) file, brand 'isml'.
        w->tmp = w->path + tmp_suffix() + ".ismv";
        w->width = width;
        w->height = height;
        w->frames = 0;
        if (!w->vw.open(w->tmp, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('m', 'p', '4', 'v'), fps,
                        cv::Size(width, height), true) || !w->vw.isOpened()) {
            std::remove(w->tmp.c_str());
            delete w;
            return diag_set(d, YOLO_ERR_IO, "%s: cannot create video file (MP4, codec mp4v; is the "
                            "folder writable?)", path);
        }
        *out = w;
        return YOLO_OK;
    } catch (const std::bad_alloc &) {
        if (w)
            std::remove(w->tmp.c_str());
        delete w;
        return diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory creating the video", path);
    } catch (const cv::Exception &e) {
        if (w)
            std::remove(w->tmp.c_str());
        delete w;
        return diag_set(d, YOLO_ERR_IO, "%s: cannot create video file: %s", path, cv_reason(e).c_str());
    } catch (...) {
        if (w)
            std::remove(w->tmp.c_str());
        delete w;
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot create video file: exception", path);
    }
}

int yolo_cv_video_writer_write(struct yolo_cv_video_writer *w, const uint8_t *bgr, int64_t stride_bytes,
                               struct yolo_diag *d)
{
    if (!w || !bgr || stride_bytes < (int64_t)w->width * 3)
        return diag_set(d, YOLO_ERR_ARG, "video write: bad argument");
    try {
        cv::Mat m(w->height, w->width, CV_8UC3, const_cast<uint8_t *>(bgr), (size_t)stride_bytes);
        w->vw.write(m);
        w->frames++;
        return YOLO_OK;
    } catch (const std::bad_alloc &) {
        return diag_set(d, YOLO_ERR_NOMEM, "%s: out of memory encoding a frame", w->path.c_str());
    } catch (const cv::Exception &e) {
        return diag_set(d, YOLO_ERR_IO, "%s: cannot encode frame: %s", w->path.c_str(),
                        cv_reason(e).c_str());
    } catch (...) {
        return diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot encode frame: exception", w->path.c_str());
    }
}

int64_t yolo_cv_video_writer_frames(const struct yolo_cv_video_writer *w)
{
    return w ? w->frames : 0;
}

int yolo_cv_video_writer_close(struct yolo_cv_video_writer *w, int commit, struct yolo_diag *d)
{
    if (!w)
        return YOLO_OK;
    int st = YOLO_OK;
    try {
        w->vw.release();   // writes the MP4 index ('moov'): the file is playable from here
    } catch (const cv::Exception &e) {
        st = diag_set(d, YOLO_ERR_IO, "%s: cannot finish video file: %s", w->path.c_str(),
                      cv_reason(e).c_str());
    } catch (...) {
        st = diag_set(d, YOLO_ERR_INTERNAL, "%s: cannot finish video file: exception", w->path.c_str());
    }
    if (!st && commit) {
        struct stat sb;
        if (w->frames == 0)
            st = diag_set(d, YOLO_ERR_IO, "%s: no frame to write", w->path.c_str());
        else if (stat(w->tmp.c_str(), &sb) != 0 || sb.st_size == 0)
            st = diag_set(d, YOLO_ERR_IO, "%s: the encoder wrote nothing (disk full?)", w->path.c_str());
        if (!st)
            st = verify_video(w, d);
        if (!st && std::rename(w->tmp.c_str(), w->path.c_str()) != 0)
            st = diag_set(d, YOLO_ERR_IO, "%s: cannot rename the temporary file into place: %s",
                          w->path.c_str(), std::strerror(errno));
    }
    if (st || !commit)
        std::remove(w->tmp.c_str());
    delete w;
    return st;
}

}  // extern "C"
