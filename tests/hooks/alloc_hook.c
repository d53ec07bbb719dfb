/* alloc_hook.c: the allocator hook of the fault-injection and resource-bound tests. Not a
 * support file of every test (the Makefile links only the .c files directly in tests/): a test #includes it and
 * is linked with TEST_LDFLAGS_<test> = $(ALLOC_WRAP), i.e. -Wl,--wrap=malloc,..., so every
 * allocation call made by libyolo.a and by the test goes through the __wrap_* functions
 * below. Calls made inside shared libraries (OpenCV, OpenBLAS, libstdc++, libc) are not.
 *
 *   hook_window_open();                 track every block allocated from now on
 *   hook_arm(k);                        count calls; the k-th fails (k < 0: count only and
 *   rc = yolo_...(...);                 log call sites)
 *   n = hook_disarm(&failed);           calls counted; whether the k-th happened
 *   ... free what the call returned ...
 *   leaked = hook_window_close("what", k);   blocks still allocated (a few are printed)
 *   peak = hook_peak_bytes();           most bytes live at once while the window was open
 *
 * Single global state (a test has no other way to reach the wrappers), guarded by a mutex
 * so pool threads may allocate too. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void  __real_free(void *p);
void *__real_aligned_alloc(size_t align, size_t n);
int   __real_posix_memalign(void **p, size_t align, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void  __wrap_free(void *p);
void *__wrap_aligned_alloc(size_t align, size_t n);
int   __wrap_posix_memalign(void **p, size_t align, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#define HOOK_LIVE_CAP  (1u << 18)   /* open addressing, linear probing; a power of 2 */
#define HOOK_SITES_CAP (1 << 16)

struct hook_slot { void *p; void *site; size_t bytes; };

static struct {
    pthread_mutex_t mu;
    int recording;              /* track blocks allocated now */
    int armed;                  /* count calls; fail call number fail_at */
    long calls, fail_at;
    int failed;                 /* the armed failure happened */
    void *sites[HOOK_SITES_CAP];/* call site of each counted call (counting runs) */
    long n_sites;
    struct hook_slot live[HOOK_LIVE_CAP];
    long n_live;
    uint64_t live_bytes, peak_bytes;
} hook = { .mu = PTHREAD_MUTEX_INITIALIZER };

static size_t hook_slot_of(void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0xed5ad4bbu;
    x ^= x >> 11;
    return (size_t)x & (HOOK_LIVE_CAP - 1);
}

/* Called with hook.mu held. */
static void hook_add(void *p, void *site, size_t bytes)
{
    if (!p || !hook.recording || hook.n_live >= (long)HOOK_LIVE_CAP / 2)
        return;
    size_t i = hook_slot_of(p);
    while (hook.live[i].p && hook.live[i].p != p)
        i = (i + 1) & (HOOK_LIVE_CAP - 1);
    if (!hook.live[i].p)
        hook.n_live++;
    else
        hook.live_bytes -= hook.live[i].bytes;
    hook.live[i] = (struct hook_slot){ p, site, bytes };
    hook.live_bytes += bytes;
    if (hook.live_bytes > hook.peak_bytes)
        hook.peak_bytes = hook.live_bytes;
}

/* Removes p if tracked (backward-shift deletion: no tombstones). 1 if it was. */
static int hook_remove(void *p)
{
    if (!p || hook.n_live == 0)
        return 0;
    size_t i = hook_slot_of(p);
    while (hook.live[i].p && hook.live[i].p != p)
        i = (i + 1) & (HOOK_LIVE_CAP - 1);
    if (!hook.live[i].p)
        return 0;
    hook.n_live--;
    hook.live_bytes -= hook.live[i].bytes;
    size_t j = i;
    for (;;) {
        hook.live[i].p = NULL;
        for (;;) {
            j = (j + 1) & (HOOK_LIVE_CAP - 1);
            if (!hook.live[j].p)
                return 1;
            size_t k = hook_slot_of(hook.live[j].p);
            /* j stays unless its home slot k lies cyclically outside (i, j] */
            if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
                continue;
            break;
        }
        hook.live[i] = hook.live[j];
        i = j;
    }
}

/* Counts a call; 1 if this one must fail. Called with hook.mu held. */
static int hook_should_fail(void *site)
{
    if (!hook.armed)
        return 0;
    long k = hook.calls++;
    if (hook.fail_at < 0 && hook.n_sites < HOOK_SITES_CAP)
        hook.sites[hook.n_sites++] = site;
    if (k == hook.fail_at) {
        hook.failed = 1;
        return 1;
    }
    return 0;
}

#define HOOK_ENTER()                                   \
    void *site = __builtin_return_address(0);          \
    pthread_mutex_lock(&hook.mu);                      \
    int fail = hook_should_fail(site)
