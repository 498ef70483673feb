/*
 * tick.c — time.Tick: a ticker's channel for programs that never stop it.
 *
 * Go's Tick is NewTicker(d).C, or nil when d <= 0.  Since Go 1.23 an
 * unreferenced ticker is collected, so Tick no longer leaks in Go; C has
 * no collector, so the ticker behind goro_tick lives as long as the
 * process (like goro_after's timer): use it for the program's few
 * forever-tickers, goro_ticker_new + goro_ticker_free elsewhere.
 */
#include "sched/sched.h"

GORO_API goro_chan *goro_tick(goro_duration d)
{
	if (d <= 0)
		return NULL; /* Go's nil channel: a receive blocks forever */
	return goro_ticker_chan(goro_ticker_new(d));
}
