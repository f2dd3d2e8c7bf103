//! Netlink requests and the errors the kernel acks them with.
//!
//! `ip addr add`, `ip link`, `tc`, `nft`, `iptables-nft`, `ss -K` and the
//! WireGuard tools change the network by sending netlink messages with
//! sendmsg/sendto/write; when the kernel refuses one, no syscall fails: the
//! refusal is an NLMSG_ERROR message (struct nlmsgerr: a negative errno and
//! the refused message's header) in the reply read back with
//! recvmsg/recvfrom/read. This module follows both halves: it remembers the
//! messages each request carried (decoded: protocol, message type, flags,
//! sequence number), reads every reply for errors, and hands the tracer the
//! refused request as a failure of the call that sent it.
//!
//! The netlink sockets are those the command opens: socket(AF_NETLINK, ..,
//! protocol) gives the protocol, /proc/PID/fd the socket's inode, by which
//! every later call on a descriptor is matched (whatever process it was
//! passed to). A trace that opens no netlink socket pays nothing. Every read of the tracee is bounded: [`MAX_IOV`] iovecs of at most
//! [`MAX_READ`] bytes each, [`MAX_SHOWN`] messages shown per request,
//! [`MAX_REQUESTS`] requests kept waiting for their answer.

use super::arch::Layout;
use super::memory::Reader;
use super::tracer::Call;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Bytes read from one buffer: a refusal is a small message near the start
/// of the reply, and a request's headers fit in its first page.
const MAX_READ: usize = 8192;
/// iovecs read of one sendmsg/recvmsg.
const MAX_IOV: usize = 4;
/// Messages of a request shown (a batch carries many).
const MAX_SHOWN: usize = 4;
/// Requests kept until their answer comes.
const MAX_REQUESTS: usize = 64;
/// Socket inodes remembered.
const MAX_SOCKETS: usize = 256;

const AF_NETLINK: u64 = 16;
const MSG_PEEK: u64 = 2;
const NLMSG_ERROR: u16 = 2;
/// The generic netlink controller, which names the families.
const GENL_ID_CTRL: u16 = 0x10;

pub const NETLINK_ROUTE: u32 = 0;
pub const NETLINK_SOCK_DIAG: u32 = 4;
pub const NETLINK_XFRM: u32 = 6;
pub const NETLINK_NETFILTER: u32 = 12;
pub const NETLINK_GENERIC: u32 = 16;

/// A struct nlmsghdr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub len: u32,
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

impl Header {
    fn parse(b: &[u8]) -> Option<Header> {
        let u32_at = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        (b.len() >= 16).then(|| Header {
            len: u32_at(0),
            ty: u16::from_ne_bytes([b[4], b[5]]),
            flags: u16::from_ne_bytes([b[6], b[7]]),
            seq: u32_at(8),
            pid: u32_at(12),
        })
    }
}

/// The messages in a buffer, each with the part of its payload that was
/// read; stops at a header that does not hold together.
pub fn messages(bytes: &[u8]) -> Vec<(Header, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(h) = bytes.get(at..).and_then(Header::parse) {
        let len = h.len as usize;
        if len < 16 {
            break;
        }
        let end = at.saturating_add(len).min(bytes.len());
        out.push((h, &bytes[at + 16..end]));
        // NLMSG_ALIGN: messages start on 4-byte boundaries.
        at = at.saturating_add((len + 3) & !3);
    }
    out
}

/// The errors acked in a reply: (the errno, the refused message's header),
/// for each NLMSG_ERROR with a negative error (0 is a plain ack).
pub fn errors(bytes: &[u8]) -> Vec<(u32, Header)> {
    messages(bytes)
        .into_iter()
        .filter(|(h, _)| h.ty == NLMSG_ERROR)
        .filter_map(|(_, p)| {
            let e = i32::from_ne_bytes(p.get(..4)?.try_into().ok()?);
            let orig = Header::parse(p.get(4..)?)?;
            (e < 0 && e > -4096).then_some((e.unsigned_abs(), orig))
        })
        .collect()
}

