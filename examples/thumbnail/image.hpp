// image.hpp - the little of Go's image packages that the thumbnail example needs, on Debian's
// image libraries: image.Decode (JPEG with libjpeg-turbo, PNG with libpng, GIF with giflib,
// chosen by the data's first bytes as Go does) and jpeg.Encode; png and gif encoders too, with
// which the example's test makes its input files.
//
//     image::picture src = image::decode(bytes);          // src, _, err := image.Decode(r)
//     std::string jpg = image::jpeg_encode(src);         // jpeg.Encode(w, src, nil)
//
// The decoders stream: they pull their input through an image::reader as they need it and hand
// the image over row by row to an image::row_sink, which keeps what it wants - a whole picture,
// or only the pixels of a thumbnail. Nothing is allocated from a size an input declares before
// that size is checked, and the memory a decoder holds does not grow with the image's height:
// one row (two for PNG's filters), or for a progressive JPEG libjpeg's coefficients, which are
// capped. A JPEG is shrunk by libjpeg while it is decoded (its DCT scaling) when the sink asks.
//
// Errors throw std::runtime_error with a message in Go's manner: "image: unknown format",
// "jpeg: ...", "png: ...", "gif: ...". The libraries' own messages follow the prefix. A JPEG
// that libjpeg would only warn about (a truncated file, corrupt data) is an error here, as it is
// for Go's strict decoder. An exception thrown by the reader (an I/O error) is passed on as it is.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gif_lib.h>
#include <jpeglib.h>
#include <jerror.h>  // after jpeglib.h, which it needs
#include <png.h>

namespace image {

/// picture: an 8-bit RGB image, rows top to bottom, 3 bytes a pixel. Transparent pixels of
/// the inputs are premultiplied onto black, which is what Go's JPEG encoder makes of them.
struct picture {
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pix;  // width * height * 3 bytes

    picture() = default;
    picture(int w, int h) : width(w), height(h), pix(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3) {}

    /// at: the pixel at (x, y), its red, green and blue bytes.
    std::uint8_t* at(int x, int y) { return pix.data() + (static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) * 3; }
    const std::uint8_t* at(int x, int y) const { return const_cast<picture*>(this)->at(x, y); }
};

/// reader: where a decoder takes its input from (Go's io.Reader): reads up to n bytes into buf
/// and returns how many it read, 0 only at the end of the input. May throw (an I/O error).
using reader = std::function<std::size_t(std::uint8_t* buf, std::size_t n)>;

/// row_sink: what a decoder hands an image to, row by row (see decode). The decoder calls
/// shrink, then begin, then row for the image's rows, in an order of its own: a GIF or PNG
/// stored interlaced delivers a row in several passes, each with some of its pixels.
class row_sink {
public:
    /// shrink: the image is width x height pixels; returns the largest factor (1, 2, 4 or 8) by
    /// which the decoder may reduce it while decoding. Only the JPEG decoder does (libjpeg's DCT
    /// scaling, averaging each 8x8 block down to as little as one pixel); the others deliver the
    /// image at its size. May throw to refuse the image.
    virtual int shrink(int width, int height) = 0;
    /// begin: the rows to come make an image of width x height pixels (the size after any
    /// shrinking). May throw to refuse the image.
    virtual void begin(int width, int height) = 0;
    /// row: n pixels of row y (3 bytes each: red, green, blue) at columns x0, x0 + dx, ...,
    /// x0 + (n - 1) * dx.
    virtual void row(int y, const std::uint8_t* rgb, int x0, int dx, int n) = 0;

protected:
    ~row_sink() = default;
};

/// max_pixels: the largest image, in pixels, that decode accepts (a gigapixel: 32768x32768):
/// beyond it the image is refused ("jpeg: image too large: 65500x65500 pixels") before
/// anything is allocated for it. Decoding row by row needs no memory for it; the bound is
/// for the time that so many pixels take.
inline constexpr std::int64_t max_pixels = std::int64_t{1} << 30;

/// max_picture_pixels: the largest image decode makes a whole picture of (96 MiB of pixels).
inline constexpr std::int64_t max_picture_pixels = std::int64_t{1} << 25;

/// max_jpeg_memory: the most memory libjpeg may take for one image. Only a progressive (or
/// otherwise multi-scan) JPEG needs much: its coefficients, 2 bytes a sample, whatever the
/// scaling; one larger than that is refused ("jpeg: image too large: ...").
inline constexpr long max_jpeg_memory = 128L << 20;

/// decode: decodes the first image read from r, whose format is told by its first bytes (Go's
/// image.Decode with the jpeg, png and gif decoders registered), into sink. Throws
/// std::runtime_error: "image: unknown format" for anything else (after reading no more than
/// one buffer of 64 KiB), or the decoder's error; or what r or sink threw.
void decode(const reader& r, row_sink& sink);

/// decode: the first image in data as a picture (no larger than max_picture_pixels).
picture decode(std::string_view data);

/// jpeg_encode: p as a baseline JPEG (Go's jpeg.Encode; quality 75 is its default).
std::string jpeg_encode(const picture& p, int quality = 75);

/// png_encode: p as an RGB PNG.
std::string png_encode(const picture& p);

/// gif_encode: p as a GIF, its colours reduced to the 216 of a 6x6x6 colour cube; its rows
/// stored in the interlaced order if asked.
std::string gif_encode(const picture& p, bool interlaced = false);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

[[noreturn]] inline void fail(const std::string& codec, const char* message) {
    throw std::runtime_error(codec + ": " + (message && *message ? message : "unknown error"));
}

// guard: runs f, keeping what it throws in err instead (false then): nothing may be thrown
// through the C libraries' frames, nor past the cleanup of their state.
template <class F>
bool guard(std::exception_ptr& err, F&& f) noexcept {
    try {
        f();
        return true;
    } catch (...) {
        err = std::current_exception();
        return false;
    }
}

// check_size: throws "<codec>: image too large: WxH pixels" unless w x h is within limit.
inline void check_size(const char* codec, std::int64_t w, std::int64_t h, std::int64_t limit) {
    if (w * h > limit)
        throw std::runtime_error(std::string(codec) + ": image too large: " + std::to_string(w) + "x" + std::to_string(h) + " pixels");
}

// source: the input of one decode, buffered: the decoders take it from here in pieces.
class source {
public:
    static constexpr std::size_t buffer_size = 64 * 1024;

