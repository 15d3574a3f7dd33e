// image.hpp - the little of Go's image packages that the thumbnail example needs, on Debian's
// image libraries: image.Decode (JPEG with libjpeg-turbo, PNG with libpng, GIF with giflib,
// chosen by the data's first bytes as Go does) and jpeg.Encode; png and gif encoders too, with
// which the example's test makes its input files.
//
//     image::picture src = image::decode(bytes);          // src, _, err := image.Decode(r)
//     std::string jpg = image::jpeg_encode(src);         // jpeg.Encode(w, src, nil)
//
// Errors throw std::runtime_error with a message in Go's manner: "image: unknown format",
// "jpeg: ...", "png: ...", "gif: ...". The libraries' own messages follow the prefix. A JPEG
// that libjpeg would only warn about (a truncated file, corrupt data) is an error here, as it is
// for Go's strict decoder.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gif_lib.h>
#include <jpeglib.h>
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

/// decode: the first image in data, whose format is told by its first bytes (Go's
/// image.Decode with the jpeg, png and gif decoders registered). Throws std::runtime_error:
/// "image: unknown format" for anything else, or the decoder's error.
picture decode(std::string_view data);

/// jpeg_encode: p as a baseline JPEG (Go's jpeg.Encode; quality 75 is its default).
std::string jpeg_encode(const picture& p, int quality = 75);

/// png_encode: p as an RGB PNG.
std::string png_encode(const picture& p);

/// gif_encode: p as a GIF, its colours reduced to the 216 of a 6x6x6 colour cube.
std::string gif_encode(const picture& p);

// =============================================================================================
// Implementation
// =============================================================================================

namespace detail {

[[noreturn]] inline void fail(const std::string& codec, const char* message) {
    throw std::runtime_error(codec + ": " + (message && *message ? message : "unknown error"));
}

// libjpeg reports errors through a callback that must not return: it longjmps back to the
// function that set the jump, which therefore holds no object with a destructor (C++ allows a
// longjmp only over frames that a throw would leave without running destructors).
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

// jpeg_decode_into: decodes data into out; false (with f.message) on failure.
inline bool jpeg_decode_into(std::string_view data, picture& out, jpeg_failure& f) {
    jpeg_decompress_struct cinfo;
    cinfo.err = &f.mgr;
    if (setjmp(f.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return false;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(data.data()), static_cast<unsigned long>(data.size()));
    jpeg_read_header(&cinfo, TRUE);
    cinfo.out_color_space = JCS_RGB;
    jpeg_start_decompress(&cinfo);
    out = picture(static_cast<int>(cinfo.output_width), static_cast<int>(cinfo.output_height));
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = out.at(0, static_cast<int>(cinfo.output_scanline));
        jpeg_read_scanlines(&cinfo, &row, 1);
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

inline picture jpeg_decode(std::string_view data) {
    jpeg_failure f;
    jpeg_init_failure(f);
    picture out;
    if (!jpeg_decode_into(data, out, f)) fail("jpeg", f.message);
    return out;
}

inline picture png_decode(std::string_view data) {
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data.data(), data.size())) fail("png", img.message);
    img.format = PNG_FORMAT_RGBA;
    std::vector<std::uint8_t> rgba(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, nullptr, rgba.data(), 0, nullptr)) {
        std::string message = img.message;
        png_image_free(&img);
        fail("png", message.c_str());
    }
    picture out(static_cast<int>(img.width), static_cast<int>(img.height));
    for (std::size_t i = 0, n = out.pix.size() / 3; i < n; ++i) {
        const unsigned alpha = rgba[4 * i + 3];
        for (std::size_t c = 0; c < 3; ++c)
            out.pix[3 * i + c] = static_cast<std::uint8_t>((rgba[4 * i + c] * alpha + 127) / 255);
    }
    return out;
}

// A GIF read from memory: giflib pulls the bytes through this.
struct gif_source {
    std::string_view data;
    std::size_t pos = 0;
};

inline int gif_read(GifFileType* gif, GifByteType* buf, int n) {
    auto* src = static_cast<gif_source*>(gif->UserData);
    const std::size_t take = std::min(static_cast<std::size_t>(n), src->data.size() - src->pos);
    std::memcpy(buf, src->data.data() + src->pos, take);
    src->pos += take;
    return static_cast<int>(take);
}

inline picture gif_decode(std::string_view data) {
    gif_source src{data};
    int err = 0;
    GifFileType* gif = DGifOpen(&src, &gif_read, &err);
    if (!gif) fail("gif", GifErrorString(err));
    struct closer {
        GifFileType* gif;
        ~closer() { DGifCloseFile(gif, nullptr); }
    } close_on_exit{gif};
    if (DGifSlurp(gif) != GIF_OK) fail("gif", GifErrorString(gif->Error));
    if (gif->ImageCount < 1) fail("gif", "no image");

    // The first frame, drawn on the logical screen (black where it does not cover it).
    const SavedImage& frame = gif->SavedImages[0];
    const GifImageDesc& d = frame.ImageDesc;
    const ColorMapObject* colors = d.ColorMap ? d.ColorMap : gif->SColorMap;
    if (!colors) fail("gif", "no color table");
    GraphicsControlBlock gcb{};
    gcb.TransparentColor = NO_TRANSPARENT_COLOR;
    DGifSavedExtensionToGCB(gif, 0, &gcb);
    const int width = gif->SWidth > 0 ? gif->SWidth : d.Left + d.Width;
    const int height = gif->SHeight > 0 ? gif->SHeight : d.Top + d.Height;
    picture out(width, height);
    for (int y = 0; y < d.Height; ++y) {
        for (int x = 0; x < d.Width; ++x) {
            const int index = frame.RasterBits[static_cast<std::size_t>(y) * static_cast<std::size_t>(d.Width) + static_cast<std::size_t>(x)];
            if (index == gcb.TransparentColor || d.Left + x >= width || d.Top + y >= height) continue;
            if (index >= colors->ColorCount) fail("gif", "color index out of range");
            const GifColorType c = colors->Colors[index];
            std::uint8_t* px = out.at(d.Left + x, d.Top + y);
            px[0] = c.Red;
            px[1] = c.Green;
            px[2] = c.Blue;
        }
    }
    return out;
}

inline int gif_write(GifFileType* gif, const GifByteType* buf, int n) {
    static_cast<std::string*>(gif->UserData)->append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
    return n;
}

}  // namespace detail

inline picture decode(std::string_view data) {
    if (data.substr(0, 2) == "\xff\xd8") return detail::jpeg_decode(data);
    if (data.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return detail::png_decode(data);
    if (data.substr(0, 6) == "GIF87a" || data.substr(0, 6) == "GIF89a") return detail::gif_decode(data);
    throw std::runtime_error("image: unknown format");
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

inline std::string gif_encode(const picture& p) {
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
              EGifPutImageDesc(gif, 0, 0, p.width, p.height, false, nullptr) == GIF_OK;
    for (int y = 0; ok && y < p.height; ++y) {
        for (int x = 0; x < p.width; ++x) {
            const std::uint8_t* px = p.at(x, y);
            line[static_cast<std::size_t>(x)] = static_cast<GifPixelType>(level(px[0]) * 36 + level(px[1]) * 6 + level(px[2]));
        }
        ok = EGifPutLine(gif, line.data(), p.width) == GIF_OK;
    }
    const int put_error = gif->Error;
    GifFreeMapObject(colors);
    if (EGifCloseFile(gif, &err) != GIF_OK && ok) detail::fail("gif", GifErrorString(err));
    if (!ok) detail::fail("gif", GifErrorString(put_error));
    return out;
}

}  // namespace image
