//! attach: installs seccomp filters, then executes a command under them, the way a runtime
//! attaches a container's policy just before it starts the container's process.
//!
//!   attach [--caps N,N,...] [--no-nnp] FILTER.bpf... -- COMMAND [ARG...]
//!
//! Each FILTER.bpf is raw classic BPF (`struct sock_filter` entries, as libseccomp's
//! seccomp_export_bpf writes them), installed in the order given. --caps keeps only those
//! capability numbers in the bounding set (root then execs with exactly them, as a
//! container's process does). The filters are installed after PR_SET_NO_NEW_PRIVS, so no
//! privilege is needed, unless --no-nnp is given: root installs them with CAP_SYS_ADMIN, as
//! runc and crun do, and the command runs without no_new_privs (Docker's and podman's
//! default). Built on its own with rustc (std only, static musl) for the arm64 VM, where no
//! runtime exists to attach a profile.

use std::ffi::CString;
use std::os::raw::{c_char, c_int, c_long};

unsafe extern "C" {
    fn prctl(option: c_int, ...) -> c_int;
    fn syscall(nr: c_long, ...) -> c_long;
    fn execvp(file: *const c_char, argv: *const *const c_char) -> c_int;
}

#[cfg(target_arch = "aarch64")]
const SYS_SECCOMP: c_long = 277;
#[cfg(target_arch = "x86_64")]
const SYS_SECCOMP: c_long = 317;
const PR_SET_NO_NEW_PRIVS: c_int = 38;
const PR_CAPBSET_DROP: c_int = 24;
const SECCOMP_SET_MODE_FILTER: c_long = 1;

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const u8,
}

fn fail(msg: String) -> ! {
    eprintln!("attach: {msg}");
    std::process::exit(125)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut keep: Option<Vec<u32>> = None;
    let mut nnp = true;
    loop {
        match args.first().map(String::as_str) {
            Some("--caps") if args.len() > 1 => {
                let list = args[1].split(',').filter(|c| !c.is_empty());
                let caps = list.map(|c| c.parse().unwrap_or_else(|_| fail(format!("capability {c}"))));
                keep = Some(caps.collect());
                args.drain(..2);
            }
            Some("--no-nnp") => {
                nnp = false;
                args.remove(0);
            }
            _ => break,
        }
    }
    let Some(sep) = args.iter().position(|a| a == "--") else {
        fail("usage: attach [--caps N,N,...] [--no-nnp] FILTER.bpf... -- COMMAND [ARG...]".into())
    };
    let (files, cmd) = (&args[..sep], &args[sep + 1..]);
    if cmd.is_empty() {
        fail("no command".into());
    }
    let progs: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_else(|e| fail(format!("{f}: {e}"))))
        .collect();
    if let Some(keep) = &keep {
        // Every capability the kernel knows (EINVAL past the last one) and not kept.
        for cap in (0..64u32).filter(|c| !keep.contains(c)) {
            // SAFETY: prctl with integer arguments changes only this process's bounding set.
            if unsafe { prctl(PR_CAPBSET_DROP, cap as c_long, 0 as c_long, 0 as c_long, 0 as c_long) } != 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(22) {
                    break;
                }
                fail(format!("PR_CAPBSET_DROP {cap}: {e}"));
            }
        }
    }
    // SAFETY: prctl with integer arguments changes only this process's flag.
    if nnp && unsafe { prctl(PR_SET_NO_NEW_PRIVS, 1 as c_long, 0 as c_long, 0 as c_long, 0 as c_long) } != 0 {
        fail(format!("PR_SET_NO_NEW_PRIVS: {}", std::io::Error::last_os_error()));
    }
    for (f, p) in files.iter().zip(&progs) {
        if p.is_empty() || p.len() % 8 != 0 || p.len() / 8 > 4096 {
            fail(format!("{f}: not a filter ({} bytes)", p.len()));
        }
        let fprog = SockFprog { len: (p.len() / 8) as u16, filter: p.as_ptr() };
        // SAFETY: fprog points at the filter, which lives until after the call.
        let r = unsafe { syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, 0 as c_long, &fprog as *const SockFprog) };
        if r != 0 {
            fail(format!("{f}: seccomp: {}", std::io::Error::last_os_error()));
        }
    }
    let cargs: Vec<CString> = cmd
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap_or_else(|_| fail("NUL in an argument".into())))
        .collect();
    let mut argv: Vec<*const c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    argv.push(std::ptr::null());
    // SAFETY: argv is a NULL-terminated array of C strings that outlive the call.
    unsafe { execvp(argv[0], argv.as_ptr()) };
    fail(format!("{}: {}", cmd[0], std::io::Error::last_os_error()))
}