    explicit source(const reader& r) : r_(r), buf_(buffer_size) {}

    // fill: refills the buffer once what it holds is used up; how many bytes it now holds
    // unused, 0 at the end of the input or after an error (kept in error).
    std::size_t fill() noexcept {
        if (pos_ < end_) return end_ - pos_;
        pos_ = end_ = 0;
        if (eof_ || error) return 0;
        guard(error, [&] { end_ = r_(buf_.data(), buf_.size()); });
        if (end_ == 0) eof_ = true;
        return end_;
    }
    // peek: the first bytes of the input (up to n, fewer only at its end), leaving them unread.
    std::string_view peek(std::size_t n) noexcept {
        while (end_ < n && !eof_ && !error) {
            std::size_t got = 0;
            guard(error, [&] { got = r_(buf_.data() + end_, buf_.size() - end_); });
            if (got == 0) eof_ = true;
            end_ += got;
        }
        return {reinterpret_cast<const char*>(buf_.data()), std::min(n, end_)};
    }
    // data: the unused bytes fill made available; take: marks n of them used.
    const std::uint8_t* data() const noexcept { return buf_.data() + pos_; }
    void take(std::size_t n) noexcept { pos_ += n; }
    // read: copies up to n bytes into out; fewer only at the end of the input or on an error.
    std::size_t read(std::uint8_t* out, std::size_t n) noexcept {
        std::size_t done = 0;
        while (done < n) {
            const std::size_t k = std::min(fill(), n - done);
            if (k == 0) break;
            std::memcpy(out + done, data(), k);
            take(k);
            done += k;
        }
        return done;
    }
    // rethrow: throws what the reader threw, if it did.
    void rethrow() const {
        if (error) std::rethrow_exception(error);
    }

    std::exception_ptr error;  // what the reader threw

private:
    const reader& r_;
    std::vector<std::uint8_t> buf_;
    std::size_t pos_ = 0, end_ = 0;
    bool eof_ = false;
};

// ---------------------------------------------------------------------------------------------
// JPEG

// libjpeg reports errors through a callback that must not return: it longjmps back to the
// function that set the jump, which therefore holds no object with a destructor (C++ allows a
// longjmp only over frames that a throw would leave without running destructors). The state
// that needs destructors is the caller's, reached through this struct.
struct jpeg_failure {
    jpeg_error_mgr mgr;  // first: libjpeg's pointer to it is a pointer to the whole
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

inline void jpeg_error_exit(j_common_ptr cinfo) {
    auto* f = reinterpret_cast<jpeg_failure*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, f->message);
    std::longjmp(f->jump, 1);
}

inline void jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0) jpeg_error_exit(cinfo);  // a warning: corrupt or truncated data
}

