#!/usr/bin/env python3
"""Runs the `whatami why` scenarios (scenarios.py) in the lab's containers and records what
happened, for check.py. scripts/e2e/scenarios/run prepares the rootfs and the images and
calls this with the lab's paths in the environment.

  run.py OUTDIR ENGINE... [--only NAME,...] [--jobs N]

For each scenario of the engines given, one container per run, each from the same image
(docker, containerd) or an overlay on the same rootfs (podman: --rootfs DIR:O), so runs
never see each other's files:
  bare       the command as the scenario runs it
  why        whatami why --json on the command (its exit status, the command's stderr, the JSON)
  control-N  each control
  fix        the scenario's fix (or its verify command, with the fix applied)
  wfix       the flags of whatami's own fix, applied the same way (when they differ from the
             scenario's fix; when whatami's fix names no flag this is absent)
and, once per engine, the lab facts: which capability names it takes, the sysctls it sets.
Everything goes to OUTDIR/scenarios/<name>.json and OUTDIR/scenarios/facts.json.
"""
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from scenarios import SCENARIOS, CAP_NAMES, ENGINE_SYSCTLS, DOCKER, PODMAN, CONTAINERD  # noqa: E402

ENV = os.environ
LAB = ENV.get("WHATAMI_LAB", "")
SUITE = os.path.join(LAB, "scenarios")
ROOTFS = os.path.join(SUITE, "rootfs")
TAG = ENV.get("LAB_TAG", "")
PATH = ENV.get("LAB_PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
TIMEOUT = int(ENV.get("LAB_TIMEOUT", "120"))
DOCKER_CMD = [ENV.get("LAB_DOCKER", "docker"), "-H", ENV.get("LAB_DOCKER_SOCK", "")]
CTR_CMD = ["ctr", "-a", ENV.get("LAB_CTR_SOCK", ""), "-n", "whatami-lab"]
IMAGE = ENV.get("SCENARIO_IMAGE", "whatami-lab/scenarios:latest")
CTR_IMAGE = "docker.io/" + IMAGE
PODMAN_ENV = ["env", "-i", "PATH=" + PATH, "CONTAINERS_CONF=%s/containers.conf" % LAB,
              "CONTAINERS_STORAGE_CONF=%s/storage.conf" % LAB]
UIDMAP_BASE = 100000

# The command runs under a shell that stays pid 1 (`exit $?` keeps it from exec'ing the
# command), as it does under whatami: a scenario may need a process of its own at pid 1.
PLAIN = '"$@"; exit $?'
WHY = ('/whatami why --json -o /dev/shm/why.json -- "$@" >/dev/shm/why.out 2>/dev/shm/why.err; '
       'echo "==rc $?"; echo "==stderr"; cat /dev/shm/why.err; echo "==json"; cat /dev/shm/why.json')

_seq = iter(range(1, 1 << 30))
_seq_lock = threading.Lock()


def say(msg):
    print("scenarios: %s" % msg, file=sys.stderr, flush=True)


def container_name(scenario, label):
    """Unique to the run; lab_cleanup (scripts/lab/lib.sh) knows the prefix."""
    with _seq_lock:
        n = next(_seq)
    # containerd takes letters and digits joined by single separators, 76 at most.
    words = re.sub(r"[^A-Za-z0-9]+", "-", "%s-%s" % (scenario[:20], label[:10])).strip("-")
    return "whatami-%s-scen-%s-%d-%d" % (TAG, words, os.getpid(), n)


def fill(words, run_dir):
    return [w.replace("{run}", run_dir).replace("{lab}", SUITE) for w in words]


def engine_argv(engine, name, opts, argv, run_dir):
    if engine == DOCKER:
        return DOCKER_CMD + ["run", "--rm", "--name", name, "--network", "none", "--hostname",
                             "whatami-docker"] + opts + [IMAGE] + argv
    if engine == PODMAN:
        root = ROOTFS + ":O"
        if "--uidmap" in opts:
            # An overlay cannot be shifted: a copy owned by the mapped root, as an image
            # pulled for that mapping would be. The mapped root must reach it, so it lives
            # outside the suite's root-only directory, without the privileged programs.
            root = uidmap_rootfs(name)
            os.makedirs(os.path.dirname(root), mode=0o755)
            subprocess.run(["cp", "-a", ROOTFS, root], check=True)
            shutil.rmtree(os.path.join(root, "opt"))
            subprocess.run(["chown", "-R", "%d:%d" % (UIDMAP_BASE, UIDMAP_BASE), root], check=True)
        # -i: stdin is conmon's pipe, fed by the empty one run() gives. Without it conmon hands
        # the runtime the host's /dev/null, which crun chowns to the mapped root (--uidmap).
        return PODMAN_ENV + ["podman", "run", "-i", "--rm", "--name", name, "--network", "none", "--hostname",
                             "whatami-podman"] + opts + ["--rootfs", root] + argv
    return ["env", "-i", "PATH=" + PATH] + CTR_CMD + ["run", "--rm", "--seccomp"] + opts + [CTR_IMAGE, name] + argv


def uidmap_rootfs(name):
    return os.path.join(LAB, "runs", name, "rootfs")


def remove(engine, name):
    """What a run cut short may leave behind."""
    q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    try:
        if engine == DOCKER:
            subprocess.run(DOCKER_CMD + ["rm", "-f", name], **q)
        elif engine == PODMAN:
            subprocess.run(PODMAN_ENV + ["podman", "rm", "-f", "-t", "0", name], **q)
        else:
            for sub in (["task", "kill", "-s", "SIGKILL", name], ["task", "rm", "-f", name], ["containers", "rm", name]):
                subprocess.run(CTR_CMD + sub, **q)
    except subprocess.TimeoutExpired:
        pass


def run(engine, scenario, label, opts, argv):
    """One container: {opts, argv, rc, out, err, seconds}."""
    name = container_name(scenario, label)
    run_dir = os.path.join(SUITE, "runs", name)
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(os.path.join(run_dir, "data"))
    os.chmod(run_dir, 0o755)
    os.chmod(os.path.join(run_dir, "data"), 0o777)
    opts = fill(opts, run_dir)
    full = engine_argv(engine, name, opts, argv, run_dir)
    t0 = time.monotonic()
    try:
        # An empty pipe as stdin, never /dev/null (see engine_argv).
        p = subprocess.run(full, input=b"", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT, cwd="/")
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", (e.stderr or b"") + b"\n(timed out)"
    dt = time.monotonic() - t0
    remove(engine, name)
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(os.path.dirname(uidmap_rootfs(name)), ignore_errors=True)
    return dict(opts=opts, argv=argv, rc=rc, out=out.decode(errors="replace"), err=err.decode(errors="replace"),
                seconds=round(dt, 2))


def plain(cmd):
    return ["/bin/sh", "-c", PLAIN, "sh"] + cmd


def apply(opts, change):
    """The failing run's options with a control's or a fix's change made."""
    if change.get("opts") is not None:
        return list(change["opts"])
    out = list(opts)
    rm = change.get("remove") or []
    if rm:
        # Removes the first occurrence of the sequence.
        for i in range(len(out) - len(rm) + 1):
            if out[i:i + len(rm)] == rm:
                del out[i:i + len(rm)]
                break
    return out + list(change.get("add") or [])


# ------------------------------------------------------------------ whatami's fix, as flags

FLAG = re.compile(r"(--cap-add|--sysctl|--security-opt|--ulimit|--tmpfs|--user|--device)[ =]([^\s;,)'\"`]+)|(--privileged)")
# Words that stand for what the user chooses, not flags one can apply as they are.
PLACEHOLDERS = {"/path", "path", "/dir", "dir", "file", "n", "value", "uid", "user", "name"}
K8S_CAP = re.compile(r"capabilities\.add:\s*\[([^\]]*)\]")


def whatami_flags(engine, text):
    """The runtime flags whatami's fix names, as options this engine takes. A custom seccomp
    profile named by a placeholder (seccomp=PROFILE.json: one that allows the call) is
    applied as seccomp=unconfined, which allows it; other placeholders are not applied."""
    flags = []
    if not text:
        return flags
    if engine == CONTAINERD:
        caps = []
        for m in K8S_CAP.finditer(text):
            caps += [c.strip(" \"'") for c in m.group(1).split(",") if c.strip(" \"'")]
        for m in FLAG.finditer(text):
            if m.group(1) == "--cap-add":
                caps.append(m.group(2).rstrip("."))
        for c in dict.fromkeys(caps):
            flags += ["--cap-add", c if c.startswith("CAP_") else "CAP_" + c]
        return flags
    for m in FLAG.finditer(text):
        if m.group(3):
            continue  # --privileged: more than any fix should need; not applied
        value = m.group(2).rstrip(".")
        if m.group(1) == "--security-opt" and re.search(r"[A-Z]{4,}", value.split("=", 1)[-1]):
            if not value.startswith("seccomp="):
                continue
            value = "seccomp=unconfined"
        if value.lower() in PLACEHOLDERS:
            continue
        pair = [m.group(1), value]
        if not any(flags[i:i + 2] == pair for i in range(0, len(flags), 2)):
            flags += pair
    return flags


def with_flags(opts, flags):
    """Applies whatami's flags as a user would: a flag the container already has is one the
    fix says to drop (no-new-privileges, --read-only); another replaces an option for the
    same thing (the tmpfs at that path, that ulimit, the user); --cap-add X takes back a
    --cap-drop X."""
    out = list(opts)
    add = []
    for i in range(0, len(flags), 2):
        pair = flags[i:i + 2]
        at = [j for j in range(len(out) - len(pair) + 1) if out[j:j + len(pair)] == pair]
        if at:
            del out[at[0]:at[0] + len(pair)]
        else:
            add += pair
    flags = add

    def drop(pred):
        i = 0
        while i < len(out) - 1:
            if pred(out[i], out[i + 1]):
                del out[i:i + 2]
            else:
                i += 1

    for i in range(0, len(flags) - 1, 2):
        f, v = flags[i], flags[i + 1]
        if f == "--tmpfs":
            drop(lambda a, b: a == "--tmpfs" and b.split(":")[0] == v.split(":")[0])
        elif f == "--ulimit":
            drop(lambda a, b: a == "--ulimit" and b.split("=")[0] == v.split("=")[0])
        elif f == "--user":
            drop(lambda a, b: a == "--user")
        elif f == "--cap-add":
            drop(lambda a, b: a == "--cap-drop" and b.upper().replace("CAP_", "") == v.upper().replace("CAP_", ""))
    return out + flags


# ------------------------------------------------------------------ one scenario

def parse_why(text):
    """The why run's output: its status line, the command's stderr, whatami's JSON."""
    res = dict(rc=None, stderr="", json=None, error=None)
    m = re.search(r"^==rc (\d+)$", text, re.M)
    if not m:
        res["error"] = "no status line"
        return res
    res["rc"] = int(m.group(1))
    _, _, rest = text.partition("==stderr\n")
    res["stderr"], _, js = rest.partition("==json\n")
    try:
        res["json"] = json.loads(js)
    except ValueError as e:
        res["error"] = "the explanation is not JSON (%s): %r" % (e, js[:200])
    return res


def matching_failure(s, j):
    fs = (j or {}).get("failures") or []
    want = (s.get("call") or {}).get("syscalls") or ()
    for f in fs:
        if f.get("syscall") in want:
            return f
    return fs[0] if fs else None


def run_scenario(s):
    e, name, opts = s["engine"], s["name"], s["opts"]
    r = dict(name=name, engine=e)
    t0 = time.monotonic()
    r["bare"] = run(e, name, "bare", opts, plain(s["cmd"]))
    w = run(e, name, "why", opts, ["/bin/sh", "-c", WHY, "sh"] + s["cmd"])
    w.update(parse_why(w["out"]))
    r["why"] = w
    r["controls"] = []
    for i, c in enumerate(s["controls"]):
        o = run(e, name, "control%d" % (i + 1), apply(opts, c), plain(c["cmd"] or s["cmd"]))
        o["expected_ok"] = c["ok"]
        r["controls"].append(o)
    fx = s.get("fix")
    verify = (fx or {}).get("verify")
    if fx:
        r["fix"] = run(e, name, "fix", apply(opts, fx), plain(verify or fx["cmd"] or s["cmd"]))
    if s["kind"] == "failure":
        f = matching_failure(s, w.get("json"))
        flags = whatami_flags(e, (f or {}).get("fix"))
        wf = dict(flags=flags, fix_text=(f or {}).get("fix"))
        if flags:
            wopts = with_flags(opts, flags)
            if fx and wopts == apply(opts, fx) and not fx["cmd"]:
                wf.update(same_as_fix=True, rc=r["fix"]["rc"], out=r["fix"]["out"], err=r["fix"]["err"], opts=wopts)
            else:
                wf.update(run(e, name, "wfix", wopts, plain(verify or s["cmd"])))
        r["wfix"] = wf
    r["seconds"] = round(time.monotonic() - t0, 1)
    return r


# ------------------------------------------------------------------ lab facts

def facts(engine):
    f = dict(engine=engine, cap_names={}, sysctls={})
    for cap in CAP_NAMES.get(engine, {}):
        o = run(engine, "facts", "cap-" + cap.lower(), ["--cap-add", cap], ["/bin/true"])
        f["cap_names"][cap] = dict(rc=o["rc"], err=o["err"].strip()[-300:])
    names = list(ENGINE_SYSCTLS.get(engine, {}))
    if names:
        o = run(engine, "facts", "sysctls", [], ["/bin/cat"] + ["/proc/sys/" + n.replace(".", "/") for n in names])
        vals = o["out"].splitlines()
        f["sysctls"] = {n: (vals[i] if i < len(vals) else None) for i, n in enumerate(names)}
    # Whether a capability the host's bounding set lacks can be given (it cannot: the runtime
    # fails to start the container): told in the report, not checked.
    if engine in (DOCKER, PODMAN):
        o = run(engine, "facts", "cap-sys-resource", ["--cap-add", "SYS_RESOURCE"], ["/bin/true"])
        f["sys_resource"] = dict(rc=o["rc"], err=o["err"].strip()[-300:])
    return f


def main(argv):
    args = argv[1:]
    only, jobs = None, int(ENV.get("WHATAMI_SCENARIO_JOBS", "2"))
    if "--only" in args:
        i = args.index("--only")
        only = set(args[i + 1].split(","))
        del args[i:i + 2]
    if "--jobs" in args:
        i = args.index("--jobs")
        jobs = int(args[i + 1])
        del args[i:i + 2]
    if len(args) < 2 or not LAB or not TAG:
        print(__doc__, file=sys.stderr)
        return 2
    out, engines = os.path.join(args[0], "scenarios"), set(args[1:])
    os.makedirs(out, exist_ok=True)
    todo = [s for s in SCENARIOS if s["engine"] in engines and (only is None or s["name"] in only)]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        fut_facts = {ex.submit(facts, e): e for e in sorted(engines)}
        futs = {ex.submit(run_scenario, s): s for s in todo}
        for fu in concurrent.futures.as_completed(futs):
            s = futs[fu]
            try:
                r = fu.result()
            except Exception as e:  # one scenario's trouble must not hide the others
                say("%s: %s: %s" % (s["name"], type(e).__name__, e))
                continue
            with open(os.path.join(out, s["name"] + ".json"), "w") as fh:
                json.dump(r, fh, indent=1)
            say("%-34s %-10s bare %s, why %s, %d controls, fix %s (%.1fs)" % (
                s["name"], s["engine"], r["bare"]["rc"], r["why"].get("rc"), len(r["controls"]),
                r.get("fix", {}).get("rc", "-"), r["seconds"]))
        fl = {fut_facts[f]: f.result() for f in fut_facts}
    with open(os.path.join(out, "facts.json"), "w") as fh:
        json.dump(dict(engines=fl, scenarios=[s["name"] for s in todo],
                       seconds=round(time.monotonic() - t0, 1)), fh, indent=1)
    say("%d scenarios in %.0fs" % (len(todo), time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
