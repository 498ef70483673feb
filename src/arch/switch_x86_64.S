/*
 * switch_x86_64.S — context switch for x86-64 System V.
 *
 * Frame left at a parked stack pointer (low to high addresses):
 *   sp+0   MXCSR (4 bytes), x87 control word (2 bytes), pad
 *   sp+8   r15
 *   sp+16  r14
 *   sp+24  r13
 *   sp+32  r12
 *   sp+40  rbx
 *   sp+48  rbp
 *   sp+56  return address (resume pc)
 * The System V ABI makes MXCSR's control bits and the x87 control word
 * callee-saved, so a goroutine that changes rounding mode keeps it to
 * itself.  No syscall, no signal mask: that is why this is not ucontext.
 */
	.text

	.globl goro__ctx_switch
	.hidden goro__ctx_switch
	.type goro__ctx_switch, @function
	.p2align 4
goro__ctx_switch:
	.cfi_startproc
	pushq %rbp
	.cfi_adjust_cfa_offset 8
	pushq %rbx
	.cfi_adjust_cfa_offset 8
	pushq %r12
	.cfi_adjust_cfa_offset 8
	pushq %r13
	.cfi_adjust_cfa_offset 8
	pushq %r14
	.cfi_adjust_cfa_offset 8
	pushq %r15
	.cfi_adjust_cfa_offset 8
	subq $8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.cfi_endproc
	.size goro__ctx_switch, .-goro__ctx_switch

/*
 * First code a new context runs: r12 = entry, r13 = arg (placed there by
 * goro__ctx_init).  rip is marked undefined so unwinders stop here: this is
 * the bottom of every goroutine's stack.
 */
	.globl goro__ctx_start
	.hidden goro__ctx_start
	.type goro__ctx_start, @function
	.p2align 4
goro__ctx_start:
	.cfi_startproc
	.cfi_undefined rip
	xorl %ebp, %ebp
	movq %r13, %rdi
	callq *%r12
	ud2
	.cfi_endproc
	.size goro__ctx_start, .-goro__ctx_start

/*
 * Where goro__ucontext_inject_call resumes a faulting context: [rsp] holds
 * the faulting pc as a return address (a frame the unwinder walks through
 * back into the faulting function), rbx the function to call.  The stack
 * pointer may be any multiple of 8: rbp keeps it (and is the CFA register)
 * while the stack is realigned for the C call.  The function never returns.
 */
	.globl goro__inject_tramp
	.hidden goro__inject_tramp
	.type goro__inject_tramp, @function
	.p2align 4
	nop /* an unwinder looks up pc - 1 of its callers: keep it in here */
goro__inject_tramp:
	.cfi_startproc
	pushq %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset rbp, -16
	movq %rsp, %rbp
	.cfi_def_cfa_register rbp
	andq $-16, %rsp
	callq *%rbx
	ud2
	.cfi_endproc
	.size goro__inject_tramp, .-goro__inject_tramp

	.section .note.GNU-stack,"",@progbits