/// Generic netlink families named in a reply of the controller
/// (CTRL_CMD_NEWFAMILY): its first two attributes, CTRL_ATTR_FAMILY_NAME
/// then CTRL_ATTR_FAMILY_ID, in the order the controller writes them.
pub fn families(bytes: &[u8]) -> Vec<(u16, String)> {
    fn attr(p: &[u8], at: usize) -> Option<(u16, &[u8])> {
        let a = p.get(at..at + 4)?;
        let len = usize::from(u16::from_ne_bytes([a[0], a[1]]));
        let ty = u16::from_ne_bytes([a[2], a[3]]) & 0x3fff;
        Some((ty, p.get(at + 4..at + len.max(4))?))
    }
    messages(bytes)
        .into_iter()
        .filter(|(h, p)| h.ty == GENL_ID_CTRL && p.first() == Some(&1))
        .filter_map(|(_, p)| {
            let (2, name) = attr(p, 4)? else { return None };
            let (1, [lo, hi, ..]) = attr(p, 4 + ((name.len() + 7) & !3))? else {
                return None;
            };
            let name = name.split(|&b| b == 0).next().unwrap_or_default();
            Some((
                u16::from_ne_bytes([*lo, *hi]),
                String::from_utf8_lossy(name).into_owned(),
            ))
        })
        .collect()
}

/// The protocol's name, as socket(2) takes it.
pub fn protocol_name(p: u32) -> String {
    let name = match p {
        NETLINK_ROUTE => "ROUTE",
        2 => "USERSOCK",
        NETLINK_SOCK_DIAG => "SOCK_DIAG",
        5 => "NFLOG",
        NETLINK_XFRM => "XFRM",
        7 => "SELINUX",
        9 => "AUDIT",
        10 => "FIB_LOOKUP",
        11 => "CONNECTOR",
        NETLINK_NETFILTER => "NETFILTER",
        15 => "KOBJECT_UEVENT",
        NETLINK_GENERIC => "GENERIC",
        20 => "RDMA",
        21 => "CRYPTO",
        _ => return format!("netlink protocol {p}"),
    };
    format!("NETLINK_{name}")
}

/// The tables below are words in one string each, looked up by position: an
/// array of `&str` would cost the static (position-independent) binary a
/// pointer and a relocation per entry.
///
/// rtnetlink's objects from RTM_BASE (16), four types each (NEW, DEL, GET,
/// SET); the hex digit after each says which of the four exist (bit 0: NEW).
const RTM: &str = "LINK:f ADDR:7 ROUTE:7 NEIGH:7 RULE:7 QDISC:7 TCLASS:7 TFILTER:7 ACTION:7 \
    PREFIX:1 MULTICAST:4 ANYCAST:4 NEIGHTBL:d NDUSEROPT:1 ADDRLABEL:7 DCB:c NETCONF:7 MDB:7 \
    NSID:7 STATS:d CACHEREPORT:1 CHAIN:7 NEXTHOP:7 LINKPROP:7 VLAN:7 NEXTHOPBUCKET:7 TUNNEL:7";
const KINDS: &str = "NEW DEL GET SET";
/// nf_tables' messages (NFNL_SUBSYS_NFTABLES), by number.
const NFT: &str = "NEWTABLE GETTABLE DELTABLE NEWCHAIN GETCHAIN DELCHAIN NEWRULE GETRULE \
    DELRULE NEWSET GETSET DELSET NEWSETELEM GETSETELEM DELSETELEM NEWGEN GETGEN TRACE NEWOBJ \
    GETOBJ DELOBJ GETOBJ_RESET NEWFLOWTABLE GETFLOWTABLE DELFLOWTABLE GETRULE_RESET \
    DESTROYTABLE DESTROYCHAIN DESTROYRULE DESTROYSET DESTROYSETELEM DESTROYOBJ \
    DESTROYFLOWTABLE GETSETELEM_RESET";
/// nfnetlink's subsystems (the type's high byte).
const NFNL_SUBSYS: &str = "NONE CTNETLINK CTNETLINK_EXP QUEUE ULOG OSF IPSET ACCT \
    CTNETLINK_TIMEOUT CTHELPER NFTABLES NFT_COMPAT HOOK";
/// xfrm's messages from XFRM_MSG_BASE (16).
const XFRM: &str = "NEWSA DELSA GETSA NEWPOLICY DELPOLICY GETPOLICY ALLOCSPI ACQUIRE EXPIRE \
    UPDPOLICY UPDSA POLEXPIRE FLUSHSA FLUSHPOLICY";

