//! The structures a failing call points at whose fields decide which check
//! the kernel makes: bpf's attributes (the command's map or program type),
//! perf_event_attr (the event type, whether it counts the kernel), the new
//! limits of setrlimit/prlimit64, capset's sets. Each is read with the
//! bounded reads of memory.rs and shown as strace shows it; what the causes
//! need is kept in [`Decoded`](super::decode::Decoded).

use super::memory::Reader;
use crate::linux::caps;

/// bpf's commands (include/uapi/linux/bpf.h, enum bpf_cmd), the common
/// ones: the others show as numbers (each name costs the binary its bytes).
const BPF_CMDS: &[&str] = &[
    "BPF_MAP_CREATE",
    "BPF_MAP_LOOKUP_ELEM",
    "BPF_MAP_UPDATE_ELEM",
    "BPF_MAP_DELETE_ELEM",
    "BPF_MAP_GET_NEXT_KEY",
    "BPF_PROG_LOAD",
    "BPF_OBJ_PIN",
    "BPF_OBJ_GET",
    "BPF_PROG_ATTACH",
    "BPF_PROG_DETACH",
    "BPF_PROG_TEST_RUN",
];
pub const BPF_MAP_CREATE: u32 = 0;
pub const BPF_PROG_LOAD: u32 = 5;

/// enum bpf_map_type, the common ones.
const BPF_MAP_TYPES: &[&str] = &[
    "BPF_MAP_TYPE_UNSPEC",
    "BPF_MAP_TYPE_HASH",
    "BPF_MAP_TYPE_ARRAY",
    "BPF_MAP_TYPE_PROG_ARRAY",
    "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
    "BPF_MAP_TYPE_PERCPU_HASH",
    "BPF_MAP_TYPE_PERCPU_ARRAY",
    "BPF_MAP_TYPE_STACK_TRACE",
    "BPF_MAP_TYPE_CGROUP_ARRAY",
    "BPF_MAP_TYPE_LRU_HASH",
    "BPF_MAP_TYPE_LRU_PERCPU_HASH",
    "BPF_MAP_TYPE_LPM_TRIE",
    "BPF_MAP_TYPE_ARRAY_OF_MAPS",
    "BPF_MAP_TYPE_HASH_OF_MAPS",
];

/// enum bpf_prog_type, the common ones.
const BPF_PROG_TYPES: &[&str] = &[
    "BPF_PROG_TYPE_UNSPEC",
    "BPF_PROG_TYPE_SOCKET_FILTER",
    "BPF_PROG_TYPE_KPROBE",
    "BPF_PROG_TYPE_SCHED_CLS",
    "BPF_PROG_TYPE_SCHED_ACT",
    "BPF_PROG_TYPE_TRACEPOINT",
    "BPF_PROG_TYPE_XDP",
    "BPF_PROG_TYPE_PERF_EVENT",
    "BPF_PROG_TYPE_CGROUP_SKB",
    "BPF_PROG_TYPE_CGROUP_SOCK",
];
pub const BPF_PROG_TYPE_SOCKET_FILTER: u32 = 1;
pub const BPF_PROG_TYPE_CGROUP_SKB: u32 = 8;

fn nth(table: &[&str], v: u64) -> String {
    usize::try_from(v)
        .ok()
        .and_then(|i| table.get(i))
        .map_or_else(|| v.to_string(), |s| (*s).to_string())
}

/// bpf's command.
pub fn bpf_cmd(cmd: u64) -> String {
    nth(BPF_CMDS, cmd)
}

/// bpf's attributes for `cmd`: the map type of BPF_MAP_CREATE and the
/// program type of BPF_PROG_LOAD (both the union's first field), and that
/// type.
pub fn bpf_attr(mem: &mut Reader, cmd: u64, a: u64) -> (String, Option<u32>) {
    let field = match cmd as u32 {
        BPF_MAP_CREATE => ("map_type", BPF_MAP_TYPES),
        BPF_PROG_LOAD => ("prog_type", BPF_PROG_TYPES),
        _ => return (ptr(a), None),
    };
    match mem.int(a, 4) {
        Some(t) => (
            format!("{{{}={}, ...}}", field.0, nth(field.1, t)),
            Some(t as u32),
        ),
        None => (ptr(a), None),
    }
}

