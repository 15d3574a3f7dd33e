// crawl/crawl.hpp - the crawl function of gopl.io/ch8/crawl1 and crawl3 (crawl2 has its own,
// which holds a semaphore token around the request).
#pragma once

#include <exception>
#include <string>
#include <vector>

#include <gocsp/io.hpp>

#include "../flags.hpp"
#include "../links/links.hpp"

/// crawl: prints url, fetches it and returns the links on the page; a failure is logged (Go's
/// log.Print) and gives no links.
inline std::vector<std::string> crawl(const std::string& url) {
    gocsp::io::fprintf(gocsp::io::stdout_writer(), "%s\n", url.c_str());
    try {
        return links::extract(url);
    } catch (const std::exception& err) {
        log_print(err.what());
        return {};
    }
}
