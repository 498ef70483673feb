/*
 * kernel.h — Go idioms the corpus kernels share.
 */
#ifndef GORO_TESTS_CORPUS_KERNEL_H
#define GORO_TESTS_CORPUS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include <goro.h>

/*
 * Go's `<-ctx.Done()`: a plain receive, so a goroutine blocked here reports
 * "chan receive" (a one-case goro_select would report "select").  The Done
 * channel's element type is goro's business; the sink has room for any
 * scalar.  A context that is never done has a nil Done channel, on which
 * the receive blocks forever, as in Go.
 */
static inline void kernel_recv_done(goro_ctx *ctx)
{
	goro_chan *done = goro_ctx_done(ctx);
	max_align_t sink;

	if (done && goro_chan_elemsize(done) > sizeof sink)
		abort();
	goro_chan_recv(done, &sink);
}

/* Go's `ch <- struct{}{}` / `<-ch` on a chan struct{} modelled as char. */
static inline void kernel_signal(goro_chan *ch)
{
	const char unit = 0;
	goro_chan_send(ch, &unit);
}

static inline bool kernel_wait(goro_chan *ch)
{
	char unit;
	return goro_chan_recv(ch, &unit);
}

#endif /* GORO_TESTS_CORPUS_KERNEL_H */