/// The `i`th word of a table.
fn word(table: &'static str, i: usize) -> Option<&'static str> {
    table.split_ascii_whitespace().nth(i)
}

/// A message type by name, as strace shows it: `RTM_NEWADDR`,
/// `NFNL_SUBSYS_NFTABLES<<8|NFT_MSG_NEWTABLE`, a generic netlink family by
/// its name when the trace saw the controller name it; its number otherwise.
pub fn type_name(proto: u32, ty: u16, families: &[(u16, String)]) -> String {
    named(proto, ty, families).unwrap_or_else(|| format!("{ty:#x}"))
}

fn named(proto: u32, ty: u16, families: &[(u16, String)]) -> Option<String> {
    match (proto, ty) {
        (_, 1) => Some("NLMSG_NOOP".to_string()),
        (_, NLMSG_ERROR) => Some("NLMSG_ERROR".to_string()),
        (_, 3) => Some("NLMSG_DONE".to_string()),
        (NETLINK_ROUTE, 16..) => {
            let (i, k) = (usize::from(ty - 16) / 4, u32::from(ty % 4));
            let (obj, mask) = word(RTM, i)?.split_once(':')?;
            let exists = u8::from_str_radix(mask, 16).ok()? & (1 << k) != 0;
            exists.then(|| format!("RTM_{}{obj}", word(KINDS, k as usize).unwrap_or("")))
        }
        (NETLINK_NETFILTER, 0x10) => Some("NFNL_MSG_BATCH_BEGIN".into()),
        (NETLINK_NETFILTER, 0x11) => Some("NFNL_MSG_BATCH_END".into()),
        (NETLINK_NETFILTER, _) => {
            let (sub, msg) = (usize::from(ty >> 8), usize::from(ty & 0xff));
            let m = match (sub, msg) {
                (10, _) => word(NFT, msg).map(|m| format!("NFT_MSG_{m}")),
                // iptables-nft asks nft_compat which revisions of a match exist.
                (11, 0) => Some("NFNL_MSG_COMPAT_GET".into()),
                _ => None,
            };
            let m = m.unwrap_or_else(|| format!("{msg:#x}"));
            word(NFNL_SUBSYS, sub).map(|s| format!("NFNL_SUBSYS_{s}<<8|{m}"))
        }
        (NETLINK_XFRM, 16..) => word(XFRM, usize::from(ty - 16)).map(|m| format!("XFRM_MSG_{m}")),
        (NETLINK_SOCK_DIAG, 20) => Some("SOCK_DIAG_BY_FAMILY".into()),
        (NETLINK_SOCK_DIAG, 21) => Some("SOCK_DESTROY".into()),
        (NETLINK_GENERIC, GENL_ID_CTRL) => Some("nlctrl".into()),
        (NETLINK_GENERIC, _) => family(families, ty),
        _ => None,
    }
}

/// A generic netlink family's name, by its id.
fn family(families: &[(u16, String)], id: u16) -> Option<String> {
    families.iter().find(|f| f.0 == id).map(|f| f.1.clone())
}

/// nlmsg_flags by name: the common ones, then those of a NEW request or a
/// GET's dump (the same bits mean different things in each kind).
pub fn flags_text(name: &str, flags: u16) -> String {
    // Those of a GET other than NLM_F_DUMP, and a DEL's, are left in hex.
    let kind = if name.contains("_NEW") {
        1
    } else if name.contains("_GET") || name == "SOCK_DIAG_BY_FAMILY" {
        2
    } else {
        0
    };
    let mut out = String::new();
    let mut left = flags;
    for (bit, k, n) in [
        (1, 0, "NLM_F_REQUEST"),
        (2, 0, "NLM_F_MULTI"),
        (4, 0, "NLM_F_ACK"),
        (8, 0, "NLM_F_ECHO"),
        (0x100, 1, "NLM_F_REPLACE"),
        (0x200, 1, "NLM_F_EXCL"),
        (0x400, 1, "NLM_F_CREATE"),
        (0x800, 1, "NLM_F_APPEND"),
        (0x300, 2, "NLM_F_DUMP"),
    ] {
        if left & bit == bit && (k == 0 || k == kind) {
            out.push_str(n);
            out.push('|');
            left &= !bit;
        }
    }
    if left != 0 || out.is_empty() {
        let _ = write!(out, "{left:#x}|");
    }
    out.pop();
    out
}

/// A request the kernel refused in its ack, as `why` explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// `NETLINK_ROUTE`, `NETLINK_NETFILTER`...
    pub protocol: String,
    /// (Not in the JSON: `protocol` names it.)
    #[serde(skip)]
    pub protocol_nr: u32,
    /// The refused message's type by name (`RTM_NEWADDR`), or its number.
    pub message: String,
    /// The refused message's header, as the ack quotes it.
    pub nlmsg_type: u16,
    pub nlmsg_flags: u16,
    pub nlmsg_seq: u32,
    /// The generic netlink family, for NETLINK_GENERIC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// The positive errno of the ack.
    pub errno: u32,
    /// What the call that carried it returned (bytes sent or received).
    pub returned: i64,
    /// Whether that call is the one that sent the request (false: only the
    /// reply was seen, and the call is the one that read it).
    pub sent: bool,
}

