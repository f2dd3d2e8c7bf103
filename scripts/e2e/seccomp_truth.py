#!/usr/bin/env python3
"""Ground truth for the seccomp policy of a running process, read from outside.

The only authority on what a container's seccomp policy does is the BPF the kernel really
attached: a runtime may drop rules libseccomp does not know, add its own (runc answers ENOSYS
for numbers above the highest one the profile names), or stack several filters (nspawn). So
the end-to-end check does not compile profiles; it reads every filter attached to a twin
process of the configuration with ptrace(PTRACE_SECCOMP_GET_FILTER) and runs it here, in a
classic-BPF interpreter, on the same seccomp_data the probe's calls would produce.

  seccomp_truth.py dump PID          JSON: the filters, oldest first, as [code, jt, jf, k]
  seccomp_truth.py eval DUMP ABI NR [ARGS...]
  seccomp_truth.py selftest          check the reader and interpreter against the kernel

Reading filters needs CAP_SYS_ADMIN and a tracer without a seccomp filter of its own
(root on the host).
"""
import ctypes
import ctypes.util
import json
import os
import signal
import struct
import sys
import time

PTRACE_DETACH = 17
PTRACE_SEIZE = 0x4206
PTRACE_INTERRUPT = 0x4207
PTRACE_SECCOMP_GET_FILTER = 0x420C
WALL = 0x40000000

AUDIT_ARCH_X86_64 = 0xC000003E
AUDIT_ARCH_I386 = 0x40000003
AUDIT_ARCH_AARCH64 = 0xC00000B7
AUDIT_ARCH_ARM = 0x40000028
X32_SYSCALL_BIT = 0x40000000
# The probe's ABI names -> the arch field the kernel puts in seccomp_data for them.
ABI_ARCH = {"x86_64": AUDIT_ARCH_X86_64, "x32": AUDIT_ARCH_X86_64, "i386": AUDIT_ARCH_I386,
            "aarch64": AUDIT_ARCH_AARCH64, "arm": AUDIT_ARCH_ARM}
# Argument registers are 32 bits wide on i386 and AArch32; the kernel zero-extends them.
ABI_ARG_MASK = {"i386": 0xFFFFFFFF, "arm": 0xFFFFFFFF}
# Syscalls that never reach seccomp on x86_64 (uretprobe, uprobe).
EXEMPT = {("x86_64", 335), ("x86_64", 336)}

RET_KILL_PROCESS = 0x80000000
RET_KILL_THREAD = 0x00000000
RET_TRAP = 0x00030000
RET_ERRNO = 0x00050000
RET_USER_NOTIF = 0x7FC00000
RET_TRACE = 0x7FF00000
RET_LOG = 0x7FFC0000
RET_ALLOW = 0x7FFF0000
RET_ACTION_FULL = 0xFFFF0000
RET_DATA = 0x0000FFFF
MAX_ERRNO = 4095

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.ptrace.restype = ctypes.c_long
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]


def _ptrace(req, pid, addr=0, data=None):
    r = _libc.ptrace(req, pid, ctypes.c_void_p(addr), data)
    if r == -1:
        e = ctypes.get_errno()
        raise OSError(e, "ptrace(%#x, %d): %s" % (req, pid, os.strerror(e)))
    return r


def read_filters(pid, timeout=5.0):
    """Every filter attached to `pid`, oldest first, each a list of (code, jt, jf, k)."""
    _ptrace(PTRACE_SEIZE, pid)
    try:
        _ptrace(PTRACE_INTERRUPT, pid)
        deadline = time.monotonic() + timeout
        while True:
            wpid, _ = os.waitpid(pid, WALL | os.WNOHANG)
            if wpid == pid:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("pid %d did not stop for ptrace within %.0f s" % (pid, timeout))
            time.sleep(0.005)
        filters = []
        # Index 0 is the oldest filter (kernel/seccomp.c get_nth_filter counts from the
        # first one installed); ENOENT past the last one.
        for index in range(1024):
            try:
                n = _ptrace(PTRACE_SECCOMP_GET_FILTER, pid, index, None)
            except OSError as e:
                if e.errno == 2:  # ENOENT
                    break
                if e.errno == 22 and index == 0:  # EINVAL: the process has no filter
                    break
                raise
            buf = ctypes.create_string_buffer(8 * n)
            _ptrace(PTRACE_SECCOMP_GET_FILTER, pid, index, buf)
            filters.append([list(struct.unpack_from("<HBBI", buf.raw, 8 * i)) for i in range(n)])
        return filters
    finally:
        try:
            _ptrace(PTRACE_DETACH, pid, 0, None)
        except OSError:
            pass


# ------------------------------------------------------------------ classic BPF

class BpfError(Exception):
    pass


def seccomp_data(arch, nr, args=(0,) * 6, ip=0):
    args = list(args) + [0] * (6 - len(args))
    return struct.pack("<iIQ6Q", nr if nr < 2**31 else nr - 2**32, arch, ip, *[a & 0xFFFFFFFFFFFFFFFF for a in args])


