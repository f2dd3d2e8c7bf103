//! Test-side seccomp tools, written independently of whatami's own code:
//! a small policy language compiled to classic BPF, an interpreter that
//! evaluates a stack of filters the way the kernel combines them, and a way
//! to run whatami under real filters installed in its parent's child.
//!
//! The expected verdict of every probe comes from this interpreter, never
//! from the code under test.

#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

pub const ARCH_X86_64: u32 = 0xC000_003E;
pub const ARCH_I386: u32 = 0x4000_0003;
pub const ARCH_AARCH64: u32 = 0xC000_00B7;
/// AArch32 (32-bit ARM, EABI): the compat entry point of arm64 kernels.
pub const ARCH_ARM: u32 = 0x4000_0028;
pub const X32_BIT: u32 = 0x4000_0000;

/// The native entry point's audit arch and name, and the 32-bit compat one's
/// (i386 on x86_64, AArch32 on aarch64).
#[cfg(target_arch = "x86_64")]
pub const ARCH_NATIVE: u32 = ARCH_X86_64;
#[cfg(target_arch = "x86_64")]
pub const ARCH_COMPAT: u32 = ARCH_I386;
#[cfg(target_arch = "x86_64")]
pub const NATIVE: &str = "x86_64";
#[cfg(target_arch = "aarch64")]
pub const ARCH_NATIVE: u32 = ARCH_AARCH64;
#[cfg(target_arch = "aarch64")]
pub const ARCH_COMPAT: u32 = ARCH_ARM;
#[cfg(target_arch = "aarch64")]
pub const NATIVE: &str = "aarch64";

/// The audit arch of an entry point as whatami names it.
pub fn arch_of(abi: &str) -> u32 {
    match abi {
        "i386" => ARCH_I386,
        "arm" => ARCH_ARM,
        "aarch64" => ARCH_AARCH64,
        _ => ARCH_X86_64,
    }
}

pub const KILL_PROCESS: u32 = 0x8000_0000;
pub const KILL_THREAD: u32 = 0x0000_0000;
pub const TRAP: u32 = 0x0003_0000;
pub const ERRNO: u32 = 0x0005_0000;
pub const USER_NOTIF: u32 = 0x7fc0_0000;
pub const TRACE: u32 = 0x7ff0_0000;
pub const LOG: u32 = 0x7ffc_0000;
pub const ALLOW: u32 = 0x7fff_0000;

/// A filter instruction (`struct sock_filter`).
pub type Ins = libc::sock_filter;

const LD_ABS_W: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const JSET_K: u16 = 0x45;
const JA: u16 = 0x05;
const RET_K: u16 = 0x06;

/// A condition on one argument.
#[derive(Clone, Copy, Debug)]
pub enum Arg {
    /// The full 64-bit argument equals the value.
    Eq(usize, u64),
    /// The low 32 bits have any of these bits set.
    AnyBits(usize, u32),
}

/// "syscall `nr` (with `arg` holding, if any) -> `action`".
#[derive(Clone, Debug)]
pub struct Rule {
    pub nr: u32,
    pub arg: Option<Arg>,
    pub action: u32,
}

impl Rule {
    pub fn new(nr: u32, action: u32) -> Rule {
        Rule {
            nr,
            arg: None,
            action,
        }
    }
    pub fn when(nr: u32, arg: Arg, action: u32) -> Rule {
        Rule {
            nr,
            arg: Some(arg),
            action,
        }
    }
}

/// The rules for one entry point, first match wins, then the default.
#[derive(Clone, Debug)]
pub struct Table {
    pub rules: Vec<Rule>,
    pub default: u32,
}

impl Table {
    pub fn allow_all() -> Table {
        Table {
            rules: Vec::new(),
            default: ALLOW,
        }
    }
}

/// One filter: a table per entry point; calls from any other arch get `other_arch`.
#[derive(Clone, Debug)]
pub struct Policy {
    /// The native entry point (x86_64, aarch64).
    pub native: Table,
    /// x32 (numbers with X32_BIT through the x86_64 entry point); on aarch64
    /// no call has that bit, so this table is never reached.
    pub x32: Table,
    /// The 32-bit compat entry point: i386 on x86_64, AArch32 on aarch64.
    pub compat: Table,
    pub other_arch: u32,
}

impl Policy {
    pub fn allow_all() -> Policy {
        Policy {
            native: Table::allow_all(),
            x32: Table::allow_all(),
            compat: Table::allow_all(),
            other_arch: KILL_PROCESS,
        }
    }

    pub fn native(rules: Vec<Rule>) -> Policy {
        let mut p = Policy::allow_all();
        p.native.rules = rules;
        p
    }