/// What the kernel's perf_event_open checks look at in perf_event_attr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerfAttr {
    /// PERF_TYPE_*.
    pub kind: u32,
    pub exclude_kernel: bool,
    pub exclude_hv: bool,
}

const PERF_TYPES: &[&str] = &[
    "PERF_TYPE_HARDWARE",
    "PERF_TYPE_SOFTWARE",
    "PERF_TYPE_TRACEPOINT",
    "PERF_TYPE_HW_CACHE",
    "PERF_TYPE_RAW",
    "PERF_TYPE_BREAKPOINT",
];

/// perf_event_attr: type (offset 0), config (8), and the flag bits (40:
/// disabled, inherit, pinned, exclusive, exclude_user, exclude_kernel,
/// exclude_hv from bit 0 on).
pub fn perf_attr(mem: &mut Reader, a: u64) -> (String, Option<PerfAttr>) {
    let (Some(kind), Some(config), Some(bits)) = (
        mem.int(a, 4),
        mem.int(a.wrapping_add(8), 8),
        mem.int(a.wrapping_add(40), 8),
    ) else {
        return (ptr(a), None);
    };
    let attr = PerfAttr {
        kind: kind as u32,
        exclude_kernel: bits & (1 << 5) != 0,
        exclude_hv: bits & (1 << 6) != 0,
    };
    let text = format!(
        "{{type={}, config={config:#x}, exclude_user={}, exclude_kernel={}, exclude_hv={}, ...}}",
        nth(PERF_TYPES, kind),
        (bits >> 4) & 1,
        u8::from(attr.exclude_kernel),
        u8::from(attr.exclude_hv),
    );
    (text, Some(attr))
}

/// A struct rlimit (two longs of `word` bytes) or rlimit64: `{rlim_cur=...,
/// rlim_max=...}`, and the two values (all ones read as RLIM_INFINITY).
pub fn rlimit(mem: &mut Reader, a: u64, word: usize) -> (String, Option<(u64, u64)>) {
    if a == 0 {
        return ("NULL".into(), None);
    }
    let inf = |v: u64| {
        if word == 4 && v == u64::from(u32::MAX) {
            u64::MAX
        } else {
            v
        }
    };
    match (mem.int(a, word), mem.int(a.wrapping_add(word as u64), word)) {
        (Some(cur), Some(max)) => {
            let (cur, max) = (inf(cur), inf(max));
            let show = |v: u64| {
                if v == u64::MAX {
                    "RLIM_INFINITY".to_string()
                } else {
                    v.to_string()
                }
            };
            (
                format!("{{rlim_cur={}, rlim_max={}}}", show(cur), show(max)),
                Some((cur, max)),
            )
        }
        _ => (ptr(a), None),
    }
}

/// The sets capset asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapSets {
    pub effective: u64,
    pub permitted: u64,
    pub inheritable: u64,
}

const CAP_V1: u64 = 0x1998_0330;

/// capset's header (`{version, pid}`) and data: one __user_cap_data_struct
/// (three u32) for version 1, two for versions 2 and 3 (the low and high
/// words of each set).
pub fn capset(mem: &mut Reader, header: u64, data: u64) -> (String, String, Option<CapSets>) {
    let (Some(version), Some(pid)) = (mem.int(header, 4), mem.int(header.wrapping_add(4), 4))
    else {
        return (ptr(header), ptr(data), None);
    };
    let vname = match version {
        CAP_V1 => "_LINUX_CAPABILITY_VERSION_1".to_string(),
        0x2007_1026 => "_LINUX_CAPABILITY_VERSION_2".to_string(),
        0x2008_0522 => "_LINUX_CAPABILITY_VERSION_3".to_string(),
        v => format!("{v:#x}"),
    };
    let head = format!("{{version={vname}, pid={}}}", pid as u32 as i32);
    let words = if version == CAP_V1 { 1 } else { 2 };
    let mut sets = [0u64; 3];
    for w in 0..words {
        for (i, set) in sets.iter_mut().enumerate() {
            let at = data.wrapping_add((w * 12 + i * 4) as u64);
            let Some(v) = mem.int(at, 4) else {
                return (head, ptr(data), None);
            };
            *set |= v << (32 * w);
        }
    }
    let s = CapSets {
        effective: sets[0],
        permitted: sets[1],
        inheritable: sets[2],
    };
    let show = |v: u64| {
        let n = caps::names(v);
        if n.is_empty() {
            "0".to_string()
        } else {
            n.join("|")
        }
    };
    let text = format!(
        "{{effective={}, permitted={}, inheritable={}}}",
        show(s.effective),
        show(s.permitted),
        show(s.inheritable)
    );
    (head, text, Some(s))
}

