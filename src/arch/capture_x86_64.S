/*
 * capture_x86_64.S — goro__arch_capture_regs(struct goro_regs *r): the
 * caller's callee-saved registers, its resume pc (our return address) and
 * its stack pointer after the return, exactly as they are at the call.
 * The leak detector starts the requesting goroutine's stack walk there.
 * Layout: struct goro_regs (trace/trace.h): rip, rsp, rbp, rbx, r12-r15.
 */
	.text
	.globl goro__arch_capture_regs
	.hidden goro__arch_capture_regs
	.type goro__arch_capture_regs, @function
goro__arch_capture_regs:
	.cfi_startproc
	movq (%rsp), %rax
	movq %rax, 0(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, 8(%rdi)
	movq %rbp, 16(%rdi)
	movq %rbx, 24(%rdi)
	movq %r12, 32(%rdi)
	movq %r13, 40(%rdi)
	movq %r14, 48(%rdi)
	movq %r15, 56(%rdi)
	ret
	.cfi_endproc
	.size goro__arch_capture_regs, .-goro__arch_capture_regs
	.section .note.GNU-stack,"",@progbits