inline void jpeg_init_failure(jpeg_failure& f) {
    jpeg_std_error(&f.mgr);
    f.mgr.error_exit = &jpeg_error_exit;
    f.mgr.emit_message = &jpeg_emit_message;
    f.message[0] = '\0';
}

// A libjpeg data source pulling from a source.
struct jpeg_input {
    jpeg_source_mgr mgr;  // first: libjpeg's pointer to it is a pointer to the whole
    source* src;
    std::size_t given;  // the bytes of src last given to libjpeg
    JOCTET eoi[2];      // the fake end of image libjpeg is given at the end of the input
};

inline void jpeg_input_init(j_decompress_ptr) {}
inline void jpeg_input_term(j_decompress_ptr) {}

inline boolean jpeg_input_fill(j_decompress_ptr cinfo) {
    auto* in = reinterpret_cast<jpeg_input*>(cinfo->src);
    in->src->take(in->given);  // libjpeg asks for more once it has used all it was given
    in->given = 0;
    if (const std::size_t n = in->src->fill(); n > 0) {
        in->mgr.next_input_byte = in->src->data();
        in->mgr.bytes_in_buffer = in->given = n;
        return TRUE;
    }
    if (in->src->error) {  // the reader threw: stop here; the decode rethrows it
        std::strcpy(reinterpret_cast<jpeg_failure*>(cinfo->err)->message, "read error");
        std::longjmp(reinterpret_cast<jpeg_failure*>(cinfo->err)->jump, 1);
    }
    // The end of the input: libjpeg's own way (jdatasrc.c) - a warning, which is an error here.
    WARNMS(cinfo, JWRN_JPEG_EOF);
    in->eoi[0] = 0xFF;
    in->eoi[1] = JPEG_EOI;
    in->mgr.next_input_byte = in->eoi;
    in->mgr.bytes_in_buffer = 2;
    return TRUE;
}

inline void jpeg_input_skip(j_decompress_ptr cinfo, long n) {
    auto* in = reinterpret_cast<jpeg_input*>(cinfo->src);
    while (n > static_cast<long>(in->mgr.bytes_in_buffer)) {
        n -= static_cast<long>(in->mgr.bytes_in_buffer);
        in->mgr.next_input_byte += in->mgr.bytes_in_buffer;
        in->mgr.bytes_in_buffer = 0;
        jpeg_input_fill(cinfo);
    }
    if (n > 0) {
        in->mgr.next_input_byte += n;
        in->mgr.bytes_in_buffer -= static_cast<std::size_t>(n);
    }
}

// A JPEG decode's state that has destructors, owned by jpeg_decode.
struct jpeg_state {
    std::exception_ptr sink_error;  // what the sink threw
    std::vector<std::uint8_t> row;  // one output row
};

