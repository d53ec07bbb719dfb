#!/bin/sh
# embed_names.sh SYMBOL FILE: prints a C file defining a NULL-terminated array of the lines of
# FILE (one class name per line), so the binary never reads labels from the working directory.
set -eu
sym=$1; file=$2
echo "/* generated from $file by scripts/embed_names.sh; do not edit */"
echo "#include <stddef.h>"
echo "const char *const ${sym}[] = {"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/",/' "$file"
echo "    NULL"
echo "};"
