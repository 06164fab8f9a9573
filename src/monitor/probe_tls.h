/* OpenSSL's side of HTTPS probes and hooks (probe_tls.c): linked by the
 * podctl-probe helper only. */
#ifndef PODCTL_MONITOR_PROBE_TLS_H
#define PODCTL_MONITOR_PROBE_TLS_H

#include "monitor/probe_http.h"

extern const struct pc_http_tls pc_probe_openssl;

#endif