// jpeg_decode_into: decodes from in into sink; false (with f.message, or st.sink_error) on
// failure.
inline bool jpeg_decode_into(jpeg_input& in, row_sink& sink, jpeg_state& st, jpeg_failure& f) {
    jpeg_decompress_struct cinfo;
    cinfo.err = &f.mgr;
    if (setjmp(f.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return false;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = max_jpeg_memory + (16L << 20);  // beyond the estimate below
    in.mgr.init_source = &jpeg_input_init;
    in.mgr.fill_input_buffer = &jpeg_input_fill;
    in.mgr.skip_input_data = &jpeg_input_skip;
    in.mgr.resync_to_restart = &jpeg_resync_to_restart;
    in.mgr.term_source = &jpeg_input_term;
    in.mgr.next_input_byte = in.src->data();
    in.mgr.bytes_in_buffer = 0;
    cinfo.src = &in.mgr;
    jpeg_read_header(&cinfo, TRUE);

    auto refuse = [&](const char* message) {
        std::snprintf(f.message, sizeof f.message, "%s", message);
        jpeg_destroy_decompress(&cinfo);
        return false;
    };
    const std::int64_t width = cinfo.image_width, height = cinfo.image_height;
    if (!guard(st.sink_error, [&] { check_size("jpeg", width, height, max_pixels); })) return refuse("");
    // The coefficients of a multi-scan image are all kept until its last scan.
    if (jpeg_has_multiple_scans(&cinfo)) {
        std::int64_t bytes = 0;
        for (int c = 0; c < cinfo.num_components; ++c)
            bytes += std::int64_t{cinfo.comp_info[c].width_in_blocks} * cinfo.comp_info[c].height_in_blocks * std::int64_t{sizeof(JBLOCK)};
        if (bytes > max_jpeg_memory) {
            char message[JMSG_LENGTH_MAX];
            std::snprintf(message, sizeof message, "image too large: %lldx%lld pixels, progressive (%lld MiB of coefficients)",
                          static_cast<long long>(width), static_cast<long long>(height), static_cast<long long>(bytes >> 20));
            return refuse(message);
        }
    }
    // Four components: CMYK, or YCCK that libjpeg turns into CMYK. Like Go, only with Adobe's
    // marker, which says the values are inverted (255 is no ink).
    const bool cmyk = cinfo.num_components == 4;
    if (cmyk && !cinfo.saw_Adobe_marker)
        return refuse("unsupported JPEG feature: unknown color model: 4-component JPEG doesn't have Adobe APP14 metadata");
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    int factor = 1;
    if (!guard(st.sink_error, [&] { factor = sink.shrink(static_cast<int>(width), static_cast<int>(height)); })) return refuse("");
    cinfo.scale_num = 1;
    cinfo.scale_denom = static_cast<unsigned>(factor == 2 || factor == 4 || factor == 8 ? factor : 1);
    jpeg_start_decompress(&cinfo);

    const int w = static_cast<int>(cinfo.output_width);
    const std::size_t row_bytes = static_cast<std::size_t>(w) * static_cast<std::size_t>(cinfo.output_components);
    if (!guard(st.sink_error, [&] {
            st.row.resize(row_bytes);
            sink.begin(w, static_cast<int>(cinfo.output_height));
        }))
        return refuse("");
    while (cinfo.output_scanline < cinfo.output_height) {
        const int y = static_cast<int>(cinfo.output_scanline);
        JSAMPROW row = st.row.data();
        jpeg_read_scanlines(&cinfo, &row, 1);
        if (cmyk) {  // inverted CMYK to RGB, in place: red = (255 - cyan) * (255 - black) = C * K
            std::uint8_t* p = st.row.data();
            for (int x = 0; x < w; ++x) {
                const unsigned k = p[4 * x + 3];
                for (int c = 0; c < 3; ++c) p[3 * x + c] = static_cast<std::uint8_t>((p[4 * x + c] * k + 127) / 255);
            }
        }
        if (!guard(st.sink_error, [&] { sink.row(y, st.row.data(), 0, 1, w); })) return refuse("");
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return true;
}

// jpeg_encode_into: encodes p into a buffer that libjpeg mallocs (*buf, *size); false (with
// f.message) on failure.
inline bool jpeg_encode_into(const picture& p, int quality, unsigned char** buf, unsigned long* size, jpeg_failure& f) {
    jpeg_compress_struct cinfo;
    cinfo.err = &f.mgr;
    if (setjmp(f.jump)) {
        jpeg_destroy_compress(&cinfo);
        return false;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, buf, size);
    cinfo.image_width = static_cast<JDIMENSION>(p.width);
    cinfo.image_height = static_cast<JDIMENSION>(p.height);
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(p.at(0, static_cast<int>(cinfo.next_scanline)));
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return true;
}

inline void jpeg_decode(source& src, row_sink& sink) {
    jpeg_failure f;
    jpeg_init_failure(f);
    jpeg_input in{};
    in.src = &src;
    jpeg_state st;
    if (jpeg_decode_into(in, sink, st, f)) return;
    src.rethrow();
    if (st.sink_error) std::rethrow_exception(st.sink_error);
    fail("jpeg", f.message);
}

// ---------------------------------------------------------------------------------------------
// PNG

// libpng too reports errors by longjmp (to png_jmpbuf), with the same rule as libjpeg's.
struct png_failure {
    source* src;
    char message[256];
};

inline void png_on_error(png_structp png, png_const_charp message) {
    auto* f = static_cast<png_failure*>(png_get_error_ptr(png));
    std::snprintf(f->message, sizeof f->message, "%s", message ? message : "");
    png_longjmp(png, 1);
}

inline void png_on_warning(png_structp, png_const_charp) {}  // as Go: nothing to say

inline void png_input(png_structp png, png_bytep out, png_size_t n) {
    auto* f = static_cast<png_failure*>(png_get_error_ptr(png));
    if (f->src->read(out, n) < n) png_error(png, f->src->error ? "read error" : "unexpected EOF");
}

// A PNG decode's state that has destructors, owned by png_decode.
struct png_state {
    std::exception_ptr sink_error;
    std::vector<std::uint8_t> rgba;  // one row as libpng gives it
    std::vector<std::uint8_t> rgb;   // the same, premultiplied
};

// png_decode_into: decodes from f.src into sink; false (with f.message, or st.sink_error) on
// failure.
inline bool png_decode_into(row_sink& sink, png_state& st, png_failure& f) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &f, &png_on_error, &png_on_warning);
    if (!png) {
        std::snprintf(f.message, sizeof f.message, "out of memory");
        return false;
    }
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
        return false;
    }
    png_set_read_fn(png, &f, &png_input);
    png_read_info(png, info);
    const png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    if (!guard(st.sink_error, [&] { check_size("png", width, height, max_pixels); })) png_error(png, "");

    // Whatever the pixels are, 8-bit RGBA: palette and grey expanded, tRNS made alpha, 16 bits
    // cut to 8 (as Go's JPEG encoder does), an opaque alpha added where there is none.
    const int color_type = png_get_color_type(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (png_get_bit_depth(png, info) == 16) png_set_strip_16(png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != static_cast<png_size_t>(width) * 4) png_error(png, "unexpected row format");

    const int w = static_cast<int>(width), h = static_cast<int>(height);
    if (!guard(st.sink_error, [&] {
            st.rgba.resize(static_cast<std::size_t>(w) * 4);
            st.rgb.resize(static_cast<std::size_t>(w) * 3);
            sink.shrink(w, h);
            sink.begin(w, h);
        }))
        png_error(png, "");
    // Interlace handling is left off: an interlaced image comes as its 7 reduced passes, each
    // pixel once, and each pass row goes to the sink with its columns.
    const bool interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
    for (int pass = 0; pass < (interlaced ? 7 : 1); ++pass) {
        const int rows = interlaced ? static_cast<int>(PNG_PASS_ROWS(height, pass)) : h;
        const int cols = interlaced ? static_cast<int>(PNG_PASS_COLS(width, pass)) : w;
        if (rows == 0 || cols == 0) continue;  // libpng skips empty passes too
        for (int r = 0; r < rows; ++r) {
            png_read_row(png, st.rgba.data(), nullptr);
            const std::uint8_t* in = st.rgba.data();
            std::uint8_t* out = st.rgb.data();
            for (int x = 0; x < cols; ++x, in += 4, out += 3) {
                const unsigned alpha = in[3];
                for (int c = 0; c < 3; ++c) out[c] = static_cast<std::uint8_t>((in[c] * alpha + 127) / 255);
            }
            const int y = interlaced ? static_cast<int>(PNG_ROW_FROM_PASS_ROW(r, pass)) : r;
            const int x0 = interlaced ? static_cast<int>(PNG_PASS_START_COL(pass)) : 0;
            const int dx = interlaced ? static_cast<int>(PNG_PASS_COL_OFFSET(pass)) : 1;
            if (!guard(st.sink_error, [&] { sink.row(y, st.rgb.data(), x0, dx, cols); })) png_error(png, "");
        }
    }
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

inline void png_decode(source& src, row_sink& sink) {
    png_failure f{&src, {}};
    png_state st;
    if (png_decode_into(sink, st, f)) return;
    src.rethrow();
    if (st.sink_error) std::rethrow_exception(st.sink_error);
    fail("png", f.message);
}

// ---------------------------------------------------------------------------------------------
// GIF

// gif_rows: f(y) for each row of an image height rows high, in the order a GIF stores them:
// top to bottom, or interlaced: rows 0, 8, 16...; then 4, 12...; 2, 6...; 1, 3...
template <class F>
void gif_rows(int height, bool interlaced, F&& f) {
    if (!interlaced) {
        for (int y = 0; y < height; ++y) f(y);
        return;
    }
    static constexpr int start[] = {0, 4, 2, 1}, step[] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; ++pass)
        for (int y = start[pass]; y < height; y += step[pass]) f(y);
}

inline int gif_input(GifFileType* gif, GifByteType* buf, int n) {
    return static_cast<int>(static_cast<source*>(gif->UserData)->read(buf, static_cast<std::size_t>(n)));
}

// gif_decode: the first frame, alone, as Go's gif.Decode returns it: neither the logical
// screen's size (which nothing checks) nor the other frames matter. Its rows are read one at a
// time (DGifGetLine), never the whole raster (DGifSlurp).
inline void gif_decode(source& src, row_sink& sink) {
    int err = 0;
    GifFileType* gif = DGifOpen(&src, &gif_input, &err);
    if (!gif) {
        src.rethrow();
        fail("gif", GifErrorString(err));
    }
    struct closer {
        GifFileType* gif;
        ~closer() { DGifCloseFile(gif, nullptr); }
    } close_on_exit{gif};
    auto gif_fail = [&](const char* message = nullptr) {
        src.rethrow();
        fail("gif", message ? message : GifErrorString(gif->Error));
    };

    GraphicsControlBlock gcb{};
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    for (;;) {
        GifRecordType type = UNDEFINED_RECORD_TYPE;
        if (DGifGetRecordType(gif, &type) != GIF_OK) gif_fail();
        if (type == TERMINATE_RECORD_TYPE) gif_fail("missing image data");
        if (type == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType* ext = nullptr;
            if (DGifGetExtension(gif, &code, &ext) != GIF_OK) gif_fail();
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4) DGifExtensionToGCB(ext[0], ext + 1, &gcb);
            while (ext)
                if (DGifGetExtensionNext(gif, &ext) != GIF_OK) gif_fail();
            continue;
        }
        if (type != IMAGE_DESC_RECORD_TYPE) gif_fail("unknown block type");
        break;
    }
    if (DGifGetImageDesc(gif) != GIF_OK) gif_fail();
    const GifImageDesc& d = gif->Image;
    // Go's checks, with Go's words.
    if (d.Left + d.Width > gif->SWidth || d.Top + d.Height > gif->SHeight) gif_fail("frame bounds larger than image bounds");
    const ColorMapObject* colors = d.ColorMap ? d.ColorMap : gif->SColorMap;
    if (!colors) gif_fail("no color table");
    if (d.Width == 0 || d.Height == 0) {
        // No pixels: any pixel in the data is one too many (giflib does not check). The data
        // of an empty frame is a clear code (the first, giflib keeps its value to itself), maybe
        // repeated, then the end code (-1 from giflib); any other code is a pixel.
        int first = -1;
        for (int code = 0;;) {
            if (DGifGetLZCodes(gif, &code) != GIF_OK) gif_fail();
            if (code == -1) break;
            if (first == -1) first = code;
            else if (code != first) gif_fail("too much image data");
        }
    }
    check_size("gif", d.Width, d.Height, max_pixels);
    sink.shrink(d.Width, d.Height);
    sink.begin(d.Width, d.Height);
    if (d.Width == 0 || d.Height == 0) return;

    std::vector<GifPixelType> line(static_cast<std::size_t>(d.Width));
    std::vector<std::uint8_t> rgb(static_cast<std::size_t>(d.Width) * 3);
    auto read_row = [&](int y) {
        if (DGifGetLine(gif, line.data(), d.Width) != GIF_OK)  // the data ends before the frame: Go's words
            gif_fail(gif->Error == D_GIF_ERR_READ_FAILED || gif->Error == D_GIF_ERR_EOF_TOO_SOON ? "not enough image data" : nullptr);
        std::uint8_t* out = rgb.data();
        for (const GifPixelType index : line) {
            if (index == gcb.TransparentColor) {
                out[0] = out[1] = out[2] = 0;
            } else if (index >= colors->ColorCount) {
                gif_fail("invalid pixel value");
            } else {
                out[0] = colors->Colors[index].Red;
                out[1] = colors->Colors[index].Green;
                out[2] = colors->Colors[index].Blue;
            }
            out += 3;
        }
        sink.row(y, rgb.data(), 0, 1, d.Width);
    };
    gif_rows(d.Height, d.Interlace, read_row);
}