#define HOOK_LEAVE(p, n)                               \
    hook_add(p, site, n);                              \
    pthread_mutex_unlock(&hook.mu)

void *__wrap_malloc(size_t n)
{
    HOOK_ENTER();
    void *p = fail ? NULL : __real_malloc(n);
    HOOK_LEAVE(p, n);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    HOOK_ENTER();
    void *p = fail ? NULL : __real_calloc(n, size);
    HOOK_LEAVE(p, n * size);
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    HOOK_ENTER();
    void *p = fail ? NULL : __real_realloc(old, n);
    if (p) {
        /* the old block is gone; the new one is tracked if recording, or if the old was */
        int was = old ? hook_remove(old) : 0;
        int rec = hook.recording;
        hook.recording |= was;
        hook_add(p, site, n);
        hook.recording = rec;
    }
    pthread_mutex_unlock(&hook.mu);
    return p;
}

void __wrap_free(void *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&hook.mu);
    hook_remove(p);
    pthread_mutex_unlock(&hook.mu);
    __real_free(p);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    HOOK_ENTER();
    void *p = fail ? NULL : __real_aligned_alloc(align, n);
    HOOK_LEAVE(p, n);
    return p;
}

int __wrap_posix_memalign(void **out, size_t align, size_t n)
{
    HOOK_ENTER();
    int rc = fail ? ENOMEM : __real_posix_memalign(out, align, n);
    HOOK_LEAVE(rc == 0 ? *out : NULL, n);
    return rc;
}

char *__wrap_strdup(const char *s)
{
    HOOK_ENTER();
    char *p = fail ? NULL : __real_strdup(s);
    HOOK_LEAVE(p, p ? strlen(p) + 1 : 0);
    return p;
}

char *__wrap_strndup(const char *s, size_t n)
{
    HOOK_ENTER();
    char *p = fail ? NULL : __real_strndup(s, n);
    HOOK_LEAVE(p, p ? strlen(p) + 1 : 0);
    return p;
}

static inline void hook_window_open(void)
{
    pthread_mutex_lock(&hook.mu);
    if (hook.n_live)        /* deletions leave no residue: an empty count is an empty table */
        memset(hook.live, 0, sizeof hook.live);
    hook.n_live = 0;
    hook.live_bytes = hook.peak_bytes = 0;
    hook.recording = 1;
    pthread_mutex_unlock(&hook.mu);
}

/* Stops tracking; returns the number of blocks still allocated, printing up to 3. */
static inline long hook_window_close(const char *what, long k)
{
    pthread_mutex_lock(&hook.mu);
    hook.recording = 0;
    long n = hook.n_live;
    int shown = 0;
    for (size_t i = 0; n && i < HOOK_LIVE_CAP && shown < 3; i++)
        if (hook.live[i].p) {
            fprintf(stderr, "  %s k=%ld: leaked %zu bytes at %p, allocated from %p\n", what, k,
                    hook.live[i].bytes, hook.live[i].p, hook.live[i].site);
            shown++;
        }
    pthread_mutex_unlock(&hook.mu);
    return n;
}

static inline uint64_t hook_peak_bytes(void)
{
    pthread_mutex_lock(&hook.mu);
    uint64_t b = hook.peak_bytes;
    pthread_mutex_unlock(&hook.mu);
    return b;
}

/* fail_at < 0: count only, logging each call's site. */
static inline void hook_arm(long fail_at)
{
    pthread_mutex_lock(&hook.mu);
    hook.armed = 1;
    hook.calls = 0;
    hook.fail_at = fail_at;
    hook.failed = 0;
    if (fail_at < 0)
        hook.n_sites = 0;
    pthread_mutex_unlock(&hook.mu);
}

static inline long hook_disarm(int *failed)
{
    pthread_mutex_lock(&hook.mu);
    hook.armed = 0;
    long n = hook.calls;
    if (failed)
        *failed = hook.failed;
    pthread_mutex_unlock(&hook.mu);
    return n;
}

/* Call site of call number k of the last counting run (NULL past the log). */
static inline void *hook_site(long k)
{
    return k >= 0 && k < hook.n_sites ? hook.sites[k] : NULL;
}

/* After a counting run: the number of distinct call sites; first[] (if not NULL) gets the
 * call number of the first call from each site, in call order (at most cap). */
static inline long hook_sites(long *first, long cap)
{
    long n = hook.n_sites, distinct = 0;
    for (long i = 0; i < n; i++) {
        int seen = 0;
        for (long j = 0; j < i && !seen; j++)
            seen = hook.sites[j] == hook.sites[i];
        if (!seen) {
            if (first && distinct < cap)
                first[distinct] = i;
            distinct++;
        }
    }
    return distinct;
}