impl Refused {
    /// The result as the failure's line shows it.
    pub fn result(&self) -> String {
        let e = crate::linux::errno::strace_result(self.errno);
        let e = e.trim_start_matches("-1 ");
        let what = if self.sent { "sent" } else { "received" };
        format!(
            "{} ({what}); the {} ack to {}: error=-{e}",
            self.returned, self.protocol, self.message
        )
    }

    /// What the kernel checks CAP_NET_ADMIN for, when it checks it for this
    /// request: (the words for it, a condition whatami cannot see). In the
    /// user namespace that owns the network namespace (rtnetlink_rcv_msg,
    /// nfnetlink_rcv, xfrm_user_rcv_msg, sock_diag_destroy, and genetlink's
    /// GENL_UNS_ADMIN_PERM, which WireGuard's commands carry).
    pub fn admin(&self) -> Option<(&'static str, Option<&'static str>)> {
        let ty = self.nlmsg_type;
        match self.protocol_nr {
            // Every rtnetlink request but a GET (its kind is the low two bits).
            NETLINK_ROUTE if ty >= 16 && ty % 4 != 2 => {
                Some(("change the network configuration over rtnetlink", None))
            }
            NETLINK_NETFILTER => Some((
                "use nfnetlink (nftables, iptables-nft, conntrack), which checks it for every request",
                None,
            )),
            NETLINK_XFRM => Some(("configure IPsec (xfrm)", None)),
            NETLINK_SOCK_DIAG if ty == 21 => Some(("destroy sockets (SOCK_DESTROY)", None)),
            NETLINK_GENERIC if self.family.as_deref() == Some("wireguard") => {
                Some(("configure WireGuard interfaces", None))
            }
            NETLINK_GENERIC => Some((
                "send this generic netlink command",
                Some("when the family marks the command admin-only"),
            )),
            _ => None,
        }
    }
}

/// A refused request, for the tracer to record: the call to show it as,
/// its decoded text, and the refusal.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub call: Call,
    pub text: String,
    pub refused: Refused,
}

struct Request {
    inode: u64,
    call: Call,
    text: String,
    msgs: Vec<Header>,
    returned: i64,
}

/// What the tracer keeps between a request and its answer. Vectors
/// searched in order rather than maps: they stay small (a few sockets and
/// families, [`MAX_REQUESTS`] requests), and each map type would cost the
/// static binary kilobytes of its own code.
#[derive(Default)]
pub struct Tracker {
    /// The netlink sockets the command opened: inode and protocol.
    sockets: Vec<(u64, u32)>,
    requests: Vec<Request>,
    families: Vec<(u16, String)>,
}

/// Which calls the tracker looks at after they succeed.
pub fn wanted(name: &str) -> bool {
    matches!(
        name,
        "socket" | "sendmsg" | "sendto" | "write" | "recvmsg" | "recvfrom" | "read"
    )
}