    /// Compiles to classic BPF:
    ///
    /// ```text
    /// 0 ld arch
    /// 1 jeq NATIVE ? 5 : 2
    /// 2 jeq COMPAT ? 3 : 4
    /// 3 ja  compat block
    /// 4 ret other_arch
    /// 5 ld nr; jset X32_BIT ? (ja x32 block) : native table
    /// ... x32 block: ld nr; table    compat block: ld nr; table
    /// ```
    pub fn compile(&self) -> Vec<Ins> {
        let ins = |code: u16, jt: u8, jf: u8, k: u32| Ins { code, jt, jf, k };
        let table = |t: &Table, bit: u32| {
            let mut v = Vec::new();
            emit_table(&mut v, t, bit);
            v
        };
        let (t64, tx32, t386) = (
            table(&self.native, 0),
            table(&self.x32, X32_BIT),
            table(&self.compat, 0),
        );
        let x32_block = 8 + t64.len();
        let i386_block = x32_block + 1 + tx32.len();
        let mut p = vec![
            ins(LD_ABS_W, 0, 0, 4),
            ins(JEQ_K, 3, 0, ARCH_NATIVE),
            ins(JEQ_K, 0, 1, ARCH_COMPAT),
            ins(JA, 0, 0, (i386_block - 4) as u32),
            ins(RET_K, 0, 0, self.other_arch),
            ins(LD_ABS_W, 0, 0, 0),
            ins(JSET_K, 0, 1, X32_BIT),
            ins(JA, 0, 0, (x32_block - 8) as u32),
        ];
        p.extend(t64);
        p.push(ins(LD_ABS_W, 0, 0, 0));
        p.extend(tx32);
        p.push(ins(LD_ABS_W, 0, 0, 0));
        p.extend(t386);
        p
    }
}

/// Emits: for each rule "jeq nr (| bit) ? check args : next rule"; then "ret default".
/// Assumes A holds nr on entry and every rule block restores it.
fn emit_table(p: &mut Vec<Ins>, t: &Table, bit: u32) {
    for r in &t.rules {
        let nr = r.nr | bit;
        match r.arg {
            None => {
                p.push(Ins {
                    code: JEQ_K,
                    jt: 0,
                    jf: 1,
                    k: nr,
                });
                p.push(Ins {
                    code: RET_K,
                    jt: 0,
                    jf: 0,
                    k: r.action,
                });
            }
            Some(Arg::Eq(i, v)) => {
                let lo = 16 + 8 * i as u32;
                // jeq nr ?: +0 : +6 ; ld hi ; jeq hi ? +0 : +3 ; ld lo ; jeq lo ? +0 : +1 ; ret act ; ld nr
                p.push(Ins {
                    code: JEQ_K,
                    jt: 0,
                    jf: 6,
                    k: nr,
                });
                p.push(Ins {
                    code: LD_ABS_W,
                    jt: 0,
                    jf: 0,
                    k: lo + 4,
                });
                p.push(Ins {
                    code: JEQ_K,
                    jt: 0,
                    jf: 3,
                    k: (v >> 32) as u32,
                });
                p.push(Ins {
                    code: LD_ABS_W,
                    jt: 0,
                    jf: 0,
                    k: lo,
                });
                p.push(Ins {
                    code: JEQ_K,
                    jt: 0,
                    jf: 1,
                    k: v as u32,
                });
                p.push(Ins {
                    code: RET_K,
                    jt: 0,
                    jf: 0,
                    k: r.action,
                });
                p.push(Ins {
                    code: LD_ABS_W,
                    jt: 0,
                    jf: 0,
                    k: 0,
                });
            }
            Some(Arg::AnyBits(i, bits)) => {
                let lo = 16 + 8 * i as u32;
                // jeq nr ?: +0 : +4 ; ld lo ; jset bits ? +0 : +1 ; ret act ; ld nr
                p.push(Ins {
                    code: JEQ_K,
                    jt: 0,
                    jf: 4,
                    k: nr,
                });
                p.push(Ins {
                    code: LD_ABS_W,
                    jt: 0,
                    jf: 0,
                    k: lo,
                });
                p.push(Ins {
                    code: JSET_K,
                    jt: 0,
                    jf: 1,
                    k: bits,
                });
                p.push(Ins {
                    code: RET_K,
                    jt: 0,
                    jf: 0,
                    k: r.action,
                });
                p.push(Ins {
                    code: LD_ABS_W,
                    jt: 0,
                    jf: 0,
                    k: 0,
                });
            }
        }
    }
    p.push(Ins {
        code: RET_K,
        jt: 0,
        jf: 0,
        k: t.default,
    });
}

/// What the kernel hands a filter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Data {
    pub nr: u32,
    pub arch: u32,
    pub ip: u64,
    pub args: [u64; 6],
}

impl Data {
    fn word(&self, off: u32) -> u32 {
        let mut bytes = [0u8; 64];
        bytes[0..4].copy_from_slice(&self.nr.to_le_bytes());
        bytes[4..8].copy_from_slice(&self.arch.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.ip.to_le_bytes());
        for (i, a) in self.args.iter().enumerate() {
            bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
        }
        let o = off as usize;
        u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap())
    }
}

