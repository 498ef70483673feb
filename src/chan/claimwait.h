/*
 * claimwait.h — parking a goroutine that several sources race to wake.
 *
 * A blocking call with a deadline or a context (a sync wait, an fd wait)
 * can be ended by three things: its own waker (whoever dequeues its
 * waiter), its Done channel becoming receivable, and its deadline.  All
 * of them claim the goroutine through g->select_done, as a select's cases
 * do; only the winner readies it and says why (g->param: the winning
 * waiter; the deadline's callback records its own result).
 */
#ifndef GORO_CLAIMWAIT_H
#define GORO_CLAIMWAIT_H

#include "chan/chan.h"
#include "time/rtimer.h"

struct goro_claimwait {
	struct goro_waiter dw;        /* ours on done's receive queue */
	goro_chan *done;              /* NULL: no context */
	int64_t deadline;             /* INT64_MAX: none */
	struct goro_timerheap *heap;  /* where the deadline's timer goes */
	goro_rtimer_fn on_deadline;   /* claims g and readies it */
	void *timer_arg;
};

static inline void goro__claimwait_init(struct goro_claimwait *cw, struct goro_g *g,
                                        goro_chan *done, int64_t deadline,
                                        goro_rtimer_fn on_deadline, void *timer_arg)
{
	*cw = (struct goro_claimwait){
		.dw = { .g = g, .obj = done, .is_select = true, .case_index = -1 },
		.done = done, .deadline = deadline, .on_deadline = on_deadline,
		.timer_arg = timer_arg };
}

/*
 * Called with g's own waiter queued, g marked waiting and every lock
 * released: parks until one source claims g, then leaves done's queue.
 * True if the Done channel won (it may have been closed already, then g
 * does not park).
 */
GORO_HIDDEN bool goro__claimwait_park(struct goro_claimwait *cw);

#endif /* GORO_CLAIMWAIT_H */
