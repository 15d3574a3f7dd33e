/// \file
/// gocsp/gocsp.hpp - everything gocsp offers, in one include.
///
/// gocsp brings Go's concurrency model to C++20: goroutines scheduled M:N on work-stealing
/// worker threads, channels, select, wait groups, timers and a network poller.
#pragma once

#include "version.hpp"
#include "runtime.hpp"
#include "panic.hpp"
#include "wait_group.hpp"
#include "mutex.hpp"
#include "shared_mutex.hpp"
#include "once.hpp"
#include "cond.hpp"
#include "semaphore.hpp"
#include "chan.hpp"
#include "select.hpp"
#include "time.hpp"
#include "debug.hpp"
#include "net.hpp"
#include "io.hpp"
#include "raw_fd.hpp"
#include "blocking.hpp"
#include "context.hpp"
#include "errgroup.hpp"