def run_filter(prog, data):
    """Runs one seccomp filter on packed seccomp_data; returns the 32-bit return value.
    Covers every instruction the kernel's seccomp checker accepts."""
    A = X = 0
    mem = [0] * 16
    pc = 0
    M = 0xFFFFFFFF
    steps = 0
    while True:
        if pc >= len(prog):
            raise BpfError("fell off the end at %d" % pc)
        steps += 1
        if steps > 100000:
            raise BpfError("too many steps")
        code, jt, jf, k = prog[pc]
        pc += 1
        cls = code & 0x07
        if cls == 0x00:  # LD
            mode = code & 0xE0
            if mode == 0x20:  # ABS (word only in seccomp)
                if code & 0x18 != 0x00 or k % 4 or k + 4 > len(data):
                    raise BpfError("bad load %#x k=%d" % (code, k))
                A = struct.unpack_from("<I", data, k)[0]
            elif mode == 0x00:  # IMM
                A = k
            elif mode == 0x60:  # MEM
                A = mem[k]
            elif mode == 0x80:  # LEN
                A = len(data)
            else:
                raise BpfError("bad ld mode %#x" % code)
        elif cls == 0x01:  # LDX
            mode = code & 0xE0
            if mode == 0x00:
                X = k
            elif mode == 0x60:
                X = mem[k]
            elif mode == 0x80:
                X = len(data)
            else:
                raise BpfError("bad ldx mode %#x" % code)
        elif cls == 0x02:  # ST
            mem[k] = A
        elif cls == 0x03:  # STX
            mem[k] = X
        elif cls == 0x04:  # ALU
            op = code & 0xF0
            src = X if code & 0x08 else k
            if op == 0x00:
                A = (A + src) & M
            elif op == 0x10:
                A = (A - src) & M
            elif op == 0x20:
                A = (A * src) & M
            elif op == 0x30:
                A = 0 if src == 0 else A // src
            elif op == 0x40:
                A = A | src
            elif op == 0x50:
                A = A & src
            elif op == 0x60:
                A = (A << src) & M if src < 32 else 0
            elif op == 0x70:
                A = A >> src if src < 32 else 0
            elif op == 0x80:
                A = (-A) & M
            elif op == 0x90:
                A = 0 if src == 0 else A % src
            elif op == 0xA0:
                A = A ^ src
            else:
                raise BpfError("bad alu %#x" % code)
        elif cls == 0x05:  # JMP
            op = code & 0xF0
            src = X if code & 0x08 else k
            if op == 0x00:
                pc += k
                continue
            if op == 0x10:
                cond = A == src
            elif op == 0x20:
                cond = A > src
            elif op == 0x30:
                cond = A >= src
            elif op == 0x40:
                cond = (A & src) != 0
            else:
                raise BpfError("bad jmp %#x" % code)
            pc += jt if cond else jf
        elif cls == 0x06:  # RET
            rval = code & 0x18
            return (A if rval == 0x10 else k) & M
        elif cls == 0x07:  # MISC
            if code & 0xF8 == 0x00:
                X = A
            elif code & 0xF8 == 0x80:
                A = X
            else:
                raise BpfError("bad misc %#x" % code)


def _action_rank(ret):
    # kernel/seccomp.c: ACTION_ONLY(ret) = (s32)(ret & SECCOMP_RET_ACTION_FULL); the
    # smallest signed value wins, so KILL_PROCESS (0x80000000) beats everything.
    a = ret & RET_ACTION_FULL
    return a - 2**32 if a >= 2**31 else a


def combined(filters, data):
    """The value seccomp acts on: every filter runs; the lowest-ranked action wins, and
    among equal actions the most recently installed filter's value stands (the kernel walks
    from the newest filter and replaces only on a strictly lower action)."""
    ret = RET_ALLOW
    for prog in reversed(filters):  # newest first
        cur = run_filter(prog, data)
        if _action_rank(cur) < _action_rank(ret):
            ret = cur
    return ret


def verdict_of(ret):
    """The JSON contract's verdict for a seccomp return value."""
    action = ret & RET_ACTION_FULL
    data = ret & RET_DATA
    if action == RET_KILL_PROCESS:
        return {"verdict": "kill_process", "errno": None, "trap_data": None}
    if action == RET_KILL_THREAD:
        return {"verdict": "kill_thread", "errno": None, "trap_data": None}
    if action == RET_TRAP:
        return {"verdict": "trap", "errno": None, "trap_data": data}
    if action == RET_ERRNO:
        return {"verdict": "errno", "errno": min(data, MAX_ERRNO), "trap_data": None}
    if action in (RET_USER_NOTIF, RET_TRACE, RET_LOG, RET_ALLOW):
        return {"verdict": "allowed", "errno": None, "trap_data": None}
    # Any other action value: the kernel kills the process (seccomp_filter's default case).
    return {"verdict": "kill_process", "errno": None, "trap_data": None}


