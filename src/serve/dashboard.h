// The dashboard of `hotmem serve`, GET /: one self-contained page
// (src/serve/dashboard.html, inline script and style, nothing fetched but
// the API itself) that polls the API every second and draws each function
// VM's partitions, its instances, QEMU's RSS, the host memory budget and a
// rolling 5-minute chart of committed memory and invocation latency. The
// build embeds the file (cmake/embed_file.cmake), so the binary needs
// nothing beside it.
#pragma once

#include <string_view>

namespace hotmem::serve {

// The page's HTML, as dashboard.html was at build time.
std::string_view dashboard_html();

// What the browser may do with the page: run its inline script and style,
// fetch from the daemon itself, nothing else (no other origin, no frames,
// no forms posted anywhere).
inline constexpr const char* kDashboardContentSecurityPolicy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace hotmem::serve
