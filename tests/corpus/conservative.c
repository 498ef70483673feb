/*
 * conservative.c — false negatives that only a C runtime has.
 *
 * Not from leak-corpus.md: Go finds both leaks below.  goro cannot, by
 * design, because C gives it no type information: it scans stacks
 * conservatively (any word that equals an object's address keeps the
 * object alive) and scans plain malloc memory as a root (goro.h, "Tracked
 * heap").  These cases pin that documented behaviour down.
 */
#include <stdint.h>
#include <stdlib.h>

#include "corpus.h"

struct chan_arg {
	goro_chan *ch;
};

static void fn_blocked_receiver(goro_chan *ch)
{
	int v;
	goro_chan_recv(ch, &v);
}

/* ------------------------------------------------------------------ */
/* CFN-1: an integer that equals a channel's address                   */
/* ------------------------------------------------------------------ */

struct id_arg {
	uintptr_t id; /* the channel's address, kept as a number */
};

static void cfn_integer_alias_func1(void *arg)
{
	fn_blocked_receiver(((const struct chan_arg *)arg)->ch);
}

/* Where cfn_integer_alias_func2 uses its id (a store reads it). */
static volatile uintptr_t cfn_integer_alias_sink;

/* Runs forever with the channel's address as a plain number (Go: a
 * uintptr, which does not keep anything alive), read every time round:
 * a live word, which goro cannot tell from a pointer. */
static void cfn_integer_alias_func2(void *arg)
{
	uintptr_t id = ((const struct id_arg *)arg)->id;
	for (;;) {
		cfn_integer_alias_sink = id ^ 1;
		goro_yield();
	}
}

static void cfn_integer_alias_case(void)
{
	goro_chan *ch = goro_chan_new(int, 0);
	goro_go(cfn_integer_alias_func1, &(struct chan_arg){ ch });
	goro_go(cfn_integer_alias_func2, &(struct id_arg){ (uintptr_t)ch });
}

CORPUS_CASE(cfn_integer_alias) {
	.id = "CFN-1/integer-alias",
	.run = cfn_integer_alias_case,
	.mode = CORPUS_FALSE_NEGATIVE,
	.expect = { { "cfn_integer_alias_func1", "chan receive", 1 } },
	.note = "a runnable goroutine holds the channel's address as an integer; "
	        "the conservative stack scan takes it for a pointer (Go, which "
	        "knows it is a uintptr, reports the leak)",
};

/* ------------------------------------------------------------------ */
/* CFN-2: a channel referenced from plain malloc memory                */
/* ------------------------------------------------------------------ */

struct mailbox {
	goro_chan *ch;
};

static void cfn_malloc_root_func1(void *arg)
{
	fn_blocked_receiver(((const struct chan_arg *)arg)->ch);
}

static void cfn_malloc_root_case(void)
{
	/* Never freed and soon unreferenced: only the heap scan finds it. */
	struct mailbox *box = malloc(sizeof *box);
	if (!box)
		abort();
	box->ch = goro_chan_new(int, 0);
	/* Nothing reads the box: without this the compiler may elide the
	 * allocation and the store, and with them the root. */
	__asm__ volatile("" : : "r"(box) : "memory");
	goro_go(cfn_malloc_root_func1, &(struct chan_arg){ box->ch });
}

CORPUS_CASE(cfn_malloc_root) {
	.id = "CFN-2/malloc-root",
	.run = cfn_malloc_root_case,
	.mode = CORPUS_FALSE_NEGATIVE,
	.expect = { { "cfn_malloc_root_func1", "chan receive", 1 } },
	.note = "the channel is referenced from a malloc'd block: plain malloc "
	        "memory is a root, so shared state must live in goro_malloc "
	        "memory for leaks to be seen",
};
