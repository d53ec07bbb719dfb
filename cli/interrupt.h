/* interrupt.h: Ctrl-C (SIGINT) and SIGTERM as a request to finish early with finished outputs,
 * for the long-running commands (detect, video). */
#ifndef YOLO_CLI_INTERRUPT_H
#define YOLO_CLI_INTERRUPT_H

#include <signal.h>
#include <stdatomic.h>

struct cli_interrupt {
    struct sigaction old_int, old_term;
};

/* Installs the handlers and returns the flag they raise (non-zero once a signal came). The
 * same signal often arrives twice (a terminal or `timeout` signals the process and its
 * group), so only a third one takes the default action and ends the process at once. */
const atomic_int *cli_interrupt_begin(struct cli_interrupt *ci);
/* Puts the previous handlers back. */
void cli_interrupt_end(struct cli_interrupt *ci);

#endif