def truth(filters, abi, nr, args=(), ip=0):
    if (abi, nr) in EXEMPT:
        return {"verdict": "exempt", "errno": None, "trap_data": None}
    if not filters:
        return {"verdict": "allowed", "errno": None, "trap_data": None}
    mask = ABI_ARG_MASK.get(abi, 0xFFFFFFFFFFFFFFFF)
    data = seccomp_data(ABI_ARCH[abi], nr, [a & mask for a in args], ip)
    return verdict_of(combined(filters, data))


# ------------------------------------------------------------------ self test

def _install_in_child(progs, then):
    """Fork a child that installs `progs` (oldest first) and runs then(); returns pid."""
    libc = _libc
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)

            class SockFilter(ctypes.Structure):
                _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                            ("k", ctypes.c_uint)]

            class SockFprog(ctypes.Structure):
                _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

            libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
            if libc.prctl(38, 1, None, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
                os._exit(3)
            keep = []
            for prog in progs:
                arr = (SockFilter * len(prog))(*[SockFilter(*i) for i in prog])
                fp = SockFprog(len(prog), arr)
                keep.append((arr, fp))
                if libc.prctl(22, 2, ctypes.byref(fp), 0, 0) != 0:  # PR_SET_SECCOMP, FILTER
                    os._exit(4)
            os.write(w, json.dumps(then()).encode())
            os.close(w)
            signal.pause()
        finally:
            os._exit(0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        out += chunk
        if out.endswith(b"}") or out.endswith(b"]"):
            break
    os.close(r)
    return pid, json.loads(out or b"null")


def _rule(nr, ret):
    # if (arch != X86_64) allow; if (nr == NR) return ret; allow
    return [
        [0x20, 0, 0, 4], [0x15, 0, 3, AUDIT_ARCH_X86_64],
        [0x20, 0, 0, 0], [0x15, 0, 1, nr], [0x06, 0, 0, ret],
        [0x06, 0, 0, RET_ALLOW],
    ]


def selftest():
    """Stacks filters in a child the kernel really enforces, observes the errno the child
    gets, reads the filters back through ptrace and checks the interpreter agrees."""
    NR_GETPPID, NR_GETPGRP = 110, 111
    libc = _libc
    libc.syscall.restype = ctypes.c_long

    def call_both():
        out = {}
        for nr in (NR_GETPPID, NR_GETPGRP):
            ctypes.set_errno(0)
            r = libc.syscall(ctypes.c_long(nr))
            out[str(nr)] = ctypes.get_errno() if r == -1 else 0
        return out

    cases = [
        # equal actions: the newest filter's data stands
        ([_rule(NR_GETPPID, RET_ERRNO | 1), _rule(NR_GETPPID, RET_ERRNO | 2)], {NR_GETPPID: 2, NR_GETPGRP: 0}),
        ([_rule(NR_GETPPID, RET_ERRNO | 2), _rule(NR_GETPPID, RET_ERRNO | 1)], {NR_GETPPID: 1, NR_GETPGRP: 0}),
        # ERRNO beats ALLOW and LOG whatever the order; errno capped at 4095
        ([_rule(NR_GETPPID, RET_LOG), _rule(NR_GETPPID, RET_ERRNO | 13), _rule(NR_GETPGRP, RET_ERRNO | 0xFFFF)],
         {NR_GETPPID: 13, NR_GETPGRP: MAX_ERRNO}),
    ]
    failures = []
    for progs, expect in cases:
        pid, seen = _install_in_child(progs, call_both)
        try:
            got_filters = read_filters(pid)
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        if got_filters != progs:
            failures.append("filters read back differ from those installed (order or content)")
        for nr, errno in expect.items():
            t = truth(got_filters, "x86_64", nr)
            want_kernel = {"verdict": "errno", "errno": errno, "trap_data": None} if errno else \
                {"verdict": "allowed", "errno": None, "trap_data": None}
            if seen[str(nr)] != errno:
                failures.append("kernel gave errno %s for %d, test expected %s" % (seen[str(nr)], nr, errno))
            if t != want_kernel:
                failures.append("interpreter says %s for %d, kernel %s" % (t, nr, want_kernel))
    if failures:
        print("seccomp_truth selftest FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    print("seccomp_truth selftest: %d stacks, reader and interpreter agree with the kernel" % len(cases))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "dump":
        json.dump(read_filters(int(argv[2])), sys.stdout)
        print()
        return 0
    if len(argv) >= 5 and argv[1] == "eval":
        with open(argv[2]) as f:
            filters = json.load(f)
        print(json.dumps(truth(filters, argv[3], int(argv[4], 0), [int(a, 0) for a in argv[5:]])))
        return 0
    if len(argv) == 2 and argv[1] == "selftest":
        return selftest()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
