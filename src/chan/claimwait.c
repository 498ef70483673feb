/*
 * claimwait.c — see claimwait.h.
 */
#include "chan/claimwait.h"
#include "sched/sched.h"

/* Joins the done channel's receive queue; false if it is already closed. */
static bool wait_on_done(goro_chan *done, struct goro_waiter *dw)
{
	goro__spin_lock(&done->lock);
	bool closed = done->closed;
	if (!closed)
		goro__waitq_push(&done->recvq, dw, &done->lock);
	goro__spin_unlock(&done->lock);
	return !closed;
}

bool goro__claimwait_park(struct goro_claimwait *cw)
{
	struct goro_g *g = cw->dw.g;
	bool aborted = false;
	if (cw->done && !wait_on_done(cw->done, &cw->dw)) {
		/* Already canceled: withdraw, unless a waker claimed us first. */
		uint32_t expected = 0;
		if (atomic_compare_exchange_strong(&g->select_done, &expected, 1)) {
			g->param = &cw->dw;
			aborted = true;
			atomic_store(&g->state, G_RUNNING);
		}
	}
	bool timed = cw->deadline != INT64_MAX && !aborted;
	struct goro_rtimer timer;
	if (timed) {
		goro__rtimer_init(&timer, cw->on_deadline, cw->timer_arg);
		goro__rtimer_start(&timer, cw->heap ? cw->heap : goro__timerheap_current(),
		                   cw->deadline);
	}
	if (!aborted)
		goro__park();
	if (timed)
		goro__rtimer_stop(&timer);
	if (cw->done) {
		goro__spin_lock(&cw->done->lock);
		goro__waitq_remove(&cw->done->recvq, &cw->dw);
		goro__spin_unlock(&cw->done->lock);
	}
	return g->param == &cw->dw;
}
