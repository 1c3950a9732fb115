// CPU time and resident memory of a process, read from /proc.
#pragma once

#include <cstdint>

namespace relay::bench {

struct proc_sample {
  bool ok = false;
  double cpu_seconds = 0;     ///< utime + stime
  std::uint64_t rss_kib = 0;  ///< VmRSS
};

/// Samples /proc/PID (pid 0: nothing, ok = false).
proc_sample sample_process(int pid);

/// CPU seconds this process has used (user + system).
double own_cpu_seconds();

/// Raises the soft open-files limit to the hard limit; returns the new soft limit.
std::uint64_t raise_open_files_limit();

}  // namespace relay::bench