/// Runs one filter (only the opcodes `compile` emits).
pub fn run(prog: &[Ins], d: &Data) -> u32 {
    let mut a = 0u32;
    let mut pc = 0usize;
    loop {
        let i = prog[pc];
        match i.code {
            LD_ABS_W => a = d.word(i.k),
            JEQ_K => {
                pc += if a == i.k { i.jt } else { i.jf } as usize;
            }
            JSET_K => {
                pc += if a & i.k != 0 { i.jt } else { i.jf } as usize;
            }
            JA => pc += i.k as usize,
            RET_K => return i.k,
            c => panic!("opcode {c:#x} not emitted by compile()"),
        }
        pc += 1;
    }
}

/// Combines a stack of filters as seccomp does: the action with the highest
/// precedence wins (lowest value of the action bits read as a signed
/// number); on a tie the most recently installed filter's value stays.
/// `stack` is in installation order.
pub fn run_stack(stack: &[Vec<Ins>], d: &Data) -> u32 {
    let mut best = ALLOW;
    for prog in stack.iter().rev() {
        let r = run(prog, d);
        if ((r & 0xffff_0000) as i32) < ((best & 0xffff_0000) as i32) {
            best = r;
        }
    }
    best
}

/// The verdict whatami must report for an action, in the JSON contract's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    pub verdict: String,
    pub errno: Option<u64>,
    pub trap_data: Option<u64>,
}

pub fn expect_of(action: u32) -> Expect {
    let data = (action & 0xffff) as u64;
    let (verdict, errno, trap_data) = match action & 0xffff_0000 {
        ALLOW | LOG | TRACE | USER_NOTIF => ("allowed", None, None),
        ERRNO => ("errno", Some(data.min(4095)), None),
        TRAP => ("trap", None, Some(data)),
        KILL_THREAD => ("kill_thread", None, None),
        // KILL_PROCESS, and any value the kernel does not know.
        _ => ("kill_process", None, None),
    };
    Expect {
        verdict: verdict.to_string(),
        errno,
        trap_data,
    }
}

/// What whatami reported for one probe, in the same form.
pub fn reported(v: &serde_json::Value) -> Expect {
    Expect {
        verdict: v["verdict"].as_str().unwrap_or("missing").to_string(),
        errno: v["errno"].as_u64(),
        trap_data: v["trap_data"].as_u64(),
    }
}

/// Whether this kernel runs x32 calls: getpid through the x32 entry point,
/// issued here (the test process has no filter), returns the pid, or fails
/// with ENOSYS when x32 is not built or disabled at boot.
#[cfg(target_arch = "x86_64")]
pub fn kernel_serves_x32() -> bool {
    // SAFETY: getpid changes nothing, whichever entry point it comes through.
    unsafe { libc::syscall((X32_BIT | 39) as libc::c_long) == libc::getpid() as libc::c_long }
}

/// x32 is an x86_64 entry point: no other kernel serves it.
#[cfg(not(target_arch = "x86_64"))]
pub fn kernel_serves_x32() -> bool {
    false
}

/// Runs whatami with `args` under `stack`, installed (after
/// PR_SET_NO_NEW_PRIVS, so no privilege is needed) in the child just before
/// it executes whatami.
pub fn run_under(stack: &[Vec<Ins>], args: &[&str]) -> Output {
    run_under_opts(stack, args, false)
}

/// As [`run_under`]; with `keep_listener`, the last filter is installed with
/// a user-notification listener that whatami inherits and never reads: a
/// USER_NOTIF rule then holds its call forever, and no other listener can be
/// attached (EBUSY).
pub fn run_under_opts(stack: &[Vec<Ins>], args: &[&str], keep_listener: bool) -> Output {
    run_program_under(stack, env!("CARGO_BIN_EXE_whatami"), args, keep_listener)
}

/// As [`run_under_opts`], for any program (with an empty environment).
pub fn run_program_under(
    stack: &[Vec<Ins>],
    program: &str,
    args: &[&str],
    keep_listener: bool,
) -> Output {
    command_under(stack, program, args, keep_listener)
        .output()
        .expect("run a program under the test filters")
}

/// The command that runs `program` with `args` (and an empty environment)
/// under `stack`, as [`run_program_under`] runs it, for a caller that
/// starts and waits for it itself.
pub fn command_under(
    stack: &[Vec<Ins>],
    program: &str,
    args: &[&str],
    keep_listener: bool,
) -> Command {
    let progs: Vec<Vec<Ins>> = stack.to_vec();
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear();
    // SAFETY: the closure runs in the forked child before exec and only makes
    // direct system calls on memory prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            for (i, prog) in progs.iter().enumerate() {
                let fprog = libc::sock_fprog {
                    len: prog.len() as u16,
                    filter: prog.as_ptr() as *mut libc::sock_filter,
                };
                let listen = keep_listener && i + 1 == progs.len();
                let flags = if listen {
                    libc::SECCOMP_FILTER_FLAG_NEW_LISTENER
                } else {
                    0
                };
                let fd = libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    flags,
                    &fprog as *const libc::sock_fprog,
                );
                if fd < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The listener is made close-on-exec; keep it across the exec.
                if listen && libc::fcntl(fd as i32, libc::F_SETFD, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd
}
