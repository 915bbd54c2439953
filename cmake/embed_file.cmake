# Writes a C++ source that holds a file's bytes, run at build time
# (cmake -P) so that the file stays editable as it is (e.g. the dashboard's
# HTML) and the binary still needs nothing beside it at run time.
#
#   cmake -DINPUT=page.html -DOUTPUT=page.cc -DNAMESPACE=hotmem::serve
#         -DFUNCTION=dashboard_html -P embed_file.cmake
#
# OUTPUT defines `std::string_view NAMESPACE::FUNCTION()`, the file's bytes.
foreach(var INPUT OUTPUT NAMESPACE FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}=... is required")
  endif()
endforeach()
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
# An array of bytes, not a string literal: no escaping, and no limit on length
# (-Woverlength-strings warns of literals over 64 KiB).
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes
       "${bytes}")
get_filename_component(input_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp" "// Generated at build time from ${input_name} by cmake/embed_file.cmake: edit that file, not this one.
#include <string_view>

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}();

namespace {
const unsigned char k_embedded_${FUNCTION}_bytes[${size} + 1] = {
${bytes}0};
}  // namespace

std::string_view ${FUNCTION}() {
  return {reinterpret_cast<const char*>(k_embedded_${FUNCTION}_bytes), ${size}};
}

}  // namespace ${NAMESPACE}
")
# Only a changed output is rewritten, so what includes it is not rebuilt for nothing.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
