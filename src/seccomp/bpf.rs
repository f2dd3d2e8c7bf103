//! Classic BPF as seccomp uses it: the instruction format, the return
//! actions, the prober's own filter, and an interpreter that evaluates a
//! program on a `seccomp_data` in user space (used to check the prober's
//! filter before it is installed, and to evaluate profiles).

/// One classic BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Opcode pieces (linux/bpf_common.h).
pub const LD: u16 = 0x00;
pub const LDX: u16 = 0x01;
pub const ST: u16 = 0x02;
pub const STX: u16 = 0x03;
pub const ALU: u16 = 0x04;
pub const JMP: u16 = 0x05;
pub const RET: u16 = 0x06;
pub const MISC: u16 = 0x07;
pub const W: u16 = 0x00;
pub const ABS: u16 = 0x20;
pub const IMM: u16 = 0x00;
pub const MEM: u16 = 0x60;
pub const LEN: u16 = 0x80;
pub const K: u16 = 0x00;
pub const X: u16 = 0x08;
pub const A: u16 = 0x10;
pub const ADD: u16 = 0x00;
pub const SUB: u16 = 0x10;
pub const MUL: u16 = 0x20;
pub const DIV: u16 = 0x30;
pub const OR: u16 = 0x40;
pub const AND: u16 = 0x50;
pub const LSH: u16 = 0x60;
pub const RSH: u16 = 0x70;
pub const NEG: u16 = 0x80;
pub const MOD: u16 = 0x90;
pub const XOR: u16 = 0xa0;
pub const JA: u16 = 0x00;
pub const JEQ: u16 = 0x10;
pub const JGT: u16 = 0x20;
pub const JGE: u16 = 0x30;
pub const JSET: u16 = 0x40;
pub const TAX: u16 = 0x00;
pub const TXA: u16 = 0x80;

// Seccomp return actions (linux/seccomp.h), and below the offsets into
// seccomp_data: each table whole, as the kernel defines it; the prober's
// filter uses a few, the interpreter's tests the others.
#[allow(dead_code)]
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
#[allow(dead_code)]
pub const RET_KILL_THREAD: u32 = 0x0000_0000;
#[allow(dead_code)]
pub const RET_TRAP: u32 = 0x0003_0000;
#[allow(dead_code)]
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
#[allow(dead_code)]
pub const RET_TRACE: u32 = 0x7ff0_0000;
#[allow(dead_code)]
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;
#[allow(dead_code)]
pub const RET_ACTION_FULL: u32 = 0xffff_0000;
#[allow(dead_code)]
pub const RET_DATA: u32 = 0x0000_ffff;

/// Offsets into `struct seccomp_data`.
#[allow(dead_code)]
pub const OFF_NR: u32 = 0;
#[allow(dead_code)]
pub const OFF_ARCH: u32 = 4;
pub const OFF_IP: u32 = 8;
pub const OFF_ARGS: u32 = 16;
const SECCOMP_DATA_LEN: u32 = 64;

/// The input seccomp gives a filter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeccompData {
    pub nr: i32,
    pub arch: u32,
    pub instruction_pointer: u64,
    pub args: [u64; 6],
}

impl SeccompData {
    /// The 32-bit word at byte offset `off`, as `BPF_LD|BPF_W|BPF_ABS` loads it
    /// (native byte order; only aligned loads inside the struct are valid).
    fn word(&self, off: u32) -> Option<u32> {
        if off % 4 != 0 || off + 4 > SECCOMP_DATA_LEN {
            return None;
        }
        let lo_hi = |v: u64, second: bool| {
            let (lo, hi) = (v as u32, (v >> 32) as u32);
            // The first word in memory is the low half on little endian.
            match (cfg!(target_endian = "little"), second) {
                (true, false) | (false, true) => lo,
                _ => hi,
            }
        };
        Some(match off {
            0 => self.nr as u32,
            4 => self.arch,
            8 | 12 => lo_hi(self.instruction_pointer, off == 12),
            _ => {
                let i = ((off - OFF_ARGS) / 8) as usize;
                lo_hi(self.args[i], (off - OFF_ARGS) % 8 == 4)
            }
        })
    }
}