fn ptr(a: u64) -> String {
    if a == 0 {
        "NULL".into()
    } else {
        format!("{a:#x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::memory::{Method, Reader};

    fn own() -> Reader {
        Reader::new(std::process::id() as i32, Method::ProcMem)
    }

    #[test]
    fn bpf_attributes_name_the_type() {
        let attr: [u32; 4] = [2, 4, 8, 1];
        let a = attr.as_ptr() as u64;
        let (t, ty) = bpf_attr(&mut own(), 0, a);
        assert_eq!(t, "{map_type=BPF_MAP_TYPE_ARRAY, ...}");
        assert_eq!(ty, Some(2));
        let (t, ty) = bpf_attr(&mut own(), 5, [1u32, 0].as_ptr() as u64);
        assert_eq!(t, "{prog_type=BPF_PROG_TYPE_SOCKET_FILTER, ...}");
        assert_eq!(ty, Some(1));
        assert_eq!(bpf_attr(&mut own(), 2, a).1, None);
        assert_eq!(bpf_cmd(5), "BPF_PROG_LOAD");
        assert_eq!(bpf_cmd(999), "999");
    }

    #[test]
    fn perf_event_attr_says_what_it_counts() {
        let mut attr = [0u64; 16];
        attr[0] = 1 | (128 << 32); // PERF_TYPE_SOFTWARE, size 128
        attr[1] = 0; // PERF_COUNT_SW_CPU_CLOCK
        attr[5] = (1 << 5) | (1 << 6); // exclude_kernel, exclude_hv
        let (t, p) = perf_attr(&mut own(), attr.as_ptr() as u64);
        assert_eq!(
            t,
            "{type=PERF_TYPE_SOFTWARE, config=0x0, exclude_user=0, exclude_kernel=1, exclude_hv=1, ...}"
        );
        assert_eq!(
            p,
            Some(PerfAttr {
                kind: 1,
                exclude_kernel: true,
                exclude_hv: true
            })
        );
        attr[5] = 0;
        assert!(
            !perf_attr(&mut own(), attr.as_ptr() as u64)
                .1
                .unwrap()
                .exclude_kernel
        );
    }

    #[test]
    fn limits_in_both_widths() {
        let l = [1024u64, 4096];
        let (t, v) = rlimit(&mut own(), l.as_ptr() as u64, 8);
        assert_eq!(t, "{rlim_cur=1024, rlim_max=4096}");
        assert_eq!(v, Some((1024, 4096)));
        let l = [1024u32, u32::MAX];
        let (t, v) = rlimit(&mut own(), l.as_ptr() as u64, 4);
        assert_eq!(t, "{rlim_cur=1024, rlim_max=RLIM_INFINITY}");
        assert_eq!(v, Some((1024, u64::MAX)));
        assert_eq!(rlimit(&mut own(), 0, 8).0, "NULL");
    }

    #[test]
    fn capset_shows_the_sets_asked_for() {
        let head = [0x2008_0522u32, 0];
        // CAP_SETFCAP is 31: the low word of each set.
        let data = [1u32 << 31, 1 << 31, 0, 1 << 1, 1 << 1, 0];
        let (h, d, s) = capset(&mut own(), head.as_ptr() as u64, data.as_ptr() as u64);
        assert_eq!(h, "{version=_LINUX_CAPABILITY_VERSION_3, pid=0}");
        assert_eq!(
            d,
            "{effective=CAP_SETFCAP|CAP_MAC_ADMIN, permitted=CAP_SETFCAP|CAP_MAC_ADMIN, inheritable=0}"
        );
        let s = s.unwrap();
        assert_eq!(s.effective, (1 << 31) | (1 << 33));
        assert_eq!(s.inheritable, 0);
    }
}