impl Tracker {
    /// After a successful call: a socket opened, a request sent, or a reply
    /// read, which gives the requests it refuses.
    pub fn on_success(
        &mut self,
        pid: libc::pid_t,
        call: &Call,
        name: &str,
        rval: i64,
        layout: Layout,
        mem: &mut Reader,
    ) -> Vec<Refusal> {
        let a = &call.args;
        if name == "socket" {
            if a[0] & 0xffff == AF_NETLINK
                && let Some(ino) = inode(pid, rval)
                && self.sockets.len() < MAX_SOCKETS
            {
                self.sockets.push((ino, a[2] as u32));
            }
            return Vec::new();
        }
        if rval <= 0 || self.sockets.is_empty() {
            return Vec::new();
        }
        let Some((ino, proto)) = self.protocol(pid, a[0] as u32 as i32) else {
            return Vec::new();
        };
        let sending = name.starts_with("send") || name == "write";
        let msghdr = name.ends_with("msg");
        let flags = match name {
            "recvmsg" => a[2],
            "recvfrom" => a[3],
            _ => 0,
        };
        // A peek is read again, for real, next.
        if flags & MSG_PEEK != 0 {
            return Vec::new();
        }
        let bufs = if msghdr {
            iovecs(mem, a[1], layout.ptr)
        } else {
            vec![(a[1], a[2])]
        };
        // What the call sent or received, buffer by buffer.
        let mut left = rval as u64;
        let (mut msgs, mut out) = (Vec::new(), Vec::new());
        for (base, len) in bufs {
            let n = len.min(left);
            left -= n;
            let bytes = mem.read(base, (n as usize).min(MAX_READ));
            if sending {
                msgs.extend(messages(&bytes).into_iter().map(|(h, _)| h));
                continue;
            }
            if proto == NETLINK_GENERIC {
                for f in families(&bytes) {
                    if self.families.len() < 256 && family(&self.families, f.0).is_none() {
                        self.families.push(f);
                    }
                }
            }
            for (errno, orig) in errors(&bytes) {
                out.push(self.refusal(ino, proto, errno, orig, call, name, rval));
            }
        }
        if !msgs.is_empty() {
            let shown = self.shown(proto, &msgs);
            let (open, close) = if msghdr {
                ("{msg_iov=", ", ...}")
            } else {
                ("", "")
            };
            let text = format!("{name}({}, {open}{shown}{close}, ...)", a[0] as u32 as i32);
            if self.requests.len() >= MAX_REQUESTS {
                self.requests.remove(0);
            }
            self.requests.push(Request {
                inode: ino,
                call: *call,
                text,
                msgs,
                returned: rval,
            });
        }
        out
    }

    /// The socket behind `fd` and its netlink protocol, when it is one.
    fn protocol(&self, pid: libc::pid_t, fd: i32) -> Option<(u64, u32)> {
        let ino = inode(pid, i64::from(fd))?;
        // The newest first: the inode of a closed socket may come back.
        let p = self.sockets.iter().rev().find(|s| s.0 == ino)?.1;
        Some((ino, p))
    }

    fn shown(&self, proto: u32, msgs: &[Header]) -> String {
        let mut out = String::from("[");
        for (i, h) in msgs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            if i == MAX_SHOWN {
                out.push_str("...");
                break;
            }
            let ty = type_name(proto, h.ty, &self.families);
            let _ = write!(
                out,
                "{{nlmsg_type={ty}, nlmsg_flags={}, nlmsg_seq={}}}",
                flags_text(&ty, h.flags),
                h.seq
            );
        }
        out.push(']');
        out
    }

    /// The refusal of `orig` (a header an ack quotes), shown as the request
    /// that sent it when it was seen, as the reply otherwise.
    #[allow(clippy::too_many_arguments)]
    fn refusal(
        &self,
        ino: u64,
        proto: u32,
        errno: u32,
        orig: Header,
        recv: &Call,
        recv_name: &str,
        rval: i64,
    ) -> Refusal {
        let req = self.requests.iter().rev().find(|r| {
            r.inode == ino && r.msgs.iter().any(|m| m.seq == orig.seq && m.ty == orig.ty)
        });
        let message = type_name(proto, orig.ty, &self.families);
        let family = (proto == NETLINK_GENERIC && orig.ty != GENL_ID_CTRL)
            .then(|| family(&self.families, orig.ty))
            .flatten();
        let mut refused = Refused {
            protocol: protocol_name(proto),
            protocol_nr: proto,
            message,
            nlmsg_type: orig.ty,
            nlmsg_flags: orig.flags,
            nlmsg_seq: orig.seq,
            family,
            errno,
            returned: rval,
            sent: false,
        };
        let (call, text) = match req {
            Some(r) => {
                refused.returned = r.returned;
                refused.sent = true;
                (r.call, r.text.clone())
            }
            None => {
                // Only the ack was seen: the call that read it (the result
                // names the refused message).
                let text = format!("{recv_name}({}, ...)", recv.args[0] as u32 as i32);
                (*recv, text)
            }
        };
        Refusal {
            call,
            text,
            refused,
        }
    }
}

