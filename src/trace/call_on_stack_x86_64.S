/*
 * call_on_stack_x86_64.S — goro__call_on_stack(top, fn, arg): fn(arg) with
 * the stack pointer at `top` (16-byte aligned), then back.
 *
 * rbp keeps the caller's stack pointer and is the CFA register while fn
 * runs, so debuggers and unwinders walk from the other stack back into
 * the caller's.
 */
	.text

	.globl goro__call_on_stack
	.hidden goro__call_on_stack
	.type goro__call_on_stack, @function
	.p2align 4
goro__call_on_stack:
	.cfi_startproc
	pushq %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset rbp, -16
	movq %rsp, %rbp
	.cfi_def_cfa_register rbp
	movq %rdi, %rsp
	movq %rdx, %rdi
	callq *%rsi
	movq %rbp, %rsp
	.cfi_def_cfa_register rsp
	popq %rbp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size goro__call_on_stack, .-goro__call_on_stack

	.section .note.GNU-stack,"",@progbits
