#!/bin/sh
# make_man.sh YOLO VERSION: writes the man page yolo(1) to stdout, made from the program's own
# --help texts (yolo --help and yolo <command> --help for each command it lists), so the page
# says what the program does and cannot drift from it.
set -eu
YOLO=$1; VERSION=$2
esc() {   # roff-safe preformatted text: backslashes, and lines that would be requests
    sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
}
cmds=$("$YOLO" --help | sed -n '/^commands:/,/^$/p' | awk 'NR > 1 && NF {print $1}')
cat <<HEAD
.TH YOLO 1 "" "yolo $VERSION" "User Commands"
.SH NAME
yolo \\- compile YOLO detectors exported to ONNX into engine files and run them
.SH SYNOPSIS
.B yolo
.I command
.RI [ options ]
.br
.B yolo predict
.IR key = value ...
.SH DESCRIPTION
.nf
HEAD
"$YOLO" --help | esc
echo ".fi"
echo ".SH COMMANDS"
for c in $cmds; do
    echo ".SS yolo $c"
    echo ".nf"
    "$YOLO" "$c" --help | esc
    echo ".fi"
done
cat <<'TAIL'
.SH ENVIRONMENT
.TP
.B XDG_CACHE_HOME
The engine cache is
.IR $XDG_CACHE_HOME/yolo ,
else
.IR ~/.cache/yolo :
a MODEL.onnx given to detect, video, val or bench is built there once.
.TP
.B YOLO_ISA
ref, avx2 or avx512: force a kernel family (as --isa).
.SH EXIT STATUS
0 on success, 1 on a runtime failure, 2 on a usage error, 130 after Ctrl-C.
.SH SEE ALSO
The C library: include/yolo.h (pkg-config yolo), README.md.
TAIL