inline int gif_write(GifFileType* gif, const GifByteType* buf, int n) {
    static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    return n;
}

}  // namespace detail

inline void decode(const reader& r, row_sink& sink) {
    detail::source src(r);
    const std::string_view head = src.peek(8);
    src.rethrow();
    if (head.substr(0, 2) == "\xff\xd8") return detail::jpeg_decode(src, sink);
    if (head == std::string_view("\x89PNG\r\n\x1a\n", 8)) return detail::png_decode(src, sink);
    if (head.substr(0, 6) == "GIF87a" || head.substr(0, 6) == "GIF89a") return detail::gif_decode(src, sink);
    throw std::runtime_error("image: unknown format");
}

inline picture decode(std::string_view data) {
    // A sink keeping every pixel.
    struct whole final : row_sink {
        picture p;
        int shrink(int, int) override { return 1; }
        void begin(int width, int height) override {
            detail::check_size("image", width, height, max_picture_pixels);
            p = picture(width, height);
        }
        void row(int y, const std::uint8_t* rgb, int x0, int dx, int n) override {
            for (int i = 0; i < n; ++i, rgb += 3) std::copy(rgb, rgb + 3, p.at(x0 + i * dx, y));
        }
    } sink;
    decode(
        [&data](std::uint8_t* buf, std::size_t n) {
            n = std::min(n, data.size());
            std::memcpy(buf, data.data(), n);
            data.remove_prefix(n);
            return n;
        },
        sink);
    return std::move(sink.p);
}

