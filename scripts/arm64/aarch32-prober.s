@ whatami's AArch32 prober: the 32-bit ARM program an arm64 whatami runs (from a memfd, in a
@ disposable child) to ask the policy about every syscall of the AArch32 entry point, which
@ 64-bit code cannot enter. src/seccomp/aarch32_program.rs holds it assembled
@ (scripts/arm64/aarch32-prober writes and checks that file).
@
@ Protocol, on fds the supervisor set up: it reads 4-byte syscall numbers from fd 0 and issues
@ each with all six arguments zero from the one `svc` at `probe_svc`, which the supervisor's
@ filter turns into a notification (answered with a fake value: the call never runs) unless
@ the policy in force refuses it first. Every answer is an 8-byte message on fd 1:
@ (tag, value), tags below. The probing runs in a thread made by clone, so that a KILL_THREAD
@ verdict ends only that thread: the main thread, waiting on the thread's cleared tid, reports
@ it and starts another. A TRAP verdict reaches the SIGSYS handler, which reports its data.
@ Number 0xffffffff asks for a HELLO message without a call: read and write work.

        .equ TAG_RETURNED, 1        @ value: the call's return value (r0)
        .equ TAG_TRAP, 2            @ value: si_errno (SECCOMP_RET_DATA); RETURNED follows
        .equ TAG_THREAD_DIED, 3     @ the probing thread died inside its call
        .equ TAG_NO_CLONE, 4        @ value: clone's return value
        .equ TAG_NO_FUTEX, 5        @ value: futex's return value
        .equ TAG_HELLO, 6

        .equ NR_EXIT_GROUP, 248
        .equ NR_READ, 3
        .equ NR_WRITE, 4
        .equ NR_PRCTL, 172
        .equ NR_RT_SIGACTION, 174
        .equ NR_RT_SIGRETURN, 173
        .equ NR_CLONE, 120
        .equ NR_FUTEX, 240
        @ CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|PARENT_SETTID|CHILD_CLEARTID
        .equ THREAD_FLAGS, 0x00350f00

        .text
        .arm
        .global _start
_start:
        @ No core dump of this process, whatever a KILL verdict does (exec made it dumpable).
        mov     r0, #4                  @ PR_SET_DUMPABLE
        mov     r1, #0
        mov     r7, #NR_PRCTL
        svc     #0
        @ rt_sigaction(SIGSYS, &act, NULL, 8)
        mov     r0, #31
        ldr     r1, =act
        mov     r2, #0
        mov     r3, #8
        mov     r7, #NR_RT_SIGACTION
        svc     #0

spawn:
        ldr     r0, =THREAD_FLAGS
        ldr     r1, =stack_top
        ldr     r2, =tid                @ parent_tid: set to the thread's tid
        mov     r3, #0                  @ tls
        ldr     r4, =tid                @ child_tid: cleared, and woken, when it exits
        mov     r7, #NR_CLONE
        svc     #0
        cmp     r0, #0
        beq     thread
        bgt     wait
        mov     r1, r0
        mov     r0, #TAG_NO_CLONE
        bl      send
        b       quit

wait:   ldr     r0, =tid
        ldr     r2, [r0]
        cmp     r2, #0
        beq     gone
        mov     r1, #0                  @ FUTEX_WAIT (shared: the tid word is cleared so)
        mov     r3, #0                  @ no timeout
        mov     r7, #NR_FUTEX
        svc     #0
        cmp     r0, #0
        beq     wait
        cmn     r0, #11                 @ EAGAIN: the value changed meanwhile
        beq     wait
        cmn     r0, #4                  @ EINTR
        beq     wait
        mov     r1, r0
        mov     r0, #TAG_NO_FUTEX
        bl      send
        b       quit

gone:   mov     r0, #TAG_THREAD_DIED
        mov     r1, #0
        bl      send
        b       spawn

quit:   mov     r0, #1
        mov     r7, #NR_EXIT_GROUP
        svc     #0

@ The probing thread: one number in, one call, one message out.
thread:
        mov     r0, #0
        ldr     r1, =msg
        mov     r2, #4
        mov     r7, #NR_READ
        svc     #0
        cmp     r0, #4
        bne     done
        ldr     r1, =msg
        ldr     r7, [r1]
        cmn     r7, #1
        beq     hello
        mov     r0, #0
        mov     r1, #0
        mov     r2, #0
        mov     r3, #0
        mov     r4, #0
        mov     r5, #0
        .global probe_svc
probe_svc:
        svc     #0
        .global probe_ret
probe_ret:
        mov     r1, r0
        mov     r0, #TAG_RETURNED
        bl      send
        b       thread
hello:  mov     r0, #TAG_HELLO
        mov     r1, #0
        bl      send
        b       thread
done:   mov     r0, #0                  @ fd 0 closed: the supervisor is done
        mov     r7, #NR_EXIT_GROUP
        svc     #0

@ send(tag, value): one 8-byte message on fd 1.
send:   ldr     r2, =msg
        str     r0, [r2]
        str     r1, [r2, #4]
        mov     r0, #1
        mov     r1, r2
        mov     r2, #8
        mov     r7, #NR_WRITE
        svc     #0
        bx      lr

@ SIGSYS: a TRAP verdict. (sig, siginfo, ucontext); si_errno holds SECCOMP_RET_DATA.
on_sigsys:
        ldr     r1, [r1, #4]
        mov     r0, #TAG_TRAP
        push    {lr}
        bl      send
        pop     {lr}
        bx      lr                      @ to restore, as SA_RESTORER asks
restore:
        mov     r7, #NR_RT_SIGRETURN
        svc     #0

        .ltorg

        .data
        .align  2
act:    .word   on_sigsys
        .word   0x04000004              @ SA_RESTORER | SA_SIGINFO
        .word   restore
        .word   0, 0                    @ mask
tid:    .word   0
msg:    .word   0, 0

        .bss
        .align  4
stack:  .space  1024
stack_top:
