//! Notification probing, whatami's side: the filter the children stack,
//! checked before any kernel sees it, and how to read a child's setup. The
//! children (child.rs) and the machinery that runs a plan over them
//! (runtime.rs, supervisor.rs) do the rest.
//!
//! whatami itself only forks, polls pipes, reaps and kills: it never calls
//! seccomp() or issues a probe, so a policy that kills on seccomp() can only
//! kill a probe child, and nothing runs in whatami's own process.

use super::bpf;
use super::child::{self, ChildCtx, FLAG_SYNC_WAKEUP, stage};
use super::runtime::{Header, Probing, RawProbe, STAGE_PROBING};
use super::supervisor::{self, Prober, Run, SetupFailure, Unavailable, describe_failure};
use crate::linux::child::WaitStatus;
use std::sync::atomic::Ordering::SeqCst;

/// Runs the plan with notification probing. The first `leading` probes (the
/// entry-point checks) run in every child, before its share.
pub fn run(probes: &[RawProbe], leading: usize) -> Result<Run, Unavailable> {
    let filter = bpf::probe_filter(&super::asm::marker_addresses());
    self_check(&filter).map_err(Unavailable)?;
    let mut prober = NotifyProber {
        filter,
        no_sync_wakeup: false,
    };
    let mut run = supervisor::run_plan(probes, leading, supervisor::MAX_WORKERS, &mut prober)?;
    if prober.no_sync_wakeup {
        run.notes.push(
            "no SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (kernel before 6.6): round trips are slower"
                .into(),
        );
    }
    Ok(run)
}

struct NotifyProber {
    filter: Vec<bpf::Insn>,
    no_sync_wakeup: bool,
}

impl Prober for NotifyProber {
    unsafe fn child_main(
        &self,
        probing: &Probing,
        worker: usize,
        start: usize,
        _done: libc::c_int,
    ) {
        let ctx = ChildCtx {
            filter: &self.filter,
            probing: Probing {
                page: probing.page,
                stack: probing.stack,
                probes: probing.probes,
            },
            pin_cpu: crate::linux::cpus::nth_allowed(worker),
            start,
        };
        // SAFETY: forwarded from the caller's contract.
        unsafe { child::child_main(&ctx) }
    }

    fn describe_stage(&self, s: u32) -> &'static str {
        stage::describe(s)
    }

    fn on_setup_failure(&mut self, h: &Header, status: WaitStatus) -> SetupFailure {
        let st = h.stage.load(SeqCst);
        let mut msg = describe_failure(h, stage::describe(st), status);
        if st == stage::FILTER && h.setup_errno.load(SeqCst) == libc::EBUSY {
            msg.push_str(super::SUPERVISOR_ATTACHED);
        }
        SetupFailure::Fail(msg)
    }

    fn after_child(&mut self, h: &Header) {
        if h.stage.load(SeqCst) >= STAGE_PROBING && h.flags.load(SeqCst) & FLAG_SYNC_WAKEUP == 0 {
            self.no_sync_wakeup = true;
        }
    }
}

/// The filter must notify from the probe instructions and allow everything
/// else: checked here before a kernel is trusted with it.
fn self_check(filter: &[bpf::Insn]) -> Result<(), String> {
    let markers = super::asm::marker_addresses();
    let data = |ip| bpf::SeccompData {
        nr: 1,
        arch: 0,
        instruction_pointer: ip,
        args: [0; 6],
    };
    let bad = |what: &str| format!("internal error: the probe filter {what}");
    for m in markers {
        if bpf::evaluate(filter, &data(m)) != Ok(bpf::RET_USER_NOTIF) {
            return Err(bad("does not notify from its marker"));
        }
    }
    if bpf::evaluate(filter, &data(markers[0] ^ 0x10)) != Ok(bpf::RET_ALLOW) {
        return Err(bad("does not allow ordinary calls"));
    }
    Ok(())
}
