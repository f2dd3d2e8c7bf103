/* A long-running service for `whatami why --pid` end to end (scripts/e2e/attach/run).
 *
 * Every tick (20 ms) it makes three calls that fail in a container started as the test
 * starts it, each for a reason the test knows, and checks how each failed:
 *   clock_settime(CLOCK_REALTIME, {0, 2000000000})  the policy refuses it (EPERM): Docker's
 *       and podman's profiles allow it only with CAP_SYS_TIME. The time is invalid, so that
 *       a container allowed the call gets EINVAL and no clock is ever set.
 *   setpriority(PRIO_PROCESS, 0, -5)  a missing capability: CAP_SYS_NICE (EACCES)
 *   open("/state", O_WRONLY|O_CREAT)  a read-only root (--read-only: EROFS)
 * and checks its own state: an errno other than the expected one, an EINTR from its sleep,
 * or a signal left pending is counted as harm. SIGUSR1 is answered with a line. It logs,
 * every 25 ticks and at once on harm or SIGUSR1, one line to stdout:
 *   T=<ms since the epoch> tick=N harm=H usr1=U
 * With an argument (`service fast`) it does not sleep and logs only its count, every
 * second: the load of scripts/bench-attach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1;

static void on_usr1(int sig) { (void)sig; usr1++; }

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static unsigned long harm;
static int fast;

static void expect(const char *what, int rc, int want) {
    if (rc == -1 && errno == want) return;
    harm++;
    /* The fast mode is a load, not a check: it only counts. */
    if (!fast)
        printf("T=%lld harm: %s gave %d (%s), expected %s\n", now_ms(), what, rc,
               rc == -1 ? strerror(errno) : "success", strerror(want));
}

int main(int argc, char **argv) {
    (void)argv;
    fast = argc > 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, 0);
    setvbuf(stdout, 0, _IOLBF, 0);
    unsigned long tick = 0, seen_usr1 = 0;
    long long start = now_ms(), last = start;
    for (;;) {
        struct timespec bad = {0, 2000000000L};
        /* The raw call: the C library would refuse the invalid time itself. */
        expect("clock_settime", (int)syscall(SYS_clock_settime, CLOCK_REALTIME, &bad), EPERM);
        expect("setpriority", setpriority(PRIO_PROCESS, 0, -5), EACCES);
        int fd = open("/state", O_WRONLY | O_CREAT, 0644);
        if (fd >= 0) close(fd);
        expect("open /state", fd, EROFS);
        sigset_t pending;
        sigpending(&pending);
        for (int s = 1; s < 32; s++)
            if (s != SIGUSR1 && sigismember(&pending, s)) {
                harm++;
                printf("T=%lld harm: signal %d pending\n", now_ms(), s);
            }
        if (!fast) {
            struct timespec d = {0, 20 * 1000 * 1000};
            if (nanosleep(&d, 0) != 0 && errno == EINTR && usr1 == seen_usr1) {
                harm++;
                printf("T=%lld harm: nanosleep EINTR\n", now_ms());
            }
        }
        tick++;
        if (usr1 != seen_usr1) {
            seen_usr1 = usr1;
            printf("T=%lld usr1=%lu\n", now_ms(), seen_usr1);
        }
        long long t = fast ? now_ms() : 0;
        if ((!fast && tick % 25 == 0) || (fast && t - last >= 1000)) {
            last = t;
            printf("T=%lld tick=%lu harm=%lu usr1=%lu\n", now_ms(), tick, harm, seen_usr1);
        }
    }
}