pub const fn stmt(code: u16, k: u32) -> Insn {
    Insn {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

pub const fn jump(code: u16, k: u32, jt: u8, jf: u8) -> Insn {
    Insn { code, jt, jf, k }
}

/// Why a program could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// An opcode this interpreter (and seccomp) does not accept.
    BadOpcode { pc: usize, code: u16 },
    /// A load outside `seccomp_data` or a misaligned one.
    BadLoad { pc: usize, off: u32 },
    /// A jump past the end, or falling off the end without a return.
    OutOfBounds { pc: usize },
    /// A scratch memory index above 15.
    BadMem { pc: usize, k: u32 },
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::BadOpcode { pc, code } => {
                write!(f, "instruction {pc}: bad opcode {code:#x}")
            }
            EvalError::BadLoad { pc, off } => {
                write!(f, "instruction {pc}: bad load at offset {off}")
            }
            EvalError::OutOfBounds { pc } => {
                write!(f, "instruction {pc}: jumps or falls past the end")
            }
            EvalError::BadMem { pc, k } => write!(f, "instruction {pc}: scratch index {k}"),
        }
    }
}

/// Runs a seccomp filter on `data` and returns its action, as the kernel
/// would. Division by zero returns 0 (the kernel's classic BPF semantics).
pub fn evaluate(prog: &[Insn], data: &SeccompData) -> Result<u32, EvalError> {
    let (mut a, mut x) = (0u32, 0u32);
    let mut mem = [0u32; 16];
    let mut pc = 0usize;
    while let Some(ins) = prog.get(pc) {
        let k = ins.k;
        let class = ins.code & 0x07;
        let src = |x: u32| if ins.code & X != 0 { x } else { k };
        match class {
            LD | LDX => {
                let v = match ins.code & 0xe0 {
                    ABS if class == LD => data.word(k).ok_or(EvalError::BadLoad { pc, off: k })?,
                    IMM => k,
                    MEM => *mem.get(k as usize).ok_or(EvalError::BadMem { pc, k })?,
                    LEN => SECCOMP_DATA_LEN,
                    _ => return Err(EvalError::BadOpcode { pc, code: ins.code }),
                };
                if class == LD { a = v } else { x = v }
            }
            ST | STX => {
                let slot = mem.get_mut(k as usize).ok_or(EvalError::BadMem { pc, k })?;
                *slot = if class == ST { a } else { x };
            }
            ALU => {
                let v = src(x);
                a = match ins.code & 0xf0 {
                    ADD => a.wrapping_add(v),
                    SUB => a.wrapping_sub(v),
                    MUL => a.wrapping_mul(v),
                    DIV => a.checked_div(v).unwrap_or(0),
                    MOD => a.checked_rem(v).unwrap_or(0),
                    OR => a | v,
                    AND => a & v,
                    XOR => a ^ v,
                    LSH => a.checked_shl(v).unwrap_or(0),
                    RSH => a.checked_shr(v).unwrap_or(0),
                    NEG => a.wrapping_neg(),
                    _ => return Err(EvalError::BadOpcode { pc, code: ins.code }),
                };
            }
            JMP => {
                let v = src(x);
                let off = match ins.code & 0xf0 {
                    JA => k as usize,
                    JEQ => pick(a == v, ins),
                    JGT => pick(a > v, ins),
                    JGE => pick(a >= v, ins),
                    JSET => pick(a & v != 0, ins),
                    _ => return Err(EvalError::BadOpcode { pc, code: ins.code }),
                };
                pc = pc
                    .checked_add(off)
                    .filter(|&t| t + 1 < prog.len())
                    .ok_or(EvalError::OutOfBounds { pc })?;
            }
            RET => {
                return match ins.code & 0x18 {
                    K => Ok(k),
                    A => Ok(a),
                    _ => Err(EvalError::BadOpcode { pc, code: ins.code }),
                };
            }
            MISC => match ins.code & 0xf8 {
                TAX => x = a,
                TXA => a = x,
                _ => return Err(EvalError::BadOpcode { pc, code: ins.code }),
            },
            _ => return Err(EvalError::BadOpcode { pc, code: ins.code }),
        }
        pc += 1;
    }
    Err(EvalError::OutOfBounds { pc })
}

fn pick(cond: bool, ins: &Insn) -> usize {
    if cond {
        ins.jt as usize
    } else {
        ins.jf as usize
    }
}

