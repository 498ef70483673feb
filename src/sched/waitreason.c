/*
 * waitreason.c — Go's wait-reason strings and which of them make a
 * goroutine a candidate of the goroutineleak profile.
 */
#include "sched/g.h"

static const char *const reasons[WR_COUNT] = {
	[WR_NONE] = "",
	[WR_CHAN_SEND] = "chan send",
	[WR_CHAN_RECV] = "chan receive",
	[WR_SELECT] = "select",
	[WR_CHAN_SEND_NIL] = "chan send (nil chan)",
	[WR_CHAN_RECV_NIL] = "chan receive (nil chan)",
	[WR_SELECT_NO_CASES] = "select (no cases)",
	[WR_MUTEX] = "sync.Mutex.Lock",
	[WR_RWMUTEX_LOCK] = "sync.RWMutex.Lock",
	[WR_RWMUTEX_RLOCK] = "sync.RWMutex.RLock",
	[WR_WAITGROUP] = "sync.WaitGroup.Wait",
	[WR_COND] = "sync.Cond.Wait",
	[WR_SLEEP] = "sleep",
	[WR_IO] = "IO wait",
	[WR_SYSCALL] = "syscall",
	[WR_SYNCTEST_WAIT] = "synctest.Wait",
	[WR_SYNCTEST_RUN] = "synctest.Run",
};

const char *goro__wait_reason_str(int reason)
{
	if (reason < 0 || reason >= WR_COUNT)
		return "unknown";
	return reasons[reason];
}

/* Go's isMaybeRunnable candidates: channel and sync waits.  Sleep, I/O and
 * syscalls can end by themselves, so those goroutines are roots. */
bool goro__wait_reason_is_leak_candidate(int reason)
{
	switch (reason) {
	case WR_CHAN_SEND:
	case WR_CHAN_RECV:
	case WR_SELECT:
	case WR_CHAN_SEND_NIL:
	case WR_CHAN_RECV_NIL:
	case WR_SELECT_NO_CASES:
	case WR_MUTEX:
	case WR_RWMUTEX_LOCK:
	case WR_RWMUTEX_RLOCK:
	case WR_WAITGROUP:
	case WR_COND:
		return true;
	default:
		return false;
	}
}
