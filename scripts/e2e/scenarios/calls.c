/* calls: makes exactly one privileged call (or a short, fixed sequence of them) the way a
 * real program would, so that a scenario fails on that call and nothing else. Built
 * statically with glibc (scripts/e2e/scenarios/run) and copied into the scenario rootfs:
 * glibc, not a raw syscall, where the scenario is about what glibc does (its clone3,
 * faccessat2 and statx fallbacks).
 *
 *   calls NAME [ARG]     exit 0 when the call succeeded, 1 with "calls: NAME: <error>" if not
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_ether.h>

static const char *name;

static int fail(const char *what) {
    fprintf(stderr, "calls: %s: %s: %s\n", name, what, strerror(errno));
    return 1;
}

/* bpf(BPF_MAP_CREATE): a one-entry array map. */
static int bpf_map(void) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
    if (fd < 0) return fail("bpf(BPF_MAP_CREATE)");
    close((int)fd);
    return 0;
}

/* bpf(BPF_PROG_LOAD): "return 0" as a socket filter. */
static int bpf_prog(void) {
    struct bpf_insn insns[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    a.insns = (unsigned long)insns;
    a.insn_cnt = 2;
    a.license = (unsigned long)"GPL";
    long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
    if (fd < 0) return fail("bpf(BPF_PROG_LOAD)");
    close((int)fd);
    return 0;
}

/* perf_event_open of the task clock: of this process in user space only ("user"), of this
 * process with the kernel included ("kernel"), or of every process on CPU 0 ("cpu"). */
static int perf(const char *mode) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    a.disabled = 1;
    a.exclude_kernel = strcmp(mode, "user") == 0;
    a.exclude_hv = 1;
    int pid = 0, cpu = -1;
    if (strcmp(mode, "cpu") == 0) {
        a.config = PERF_COUNT_SW_CPU_CLOCK;
        pid = -1;
        cpu = 0;
    }
    long fd = syscall(SYS_perf_event_open, &a, pid, cpu, -1, 0UL);
    if (fd < 0) return fail("perf_event_open");
    close((int)fd);
    return 0;
}

static int io_uring(void) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = syscall(SYS_io_uring_setup, 8, &p);
    if (fd < 0) return fail("io_uring_setup");
    close((int)fd);
    return 0;
}

/* add_key("user", ...) to the process keyring, as keyctl padd would. */
static int add_key(void) {
    long k = syscall(SYS_add_key, "user", "whatami-scenario", "v", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
    if (k < 0) return fail("add_key");
    return 0;
}

/* Attaches to PID, waits for it to stop, detaches. */
static int attach(pid_t pid) {
    if (ptrace(PTRACE_ATTACH, pid, 0, 0) < 0) return fail("ptrace(PTRACE_ATTACH)");
    int st;
    if (waitpid(pid, &st, __WALL) < 0) return fail("waitpid");
    if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0) return fail("ptrace(PTRACE_DETACH)");
    return 0;
}

/* Root (or anyone) attaching to a child of its own, as a debugger started on a program does. */
static int ptrace_child(void) {
    pid_t c = fork();
    if (c < 0) return fail("fork");
    if (c == 0) {
        for (;;) pause();
    }
    int rc = attach(c);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    return rc;
}

/* Reads a child's memory with process_vm_readv, as a sampling profiler or a debugger does. */
static int vm_read(void) {
    static char word[8] = "whatami";
    pid_t c = fork();
    if (c < 0) return fail("fork");
    if (c == 0) {
        for (;;) pause();
    }
    char got[8];
    struct iovec local = {got, sizeof got}, remote = {word, sizeof word};
    int rc = 0;
    if (process_vm_readv(c, &local, 1, &remote, 1, 0) < 0) rc = fail("process_vm_readv");
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    return rc;
}

static int bind_port(int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return fail("socket");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) return fail("bind");
    close(s);
    return 0;
}

static void *nothing(void *arg) { return arg; }

/* A thread: glibc tries clone3 first and falls back to clone on ENOSYS. */
static int thread(void) {
    pthread_t t;
    int e = pthread_create(&t, NULL, nothing, NULL);
    if (e) {
        errno = e;
        return fail("pthread_create");
    }
    pthread_join(t, NULL);
    return 0;
}

/* glibc's faccessat with flags calls faccessat2 and emulates it on ENOSYS; its statx wrapper
 * falls back to fstatat on ENOSYS. */
static int fallbacks(void) {
    if (faccessat(AT_FDCWD, "/", R_OK, AT_EACCESS) < 0) return fail("faccessat");
    struct statx sx;
    if (statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, &sx) < 0) return fail("statx");
    return 0;
}

static int packet_socket(void) {
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (s < 0) return fail("socket(AF_PACKET)");
    close(s);
    return 0;
}

static int userfault(void) {
    long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (fd < 0) return fail("userfaultfd");
    close((int)fd);
    return 0;
}

/* setarch -R: the personality without address-space randomisation. */
static int norandom(void) {
    if (personality(PER_LINUX | ADDR_NO_RANDOMIZE) < 0) return fail("personality");
    return 0;
}

static int read_file(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail("open");
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: calls NAME [ARG]\n");
        return 2;
    }
    name = argv[1];
    const char *arg = argc > 2 ? argv[2] : "";
    if (!strcmp(name, "bpf-map")) return bpf_map();
    if (!strcmp(name, "bpf-prog")) return bpf_prog();
    if (!strcmp(name, "perf")) return perf(arg);
    if (!strcmp(name, "io-uring")) return io_uring();
    if (!strcmp(name, "add-key")) return add_key();
    if (!strcmp(name, "ptrace-child")) return ptrace_child();
    if (!strcmp(name, "ptrace-attach")) return attach(atoi(arg));
    if (!strcmp(name, "vm-read")) return vm_read();
    if (!strcmp(name, "bind")) return bind_port(atoi(arg));
    if (!strcmp(name, "thread")) return thread();
    if (!strcmp(name, "fallbacks")) return fallbacks();
    if (!strcmp(name, "packet-socket")) return packet_socket();
    if (!strcmp(name, "userfaultfd")) return userfault();
    if (!strcmp(name, "norandom")) return norandom();
    if (!strcmp(name, "read")) return read_file(arg);
    if (!strcmp(name, "setuid")) return setuid(atoi(arg)) < 0 ? fail("setuid") : 0;
    if (!strcmp(name, "setgid")) return setgid(atoi(arg)) < 0 ? fail("setgid") : 0;
    fprintf(stderr, "calls: unknown call %s\n", name);
    return 2;
}