/// The prober's filter: USER_NOTIF for a syscall made from one of the marker
/// addresses (compared as full 64-bit values), ALLOW for everything else.
pub fn probe_filter(markers: &[u64]) -> Vec<Insn> {
    let mut p = Vec::with_capacity(markers.len() * 5 + 1);
    for &m in markers {
        p.push(stmt(LD | W | ABS, OFF_IP + ip_low_word_offset()));
        p.push(jump(JMP | JEQ | K, m as u32, 0, 3));
        p.push(stmt(LD | W | ABS, OFF_IP + 4 - ip_low_word_offset()));
        p.push(jump(JMP | JEQ | K, (m >> 32) as u32, 0, 1));
        p.push(stmt(RET | K, RET_USER_NOTIF));
    }
    p.push(stmt(RET | K, RET_ALLOW));
    p
}

/// Byte offset of the low 32 bits inside a 64-bit field of seccomp_data.
const fn ip_low_word_offset() -> u32 {
    if cfg!(target_endian = "little") { 0 } else { 4 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(nr: i32, ip: u64) -> SeccompData {
        SeccompData {
            nr,
            arch: 0xC000_003E,
            instruction_pointer: ip,
            args: [0; 6],
        }
    }

    #[test]
    fn probe_filter_notifies_only_from_the_markers() {
        let markers = [0x0000_5555_0000_1234, 0x0000_7fff_0000_1234];
        let f = probe_filter(&markers);
        assert_eq!(evaluate(&f, &data(1, markers[0])), Ok(RET_USER_NOTIF));
        assert_eq!(evaluate(&f, &data(1, markers[1])), Ok(RET_USER_NOTIF));
        // Same low half, other high half: must not match.
        assert_eq!(evaluate(&f, &data(1, 0x0000_6666_0000_1234)), Ok(RET_ALLOW));
        assert_eq!(evaluate(&f, &data(1, 0)), Ok(RET_ALLOW));
    }

    #[test]
    fn argument_words_follow_byte_order() {
        let mut d = data(0, 0);
        d.args[2] = 0x1111_2222_3333_4444;
        let lo = stmt(LD | W | ABS, OFF_ARGS + 16 + ip_low_word_offset());
        let hi = stmt(LD | W | ABS, OFF_ARGS + 20 - ip_low_word_offset());
        assert_eq!(evaluate(&[lo, stmt(RET | A, 0)], &d), Ok(0x3333_4444));
        assert_eq!(evaluate(&[hi, stmt(RET | A, 0)], &d), Ok(0x1111_2222));
    }

    #[test]
    fn malformed_programs_are_errors_not_panics() {
        let d = data(0, 0);
        assert!(matches!(
            evaluate(&[], &d),
            Err(EvalError::OutOfBounds { .. })
        ));
        assert!(matches!(
            evaluate(&[stmt(LD | W | ABS, 64)], &d),
            Err(EvalError::BadLoad { .. })
        ));
        assert!(matches!(
            evaluate(&[stmt(LD | W | ABS, 2)], &d),
            Err(EvalError::BadLoad { .. })
        ));
        assert!(matches!(
            evaluate(&[jump(JMP | JA, 5, 0, 0), stmt(RET | K, 0)], &d),
            Err(EvalError::OutOfBounds { .. })
        ));
        assert!(matches!(
            evaluate(&[stmt(ST, 16)], &d),
            Err(EvalError::BadMem { .. })
        ));
        assert!(matches!(
            evaluate(&[stmt(0xff, 0)], &d),
            Err(EvalError::BadOpcode { .. })
        ));
        // Division by zero yields 0 and the program goes on.
        let div = [stmt(LD | IMM, 7), stmt(ALU | DIV | K, 0), stmt(RET | A, 0)];
        assert_eq!(evaluate(&div, &d), Ok(0));
    }

    #[test]
    fn scratch_memory_and_index_register() {
        let d = data(42, 0);
        let prog = [
            stmt(LD | W | ABS, OFF_NR),
            stmt(ST, 3),
            stmt(LD | IMM, 0),
            stmt(LDX | MEM, 3),
            stmt(MISC | TXA, 0),
            jump(JMP | JGE | K, 40, 0, 1),
            stmt(RET | K, RET_ERRNO | 1),
            stmt(RET | K, RET_ALLOW),
        ];
        assert_eq!(evaluate(&prog, &d), Ok(RET_ERRNO | 1));
    }
}