inline std::string jpeg_encode(const picture& p, int quality) {
    detail::jpeg_failure f;
    detail::jpeg_init_failure(f);
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    const bool ok = detail::jpeg_encode_into(p, quality, &buf, &size, f);
    std::string out;
    if (ok) out.assign(reinterpret_cast<const char*>(buf), size);
    std::free(buf);
    if (!ok) detail::fail("jpeg", f.message);
    return out;
}

inline std::string png_encode(const picture& p) {
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = static_cast<png_uint_32>(p.width);
    img.height = static_cast<png_uint_32>(p.height);
    img.format = PNG_FORMAT_RGB;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&img, nullptr, &size, 0, p.pix.data(), 0, nullptr)) detail::fail("png", img.message);
    std::string out(size, '\0');
    if (!png_image_write_to_memory(&img, out.data(), &size, 0, p.pix.data(), 0, nullptr)) detail::fail("png", img.message);
    out.resize(size);
    return out;
}

inline std::string gif_encode(const picture& p, bool interlaced) {
    auto level = [](std::uint8_t v) { return (v * 5 + 127) / 255; };  // 0..5
    GifColorType cube[256] = {};
    for (int i = 0; i < 216; ++i) {
        cube[i].Red = static_cast<GifByteType>(i / 36 * 51);
        cube[i].Green = static_cast<GifByteType>(i / 6 % 6 * 51);
        cube[i].Blue = static_cast<GifByteType>(i % 6 * 51);
    }
    std::string out;
    int err = 0;
    GifFileType* gif = EGifOpen(&out, &detail::gif_write, &err);
    if (!gif) detail::fail("gif", GifErrorString(err));
    ColorMapObject* colors = GifMakeMapObject(256, cube);
    std::vector<GifPixelType> line(static_cast<std::size_t>(p.width));
    bool ok = colors && EGifPutScreenDesc(gif, p.width, p.height, 8, 0, colors) == GIF_OK &&
              EGifPutImageDesc(gif, 0, 0, p.width, p.height, interlaced, nullptr) == GIF_OK;
    detail::gif_rows(p.height, interlaced, [&](int y) {
        if (!ok) return;
        for (int x = 0; x < p.width; ++x) {
            const std::uint8_t* px = p.at(x, y);
            line[static_cast<std::size_t>(x)] = static_cast<GifPixelType>(level(px[0]) * 36 + level(px[1]) * 6 + level(px[2]));
        }
        ok = EGifPutLine(gif, line.data(), p.width) == GIF_OK;
    });
    const int put_error = gif->Error;
    GifFreeMapObject(colors);
    if (EGifCloseFile(gif, &err) != GIF_OK && ok) detail::fail("gif", GifErrorString(err));
    if (!ok) detail::fail("gif", GifErrorString(put_error));
    return out;
}

}  // namespace image
