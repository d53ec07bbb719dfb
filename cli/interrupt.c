/* interrupt.c: see interrupt.h. */
#include <string.h>

#include "interrupt.h"

/* A signal handler can only reach a global: this flag is the one piece of process state the
 * CLI keeps, and only between cli_interrupt_begin and cli_interrupt_end. */
static atomic_int interrupted;

static void on_signal(int sig)
{
    if (atomic_fetch_add(&interrupted, 1) >= 2) {
        signal(sig, SIG_DFL);   /* both async-signal-safe */
        raise(sig);
    }
}

const atomic_int *cli_interrupt_begin(struct cli_interrupt *ci)
{
    atomic_store(&interrupted, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    /* Installed even where the caller ignored the signal: a shell script without job control
     * starts its background commands with SIGINT ignored, and a Ctrl-C that ends the script
     * should still end their recordings cleanly rather than leave them running. */
    sigaction(SIGINT, &sa, &ci->old_int);
    sigaction(SIGTERM, &sa, &ci->old_term);
    return &interrupted;
}

void cli_interrupt_end(struct cli_interrupt *ci)
{
    sigaction(SIGINT, &ci->old_int, NULL);
    sigaction(SIGTERM, &ci->old_term, NULL);
}