/// The inode of the socket behind a descriptor of `pid`.
fn inode(pid: libc::pid_t, fd: i64) -> Option<u64> {
    let link = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    link.to_str()?
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The (base, length) of the first iovecs of the msghdr at `msg`.
fn iovecs(mem: &mut Reader, msg: u64, p: usize) -> Vec<(u64, u64)> {
    let (Some(iov), Some(n)) = (
        mem.int(msg + 2 * p as u64, p),
        mem.int(msg + 3 * p as u64, p),
    ) else {
        return Vec::new();
    };
    (0..n.min(MAX_IOV as u64))
        .filter_map(|i| {
            let at = iov + i * 2 * p as u64;
            Some((mem.int(at, p)?, mem.int(at + p as u64, p)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(len: u32, ty: u16, flags: u16, seq: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(&flags.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v
    }

    /// The reply `ip addr add 10.9.0.1/24 dev lo` read without
    /// CAP_NET_ADMIN (captured with strace -e read=3 in a network namespace
    /// of its own): NLMSG_ERROR, error -1, then the whole refused
    /// RTM_NEWADDR request (40 bytes, REQUEST|ACK|EXCL|CREATE), which is
    /// also the request as it was sent.
    const IP_ADDR_ADD_ACK: [u8; 60] = [
        0x3c, 0, 0, 0, 0x02, 0, 0, 0, 0x75, 0x65, 0x17, 0x6b, 0x88, 0x4a, 0, 0, // nlmsghdr
        0xff, 0xff, 0xff, 0xff, // error -EPERM
        0x28, 0, 0, 0, 0x14, 0, 0x05, 0x06, 0x75, 0x65, 0x17, 0x6b, 0, 0, 0, 0, // the request
        0x02, 0x18, 0, 0, 0x01, 0, 0, 0, 0x08, 0, 0x02, 0, 0x0a, 0x09, 0, 0x01, 0x08, 0, 0x01, 0,
        0x0a, 0x09, 0, 0x01,
    ];

    /// The batch `nft add table inet filter` sends (captured the same way):
    /// NFNL_MSG_BATCH_BEGIN, NFT_MSG_NEWTABLE (40 bytes), NFNL_MSG_BATCH_END.
    const NFT_ADD_TABLE: [u8; 80] = [
        0x14, 0, 0, 0, 0x10, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x28, 0, 0, 0, 0,
        0x0a, 0x01, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x0b, 0, 0x01, 0, 0x66, 0x69,
        0x6c, 0x74, 0x65, 0x72, 0, 0, 0x08, 0, 0x02, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x11, 0, 0x01,
        0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a,
    ];

    #[test]
    fn an_rtnetlink_refusal_is_read_from_the_ack() {
        let e = errors(&IP_ADDR_ADD_ACK);
        assert_eq!(e.len(), 1);
        let (errno, orig) = e[0];
        assert_eq!(errno, 1);
        assert_eq!((orig.len, orig.ty, orig.flags), (40, 20, 0x605));
        let none = [];
        let name = type_name(NETLINK_ROUTE, orig.ty, &none);
        assert_eq!(name, "RTM_NEWADDR");
        assert_eq!(
            flags_text(&name, orig.flags),
            "NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE"
        );
        // A plain ack (error 0) is no refusal.
        let mut ok = IP_ADDR_ADD_ACK;
        ok[16..20].copy_from_slice(&0i32.to_ne_bytes());
        assert!(errors(&ok).is_empty());
        // Cut short, it is no refusal either, and no panic.
        for n in 0..36 {
            assert!(errors(&IP_ADDR_ADD_ACK[..n]).is_empty(), "{n}");
        }
    }

    #[test]
    fn types_are_named_per_protocol() {
        let fams = [(0x1b, "wireguard".to_string())];
        let n = |p, t| type_name(p, t, &fams);
        assert_eq!(n(NETLINK_ROUTE, 16), "RTM_NEWLINK");
        assert_eq!(n(NETLINK_ROUTE, 19), "RTM_SETLINK");
        assert_eq!(n(NETLINK_ROUTE, 24), "RTM_NEWROUTE");
        assert_eq!(n(NETLINK_ROUTE, 36), "RTM_NEWQDISC");
        assert_eq!(n(NETLINK_ROUTE, 58), "RTM_GETMULTICAST");
        assert_eq!(n(NETLINK_ROUTE, 94), "RTM_GETSTATS");
        // No RTM_SETADDR exists.
        assert_eq!(n(NETLINK_ROUTE, 23), "0x17");
        assert_eq!(n(NETLINK_NETFILTER, 0x10), "NFNL_MSG_BATCH_BEGIN");
        assert_eq!(
            n(NETLINK_NETFILTER, 0xa00),
            "NFNL_SUBSYS_NFTABLES<<8|NFT_MSG_NEWTABLE"
        );
        assert_eq!(
            n(NETLINK_NETFILTER, 0xa10),
            "NFNL_SUBSYS_NFTABLES<<8|NFT_MSG_GETGEN"
        );
        assert_eq!(n(NETLINK_NETFILTER, 0x101), "NFNL_SUBSYS_CTNETLINK<<8|0x1");
        assert_eq!(
            n(NETLINK_NETFILTER, 0xb00),
            "NFNL_SUBSYS_NFT_COMPAT<<8|NFNL_MSG_COMPAT_GET"
        );
        assert_eq!(n(NETLINK_GENERIC, 0x1b), "wireguard");
        assert_eq!(n(NETLINK_GENERIC, 0x10), "nlctrl");
        assert_eq!(n(NETLINK_SOCK_DIAG, 21), "SOCK_DESTROY");
        assert_eq!(n(NETLINK_XFRM, 16), "XFRM_MSG_NEWSA");
        assert_eq!(n(NETLINK_ROUTE, 2), "NLMSG_ERROR");
        assert_eq!(flags_text("RTM_GETLINK", 0x301), "NLM_F_REQUEST|NLM_F_DUMP");
        assert_eq!(flags_text("RTM_DELLINK", 0x5), "NLM_F_REQUEST|NLM_F_ACK");
        assert_eq!(
            flags_text("RTM_DELLINK", 0x105),
            "NLM_F_REQUEST|NLM_F_ACK|0x100"
        );
        assert_eq!(flags_text("x", 0), "0x0");
    }

    #[test]
    fn a_batch_is_walked_message_by_message() {
        let m = messages(&NFT_ADD_TABLE);
        let tys: Vec<(u16, u32)> = m.iter().map(|(h, _)| (h.ty, h.seq)).collect();
        assert_eq!(tys, [(0x10, 0), (0xa00, 1), (0x11, 2)]);
        assert_eq!(m[1].1.len(), 24);
        // A message whose length is not a multiple of 4 is padded.
        let mut b = hdr(30, 0xa00, 0x405, 8);
        b.extend_from_slice(&[
            1, 0, 0, 0, 11, 0, 1, 0, b'f', b'i', b'l', b't', b'e', b'r', 0, 0,
        ]);
        b.extend(hdr(20, 0x11, 1, 9));
        b.extend_from_slice(&[0, 0, 0x0a, 0]);
        let m = messages(&b);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].1.len(), m[1].0.seq), (14, 9));
        // A header that does not hold together ends the walk; a cut one is
        // kept with what was read.
        assert!(messages(&hdr(8, 0x10, 1, 1)).is_empty());
        assert_eq!(messages(&NFT_ADD_TABLE[..50]).len(), 2);
        assert!(messages(&b[..10]).is_empty());
    }

    #[test]
    fn generic_netlink_families_are_learned_from_the_controller() {
        // CTRL_CMD_NEWFAMILY: FAMILY_NAME "wireguard", FAMILY_ID 0x1b.
        let mut p = vec![1, 2, 0, 0];
        p.extend_from_slice(&[14, 0, 2, 0]);
        p.extend_from_slice(b"wireguard\0\0\0");
        p.extend_from_slice(&[6, 0, 1, 0, 0x1b, 0, 0, 0]);
        let mut b = hdr(16 + p.len() as u32, GENL_ID_CTRL, 0, 1);
        b.extend(p);
        assert_eq!(families(&b), [(0x1b, "wireguard".to_string())]);
        // Attributes that run past the end stop the walk without a panic.
        let n = b.len();
        b[n - 8] = 200;
        assert!(families(&b).is_empty());
    }

    fn refused(proto: u32, ty: u16, family: Option<&str>) -> Refused {
        Refused {
            protocol: protocol_name(proto),
            protocol_nr: proto,
            message: "RTM_NEWADDR".into(),
            nlmsg_type: ty,
            nlmsg_flags: 5,
            nlmsg_seq: 1,
            family: family.map(str::to_string),
            errno: 1,
            returned: 40,
            sent: true,
        }
    }

    #[test]
    fn cap_net_admin_is_checked_for_what_changes_the_network() {
        assert!(refused(NETLINK_ROUTE, 20, None).admin().is_some());
        assert!(refused(NETLINK_ROUTE, 19, None).admin().is_some());
        // A GET needs nothing.
        assert!(refused(NETLINK_ROUTE, 22, None).admin().is_none());
        assert!(refused(NETLINK_NETFILTER, 0xa10, None).admin().is_some());
        assert!(refused(NETLINK_SOCK_DIAG, 21, None).admin().is_some());
        assert!(refused(NETLINK_SOCK_DIAG, 20, None).admin().is_none());
        let wg = refused(NETLINK_GENERIC, 0x1b, Some("wireguard")).admin();
        assert_eq!(wg.map(|a| a.1), Some(None));
        let other = refused(NETLINK_GENERIC, 0x20, None).admin();
        assert!(other.is_some_and(|a| a.1.is_some()));
        assert!(refused(9, 1000, None).admin().is_none());
        assert_eq!(
            refused(NETLINK_ROUTE, 20, None).result(),
            "40 (sent); the NETLINK_ROUTE ack to RTM_NEWADDR: error=-EPERM (Operation not permitted)"
        );
    }

    /// The tracker on its own process: a request written to memory is
    /// decoded at "sendto", and the reply read at "recvfrom" is matched to
    /// it by sequence number.
    #[test]
    fn a_request_and_its_refusal_are_paired() {
        // A real NETLINK_ROUTE socket of this process, so that its inode is
        // read from /proc as for a tracee; nothing is sent on it.
        // SAFETY: socket() has no side effect beyond the descriptor, closed below.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, 0) };
        assert!(fd >= 0);
        // SAFETY: getpid has no side effect.
        let pid = unsafe { libc::getpid() };
        let abi = crate::linux::abi::native();
        let mut mem = Reader::new(pid, super::super::memory::Method::ProcMem);
        let layout = super::super::arch::layout(abi);
        let call = |name: &str, args: [u64; 6]| Call {
            abi,
            nr: crate::linux::abi::native_nr(name).unwrap(),
            args,
        };
        let mut t = Tracker::default();
        // Until a netlink socket is opened, nothing is looked at.
        let request = IP_ADDR_ADD_ACK[20..60].to_vec();
        let send = call("sendto", [fd as u64, request.as_ptr() as u64, 40, 0, 0, 0]);
        t.on_success(pid, &send, "sendto", 40, layout, &mut mem);
        assert!(t.requests.is_empty());
        let open = call("socket", [16, 3, 0, 0, 0, 0]);
        t.on_success(pid, &open, "socket", i64::from(fd), layout, &mut mem);
        let send = call("sendto", [fd as u64, request.as_ptr() as u64, 40, 0, 0, 0]);
        assert!(
            t.on_success(pid, &send, "sendto", 40, layout, &mut mem)
                .is_empty()
        );
        let reply = IP_ADDR_ADD_ACK.to_vec();
        let recv = call(
            "recvfrom",
            [fd as u64, reply.as_ptr() as u64, 8192, 0, 0, 0],
        );
        let r = t.on_success(pid, &recv, "recvfrom", 60, layout, &mut mem);
        // A peek is read again later: not counted twice.
        let peek = call(
            "recvfrom",
            [fd as u64, reply.as_ptr() as u64, 8192, MSG_PEEK, 0, 0],
        );
        let again = t.on_success(pid, &peek, "recvfrom", 60, layout, &mut mem);
        // SAFETY: our own descriptor.
        unsafe { libc::close(fd) };
        assert!(again.is_empty());
        assert_eq!(r.len(), 1);
        let r = &r[0];
        assert_eq!(r.call.args[0], fd as u64);
        assert!(r.refused.sent);
        assert_eq!(r.refused.message, "RTM_NEWADDR");
        assert_eq!(r.refused.protocol, "NETLINK_ROUTE");
        assert!(
            r.text
                == (format!(
                    "sendto({fd}, [{{nlmsg_type=RTM_NEWADDR, nlmsg_flags=NLM_F_REQUEST|NLM_F_ACK|NLM_F_EXCL|NLM_F_CREATE, nlmsg_seq=1796695413}}], ...)"
                )),
            "{}",
            r.text
        );
        // A descriptor that is no netlink socket is left alone.
        let not = call("sendto", [0, request.as_ptr() as u64, 40, 0, 0, 0]);
        assert!(
            t.on_success(pid, &not, "sendto", 40, layout, &mut mem)
                .is_empty()
        );
    }
}
